"""The small things a new reader tripped on (issue 19, part 7), over HTTP.

The print page offers the PDF (WeChat has no print dialog); 往期 gives the year with the date;
every page has a favicon; each industry page has a 关注 / 取消关注 button that changes the
reader's followed industries and is cached per reader's choice; check boxes are 44 px to tap.
The browser's view of the same is in tests/e2e/test_small_things.py.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from apps.articles.models import Article, Industry
from apps.issues.models import Issue
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

SITE_CSS = Path(settings.BASE_DIR) / "static" / "css" / "site.css"


@pytest.fixture
def issue():
    issue = IssueFactory(visible=True, year=2024, number=3)
    article = ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title="材料文章")
    article.industries.set(Industry.objects.filter(slug="new-materials"))
    return issue


# --- the print page offers the PDF ---


def test_the_print_page_links_to_the_pdf(client_for, enterprise, issue):
    page = client_for(enterprise).get(reverse("reader:issue_print", args=[2024, 3])).content
    page = page.decode()
    pdf = reverse("reader:issue_pdf", args=[2024, 3])
    assert f'href="{pdf}"' in page
    assert "下载 PDF" in page and "微信" in page


def test_a_proofs_print_page_links_to_the_proofs_pdf(client, reviewer):
    draft = IssueFactory(year=2024, number=9, status=Issue.Status.REVIEW)
    client.force_login(reviewer)
    page = client.get(reverse("reader:issue_proof_print", args=[draft.pk]), {"as": "all"})
    assert f'href="{reverse("reader:issue_proof_pdf", args=[draft.pk])}?as=all"' in (
        page.content.decode()
    )


# --- 往期 shows the year, and a favicon ---


def test_the_archive_shows_the_year_with_the_date(client_for, enterprise, issue):
    page = client_for(enterprise).get(reverse("reader:issues")).content.decode()
    date = issue.published_at.astimezone().strftime("%Y年%-m月%-d日")
    assert re.search(rf"<time datetime=\"[^\"]+\">{date}</time>", page)


def test_reader_and_admin_pages_name_a_favicon_that_exists(client_for, enterprise, staff, issue):
    reader_page = client_for(enterprise).get(reverse("reader:home")).content.decode()
    print_page = client_for(enterprise).get(reverse("reader:issue_print", args=[2024, 3]))
    admin_page = client_for(staff).get(reverse("admin:index")).content.decode()
    login_page = Client().get(reverse("login")).content.decode()
    for page in (reader_page, print_page.content.decode(), admin_page, login_page):
        assert '<link rel="icon" href="/static/favicon.ico"' in page
    assert finders.find("favicon.ico") and finders.find("apple-touch-icon.png")


# --- 关注 / 取消关注 on an industry's page ---


def industry_url(slug="new-materials"):
    return reverse("reader:industry", args=[slug])


def follow_url(slug="new-materials"):
    return reverse("reader:industry_follow", args=[slug])


def followed(user):
    return set(user.subscriber.industries.values_list("slug", flat=True))


def test_the_button_follows_and_unfollows_and_comes_back_to_the_page(client_for, enterprise, issue):
    client = client_for(enterprise)
    page = client.get(industry_url()).content.decode()
    assert '<button type="submit" class="follow-button">关注</button>' in page
    assert f'action="{follow_url()}"' in page

    response = client.post(follow_url(), {"follow": "1"})
    assert response.status_code == 302 and response["Location"] == industry_url()
    assert followed(enterprise) == {"new-materials"}
    page = client.get(industry_url()).content.decode()
    assert "取消关注</button>" in page and "您已关注该产业" in page
    # The home page lists the industry among the followed ones at once.
    assert industry_url() in client.get(reverse("reader:home")).content.decode()

    client.post(follow_url(), {"follow": "1"})  # pressed twice: still followed once
    assert followed(enterprise) == {"new-materials"}
    client.post(follow_url(), {"follow": "0"})
    assert followed(enterprise) == set()
    assert '<button type="submit" class="follow-button">关注</button>' in (
        client.get(industry_url()).content.decode()
    )


def test_following_keeps_the_other_industries(client_for, enterprise, issue):
    enterprise.subscriber.industries.set(Industry.objects.filter(slug="intelligent-equipment"))
    client_for(enterprise).post(follow_url(), {"follow": "1"})
    assert followed(enterprise) == {"intelligent-equipment", "new-materials"}


def test_one_readers_choice_is_never_served_to_another(client, issue):
    follower = SubscriberFactory(user__username="follower")
    follower.industries.set(Industry.objects.filter(slug="new-materials"))
    other = SubscriberFactory(user__username="other")

    client.force_login(follower.user)
    assert "取消关注</button>" in client.get(industry_url()).content.decode()  # now cached
    client.force_login(other.user)
    page = client.get(industry_url()).content.decode()
    assert "取消关注" not in page and "您已关注" not in page
    assert '<button type="submit" class="follow-button">关注</button>' in page


def test_the_form_carries_each_readers_own_csrf_token(issue):
    """The page is cached, the token is not: each reader gets a form their POST passes with."""
    readers = [SubscriberFactory(user__username=name).user for name in ("reader1", "reader2")]
    tokens = []
    for user in readers:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        page = client.get(industry_url()).content.decode()
        assert "<!--csrf-token-->" not in page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        tokens.append(token)
        response = client.post(follow_url(), {"follow": "1", "csrfmiddlewaretoken": token})
        assert response.status_code == 302
        assert followed(user) == {"new-materials"}
    assert tokens[0] != tokens[1]


def test_a_post_without_the_csrf_token_changes_nothing(enterprise, issue):
    client = Client(enforce_csrf_checks=True)
    client.force_login(enterprise)
    assert client.post(follow_url(), {"follow": "1"}).status_code == 403
    assert followed(enterprise) == set()


def test_the_follow_address_takes_only_subscribers_and_known_industries(
    client, client_for, enterprise, staff, issue
):
    response = client.post(follow_url(), {"follow": "1"})  # anonymous
    assert response.status_code == 302 and reverse("login") in response["Location"]
    reader = client_for(enterprise)
    assert reader.post(follow_url("no-such"), {"follow": "1"}).status_code == 404
    # A GET (a link opened by hand) changes nothing and shows the page.
    response = reader.get(follow_url())
    assert response.status_code == 302 and response["Location"] == industry_url()
    assert followed(enterprise) == set()
    # Staff follow nothing: no button for them.
    page = client_for(staff).get(industry_url()).content.decode()
    assert "follow-button" not in page


# --- check boxes a finger can hit ---


def test_profile_check_boxes_sit_in_44_px_labels(client_for, enterprise):
    page = client_for(enterprise).get(reverse("reader:profile")).content.decode()
    # The e-mail choice: the box inside its label, one row to tap.
    assert re.search(
        r'<label class="check-row" for="id_notify_by_email"><input type="checkbox"', page
    )
    # The industries: each box inside its label (Django's CheckboxSelectMultiple).
    assert page.count('<label for="id_industries_') >= 12
    assert re.search(r'<div id="id_industries">\s*<div>\s*<label for="id_industries_0">', page)
    css = SITE_CSS.read_text(encoding="utf-8")
    rule = re.search(r"\.form-field > div\[id\] label, \.stacked-form \.check-row \{([^}]*)\}", css)
    assert rule and "min-height: 44px" in rule.group(1)
    assert re.search(r"input\[type=checkbox\][^{]*\{[^}]*width: 22px; height: 22px", css)
