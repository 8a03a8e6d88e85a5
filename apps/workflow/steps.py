"""The editorial steps: the only code that changes the `status` of issues and articles.

One function per step (`submit_article`, `publish_issue`, `withdraw_issue` …): who publishes
an issue is answered by reading `publish_issue`. Every step goes through `_take`, which checks
the role, locks the row, re-checks its state, applies the step's effect, saves and writes the
log row in one transaction, and queues the e-mail that tells the people concerned
(apps.notifications.office). The admin's buttons are data (`TRANSITIONS`), each naming its
step; the admin, `publish_due` and the tests call the same functions.
"""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.access import acts_as_staff
from apps.accounts.models import User
from apps.articles.models import Article, Correction
from apps.core.richtext import sanitize_html
from apps.issues.models import Issue
from apps.notifications import deliveries, office
from apps.notifications.live import mark_live
from apps.push import deliveries as push_deliveries
from apps.workflow import comments, signing
from apps.workflow.models import CorrectionProposal, SignOff, TransitionLog
from apps.workflow.roles import is_author, is_reviewer, is_signer, may_change_model

# Who may take a step: the author of a draft (or a reviewer), reviewers only, holders of the
# 签发 role only (not reviewers as such), or any editor who may propose a correction.
AUTHOR = "author"
REVIEWER = "reviewer"
SIGNER = "signer"
PROPOSER = "proposer"
CORRECTION_REVIEWER = "correction_reviewer"

MAX_COMMENT = 2000  # the form's textarea says the same
# simple-history keeps a short "reason" with each version; the full comment is in the log.
HISTORY_REASON_LENGTH = 100


class TransitionNotAllowed(Exception):
    """The user may not take this step on this object in its current state."""


class TransitionRefused(Exception):
    """The step is allowed but its conditions are not met; the message says why."""


class AlreadyDone(TransitionRefused):
    """The object is already where the step leads (a double click or a retry)."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    who: str
    step: Callable | None = None
    needs_comment: bool = False
    needs_time: bool = False
    # Offered only when this holds for the object (besides its status), e.g. "scheduled".
    only_when: Callable | None = None
    # The admin shows what will happen and asks again before taking the step.
    needs_confirmation: bool = False
    # What the step checks besides role, state and comment: `check(subject, *, now, **details)`
    # raises TransitionRefused. Run under the row lock by the step, and by the confirmation
    # page (`check`), so that the page never offers what the step would refuse.
    check: Callable | None = None
    # The office's e-mail that tells the people concerned (apps.notifications.office).
    mail: Callable | None = None
    # Going live takes the next total number: an earlier-numbered issue still waiting needs
    # the reviewer's explicit `out_of_order` (`issues_waiting_before`), and so does going live
    # after a later-numbered issue already scheduled (`issues_going_ahead`).
    orders_issues: bool = False
    # False for a step that records a decision about the object without changing it (签发,
    # 不予签发, a proposed correction's steps): the row is locked, checked and logged all the same.
    moves: bool = True
    # The form carries the fingerprint of the content the user saw (`seen`): 签发 signs that.
    needs_fingerprint: bool = False


# --- Articles --------------------------------------------------------------------------------


def submit_article(article: Article, *, by: User, comment: str = "") -> Article:
    """Send a draft article to the reviewers; `send_back_article` is its inverse."""
    return _take(article, ARTICLE_SUBMIT, by=by, comment=comment)


def approve_article(article: Article, *, by: User, comment: str = "") -> Article:
    """Approve an article in review; it is published with its issue. `reopen_article` is its
    inverse."""
    return _take(article, ARTICLE_APPROVE, by=by, comment=comment)


def send_back_article(article: Article, *, by: User, comment: str) -> Article:
    """Return an article in review to its author, with the reason (which opens a thread of
    comments, 批注)."""
    effect = functools.partial(_open_thread, label=ARTICLE_SEND_BACK.label, reason=comment)
    return _take(article, ARTICLE_SEND_BACK, by=by, comment=comment, effect=effect)


def reopen_article(article: Article, *, by: User, comment: str = "") -> Article:
    """Take an approved article back to draft for further changes."""
    return _take(article, ARTICLE_REOPEN, by=by, comment=comment)


# --- Issues ----------------------------------------------------------------------------------


def submit_issue(issue: Issue, *, by: User, comment: str = "") -> Issue:
    """Send a draft issue to the reviewers, and with it those of its draft articles `by` may
    submit (`articles_submitted_with`), each logged as its own 提交审核. `send_back_issue` is
    its inverse."""
    return _take(issue, ISSUE_SUBMIT, by=by, comment=comment, effect=_submit_articles)


def send_back_issue(issue: Issue, *, by: User, comment: str) -> Issue:
    """Return an issue in review to its author, with the reason (which opens a thread of
    comments, 批注)."""
    effect = functools.partial(_open_thread, label=ISSUE_SEND_BACK.label, reason=comment)
    return _take(issue, ISSUE_SEND_BACK, by=by, comment=comment, effect=effect)


def _open_thread(subject, *, by, now, label, reason):
    # The reason becomes the first comment of a thread, in the step's transaction: the author
    # answers there, and the reviewer resolves it once the change is made.
    comments.add_return_reason(subject, by=by, label=label, reason=reason)
    return set()


def publish_issue(
    issue: Issue,
    *,
    by: User,
    at: datetime | None = None,
    comment: str = "",
    out_of_order: bool = False,
) -> Issue:
    """Publish an issue in review now, or at the future time `at`; `withdraw_issue` is its
    inverse.

    Every article of the issue must be approved; they are published with it in one
    transaction. Readers see the issue from `published_at` on (apps.issues: `Issue.live_q`);
    when it goes live it gets the next total number unless it has one, and its e-mail. While
    an earlier-numbered issue of the year waits (`issues_waiting_before`), it goes out only
    with `out_of_order`: the reviewer has been told it takes the total number first.
    """
    if at is not None:
        return schedule_issue(issue, by=by, at=at, comment=comment, out_of_order=out_of_order)
    return _take(
        issue,
        ISSUE_PUBLISH,
        by=by,
        comment=comment,
        effect=_publish_now,
        out_of_order=out_of_order,
    )


def schedule_issue(
    issue: Issue,
    *,
    by: User,
    at: datetime | None,
    comment: str = "",
    out_of_order: bool = False,
) -> Issue:
    """Publish an issue in review at the future time `at` (the 定时发布 button);
    `unschedule_issue` is its inverse."""
    return _take(
        issue,
        ISSUE_SCHEDULE,
        by=by,
        comment=comment,
        effect=_schedule,
        at=at,
        out_of_order=out_of_order,
    )


def reschedule_issue(
    issue: Issue,
    *,
    by: User,
    at: datetime | None,
    comment: str = "",
    out_of_order: bool = False,
) -> Issue:
    """Move a scheduled issue to another time before it goes live (修改定时), in one step;
    ahead of an earlier-numbered issue only with `out_of_order`, as `publish_issue`."""
    return _take(
        issue,
        ISSUE_RESCHEDULE,
        by=by,
        comment=comment,
        effect=_reschedule,
        at=at,
        out_of_order=out_of_order,
    )


def unschedule_issue(issue: Issue, *, by: User, comment: str = "") -> Issue:
    """Cancel a scheduled publication before its time: the issue returns to review, its
    articles to approved (取消定时)."""
    return _take(issue, ISSUE_UNSCHEDULE, by=by, comment=comment, effect=_unschedule)


def withdraw_issue(issue: Issue, *, by: User, comment: str) -> Issue:
    """Take a published issue away from readers, with the reason; its unsent e-mail stays
    unsent. `reopen_issue` leads on from here."""
    return _take(issue, ISSUE_WITHDRAW, by=by, comment=comment, effect=_stop_mail)


def reopen_issue(issue: Issue, *, by: User, comment: str = "") -> Issue:
    """Take a withdrawn issue back to draft; its articles return to approved."""
    return _take(issue, ISSUE_REOPEN, by=by, comment=comment, effect=_unpublish_articles)


# --- 签发: the issuing leader signs (or refuses) the issue's content (apps.workflow.signing) ---


def sign_issue(issue: Issue, *, by: User, seen: str, comment: str = "") -> Issue:
    """Sign (签发) the content of an issue in review, as it was shown to `by` (`seen`, its
    fingerprint). Valid until that content changes; publishing needs it when
    SIGN_OFF_REQUIRED_FOR says so."""
    return _take(issue, ISSUE_SIGN, by=by, comment=comment, effect=_signs(), seen=seen)


def refuse_sign_off(issue: Issue, *, by: User, comment: str, seen: str) -> Issue:
    """Refuse to sign (不予签发) an issue's content, with the reason."""
    return _take(
        issue, ISSUE_REFUSE_SIGN, by=by, comment=comment, effect=_refuses(comment), seen=seen
    )


