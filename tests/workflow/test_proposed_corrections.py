"""Corrections an editor proposes (提出更正) and a reviewer approves (通过更正) or returns
(退回更正); readers keep the live text until approval."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.articles.models import Article, Correction
from apps.issues.models import Issue
from apps.notifications.live import mark_live
from apps.workflow import signing, steps
from apps.workflow.models import CorrectionProposal, TransitionLog
from tests.conftest import member_of
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

LIVE = "<p>产值增长12%。</p>"
FIXED = "<p>产值增长21%。</p>"


def published_article(reviewer, *, visibility=Article.Visibility.ALL, settings=None):
    issue = IssueFactory(status=Issue.Status.REVIEW)
    article = ArticleFactory(
        issue=issue,
        status=Article.Status.APPROVED,
        title="产值报告",
        body=LIVE,
        visibility=visibility,
    )
    if signing.issue_state(issue).missing:
        steps.sign_issue(
            issue, by=member_of("签发", "signer0"), seen=signing.issue_state(issue).fingerprint
        )
    steps.publish_issue(issue, by=reviewer, out_of_order=True)
    mark_live()
    return Article.objects.get(pk=article.pk)


def propose(article, editor, body=FIXED, note="增长率应为21%。"):
    return steps.propose_correction(
        article,
        by=editor,
        note=note,
        title=article.title,
        subtitle=article.subtitle,
        summary=article.summary,
        body=body,
    )


def test_an_editor_proposes_and_readers_keep_the_live_text_until_approval(client, editor, reviewer):
    article = published_article(reviewer)
    reader = SubscriberFactory().user
    client.force_login(editor)
    url = reverse("admin:articles_article_propose_correction", args=[article.pk])
    form = client.get(url).content.decode()
    assert "产值增长12%" in form  # opened at the live text
    data = {"note": "增长率应为21%。", "title": article.title, "body": FIXED}
    assert client.post(url, data).status_code == 302
    proposal = CorrectionProposal.objects.get(article=article)
    assert proposal.status == CorrectionProposal.Status.OPEN

    client.force_login(reader)
    assert "产值增长12%" in client.get(article.get_absolute_url()).content.decode()

    client.force_login(reviewer)
    page = client.get(reverse("admin:articles_article_change", args=[article.pk])).content
    page = page.decode()
    assert "通过更正" in page and "diff-del" in page and "产值增长21%" in page
    step = reverse(
        "admin:articles_article_correction_step", args=[article.pk, proposal.pk, "approve"]
    )
    assert client.post(step).status_code == 302

    client.force_login(reader)
    live = client.get(article.get_absolute_url()).content.decode()
    assert "产值增长21%" in live and "增长率应为21%。" in live
    [correction] = Correction.objects.filter(article=article)
    assert correction.by == reviewer
    labels = set(
        TransitionLog.objects.filter(object_id=article.pk).values_list(
            "transition_label", flat=True
        )
    )
    assert {"提出更正", "通过更正"} <= labels


def test_a_returned_proposal_changes_nothing_and_needs_a_reason(editor, reviewer):
    article = published_article(reviewer)
    proposal = propose(article, editor)
    with pytest.raises(steps.TransitionRefused, match="原因"):
        steps.return_correction(proposal, by=reviewer, comment="")
    steps.return_correction(proposal, by=reviewer, comment="数据来源不一致")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.reason) == ("returned", "数据来源不一致")
    assert Article.objects.get(pk=article.pk).body == LIVE
    with pytest.raises(steps.AlreadyDone):
        steps.approve_correction(proposal, by=reviewer)


def test_one_open_proposal_at_a_time_and_editors_cannot_approve(editor, other_editor, reviewer):
    article = published_article(reviewer)
    proposal = propose(article, editor)
    with pytest.raises(steps.TransitionRefused, match="已有一份待审核的更正"):
        propose(article, other_editor, body="<p>产值增长22%。</p>")
    with pytest.raises(steps.TransitionNotAllowed):
        steps.approve_correction(proposal, by=other_editor)
    with pytest.raises(steps.TransitionNotAllowed):
        steps.withdraw_correction(proposal, by=other_editor)
    steps.withdraw_correction(proposal, by=editor)
    propose(article, other_editor, body="<p>产值增长22%。</p>")


def test_bad_proposals_are_refused(editor, reviewer):
    article = published_article(reviewer)
    with pytest.raises(steps.TransitionRefused, match="相同"):
        propose(article, editor, body=LIVE)
    with pytest.raises(steps.TransitionRefused, match="请填写更正说明"):
        propose(article, editor, note="")
    draft = ArticleFactory(status=Article.Status.DRAFT)
    with pytest.raises(steps.TransitionNotAllowed):
        propose(draft, editor)
    assert not CorrectionProposal.objects.exists()


def test_approving_over_a_newer_live_text_is_refused(editor, reviewer):
    article = published_article(reviewer)
    proposal = propose(article, editor)
    article.summary = "审核人同时修改了摘要"
    article.save()
    with pytest.raises(steps.TransitionRefused, match="覆盖"):
        steps.approve_correction(proposal, by=reviewer)


def test_a_leadership_only_article_is_corrected_only_once_signed(editor, reviewer, client):
    article = published_article(reviewer, visibility=Article.Visibility.LEADERSHIP)
    client.force_login(reviewer)
    page = client.get(reverse("admin:articles_article_change", args=[article.pk])).content
    # No direct correction: the form is read-only for the reviewer too, with 提出更正 offered.
    assert 'name="correction_note"' not in page.decode() and "提出更正" in page.decode()
    proposal = propose(article, editor)
    with pytest.raises(steps.TransitionRefused, match="须经签发人签发"):
        steps.approve_correction(proposal, by=reviewer)
    signer = member_of("签发", "signer1")
    steps.sign_correction(proposal, by=signer, seen=signing.correction_state(proposal).fingerprint)
    steps.approve_correction(proposal, by=reviewer)
    assert Article.objects.get(pk=article.pk).body == FIXED


def test_withdrawing_the_issue_closes_an_open_proposal(editor, reviewer):
    article = published_article(reviewer)
    proposal = propose(article, editor)
    steps.withdraw_issue(article.issue, by=reviewer, comment="数据有误")
    steps.reopen_issue(article.issue, by=reviewer)
    proposal.refresh_from_db()
    assert proposal.status == CorrectionProposal.Status.WITHDRAWN


def test_a_proposer_who_signs_does_not_sign_their_own_correction(reviewer):
    article = published_article(reviewer, visibility=Article.Visibility.LEADERSHIP)
    proposer = member_of("编辑", "editor-and-signer")
    proposer.groups.add(Group.objects.get(name="签发"))
    proposal = propose(article, proposer)
    shown = signing.correction_state(proposal).fingerprint
    with pytest.raises(steps.TransitionRefused, match="须由其他签发人签发"):
        steps.sign_correction(proposal, by=proposer, seen=shown)
