"""Cached reader pages and the signed-in reader follow the database, whoever changed it.

The changes are made as the reported reproductions made them: `.update()` from a
`manage.py shell` in another process, raw SQL that bypasses the ORM, the admin. Each test runs
with a per-process cache and with the production cache (Redis).
"""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article, Industry, IndustryGroup, Section
from apps.issues.models import Issue
from apps.subscribers.models import Subscriber
from tests.factories import ArticleFactory, IssueFactory

# The other process must see committed rows: no test-wide transaction. The seeded sections,
# industries and roles are put back after each test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def issue():
    issue = IssueFactory(visible=True, year=2025, number=3)
    trends = Section.objects.get(slug="industry-trends")
    for position, title in enumerate(["储能产业观察", "新材料动态", "装备制造快讯"], start=1):
        article = ArticleFactory(
            issue=issue,
            section=trends,
            position=position,
            title=title,
            status=Article.Status.PUBLISHED,
        )
        article.industries.set([Industry.objects.get(slug="new-materials")])
    return issue


def article_titled(issue, title):
    return issue.articles.get(title=title)


def raw_sql(sql, params):
    """Python for the other process: run one SQL statement, no ORM at all."""
    return (
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        f"    cursor.execute({sql!r}, {params!r})"
    )


def read(client, url):
    response = client.get(url)
    return response.status_code, response.content.decode()


def test_a_bulk_visibility_change_elsewhere_hides_the_article_at_once(
    client_for, enterprise, issue, other_process
):
    hidden = article_titled(issue, "新材料动态")
    following = article_titled(issue, "装备制造快讯")
    client = client_for(enterprise)
    for url in (hidden.get_absolute_url(), issue.get_absolute_url(), following.get_absolute_url()):
        assert client.get(url).status_code == 200  # now cached for this audience

    other_process(
        "from apps.articles.models import Article; "
        f"Article.objects.filter(pk={hidden.pk})"
        ".update(visibility=Article.Visibility.LEADERSHIP)"
    )

    assert client.get(hidden.get_absolute_url()).status_code == 404
    status, contents = read(client, issue.get_absolute_url())
    assert status == 200
    assert "新材料动态" not in contents
    assert "储能产业观察" in contents
    status, neighbour = read(client, following.get_absolute_url())
    assert "新材料动态" not in neighbour  # no longer its "previous" link


def test_a_write_that_bypasses_the_orm_never_reaches_a_refused_reader(
    client_for, enterprise, leader, issue, other_process
):
    hidden = article_titled(issue, "储能产业观察")
    reader = client_for(enterprise)
    assert "储能产业观察" in read(reader, issue.get_absolute_url())[1]
    assert reader.get(hidden.get_absolute_url()).status_code == 200

    # Raw SQL: no manager, no receiver, the content generation does not move.
    other_process(
        raw_sql(
            "UPDATE articles_article SET visibility = %s WHERE id = %s",
            [Article.Visibility.LEADERSHIP.value, hidden.pk],
        )
    )

    assert reader.get(hidden.get_absolute_url()).status_code == 404
    assert "储能产业观察" not in read(reader, issue.get_absolute_url())[1]
    # Leaders still read it.
    assert read(client_for(leader), hidden.get_absolute_url())[0] == 200


def test_an_unpublished_issue_is_gone_even_when_its_page_was_cached(
    client_for, enterprise, issue, other_process
):
    client = client_for(enterprise)
    assert client.get(issue.get_absolute_url()).status_code == 200
    other_process(
        raw_sql(
            "UPDATE issues_issue SET status = %s WHERE id = %s",
            [Issue.Status.WITHDRAWN.value, issue.pk],
        )
    )
    assert client.get(issue.get_absolute_url()).status_code == 404


def test_renames_in_the_admin_show_on_the_next_request(
    client, cache_kind, enterprise, reviewer, issue
):
    article = article_titled(issue, "新材料动态")
    client.force_login(enterprise)
    assert "行业趋势" in read(client, issue.get_absolute_url())[1]
    assert "新材料" in read(client, article.get_absolute_url())[1]

    reviewer.is_superuser = True  # the taxonomy's admin pages
    reviewer.save()
    client.force_login(reviewer)
    section = Section.objects.get(slug="industry-trends")
    response = client.post(
        reverse("admin:articles_section_change", args=[section.pk]),
        {
            "name": "趋势观察专栏",
            "slug": "industry-trends",
            "order": section.order,
            "description": "",
        },
    )
    assert response.status_code == 302
    industry = Industry.objects.get(slug="new-materials")
    response = client.post(
        reverse("admin:articles_industry_change", args=[industry.pk]),
        {"name": "先进材料", "slug": "new-materials", "group": industry.group_id, "order": 2},
    )
    assert response.status_code == 302

    client.force_login(enterprise)
    contents = read(client, issue.get_absolute_url())[1]
    assert "趋势观察专栏" in contents
    assert "行业趋势" not in contents
    page = read(client, article.get_absolute_url())[1]
    assert "先进材料" in page