# --- Corrections an editor proposes and a reviewer decides (提出更正, 通过更正, 退回更正) ---------


def propose_correction(article: Article, *, by: User, note: str, **text) -> CorrectionProposal:
    """Propose a new text (`title`, `subtitle`, `summary`, `body`) for a published article,
    with its 更正说明 `note`; readers keep the live text until a reviewer approves it."""
    note = (note or "").strip()
    if not note:
        raise TransitionRefused("请填写更正说明：读者会在更正后的文章中看到它。")
    if len(note) > Correction.MAX_NOTE:
        raise TransitionRefused(f"更正说明不能超过 {Correction.MAX_NOTE} 字。")
    created = []
    effect = functools.partial(_propose, note=note, created=created)
    _take(article, ARTICLE_PROPOSE_CORRECTION, by=by, comment=note, effect=effect, text=text)
    return created[0]


def approve_correction(proposal: CorrectionProposal, *, by: User) -> Article:
    """Publish a proposed correction: the article takes its text, and readers see its dated
    note on the article, the print page and the PDF."""
    return _take(
        proposal.article,
        ARTICLE_APPROVE_CORRECTION,
        by=by,
        comment=proposal.note,
        effect=_apply_correction,
        proposal=proposal,
    )


def return_correction(proposal: CorrectionProposal, *, by: User, comment: str) -> Article:
    """Send a proposed correction back to its proposer, with the reason."""
    return _take(
        proposal.article,
        ARTICLE_RETURN_CORRECTION,
        by=by,
        comment=comment,
        effect=functools.partial(
            _close_proposal, status=CorrectionProposal.Status.RETURNED, reason=comment
        ),
        proposal=proposal,
    )


def withdraw_correction(proposal: CorrectionProposal, *, by: User, comment: str = "") -> Article:
    """Take back one's own proposed correction (a reviewer may too)."""
    return _take(
        proposal.article,
        ARTICLE_WITHDRAW_CORRECTION,
        by=by,
        comment=comment,
        effect=functools.partial(_close_proposal, status=CorrectionProposal.Status.WITHDRAWN),
        proposal=proposal,
    )


