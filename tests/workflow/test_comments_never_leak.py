"""Comments (批注) are the editorial office's: no page, file, mail or card a reader gets carries
one, nor the script that marks them, and neither do the office's proofs of what readers get."""

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from apps.articles.models import Article
from apps.notifications.issue_mail import IssueMail
from apps.push import deliveries as push_deliveries
from apps.push import vendors
from apps.push.models import Channel
from apps.search.indexing import refresh
from apps.subscribers.models import Subscriber
from apps.workflow import comments
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db

SECRET = "内部批注甲乙丙"  # in every comment's text, and nowhere in the bulletin
PASSAGE = "储能产业产值增长"


@pytest.fixture
def commented(editor, reviewer):
    """A live issue whose article and editor's note carry open and resolved comments, replies
    and mentions, anchored to passages readers see."""
    issue = IssueFactory(visible=True, created_by=reviewer, editor_note=f"<p>本期{PASSAGE}。</p>")
    article = ArticleFactory(
        issue=issue,
        created_by=editor,
        status=Article.Status.PUBLISHED,
        title="储能产业报告",
        summary="储能摘要",
        body=f"<p>二〇二五年{PASSAGE}12%。</p>",
    )
    refresh([article.pk])
    for subject in (article, issue):
        text = f"{SECRET}：@editor1 请核实"
        thread = comments.add(subject, by=reviewer, text=text, quote=PASSAGE)
        comments.reply(thread, by=editor, text=f"{SECRET}（回复）")
        comments.resolve(comments.add(subject, by=editor, text=f"{SECRET}（已解决）"), by=editor)
    return issue, article


def pdf_text(response) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_reader_pages_search_print_and_pdf_carry_no_comment(client, commented, leader, editor):
    issue, article = commented
    year, number = issue.year, issue.number
    pages = [
        reverse("reader:home"),
        issue.get_absolute_url(),
        article.get_absolute_url(),
        reverse("reader:issue_print", args=[year, number]),
    ]
    # Readers, and staff reading the bulletin as readers do.
    for reader in (leader, editor):
        client.force_login(reader)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            text = response.content.decode()
            assert PASSAGE in text or url == reverse("reader:home")
            assert SECRET not in text, url
            assert "comments.js" not in text and "comment-anchors" not in text, url
        # Searching for a comment's words finds nothing; the article's words find no comment.
        assert list(client.get(reverse("reader:search"), {"q": SECRET}).context["page_obj"]) == []
        found = client.get(reverse("reader:search"), {"q": "储能"})
        assert [a.title for a in found.context["page_obj"]] == ["储能产业报告"]
        assert SECRET not in found.content.decode()
    client.force_login(leader)
    pdf = pdf_text(client.get(reverse("reader:issue_pdf", args=[year, number])))
    assert "储能产业报告" in pdf and "批注" not in pdf and SECRET not in pdf


def test_proofs_mail_cards_and_exports_carry_no_comment(
    client, commented, reviewer, leader, subadmin
):
    issue, _ = commented
    client.force_login(reviewer)
    proof = client.get(reverse("reader:issue_proof_print", args=[issue.pk])).content.decode()
    assert "储能产业报告" in proof and SECRET not in proof and "comments.js" not in proof
    pdf = pdf_text(client.get(reverse("reader:issue_proof_pdf", args=[issue.pk])))
    assert "校样" in pdf and SECRET not in pdf

    message = IssueMail(issue).message_for(Subscriber.objects.get(user=leader), 0)
    assert "储能产业报告" in message.body and SECRET not in message.body
    assert all(SECRET not in content for content, _ in message.alternatives)

    for kind in ("wecom", "dingtalk", "feishu"):
        channel = Channel.objects.create(
            name=kind, kind=kind, audience=Channel.Audience.ALL, webhook_url="https://example.com/"
        )
        card = push_deliveries.card_for(issue, channel)
        payload = json.dumps(vendors.payload(kind, card), ensure_ascii=False)
        assert "储能产业报告" in payload and SECRET not in payload

    client.force_login(subadmin)
    export = client.get(reverse("admin:readership_reading_export", args=[issue.pk]))
    assert export.status_code == 200
    workbook = load_workbook(io.BytesIO(export.content))
    cells = [str(v) for sheet in workbook for row in sheet.iter_rows(values_only=True) for v in row]
    assert "储能产业报告" in cells and not any(SECRET in cell for cell in cells)