@pytest.mark.parametrize("cache_kind", ["redis"], indirect=True)
def test_bulk_renames_elsewhere_reach_every_worker_through_the_shared_cache(
    client_for, enterprise, issue, other_process
):
    article = article_titled(issue, "新材料动态")
    client = client_for(enterprise)
    assert "行业趋势" in read(client, issue.get_absolute_url())[1]
    assert "新材料" in read(client, article.get_absolute_url())[1]

    other_process(
        "from apps.articles.models import Industry, IndustryGroup, Section\n"
        "Section.objects.filter(slug='industry-trends').update(name='趋势观察专栏')\n"
        "Industry.objects.filter(slug='new-materials').update(name='先进材料')\n"
        "IndustryGroup.objects.filter(slug='strategic-emerging').update(name='新兴产业')"
    )

    assert "趋势观察专栏" in read(client, issue.get_absolute_url())[1]
    page = read(client, article.get_absolute_url())[1]
    assert "先进材料" in page
    assert IndustryGroup.objects.filter(name="新兴产业").exists()


def test_a_tag_change_shows_on_the_next_request(client_for, cache_kind, enterprise, issue):
    article = article_titled(issue, "储能产业观察")
    client = client_for(enterprise)
    assert "节能环保" not in read(client, article.get_absolute_url())[1]
    article.industries.add(Industry.objects.get(slug="energy-saving"))
    assert "节能环保" in read(client, article.get_absolute_url())[1]
    article.industries.clear()
    tag_link = reverse("reader:industry", args=["new-materials"])
    assert tag_link not in read(client, article.get_absolute_url())[1]


def test_a_suspension_elsewhere_ends_reading_on_the_next_request(
    client_for, enterprise, issue, other_process
):
    client = client_for(enterprise)
    assert client.get(issue.get_absolute_url()).status_code == 200

    other_process(
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.filter(pk={enterprise.pk}).update(is_active=False)"
    )

    response = client.get(issue.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("reader:home")).status_code == 302


def test_an_expiry_elsewhere_shows_the_explanation_on_the_next_request(
    client_for, enterprise, issue, other_process
):
    client = client_for(enterprise)
    assert client.get(issue.get_absolute_url()).status_code == 200
    yesterday = timezone.localdate() - timedelta(days=1)
    other_process(
        "import datetime; from apps.subscribers.models import Subscriber; "
        f"Subscriber.objects.filter(user_id={enterprise.pk}).update("
        f"valid_until=datetime.date.fromisoformat('{yesterday.isoformat()}'))"
    )
    response = client.get(issue.get_absolute_url())
    assert response.status_code == 403
    assert "订阅" in response.content.decode()


def test_a_change_of_kind_elsewhere_takes_leadership_articles_away(
    client_for, leader, issue, other_process
):
    secret = article_titled(issue, "装备制造快讯")
    secret.visibility = Article.Visibility.LEADERSHIP
    secret.save()
    client = client_for(leader)
    assert client.get(secret.get_absolute_url()).status_code == 200

    other_process(
        "from apps.subscribers.models import Subscriber; "
        f"Subscriber.objects.filter(user_id={leader.pk}).update(kind=Subscriber.Kind.ENTERPRISE)"
    )

    assert client.get(secret.get_absolute_url()).status_code == 404
    assert "装备制造快讯" not in read(client, issue.get_absolute_url())[1]
    assert Subscriber.objects.get(user=leader).kind == Subscriber.Kind.ENTERPRISE


def test_users_are_read_from_the_database_on_every_request(
    client_for, enterprise, django_assert_num_queries
):
    client = client_for(enterprise)
    client.get(reverse("reader:profile"))
    get_user_model().objects.filter(pk=enterprise.pk).update(first_name="新名")
    assert "新名" in read(client, reverse("reader:profile"))[1]


def test_search_follows_an_edit_elsewhere_after_the_minute_job(
    client_for, enterprise, issue, other_process
):
    client = client_for(enterprise)
    search = reverse("reader:search")
    # The articles were saved through the ORM: indexed right after their commits.
    assert "产业观察" in read(client, f"{search}?q=储能")[1]
    assert "没有找到包含" in read(client, f"{search}?q=钠离子")[1]

    article = article_titled(issue, "储能产业观察")
    other_process(
        "from apps.articles.models import Article; "
        f"Article.objects.filter(pk={article.pk}).update(body='<p>钠离子电池量产</p>')"
    )
    # Committed elsewhere, not re-indexed yet: asked now, the old index answers (and is kept).
    assert "没有找到包含" in read(client, f"{search}?q=钠离子")[1]

    call_command("publish_due", stdout=io.StringIO())  # the minute job, no worker needed

    assert "储能产业观察" in read(client, f"{search}?q=钠离子")[1]