def sign_correction(proposal: CorrectionProposal, *, by: User, seen: str, comment: str = ""):
    """Sign (签发) a proposed correction of a leadership-only article, as shown (`seen`)."""
    return _take(
        proposal.article,
        ARTICLE_SIGN_CORRECTION,
        by=by,
        comment=comment,
        effect=_signs(),
        proposal=proposal,
        seen=seen,
    )


def refuse_correction_sign_off(
    proposal: CorrectionProposal, *, by: User, comment: str, seen: str
) -> Article:
    """Refuse to sign a proposed correction, with the reason."""
    return _take(
        proposal.article,
        ARTICLE_REFUSE_CORRECTION_SIGN,
        by=by,
        comment=comment,
        effect=_refuses(comment),
        proposal=proposal,
        seen=seen,
    )


def may_decide_correction(user) -> bool:
    """通过更正 and 退回更正 (the 审核 role)."""
    return acts_as_staff(user) and user.has_perm("workflow.review_correctionproposal")


def may_propose_correction(user) -> bool:
    return may_change_model(user, Article) and user.has_perm("workflow.add_correctionproposal")


def is_correctable(article: Article) -> bool:
    """Whether a change to `article` is a correction: readers have had it (its issue went
    live, even if withdrawn since) and it is still published."""
    return (
        article.status == Article.Status.PUBLISHED
        and Article.objects.filter(pk=article.pk, issue__went_live_at__isnull=False).exists()
    )


def articles_submitted_with(issue: Issue, *, by: User) -> list[Article]:
    """Return the issue's draft articles that `by` may submit: its 提交审核 takes them along."""
    drafts = Article.objects.filter(issue=issue, status=Article.Status.DRAFT).order_by(
        "section__order", "position", "pk"
    )
    return [article for article in drafts if _has_role(by, article, ARTICLE_SUBMIT)]


def issues_waiting_before(issue: Issue, *, when: datetime) -> list[Issue]:
    """Return the year's earlier-numbered issues that will be neither live nor withdrawn at
    `when`: `issue` going live then would take the total number before them."""
    return list(
        Issue.objects.filter(year=issue.year, number__lt=issue.number)
        .exclude(status=Issue.Status.WITHDRAWN)
        .exclude(status=Issue.Status.PUBLISHED, published_at__lte=when)
        .order_by("number")
    )


def issues_going_ahead(issue: Issue, *, when: datetime, now: datetime) -> list[Issue]:
    """Return the year's later-numbered issues that are not live at `now` and will be before
    `when`: they would take the total number before `issue` going live then."""
    return list(
        Issue.objects.filter(
            year=issue.year,
            number__gt=issue.number,
            status=Issue.Status.PUBLISHED,
            published_at__gt=now,
            published_at__lt=when,
        ).order_by("number")
    )


def waiting_label(issue: Issue) -> str:
    """Name an issue that waits, and how: 第1期（待审核）, 第1期（定时 12月09日 08:00）."""
    if issue.status == Issue.Status.PUBLISHED and issue.published_at is not None:
        return f"第{issue.number}期（定时 {timezone.localtime(issue.published_at):%m月%d日 %H:%M}）"
    return f"第{issue.number}期（{issue.get_status_display()}）"


# --- What a step checks besides role, state and comment ----------------------------------------
# Each raises TransitionRefused with the reason. The step runs them under its row lock; the
# confirmation page runs the same ones through `check`, so it never offers a refused step.

# The furthest ahead an issue may be scheduled: further is a typing error (a year 9999).
LONGEST_SCHEDULE = timedelta(days=366)


def _check_publish(issue, *, now, by, out_of_order):
    _check_contents(issue)
    _check_signed(issue, by)
    _check_order(issue, when=now, now=now, out_of_order=out_of_order)


def _check_schedule(issue, *, now, by, at, out_of_order):
    _check_time(at, now)
    _check_contents(issue)
    _check_signed(issue, by)
    _check_order(issue, when=at, now=now, out_of_order=out_of_order)


def _check_reschedule(issue, *, now, by, at, out_of_order):
    _check_not_live(issue, now)
    _check_time(at, now)
    _check_order(issue, when=at, now=now, out_of_order=out_of_order)


def _check_unschedule(issue, *, now, by):
    _check_not_live(issue, now)


def _check_time(at, now):
    if at is None:
        raise TransitionRefused("请填写有效的定时发布日期和时间。")
    if at <= now:
        raise TransitionRefused("定时发布的时间必须晚于现在；如需立即发布，请使用「发布」。")
    if at > now + LONGEST_SCHEDULE:
        raise TransitionRefused("定时发布的时间不能晚于一年之后，请检查年份。")


def _check_not_live(issue, now):
    # Checked again under the row lock: the time may have come since the page was opened.
    if issue.published_at is None or issue.published_at <= now:
        raise TransitionRefused(
            "本期已经上线，不能再修改或取消定时；如需让读者看不到，请「撤回」。"
        )


