"""Arranging an issue on its own page: sections and articles, by button and by drag."""

import re

import pytest
from django.urls import reverse

from apps.articles.models import Article, IssueSection, Section
from apps.issues.models import Issue
from apps.workflow import arrange, steps
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def sections():
    return list(Section.objects.order_by("order")[:3])


def issue_with_articles(editor):
    news, trends, reports = sections()
    issue = IssueFactory(created_by=editor)
    made = {}
    for section, titles in ((news, ["甲", "乙", "丙"]), (trends, ["丁"]), (reports, ["戊"])):
        for position, title in enumerate(titles, start=1):
            made[title] = ArticleFactory(
                issue=issue, section=section, position=position, title=title, created_by=editor
            )
    return issue, made


def page(client, issue):
    return client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()


def base_of(html):
    return re.search(r'name="base" value="([^"]+)"', html).group(1).replace("&quot;", '"')


def post(client, issue, **data):
    url = reverse("admin:issues_issue_arrange", args=[issue.pk])
    return client.post(url, data, follow=True).content.decode()


def contents(issue):
    return [(a.section.name, a.title) for a in Article.objects.filter(issue=issue).for_contents()]


def test_moving_up_and_down_swaps_in_one_step(client, editor):
    issue, made = issue_with_articles(editor)
    client.force_login(editor)
    html = page(client, issue)
    assert "本期编排" in html and "在此栏目添加文章" in html
    result = post(client, issue, base=base_of(html), action=f"down:{made['甲'].pk}")
    assert "已保存编排（调整了 2 篇文章）" in result
    assert [t for s, t in contents(issue)] == ["乙", "甲", "丙", "丁", "戊"]
    positions = dict(Article.objects.filter(issue=issue).values_list("title", "position"))
    assert (positions["乙"], positions["甲"], positions["丙"]) == (1, 2, 3)


def test_moving_to_another_section_and_reordering_sections_for_this_issue_only(client, editor):
    issue, made = issue_with_articles(editor)
    other, _ = issue_with_articles(editor)
    news, trends, reports = sections()
    client.force_login(editor)
    post(
        client, issue, base=base_of(page(client, issue)), action=f"to:{made['丙'].pk}",
        **{f"to-{made['丙'].pk}": trends.pk},
    )  # fmt: skip
    post(client, issue, base=base_of(page(client, issue)), action=f"section-up:{reports.pk}")
    post(client, issue, base=base_of(page(client, issue)), action=f"section-up:{reports.pk}")
    assert contents(issue) == [
        (reports.name, "戊"), (news.name, "甲"), (news.name, "乙"),
        (trends.name, "丁"), (trends.name, "丙"),
    ]  # fmt: skip
    # The other issue keeps the usual order.
    assert next(s for s, _ in contents(other)) == news.name


def test_a_dragged_layout_is_saved_whole_and_readers_see_it(client, editor, reviewer):
    issue, made = issue_with_articles(editor)
    news, trends, _ = sections()
    client.force_login(editor)
    base = base_of(page(client, issue))
    layout = [
        [trends.pk, [made["戊"].pk, made["丁"].pk]],
        [news.pk, [made["丙"].pk, made["甲"].pk, made["乙"].pk]],
    ]
    import json

    post(client, issue, base=base, action="save", layout=json.dumps(layout))
    assert contents(issue) == [
        (trends.name, "戊"), (trends.name, "丁"),
        (news.name, "丙"), (news.name, "甲"), (news.name, "乙"),
    ]  # fmt: skip
    # The reader's issue page follows, once published.
    Article.objects.filter(issue=issue).update(status=Article.Status.APPROVED)
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.REVIEW)
    steps.publish_issue(Issue.objects.get(pk=issue.pk), by=reviewer)
    reader = SubscriberFactory().user
    client.force_login(reader)
    html = client.get(issue.get_absolute_url()).content.decode()
    order = [html.index(title) for title in ("戊", "丁", "丙", "甲", "乙")]
    assert order == sorted(order)
    assert html.index(trends.name) < html.index(news.name)


def test_a_stale_page_or_a_forged_layout_changes_nothing(client, editor, other_editor):
    issue, made = issue_with_articles(editor)
    client.force_login(editor)
    base = base_of(page(client, issue))
    post(client, issue, base=base, action=f"down:{made['甲'].pk}")
    before = contents(issue)
    # The same page again, after someone else moved things: refused with the reason.
    result = post(client, issue, base=base, action=f"down:{made['乙'].pk}")
    assert "本期的编排已被修改" in result
    fresh = base_of(page(client, issue))
    foreign = ArticleFactory(title="别期文章").pk
    for layout in ("[[1, [", f"[[1, [{foreign}]]]", '"x"', "[[999999, []]]", "[[1,[1e999]]]"):
        result = post(client, issue, base=fresh, action="save", layout=layout)
        assert "请刷新页面后重试" in result, layout
    assert "无法识别的编排操作" in post(client, issue, base=fresh, action="sideways:1")
    assert contents(issue) == before
    # Another editor sees the shared draft issue but arranges only their own.
    client.force_login(other_editor)
    assert "栏目上移" not in page(client, issue)
    url = reverse("admin:issues_issue_arrange", args=[issue.pk])
    assert client.post(url, {"base": fresh, "action": f"up:{made['丙'].pk}"}).status_code == 403
    assert contents(issue) == before


def test_editors_cannot_arrange_an_issue_in_review(client, editor, reviewer):
    issue, made = issue_with_articles(editor)
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.REVIEW)
    client.force_login(editor)
    url = reverse("admin:issues_issue_arrange", args=[issue.pk])
    assert client.post(url, {"action": f"up:{made['乙'].pk}", "base": "[]"}).status_code == 403
    client.force_login(reviewer)
    html = page(client, issue)
    assert "栏目上移" in html


def test_swaps_run_on_postgresql_without_tripping_the_unique_position(editor):
    issue, made = issue_with_articles(editor)
    news = sections()[0]
    base = arrange.fingerprint(arrange.as_ids(arrange.current_layout(issue)))
    reversed_news = [made["丙"].pk, made["乙"].pk, made["甲"].pk]
    layout = [(news.pk, reversed_news), *arrange.as_ids(arrange.current_layout(issue))[1:]]
    assert arrange.arrange(issue, layout, base=base, by=editor) == 2
    assert [t for s, t in contents(issue)][:3] == ["丙", "乙", "甲"]
    assert IssueSection.objects.filter(issue=issue).count() == 3


def test_the_add_form_proposes_the_next_number(client, reviewer):
    from django.utils import timezone

    year = timezone.localdate().year
    IssueFactory(year=year, number=4)
    client.force_login(reviewer)
    html = client.get(reverse("admin:issues_issue_add")).content.decode()
    assert f'name="year" value="{year}"' in html
    assert 'name="number" value="5"' in html
    assert "下一个总期号为 1" in html


def test_high_positions_deep_nesting_and_huge_ids_are_refused_kindly(client, editor):
    issue, made = issue_with_articles(editor)
    Article.objects.filter(pk=made["甲"].pk).update(position=32766)
    Article.objects.filter(pk=made["乙"].pk).update(position=32767)
    client.force_login(editor)
    result = post(client, issue, base=base_of(page(client, issue)), action=f"up:{made['丙'].pk}")
    assert "序号过大" in result
    fresh = base_of(page(client, issue))
    for layout in (
        "[" * 50_000,
        "[[99999999999999999999999999, []]]",
        '[["٣", []]]',
        "1" * 200_000,
    ):
        assert "编排数据无法识别" in post(client, issue, base=fresh, action="save", layout=layout)
