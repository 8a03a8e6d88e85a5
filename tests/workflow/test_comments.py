"""Comments on drafts (批注): who comments where, passages, mentions, resolving, the author's own
changes, forged and malformed requests, and the return's reason as the first comment."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.workflow import comments, steps
from apps.workflow.models import Comment
from tests.conftest import member_of
from tests.factories import ArticleFactory, IssueFactory
from tests.notifications.helpers import MAIL_TEST

pytestmark = pytest.mark.django_db

BODY = "<p>二〇二五年许昌储能产业产值增长<strong>12%</strong>。</p><p>新项目集中在长葛。</p>"


def url(obj, view, *args):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk, *args])


def post(client, obj, view, *args, **data):
    """POST a panel form; return the messages it left and the page it led back to."""
    response = client.post(url(obj, view, *args), data)
    assert response.status_code == 302, response.status_code
    said = [str(message) for message in get_messages(response.wsgi_request)]
    client.cookies.pop("messages", None)  # read here, not shown again on the next request
    return said, response["Location"]


def on(comment, action):
    return ("comment", comment.pk, action)


def page(client, obj):
    return client.get(url(obj, "change")).content.decode()


def test_an_editor_comments_on_a_passage_and_the_panel_shows_it_escaped(client, editor):
    article = ArticleFactory(created_by=editor, body=BODY)
    client.force_login(editor)
    # Selected in the browser across a bold word and a paragraph break.
    quote = "产值增长12%。\n\n新项目"
    said, back = post(
        client, article, "comment_add", text="<script>alert(1)</script>请核实", quote=quote
    )
    assert said == ["已发表批注。"]
    comment = Comment.objects.get()
    assert (comment.article, comment.author) == (article, editor)
    assert comment.quote == "产值增长12%。 新项目"
    assert back == f"{url(article, 'change')}#comment-{comment.pk}"
    html = page(client, article)
    start = html.index('id="comments"')
    panel = html[start : html.index("</section>", start)]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;请核实" in panel
    assert "<script>alert" not in html
    assert "产值增长12%。 新项目" in panel and "原文已修改" not in panel
    # No inline script (the policy allows none): the panel's script is a file.
    scripts = re.findall(r"<script\b[^>]*>", panel)
    assert scripts == ['<script src="/static/js/comments.js" defer>']
    # The article's own text is as it was.
    article.refresh_from_db()
    assert article.body == BODY


def test_bad_input_gets_a_message_and_changes_nothing(client, editor, other_editor):
    article = ArticleFactory(created_by=editor, body=BODY)
    mine = comments.add(article, by=editor, text="原批注")
    client.force_login(editor)
    refused = {
        "请填写批注内容。": {"text": "  \n "},
        f"批注不能超过 {Comment.MAX_TEXT} 字，请精简后再提交。": {"text": "字" * 5001},
        "所选原文不在本文当前的标题、摘要或正文中（可能已被修改），请重新选择。": {
            "text": "这句不对",
            "quote": "本文没有的一句话",
        },
        f"所选原文不能超过 {Comment.MAX_QUOTE} 字，请选择较短的一段。": {
            "text": "太长",
            "quote": "长" * 1001,
        },
        # Forged: a form naming another author.
        "不能以他人的名义发表或修改批注。": {"text": "冒名", "author": str(other_editor.pk)},
    }
    for message, data in refused.items():
        said, _ = post(client, article, "comment_add", **data)
        assert said == [message]
    assert list(Comment.objects.values_list("text", flat=True)) == ["原批注"]
    # (A form with a NUL character the site refuses before any view; a caller is told too.)
    with pytest.raises(comments.CommentRefused, match="含有无法保存的字符"):
        comments.add(article, by=editor, text="空\x00字符")
    # Malformed or unknown addresses: 404 or a message, never a 500.
    for comment_id, action in [("abc", "edit"), ("1e3", "edit"), (str(mine.pk), "explode")]:
        response = client.post(f"{url(article, 'change')[:-7]}comments/{comment_id}/{action}/")
        assert response.status_code == 404
    said, _ = post(client, article, "comment", 987654, "edit", text="改")
    assert said == ["这条批注已不存在（可能已被删除）。"]
    assert client.get(url(article, "comment_add")).status_code == 302  # a GET changes nothing
    forged_id = reverse("admin:articles_article_comment_add", args=["x1"])
    assert client.post(forged_id, {"text": "无此文章"}).status_code == 403
    # A form without the CSRF token (from another site) is refused before the view.
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(editor)
    assert guarded.post(url(article, "comment_add"), {"text": "跨站"}).status_code == 403
    mine.refresh_from_db()
    assert mine.text == "原批注" and Comment.objects.count() == 1


def test_staff_comment_only_on_what_they_may_see(client, editor, other_editor, reviewer):
    draft = ArticleFactory(created_by=editor, body=BODY)
    client.force_login(other_editor)  # an editor does not see another's draft
    response = client.post(url(draft, "comment_add"), {"text": "看不到的稿件"})
    assert response.status_code == 403
    with pytest.raises(comments.CommentRefused, match="您不能在此稿件上发表或处理批注"):
        comments.add(draft, by=other_editor, text="看不到的稿件")
    assert not Comment.objects.exists()
    # A reviewer sees it and comments; naming the other editor does not show it to them.
    named = comments.add(draft, by=reviewer, text="@editor2 请补充来源")
    assert list(named.mentions.all()) == []
    client.force_login(reviewer)
    assert "请补充来源" in page(client, draft)
    client.force_login(other_editor)
    assert "请补充来源" not in client.get(reverse("admin:index")).content.decode()
    # Staff without the comment permissions see no panel and cannot post.
    clerk = member_of("订户管理", "clerk1")
    published = ArticleFactory(issue=IssueFactory(visible=True), status=Article.Status.PUBLISHED)
    with pytest.raises(comments.CommentRefused):
        comments.add(published, by=clerk, text="订户管理员的批注")


def test_the_sign_off_role_comments_on_an_issue(client, editor):
    signer = member_of("签发", "signer1")
    issue = IssueFactory(created_by=editor, title="储能专刊", editor_note="<p>本期聚焦储能。</p>")
    client.force_login(signer)
    said, _ = post(client, issue, "comment_add", text="编者的话请再精炼", quote="聚焦储能")
    assert said == ["已发表批注。"]
    comment = Comment.objects.get()
    assert (comment.issue, comment.author, comment.article) == (issue, signer, None)
    html = page(client, issue)
    assert "编者的话请再精炼" in html and 'action="' + url(issue, "comment_add") + '"' in html


def test_only_the_author_changes_a_comment_and_a_resolved_one_stays(client, editor, reviewer):
    article = ArticleFactory(created_by=editor, body=BODY)
    comment = comments.add(article, by=editor, text="第一稿意见")
    client.force_login(reviewer)
    assert post(client, article, *on(comment, "edit"), text="改写别人的")[0] == [
        "只能修改自己的批注。"
    ]
    assert post(client, article, *on(comment, "delete"))[0] == ["只能删除自己的批注。"]
    # The panel offers the reviewer no 修改 or 删除 on it, but 回复 and 标为已解决.
    html = page(client, article)
    assert url(article, "comment", comment.pk, "edit") not in html
    assert url(article, "comment", comment.pk, "reply") in html
    assert post(client, article, *on(comment, "resolve"))[0] == ["已将批注标为已解决。"]

    client.force_login(editor)
    assert post(client, article, *on(comment, "edit"), text="再改")[0] == [
        "这条批注已解决，不能修改；如需修改，请先重新打开。"
    ]
    assert post(client, article, *on(comment, "delete"))[0] == [
        "这条批注已解决，不能删除；如需删除，请先重新打开。"
    ]
    assert post(client, article, *on(comment, "reply"), text="补一句")[0] == [
        "这条批注已解决，不能回复；如需回复，请先重新打开。"
    ]
    comment.refresh_from_db()
    assert comment.text == "第一稿意见" and comment.resolved_by == reviewer
    assert "已解决（reviewer1" in page(client, article)

    assert post(client, article, *on(comment, "reopen"))[0] == ["已重新打开批注。"]
    assert post(client, article, *on(comment, "edit"), text="第二稿意见")[0] == ["已修改批注。"]
    assert post(client, article, *on(comment, "delete"))[0] == ["已删除批注。"]
    assert not Comment.objects.exists()
    # The history keeps every version, with who made it.
    kept = Comment.history.filter(id=comment.pk).order_by("history_id")
    assert [(h.history_type, h.text, h.history_user) for h in kept] == [
        ("+", "第一稿意见", editor),
        ("~", "第一稿意见", reviewer),  # resolved
        ("~", "第一稿意见", editor),  # reopened
        ("~", "第二稿意见", editor),
        ("-", "第二稿意见", editor),
    ]


def test_replies_join_the_thread_and_an_answered_comment_is_not_deleted(client, editor, reviewer):
    article = ArticleFactory(created_by=editor, body=BODY)
    first = comments.add(article, by=reviewer, text="数据来源？")
    answer = comments.reply(first, by=editor, text="来自统计局")
    # A reply to a reply joins the same thread.
    again = comments.reply(answer, by=reviewer, text="请注明年份")
    assert answer.parent == first and again.parent == first
    client.force_login(reviewer)
    assert post(client, article, *on(first, "delete"))[0] == [
        "这条批注已有回复，不能删除；可以修改内容，或标为已解决。"
    ]
    # Resolving from a reply resolves its thread.
    comments.resolve(again, by=reviewer)
    first.refresh_from_db()
    assert first.resolved_at is not None
    with pytest.raises(comments.CommentRefused, match="已经标为已解决"):
        comments.resolve(first, by=editor)


def test_a_passage_edited_away_stays_in_the_panel_marked(client, editor):
    article = ArticleFactory(created_by=editor, body=BODY)
    kept = comments.add(article, by=editor, text="长葛的项目名称？", quote="新项目集中在长葛")
    gone = comments.add(article, by=editor, text="增长率要核实", quote="增长12%")
    article.body = "<p>二〇二五年许昌储能产业产值增长15%。</p><p>新项目集中在长葛。</p>"
    article.save()
    client.force_login(editor)
    html = page(client, article)
    lost = html[html.index(f'id="comment-{gone.pk}"') :]
    assert lost.index("原文已修改") < lost.index("增长率要核实")
    still = html[html.index(f'id="comment-{kept.pk}"') : html.index(f'id="comment-{gone.pk}"')]
    assert "原文已修改" not in still
    # The preview marks only the passage still there.
    preview = client.get(url(article, "preview")).content.decode()
    marks = json.loads(re.search(r'id="comment-anchors"[^>]*>(.*?)</script>', preview)[1])
    assert [mark["id"] for mark in marks] == [kept.pk]


def test_the_preview_offers_comments_on_a_selection_and_marks_them_safely(client, editor):
    issue = IssueFactory(created_by=editor, editor_note="<p>本期聚焦储能。</p>")
    comments.add(issue, by=editor, text="</script><b>粗</b>", quote="聚焦储能")
    client.force_login(editor)
    preview = client.get(url(issue, "preview"), {"as": "all"}).content.decode()
    # The passage and the text are data for the script, never markup.
    assert "</script><b>" not in preview and "\\u003C/script\\u003E\\u003Cb\\u003E" in preview
    assert '<script src="/static/js/comments.js" defer></script>' in preview
    assert f'action="{url(issue, "comment_add")}"' in preview
    # A comment from the preview goes back to it, as the same audience.
    said, back = post(
        client, issue, "comment_add", text="好", quote="本期聚焦", back="preview", **{"as": "all"}
    )
    assert said == ["已发表批注。"] and back == f"{url(issue, 'preview')}?as=all"


def test_the_return_reason_is_the_threads_first_comment(client, editor, reviewer):
    article = ArticleFactory(created_by=editor, body=BODY)
    steps.submit_article(article, by=editor)
    steps.send_back_article(article, by=reviewer, comment="请补充2025年的数据来源。")
    issue = IssueFactory(created_by=editor, status=Issue.Status.REVIEW)
    client.force_login(reviewer)
    client.post(
        url(issue, "transition", "send_back"), {"comment": "编者的话过长。", "confirmed": "1"}
    )
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT
    assert [(c.subject, c.author, c.text, c.parent) for c in Comment.objects.all()] == [
        (article, reviewer, "退回修改：请补充2025年的数据来源。", None),
        (issue, reviewer, "退回修改：编者的话过长。", None),
    ]
    # The author answers it in the panel; a refused return leaves no comment.
    client.force_login(editor)
    assert "退回修改：请补充2025年的数据来源。" in page(client, article)
    with pytest.raises(steps.TransitionRefused):
        steps.send_back_issue(IssueFactory(status=Issue.Status.REVIEW), by=reviewer, comment=" ")
    assert Comment.objects.count() == 2


def test_waiting_comments_clear_once_answered_or_resolved(editor, reviewer):
    article = ArticleFactory(created_by=editor, body=BODY)
    asks = comments.add(article, by=editor, text="@reviewer1 请看数据")
    assert [c.pk for c in comments.waiting_for(reviewer)] == [asks.pk]
    assert comments.waiting_for(editor) == []
    answer = comments.reply(asks, by=reviewer, text="已核实")
    assert comments.waiting_for(reviewer) == []
    assert [(c.pk, c.mentions_me) for c in comments.waiting_for(editor)] == [(answer.pk, False)]
    comments.resolve(asks, by=editor)
    assert comments.waiting_for(editor) == comments.waiting_for(reviewer) == []


@pytest.mark.django_db(**MAIL_TEST)
def test_a_mention_mails_the_colleague_and_waits_on_their_dashboard(
    client, editor, other_editor, reviewer, worker
):
    article = ArticleFactory(created_by=editor, body=BODY, title="储能产业报告")
    client.force_login(editor)
    # reviewer1 sees the draft; editor2 does not (not told); nobody1 is no one.
    said, _ = post(
        client,
        article,
        "comment_add",
        text="@reviewer1请核对，@editor2 @nobody1 参考",
        quote="新项目集中在长葛",
    )
    assert said == ["已发表批注。已通知：reviewer1。"]
    worker()
    [message] = mail.outbox
    assert message.to == [reviewer.email]
    assert "editor1 在文章「储能产业报告」的批注中提到了您" in message.subject
    comment = Comment.objects.get()
    assert "@reviewer1请核对" in message.body and "新项目集中在长葛" in message.body
    assert f"/admin/articles/article/{article.pk}/change/#comment-{comment.pk}" in message.body

    client.force_login(reviewer)
    index = client.get(reverse("admin:index")).content.decode()
    waiting = index[index.index("待我处理的批注（1）") :]
    assert f'href="{url(article, "change")}#comment-{comment.pk}"' in waiting
    assert "editor1提到了您" in waiting
    # Editing the comment tells only whom it names anew.
    client.force_login(editor)
    post(client, article, *on(comment, "edit"), text="@reviewer1 @reviewer1 请核对")
    worker()
    assert len(mail.outbox) == 1