def _check_contents(issue):
    # Locked: none can change its state between this check and the publication.
    articles = list(
        Article.objects.select_for_update(of=("self",))
        .filter(issue=issue)
        .order_by("section__order", "position")
    )
    if not articles:
        raise TransitionRefused("本期还没有文章，不能发布。")
    pending = [article for article in articles if article.status != Article.Status.APPROVED]
    if pending:
        names = "、".join(f"《{a.title}》（{a.get_status_display()}）" for a in pending)
        raise TransitionRefused(f"以下文章尚未审核通过，不能发布：{names}")


def _check_signed(issue, by):
    """An issue that needs 签发 goes out only with its content signed as it stands, and not
    by the person who signed it (unless SIGN_OFF_ALLOW_SAME_PERSON)."""
    state = signing.issue_state(issue)
    if state.missing:
        if state.voided:
            raise TransitionRefused(
                "本期签发后内容有改动，签发已失效；须经签发人重新签发后才能发布。"
            )
        if state.refused:
            raise TransitionRefused(
                f"签发人不予签发：{state.refused.reason}。修改后须经签发人签发才能发布。"
            )
        if signing.mode() == signing.ALL:
            raise TransitionRefused("按本所规定，每期须经签发人签发后才能发布；本期尚未签发。")
        raise TransitionRefused("本期含领导参阅文章，须经签发人签发后才能发布；本期尚未签发。")
    if not state.required or _same_person_allowed():
        return
    if state.valid.signer_id == by.pk:
        raise TransitionRefused("本期由您签发，须由其他审核人发布。")
    # Signed first and approved after: the signature would cover the signer's own approval.
    if _approved_by(signing.signed_articles(issue), state.valid.signer):
        raise TransitionRefused(
            "签发人审核通过了其中的文章：审核人不能签发自己审核的内容，须由其他签发人重新签发。"
        )


def _same_person_allowed():
    return settings.SIGN_OFF_ALLOW_SAME_PERSON


def _check_sign(subject, *, now, by, seen, proposal=None):
    """签发 signs what the signer was shown, once, and never their own approval."""
    if proposal is None:
        if not signing.issue_needs_sign_off(subject):
            raise TransitionRefused("按当前设置，本期无需签发。")
        state = signing.issue_state(subject)
        articles = signing.signed_articles(subject)
    else:
        proposal = _open_proposal(subject, proposal)
        if not signing.correction_needs_sign_off(subject):
            raise TransitionRefused("按当前设置，这份更正无需签发。")
        state = signing.correction_state(proposal)
        articles = [subject]
    if seen != state.fingerprint:
        raise TransitionRefused("您打开页面之后内容有改动，请重新查看后再签发。")
    if state.valid is not None:
        raise AlreadyDone("当前内容已经签发，无需重复签发。")
    if proposal is not None and proposal.proposed_by_id == by.pk and not _same_person_allowed():
        raise TransitionRefused("这份更正是您提出的，须由其他签发人签发。")
    if not _same_person_allowed() and _approved_by(articles, by):
        raise TransitionRefused(
            "其中有您审核通过的文章：审核人不能签发自己审核的内容，请由其他签发人签发。"
        )


def _check_refuse_sign(subject, *, now, by, seen, proposal=None):
    if proposal is None:
        state = signing.issue_state(subject)
    else:
        state = signing.correction_state(_open_proposal(subject, proposal))
    if not state.required:
        raise TransitionRefused("按当前设置，无需签发。")
    if seen != state.fingerprint:
        raise TransitionRefused("您打开页面之后内容有改动，请重新查看后再决定。")
    if state.refused is not None:
        raise AlreadyDone("已经对当前内容不予签发。")


def _approved_by(articles, user) -> bool:
    """Whether `user` took the latest 审核通过 of any of `articles`."""
    article_type = ContentType.objects.get_for_model(Article)
    latest = {}
    logs = TransitionLog.objects.filter(
        content_type=article_type,
        object_id__in=[article.pk for article in articles],
        transition=ARTICLE_APPROVE.name,
    ).order_by("object_id", "-at", "-pk")
    for log in logs:
        latest.setdefault(log.object_id, log.by_id)
    return user.pk in latest.values()


def _open_proposal(article, proposal):
    """Lock the proposal and check it is still open for `article`."""
    proposal = CorrectionProposal.objects.select_for_update().filter(pk=proposal.pk).first()
    if proposal is None or proposal.article_id != article.pk:
        raise TransitionNotAllowed("没有这份更正。")
    if proposal.status != CorrectionProposal.Status.OPEN:
        raise AlreadyDone(f"这份更正{proposal.get_status_display()}。")
    return proposal


def _check_propose(article, *, now, by, text):
    if not is_correctable(article):
        raise TransitionRefused("只有已上线的文章才能提出更正。")
    if CorrectionProposal.objects.filter(
        article=article, status=CorrectionProposal.Status.OPEN
    ).exists():
        raise TransitionRefused("这篇文章已有一份待审核的更正，请在其下批注，或等审核后再提出。")
    if not text.get("title", "").strip() or not text.get("body", "").strip():
        raise TransitionRefused("更正后的标题和正文不能为空。")
    proposed = {**text, "body": sanitize_html(text.get("body") or "")}  # as it would be kept
    unchanged = all(
        (proposed.get(name) or "") == (getattr(article, name) or "") for name in CORRECTED_FIELDS
    )
    if unchanged:
        raise TransitionRefused("更正的内容与现在的文章相同，请修改后再提出。")


