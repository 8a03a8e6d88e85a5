"""签发: an issue with leadership-only content goes out only once the issuing leader has signed
its content as it stands, and its masthead names them."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.notifications.live import mark_live
from apps.workflow import signing, steps
from apps.workflow.models import SignOff, TransitionLog
from tests.conftest import member_of
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory
from tests.notifications.helpers import MAIL_TEST

pytestmark = pytest.mark.django_db


@pytest.fixture
def signer():
    user = member_of("签发", "signer1")
    user.last_name, user.first_name = "周", "所长"
    user.save()
    return user


def issue_in_review(*, leadership=True):
    issue = IssueFactory(status=Issue.Status.REVIEW)
    ArticleFactory(issue=issue, status=Article.Status.APPROVED, title="公开文章")
    if leadership:
        ArticleFactory(
            issue=issue,
            status=Article.Status.APPROVED,
            title="内部参阅文章",
            body="<p>重点项目进展。</p>",
            visibility=Article.Visibility.LEADERSHIP,
        )
    return issue


def sign(issue, signer):
    return steps.sign_issue(issue, by=signer, seen=signing.issue_state(issue).fingerprint)


def test_an_issue_with_leadership_content_waits_for_the_signature(reviewer, signer):
    issue = issue_in_review()
    with pytest.raises(steps.TransitionRefused, match="须经签发人签发"):
        steps.publish_issue(issue, by=reviewer, out_of_order=True)
    sign(issue, signer)
    steps.publish_issue(issue, by=reviewer, out_of_order=True)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PUBLISHED and issue.signed_by == signer
    log = TransitionLog.objects.get(object_id=issue.pk, transition="sign")
    assert (log.transition_label, log.by) == ("签发", signer)


def test_a_later_change_or_a_moved_article_voids_the_signature(reviewer, signer):
    issue = issue_in_review()
    sign(issue, signer)
    article = Article.objects.get(issue=issue, visibility=Article.Visibility.LEADERSHIP)
    article.body = "<p>重点项目进展有变化。</p>"
    article.save()
    assert signing.issue_state(issue).voided
    with pytest.raises(steps.TransitionRefused, match="签发已失效"):
        steps.publish_issue(issue, by=reviewer, out_of_order=True)

    sign(issue, signer)
    assert signing.issue_state(issue).valid
    # An article made leadership-only in the issue is content the leader never signed.
    other = Article.objects.get(issue=issue, title="公开文章")
    other.visibility = Article.Visibility.LEADERSHIP
    other.save()
    assert signing.issue_state(issue).voided
    # Approval alone (the state, not the text) does not void it.
    sign(issue, signer)
    Article.objects.filter(issue=issue).update(status=Article.Status.APPROVED)
    assert signing.issue_state(issue).valid


def test_only_the_role_signs_and_not_twice_nor_what_changed_since(reviewer, signer, editor):
    issue = issue_in_review()
    shown = signing.issue_state(issue).fingerprint
    for outsider in (reviewer, editor):
        with pytest.raises(steps.TransitionNotAllowed):
            steps.sign_issue(issue, by=outsider, seen=shown)
    Article.objects.filter(issue=issue).update(title="改过的标题")
    with pytest.raises(steps.TransitionRefused, match="内容有改动"):
        steps.sign_issue(issue, by=signer, seen=shown)
    sign(issue, signer)
    with pytest.raises(steps.AlreadyDone):
        sign(issue, signer)
    assert SignOff.objects.filter(issue=issue).count() == 1


@pytest.mark.django_db(**MAIL_TEST)
def test_refusal_needs_a_reason_and_tells_the_reviewers(reviewer, signer, smtp_server, worker):
    issue = issue_in_review()
    shown = signing.issue_state(issue).fingerprint
    with pytest.raises(steps.TransitionRefused, match="原因"):
        steps.refuse_sign_off(issue, by=signer, comment=" ", seen=shown)
    steps.refuse_sign_off(issue, by=signer, comment="第二篇数据需核实", seen=shown)
    with pytest.raises(steps.TransitionRefused, match="不予签发：第二篇数据需核实"):
        steps.publish_issue(issue, by=reviewer, out_of_order=True)
    worker()
    [told] = smtp_server.to(reviewer.email)
    assert "不予签发" in told["Subject"]
    assert "第二篇数据需核实" in told.get_body(("plain",)).get_content()


def test_a_reviewer_who_also_signs_may_not_sign_their_own_approval(reviewer, settings):
    issue = issue_in_review()
    article = ArticleFactory(
        issue=issue, status=Article.Status.REVIEW, visibility=Article.Visibility.LEADERSHIP
    )
    steps.approve_article(article, by=reviewer)
    reviewer.groups.add(Group.objects.get(name="签发"))
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)  # permissions are cached per object
    with pytest.raises(steps.TransitionRefused, match="审核人不能签发自己审核的内容"):
        sign(issue, reviewer)
    settings.SIGN_OFF_ALLOW_SAME_PERSON = True
    sign(issue, reviewer)
    steps.publish_issue(issue, by=reviewer, out_of_order=True)


@pytest.mark.parametrize(
    ("mode", "leadership", "needed"),
    [
        ("leadership", True, True),
        ("leadership", False, False),
        ("all", False, True),
        ("none", True, False),
    ],
)
def test_the_setting_says_which_issues_need_it(settings, reviewer, mode, leadership, needed):
    settings.SIGN_OFF_REQUIRED_FOR = mode
    issue = issue_in_review(leadership=leadership)
    if needed:
        with pytest.raises(steps.TransitionRefused, match="签发"):
            steps.publish_issue(issue, by=reviewer, out_of_order=True)
    else:
        steps.publish_issue(issue, by=reviewer, out_of_order=True)
        assert Issue.objects.get(pk=issue.pk).status == Issue.Status.PUBLISHED


def test_the_signer_signs_from_the_issue_page_and_the_reviewer_sees_it_confirmed(
    client, reviewer, signer
):
    issue = issue_in_review()
    client.force_login(signer)
    index = client.get(reverse("admin:index")).content.decode()
    assert "待我签发" in index and str(issue) in index
    page = client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert "签发：</strong>待签发" in page and "内部参阅文章" in page
    fingerprint = signing.issue_state(issue).fingerprint
    url = reverse("admin:issues_issue_transition", args=[issue.pk, "sign"])
    question = client.post(url, {"fingerprint": fingerprint}).content.decode()
    assert "确认签发" in question and "《内部参阅文章》" in question
    assert client.post(url, {"fingerprint": fingerprint, "confirmed": "1"}).status_code == 302
    assert signing.issue_state(issue).valid.signer == signer

    client.force_login(reviewer)
    publish = reverse("admin:issues_issue_transition", args=[issue.pk, "publish"])
    confirmation = client.post(publish).content.decode()
    assert "签发：已签发（周所长" in confirmation


def test_a_stale_page_signs_nothing(client, signer):
    issue = issue_in_review()
    client.force_login(signer)
    url = reverse("admin:issues_issue_transition", args=[issue.pk, "sign"])
    answer = client.post(url, {"fingerprint": "0" * 64, "confirmed": "1"}, follow=True)
    assert "内容有改动" in answer.content.decode()
    assert not SignOff.objects.exists()


def test_the_masthead_names_the_signer_on_the_web_and_in_print(client, reviewer, signer):
    issue = issue_in_review()
    sign(issue, signer)
    steps.publish_issue(issue, by=reviewer, out_of_order=True)
    mark_live()
    issue.refresh_from_db()
    leader = SubscriberFactory(kind="leadership").user
    client.force_login(leader)
    web = client.get(issue.get_absolute_url()).content.decode()
    assert "签发：周所长" in web
    printed = reverse("reader:issue_print", args=[issue.year, issue.number])
    assert "签发：周所长" in client.get(printed).content.decode()
    pdf = client.get(reverse("reader:issue_pdf", args=[issue.year, issue.number]))
    cover = PdfReader(io.BytesIO(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content))
    assert "签发：周所长" in cover.pages[0].extract_text()


def test_signing_first_and_approving_after_is_still_signing_ones_own_approval(reviewer):
    issue = issue_in_review()
    article = ArticleFactory(
        issue=issue, status=Article.Status.REVIEW, visibility=Article.Visibility.LEADERSHIP
    )
    both = member_of("审核", "reviewer-and-signer")
    both.groups.add(Group.objects.get(name="签发"))
    sign(issue, both)
    steps.approve_article(article, by=both)
    with pytest.raises(steps.TransitionRefused, match="签发人审核通过了其中的文章"):
        steps.publish_issue(issue, by=reviewer, out_of_order=True)


def test_taking_a_scheduled_issue_back_forgets_its_signer(reviewer, signer):
    issue = issue_in_review()
    sign(issue, signer)
    later = timezone.now() + timedelta(days=2)
    steps.schedule_issue(issue, by=reviewer, at=later, out_of_order=True)
    assert Issue.objects.get(pk=issue.pk).signed_by == signer
    steps.unschedule_issue(issue, by=reviewer)
    assert Issue.objects.get(pk=issue.pk).signed_by is None


def test_a_published_issue_with_signed_content_is_not_rearranged(client, reviewer, signer):
    issue = issue_in_review()
    sign(issue, signer)
    steps.schedule_issue(
        issue, by=reviewer, at=timezone.now() + timedelta(days=2), out_of_order=True
    )
    client.force_login(reviewer)
    url = reverse("admin:issues_issue_arrange", args=[issue.pk])
    answer = client.post(url, {"action": "save", "layout": "[]", "base": ""}, follow=True)
    assert "其内容经过签发" in answer.content.decode()
    assert signing.issue_state(issue).valid


def test_editors_see_no_titles_of_others_drafts_in_the_sign_off_panel(client, editor):
    issue = IssueFactory(status=Issue.Status.DRAFT)
    ArticleFactory(issue=issue, title="他人的内参草稿", visibility=Article.Visibility.LEADERSHIP)
    client.force_login(editor)
    page = client.get(reverse("admin:issues_issue_change", args=[issue.pk])).content.decode()
    assert "他人的内参草稿" not in page and "另有 1 篇其他编辑尚未提交的稿件" in page


def test_the_signers_index_counts_what_waits(client, signer):
    issue_in_review()
    issue_in_review()
    client.force_login(signer)
    assert "待我签发（2）" in client.get(reverse("admin:index")).content.decode()
