"""Creating the issue and its articles: one transaction, images stored as uploads are."""

import io

import pytest
from django.core.exceptions import ValidationError

from apps.articles.models import Article, Section
from apps.issues.models import Issue
from apps.uploads.models import ImageUse
from apps.wordimport.creating import create_issue
from apps.wordimport.parsing import parse_docx
from apps.wordimport.plan import Choice, plan_articles
from tests.factories import IssueFactory
from tests.wordimport.documents import TITLES, build, png

pytestmark = pytest.mark.django_db


def with_images(document, title):
    if title in (TITLES[0], TITLES[2]):
        document.add_picture(io.BytesIO(png()))


def planned(parsed, **choices):
    first = Section.objects.order_by("order").first()
    by_name = {section.name: section for section in Section.objects.all()}
    return plan_articles(
        parsed,
        [
            Choice(section=by_name.get(article.section_name or "", first), **choices)
            for article in parsed.articles
        ],
    )


def create(parsed, user, *, year=2023, number=12):
    return create_issue(
        year=year,
        number=number,
        note_html=parsed.note_html,
        articles=planned(parsed),
        images=parsed.images,
        by=user,
    )


def stored_images(media_root):
    folder = media_root / "editor"
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def test_everything_is_created_as_drafts(editor, media_root):
    parsed = parse_docx(build(add=with_images))

    created = create(parsed, editor)

    issue = created.issue
    assert issue.status == Issue.Status.DRAFT
    assert (issue.created_by, issue.updated_by) == (editor, editor)
    assert issue.history.get().history_user == editor
    assert created.image_count == 2
    assert len(stored_images(media_root)) == 2
    for article in created.articles:
        article.refresh_from_db()
        assert article.status == Article.Status.DRAFT
        assert article.history.get().history_user == editor
    assert ImageUse.objects.filter(article__issue=issue).count() == 2


def test_a_failure_half_way_leaves_nothing(editor, media_root, monkeypatch):
    parsed = parse_docx(build(add=with_images))
    saved = []
    original_save = Article.save

    def failing_save(self, *args, **kwargs):
        saved.append(self.title)
        if len(saved) == 3:
            raise RuntimeError("the disk is full")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Article, "save", failing_save)

    with pytest.raises(RuntimeError):
        create(parsed, editor)

    assert saved == TITLES[:3]  # two articles were written before the failure
    assert Issue.objects.count() == Article.objects.count() == ImageUse.objects.count() == 0
    # The images stored for the first articles are deleted with the rest.
    assert stored_images(media_root) == []


def test_a_number_taken_at_the_last_moment(editor, media_root, monkeypatch):
    # Another editor creates 2023年第12期 after the preview's form checked the number.
    parsed = parse_docx(build(add=with_images))
    IssueFactory(year=2023, number=12)
    monkeypatch.setattr(Issue, "full_clean", lambda self, *args, **kwargs: None)

    with pytest.raises(ValidationError) as caught:
        create(parsed, editor)

    assert caught.value.messages == ["2023年第12期已经存在，请换一个期号。"]
    assert Issue.objects.count() == 1
    assert Article.objects.count() == 0
    assert stored_images(media_root) == []


def test_bodies_and_note_go_through_the_sanitizer(editor):
    parsed = parse_docx(build())
    parsed.note_html += '<p onclick="steal()">编者<script>alert(1)</script></p>'
    parsed.articles[0].parts.append('<p><a href="javascript:alert(1)">链接</a></p>')
    parsed.articles[0].parts.append('<img src="https://tracker.example/pixel.gif">')

    created = create(parsed, editor)

    assert "onclick" not in created.issue.editor_note
    assert "<script" not in created.issue.editor_note
    first = Article.objects.get(pk=created.articles[0].pk)
    assert "javascript:" not in first.body
    assert "tracker.example" not in first.body


def test_positions_follow_the_document_within_each_section(editor):
    parsed = parse_docx(build())

    created = create(parsed, editor)

    assert [(a.section.slug, a.position) for a in created.articles] == [
        ("general-news", 1),
        ("general-news", 2),
        ("industry-trends", 1),
        ("industry-reports", 1),
    ]


def test_source_author_and_summary_are_filled(editor):
    def add(document, title):
        if title == TITLES[0]:
            document.add_paragraph("来源：科技日报  作者：张三")

    created = create(parse_docx(build(add=add)), editor)

    first = created.articles[0]
    assert (first.source, first.author) == ("科技日报", "张三")
    assert first.summary.startswith("中国科学技术发展战略研究院撰写的")
    assert len(first.summary) <= 120