def _check_decide_correction(article, *, now, by, proposal):
    proposal = _open_proposal(article, proposal)
    if article.version != proposal.base_version:
        raise TransitionRefused(
            "提出更正之后文章又被修改过，按此更正发布会覆盖那次修改。请退回更正，重新提出。"
        )
    if signing.correction_needs_sign_off(article):
        state = signing.correction_state(proposal)
        if state.missing:
            raise TransitionRefused(
                f"本文仅限领导阅读，更正须经签发人签发后才能通过（{state.label}）。"
            )
        if state.valid.signer_id == by.pk and not _same_person_allowed():
            raise TransitionRefused("这份更正由您签发，须由其他审核人通过。")


def _check_return_correction(article, *, now, by, proposal):
    _open_proposal(article, proposal)


def _check_withdraw_correction(article, *, now, by, proposal):
    proposal = _open_proposal(article, proposal)
    if proposal.proposed_by_id != by.pk and not may_decide_correction(by):
        raise TransitionNotAllowed("只有提出人或审核人可以撤销这份更正。")


# The tick box of the confirmation page that accepts going out before an earlier issue.
OUT_OF_ORDER_LABEL = "我已知晓，仍先发布本期"


def _check_order(issue, *, when, now, out_of_order):
    if out_of_order:
        return
    earlier = issues_waiting_before(issue, when=when)
    if earlier:
        names = "、".join(waiting_label(e) for e in earlier)
        raise TransitionRefused(
            f"{issue.year}年更早的{names}尚未发布，本期先上线将先编入总期号。"
            f"如确需先发布本期，请在确认页面勾选「{OUT_OF_ORDER_LABEL}」。"
        )
    # Moved behind a later-numbered issue already scheduled: that one would go out first.
    ahead = issues_going_ahead(issue, when=when, now=now)
    if ahead:
        names = "、".join(waiting_label(e) for e in ahead)
        raise TransitionRefused(
            f"{issue.year}年更晚的{names}将先于本期上线，先编入总期号。"
            f"如确需如此，请在确认页面勾选「{OUT_OF_ORDER_LABEL}」。"
        )


# The states each step leaves from and leads to.
ARTICLE, ISSUE = Article.Status, Issue.Status
ARTICLE_SUBMIT = Transition(
    "submit",
    "提交审核",
    (ARTICLE.DRAFT,),
    ARTICLE.REVIEW,
    AUTHOR,
    submit_article,
    mail=office.submitted,
)
ARTICLE_APPROVE = Transition(
    "approve",
    "审核通过",
    (ARTICLE.REVIEW,),
    ARTICLE.APPROVED,
    REVIEWER,
    approve_article,
    mail=office.approved,
)
ARTICLE_SEND_BACK = Transition(
    "send_back",
    "退回修改",
    (ARTICLE.REVIEW,),
    ARTICLE.DRAFT,
    REVIEWER,
    send_back_article,
    needs_comment=True,
    mail=office.returned,
)
ARTICLE_REOPEN = Transition(
    "reopen", "重新打开", (ARTICLE.APPROVED,), ARTICLE.DRAFT, REVIEWER, reopen_article
)
ISSUE_SUBMIT = Transition(
    "submit",
    "提交审核",
    (ISSUE.DRAFT,),
    ISSUE.REVIEW,
    AUTHOR,
    submit_issue,
    mail=office.submitted,
)
ISSUE_SEND_BACK = Transition(
    "send_back",
    "退回修改",
    (ISSUE.REVIEW,),
    ISSUE.DRAFT,
    REVIEWER,
    send_back_issue,
    needs_comment=True,
    mail=office.returned,
)
ISSUE_PUBLISH = Transition(
    "publish",
    "发布",
    (ISSUE.REVIEW,),
    ISSUE.PUBLISHED,
    REVIEWER,
    publish_issue,
    needs_confirmation=True,
    check=_check_publish,
    mail=office.published,
    orders_issues=True,
)
ISSUE_SCHEDULE = Transition(
    "schedule",
    "定时发布",
    (ISSUE.REVIEW,),
    ISSUE.PUBLISHED,
    REVIEWER,
    schedule_issue,
    needs_time=True,
    needs_confirmation=True,
    check=_check_schedule,
    mail=office.published,
    orders_issues=True,
)
ISSUE_RESCHEDULE = Transition(
    "reschedule",
    "修改定时",
    (ISSUE.PUBLISHED,),
    ISSUE.PUBLISHED,
    REVIEWER,
    reschedule_issue,
    needs_time=True,
    only_when=lambda issue: issue.is_scheduled,
    check=_check_reschedule,
    orders_issues=True,
)
ISSUE_UNSCHEDULE = Transition(
    "unschedule",
    "取消定时",
    (ISSUE.PUBLISHED,),
    ISSUE.REVIEW,
    REVIEWER,
    unschedule_issue,
    only_when=lambda issue: issue.is_scheduled,
    check=_check_unschedule,
)
ISSUE_WITHDRAW = Transition(
    "withdraw",
    "撤回",
    (ISSUE.PUBLISHED,),
    ISSUE.WITHDRAWN,
    REVIEWER,
    withdraw_issue,
    needs_comment=True,
    needs_confirmation=True,
)
ISSUE_REOPEN = Transition(
    "reopen", "重新打开", (ISSUE.WITHDRAWN,), ISSUE.DRAFT, REVIEWER, reopen_issue
)

ISSUE_SIGN = Transition(
    "sign",
    "签发",
    (ISSUE.REVIEW,),
    ISSUE.REVIEW,
    SIGNER,
    sign_issue,
    # Offered while the content as it stands is not signed; once signed, a click is "done".
    only_when=lambda issue: signing.issue_state(issue).missing,
    needs_confirmation=True,
    check=_check_sign,
    mail=office.signed_off,
    moves=False,
    needs_fingerprint=True,
)
ISSUE_REFUSE_SIGN = Transition(
    "refuse_sign",
    "不予签发",
    (ISSUE.REVIEW,),
    ISSUE.REVIEW,
    SIGNER,
    refuse_sign_off,
    needs_comment=True,
    only_when=lambda issue: signing.issue_needs_sign_off(issue),
    check=_check_refuse_sign,
    mail=office.signed_off,
    moves=False,
    needs_fingerprint=True,
)
# A published article's proposed corrections: steps on the article that leave its state as it
# is. Not buttons of the generic form: the article's correction panel offers them.
PUBLISHED = (ARTICLE.PUBLISHED,)
ARTICLE_PROPOSE_CORRECTION = Transition(
    "propose_correction",
    "提出更正",
    PUBLISHED,
    ARTICLE.PUBLISHED,
    PROPOSER,
    needs_comment=True,
    check=_check_propose,
    mail=office.submitted,
    moves=False,
)
ARTICLE_APPROVE_CORRECTION = Transition(
    "approve_correction",
    "通过更正",
    PUBLISHED,
    ARTICLE.PUBLISHED,
    CORRECTION_REVIEWER,
    check=_check_decide_correction,
)
ARTICLE_RETURN_CORRECTION = Transition(
    "return_correction",
    "退回更正",
    PUBLISHED,
    ARTICLE.PUBLISHED,
    CORRECTION_REVIEWER,
    needs_comment=True,
    check=_check_return_correction,
    moves=False,
)
ARTICLE_WITHDRAW_CORRECTION = Transition(
    "withdraw_correction",
    "撤销更正",
    PUBLISHED,
    ARTICLE.PUBLISHED,
    PROPOSER,
    check=_check_withdraw_correction,
    moves=False,
)
ARTICLE_SIGN_CORRECTION = Transition(
    "sign_correction",
    "签发更正",
    PUBLISHED,
    ARTICLE.PUBLISHED,
    SIGNER,
    check=_check_sign,
    moves=False,
    needs_fingerprint=True,
)
ARTICLE_REFUSE_CORRECTION_SIGN = Transition(
    "refuse_correction_sign",
    "不予签发更正",
    PUBLISHED,
    ARTICLE.PUBLISHED,
    SIGNER,
    needs_comment=True,
    check=_check_refuse_sign,
    moves=False,
    needs_fingerprint=True,
)
# The fields a correction changes.
CORRECTED_FIELDS = ("title", "subtitle", "summary", "body")

# The buttons of each model's change form, in this order.
TRANSITIONS = {
    Article: (ARTICLE_SUBMIT, ARTICLE_APPROVE, ARTICLE_SEND_BACK, ARTICLE_REOPEN),
    Issue: (
        ISSUE_SUBMIT,
        ISSUE_SEND_BACK,
        ISSUE_SIGN,
        ISSUE_REFUSE_SIGN,
        ISSUE_PUBLISH,
        ISSUE_SCHEDULE,
        ISSUE_RESCHEDULE,
        ISSUE_UNSCHEDULE,
        ISSUE_WITHDRAW,
        ISSUE_REOPEN,
    ),
}


def is_public(obj) -> bool:
    """Whether readers may find `obj` now (an issue live, an article published in one)."""
    issue = obj if isinstance(obj, Issue) else obj.issue
    if isinstance(obj, Article) and obj.status != Article.Status.PUBLISHED:
        return False
    return issue is not None and Issue.objects.live().filter(pk=issue.pk).exists()


def available_transitions(obj, user) -> list[Transition]:
    """Return the steps `user` may take on `obj` now, in the table's order."""
    return [
        transition
        for transition in TRANSITIONS[type(obj)]
        if obj.status in transition.sources
        and (transition.only_when is None or transition.only_when(obj))
        and _has_role(user, obj, transition)
    ]


def get_transition(model, name) -> Transition:
    for transition in TRANSITIONS[model]:
        if transition.name == name:
            return transition
    raise TransitionNotAllowed(f"没有名为 {name} 的操作。")


def perform(
    obj: Article | Issue,
    name: str,
    *,
    by: User,
    comment: str = "",
    at: datetime | None = None,
    out_of_order: bool = False,
    seen: str = "",
) -> Article | Issue:
    """Take the step named `name` (a button of the change form) on `obj` as user `by`;
    `seen` is the fingerprint of the content the user was shown (签发)."""
    transition = get_transition(type(obj), name)
    details = _details(transition, at, out_of_order, seen)
    return transition.step(obj, by=by, comment=comment, **details)


def check(
    obj: Article | Issue,
    name: str,
    *,
    by: User,
    comment: str = "",
    at: datetime | None = None,
    out_of_order: bool = False,
    seen: str = "",
) -> None:
    """Raise what taking the step named `name` on `obj` would raise now; change nothing.

    The confirmation page asks this before it offers the step; the step asks the same again
    under its lock when it is taken.
    """
    transition = get_transition(type(obj), name)
    details = _details(transition, at, out_of_order, seen)
    with transaction.atomic():  # the same locks as the step, released at once
        _checked(obj, transition, by=by, comment=(comment or "").strip(), **details)


def _details(transition, at, out_of_order, seen):
    details = {}
    if transition.needs_fingerprint:
        details["seen"] = seen or ""
    if transition.needs_time:
        details["at"] = at
    if transition.orders_issues:
        details["out_of_order"] = out_of_order
    return details


@dataclass
class Outcome:
    """What one step taken on many objects did: the objects it moved, and each refusal."""

    done: list = field(default_factory=list)
    refused: list[tuple[Article | Issue, str]] = field(default_factory=list)


def take_each(
    step: Callable, objects: Iterable[Article | Issue], *, by: User, comment: str = ""
) -> Outcome:
    """Take `step` (one of the step functions above) on each of `objects` as `by`, each in its
    own transaction: one refused never holds up the others, and each refusal says why."""
    outcome = Outcome()
    for obj in objects:
        try:
            outcome.done.append(step(obj, by=by, comment=comment))
        except (TransitionNotAllowed, TransitionRefused) as error:
            outcome.refused.append((obj, str(error)))
    return outcome


# --- The one way a step is taken ---------------------------------------------------------------


def _no_effect(subject, **details):
    return set()


def _take(obj, transition, *, by, comment="", effect=_no_effect, tell=True, **details):
    """Take `transition` on `obj` as `by`; return the updated object.

    Raises TransitionNotAllowed (the user may not, or the state does not allow it),
    TransitionRefused (a condition is not met) or AlreadyDone (nothing to do). `effect`
    does what the step does besides changing the status and returns the fields it changed;
    `tell=False` leaves the mail to a step that takes this one along (an issue's articles).
    """
    comment = (comment or "").strip()
    try:
        with transaction.atomic():
            subject, now = _checked(obj, transition, by=by, comment=comment, **details)
            from_status = subject.status
            if transition.moves:
                subject.status = transition.target
                subject.updated_by = by
                changed = {"status", "updated_by"} | effect(subject, by=by, now=now, **details)
                _save(subject, by, changed, f"{transition.label} {comment}".strip())
            else:
                effect(subject, by=by, now=now, **details)
            _log(subject, transition, from_status, by, now, comment)
            if tell and transition.mail is not None:
                # Sent by the worker once this transaction commits, never if it rolls back.
                transition.mail(subject, by=by, label=transition.label, comment=comment)
    except IntegrityError as error:
        if transition.orders_issues:
            # Two issues published at the same moment can reach for the same total number.
            raise TransitionRefused("总期号与另一期冲突，请稍后重试。") from error
        # Two people at once (two proposed corrections of one article): the other came first.
        raise TransitionRefused("有人同时进行了相同的操作，请刷新页面后再试。") from error
    return subject


def _checked(obj, transition, *, by, comment, **details):
    """Lock `obj`'s row and check every condition of `transition`; return the row and the time."""
    if not _has_role(by, obj, transition):
        raise TransitionNotAllowed("您没有执行此操作的权限。")
    subject = type(obj).objects.select_for_update().get(pk=obj.pk)
    _check_state(subject, transition)
    if transition.needs_comment and not comment:
        raise TransitionRefused(f"请填写{transition.label}的原因。")
    if len(comment) > MAX_COMMENT:
        raise TransitionRefused(f"意见不能超过 {MAX_COMMENT} 字，请精简后再提交。")
    now = timezone.now()
    if transition.check is not None:
        transition.check(subject, now=now, by=by, **details)
    return subject, now


def _has_role(user, obj, transition) -> bool:
    """Return whether `user` may take `transition` on `obj`."""
    if transition.who == SIGNER:  # reviewing is not signing: only the 签发 role signs
        return is_signer(user)
    if transition.who == CORRECTION_REVIEWER:
        return may_decide_correction(user)
    if is_reviewer(user, type(obj)):
        return True
    if transition.who == PROPOSER:
        return may_propose_correction(user)
    return transition.who == AUTHOR and is_author(user, obj)


def _check_state(subject, transition):
    if subject.status in transition.sources:
        return
    if subject.status == transition.target:
        raise AlreadyDone(f"「{subject}」已经是{subject.get_status_display()}状态。")
    raise TransitionNotAllowed(
        f"「{subject}」当前为{subject.get_status_display()}状态，不能{transition.label}。"
    )


def _save(subject, by, fields, reason):
    subject._history_user = by
    subject._change_reason = reason[:HISTORY_REASON_LENGTH]
    subject.save(update_fields=fields)


def _log(subject, transition, from_status, by, now, comment):
    TransitionLog.objects.create(
        content_type=ContentType.objects.get_for_model(type(subject)),
        object_id=subject.pk,
        object_repr=str(subject)[:200],
        transition=transition.name,
        transition_label=transition.label,
        from_status=from_status,
        to_status=subject.status,
        by=by,
        at=now,
        comment=comment,
    )


# --- What issue steps do besides changing the status -------------------------------------------


# What the issue's 提交审核 says on each article it takes along.
WITH_ISSUE = "随期刊提交"


def _submit_articles(issue, *, by, now):
    # The issue's own mail tells the reviewers; one more per article would only repeat it.
    for article in articles_submitted_with(issue, by=by):
        _take(article, ARTICLE_SUBMIT, by=by, comment=WITH_ISSUE, tell=False)
    return set()


def _publish_now(issue, *, by, now, out_of_order):
    return _publish(issue, by=by, when=now, now=now)


def _schedule(issue, *, by, now, at, out_of_order):
    return _publish(issue, by=by, when=at, now=now)


def _reschedule(issue, *, by, now, at, out_of_order):
    issue.published_at = at
    return {"published_at"}


def _unschedule(issue, *, by, now):
    return _unpublish_articles(issue, by=by, now=now)


def _publish(issue, *, by, when, now):
    # Every one approved: checked under these locks a moment ago (_check_contents).
    articles = list(
        Article.objects.select_for_update()
        .filter(issue=issue)
        .order_by("section__order", "position")
    )
    issue.published_at = when
    issue.went_live_at = None
    # The masthead names who signed the content it goes out with (签发：…).
    signed = signing.issue_state(issue).valid
    issue.signed_by = signed.signer if signed else None
    issue.signed_at = signed.at if signed else None
    changed = {"published_at", "went_live_at", "signed_by", "signed_at"}
    # The total number comes when the issue goes live (apps.notifications.live), so that
    # numbers follow the order in which readers get the issues.
    _move_articles(articles, Article.Status.PUBLISHED, by=by, now=now, label="随期刊发布")
    if when <= now:
        # Should this fail after the commit, the minute's job claims the issue instead: the
        # reviewer is not shown an error for a publication that happened.
        transaction.on_commit(mark_live, robust=True)
    return changed


def _record_sign_off(subject, *, by, now, seen, decision, reason="", proposal=None):
    # Checked under the lock a moment ago: `seen` is the content's fingerprint now.
    if proposal is not None:  # the issue's steps name office.signed_off; this tells the proposer
        proposal = CorrectionProposal.objects.get(pk=proposal.pk)
        office.tell(
            subject,
            [*office.staff_with_perm("workflow.review_correctionproposal"), proposal.proposed_by],
            by=by,
            label=f"{SignOff.Decision(decision).label}更正",
            comment=reason,
        )
    SignOff.objects.create(
        issue=subject if proposal is None else subject.issue,
        correction=proposal,
        decision=decision,
        signer=by,
        at=now,
        reason=(reason or "").strip(),
        fingerprint=seen,
    )
    return set()


def _signs():
    return functools.partial(_record_sign_off, decision=SignOff.Decision.SIGNED)


def _refuses(reason):
    return functools.partial(_record_sign_off, decision=SignOff.Decision.REFUSED, reason=reason)


def _propose(article, *, by, now, text, note, created):
    proposal = CorrectionProposal.objects.create(
        article=article,
        proposed_by=by,
        base_version=article.version,
        note=note.strip(),
        **{name: text.get(name) or "" for name in CORRECTED_FIELDS},
    )
    created.append(proposal)
    return set()


def _apply_correction(article, *, by, now, proposal):
    # Checked under the locks a moment ago: open, written against this version, signed.
    proposal = CorrectionProposal.objects.get(pk=proposal.pk)
    for name in CORRECTED_FIELDS:
        setattr(article, name, getattr(proposal, name))
    Correction.objects.create(article=article, note=proposal.note, by=by, at=now)
    _decide(proposal, CorrectionProposal.Status.APPROVED, by=by, now=now)
    office.tell(
        article,
        [proposal.proposed_by],
        by=by,
        label=ARTICLE_APPROVE_CORRECTION.label,
        comment=proposal.note,
    )
    return set(CORRECTED_FIELDS)


def _close_proposal(article, *, by, now, proposal, status, reason=""):
    proposal = CorrectionProposal.objects.get(pk=proposal.pk)
    _decide(proposal, status, by=by, now=now, reason=reason)
    if status == CorrectionProposal.Status.RETURNED:
        label = ARTICLE_RETURN_CORRECTION.label
        office.tell(article, [proposal.proposed_by], by=by, label=label, comment=reason)
    return set()


def _decide(proposal, status, *, by, now, reason=""):
    proposal.status = status
    proposal.decided_by = by
    proposal.decided_at = now
    proposal.reason = (reason or "").strip()
    proposal.save(update_fields=["status", "decided_by", "decided_at", "reason"])


def _stop_mail(issue, *, by, now):
    # The e-mail and the work groups' cards not sent yet: a withdrawn issue announces nothing.
    deliveries.cancel_pending(issue)
    push_deliveries.cancel_pending(issue)
    return set()


def _unpublish_articles(issue, *, by, now):
    articles = list(
        Article.objects.select_for_update().filter(issue=issue, status=Article.Status.PUBLISHED)
    )
    _move_articles(articles, Article.Status.APPROVED, by=by, now=now, label="随期刊重新打开")
    issue.published_at = None
    # It goes out again only signed again as it then stands (the masthead, the proofs).
    issue.signed_by = issue.signed_at = None
    # A proposed correction is of a published article: the article can be changed directly now.
    for proposal in CorrectionProposal.objects.select_for_update().filter(
        article__in=articles, status=CorrectionProposal.Status.OPEN
    ):
        _decide(
            proposal,
            CorrectionProposal.Status.WITHDRAWN,
            by=by,
            now=now,
            reason="文章随期刊退回，可以直接修改，更正申请随之关闭。",
        )
    return {"published_at", "signed_by", "signed_at"}


def _move_articles(articles, target, *, by, now, label):
    """Move an issue's articles along with it, each with its own log row and revision."""
    step = Transition("with_issue", label, (), target, REVIEWER)
    for article in articles:
        from_status = article.status
        article.status = target
        article.updated_by = by
        _save(article, by, {"status", "updated_by"}, label)
        _log(article, step, from_status, by, now, "")
