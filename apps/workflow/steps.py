"""The editorial steps: the only code that changes the `status` of issues and articles.

One function per step (`submit_article`, `publish_issue`, `withdraw_issue` …): who publishes
an issue is answered by reading `publish_issue`. Every step goes through `_take`, which checks
the role, locks the row, re-checks its state, applies the step's effect, saves and writes the
log row in one transaction, and queues the e-mail that tells the people concerned
(apps.notifications.office). The admin's buttons are data (`TRANSITIONS`), each naming its
step; the admin, `publish_due` and the tests call the same functions.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.articles.models import Article
from apps.issues.models import Issue
from apps.notifications import deliveries, office
from apps.notifications.live import mark_live
from apps.push import deliveries as push_deliveries
from apps.workflow.models import TransitionLog
from apps.workflow.roles import is_author, is_reviewer

# Who may take a step: the author of a draft (or a reviewer), or reviewers only.
AUTHOR = "author"
REVIEWER = "reviewer"

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


# --- Articles --------------------------------------------------------------------------------


def submit_article(article: Article, *, by: User, comment: str = "") -> Article:
    """Send a draft article to the reviewers; `send_back_article` is its inverse."""
    return _take(article, ARTICLE_SUBMIT, by=by, comment=comment)


def approve_article(article: Article, *, by: User, comment: str = "") -> Article:
    """Approve an article in review; it is published with its issue. `reopen_article` is its
    inverse."""
    return _take(article, ARTICLE_APPROVE, by=by, comment=comment)


def send_back_article(article: Article, *, by: User, comment: str) -> Article:
    """Return an article in review to its author, with the reason."""
    return _take(article, ARTICLE_SEND_BACK, by=by, comment=comment)


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
    """Return an issue in review to its author, with the reason."""
    return _take(issue, ISSUE_SEND_BACK, by=by, comment=comment)


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


def _check_publish(issue, *, now, out_of_order):
    _check_contents(issue)
    _check_order(issue, when=now, now=now, out_of_order=out_of_order)


def _check_schedule(issue, *, now, at, out_of_order):
    _check_time(at, now)
    _check_contents(issue)
    _check_order(issue, when=at, now=now, out_of_order=out_of_order)


def _check_reschedule(issue, *, now, at, out_of_order):
    _check_not_live(issue, now)
    _check_time(at, now)
    _check_order(issue, when=at, now=now, out_of_order=out_of_order)


def _check_unschedule(issue, *, now):
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

# The buttons of each model's change form, in this order.
TRANSITIONS = {
    Article: (ARTICLE_SUBMIT, ARTICLE_APPROVE, ARTICLE_SEND_BACK, ARTICLE_REOPEN),
    Issue: (
        ISSUE_SUBMIT,
        ISSUE_SEND_BACK,
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
) -> Article | Issue:
    """Take the step named `name` (a button of the change form) on `obj` as user `by`."""
    transition = get_transition(type(obj), name)
    return transition.step(obj, by=by, comment=comment, **_details(transition, at, out_of_order))


def check(
    obj: Article | Issue,
    name: str,
    *,
    by: User,
    comment: str = "",
    at: datetime | None = None,
    out_of_order: bool = False,
) -> None:
    """Raise what taking the step named `name` on `obj` would raise now; change nothing.

    The confirmation page asks this before it offers the step; the step asks the same again
    under its lock when it is taken.
    """
    transition = get_transition(type(obj), name)
    details = _details(transition, at, out_of_order)
    with transaction.atomic():  # the same locks as the step, released at once
        _checked(obj, transition, by=by, comment=(comment or "").strip(), **details)


def _details(transition, at, out_of_order):
    details = {}
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
            subject.status = transition.target
            subject.updated_by = by
            changed = {"status", "updated_by"} | effect(subject, by=by, now=now, **details)
            _save(subject, by, changed, f"{transition.label} {comment}".strip())
            _log(subject, transition, from_status, by, now, comment)
            if tell and transition.mail is not None:
                # Sent by the worker once this transaction commits, never if it rolls back.
                transition.mail(subject, by=by, label=transition.label, comment=comment)
    except IntegrityError as error:
        # Two issues published at the same moment can reach for the same total number.
        raise TransitionRefused("总期号与另一期冲突，请稍后重试。") from error
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
        transition.check(subject, now=now, **details)
    return subject, now


def _has_role(user, obj, transition) -> bool:
    """Return whether `user` may take `transition` on `obj`."""
    if is_reviewer(user, type(obj)):
        return True
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
    changed = {"published_at", "went_live_at"}
    # The total number comes when the issue goes live (apps.notifications.live), so that
    # numbers follow the order in which readers get the issues.
    _move_articles(articles, Article.Status.PUBLISHED, by=by, now=now, label="随期刊发布")
    if when <= now:
        # Should this fail after the commit, the minute's job claims the issue instead: the
        # reviewer is not shown an error for a publication that happened.
        transaction.on_commit(mark_live, robust=True)
    return changed


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
    return {"published_at"}


def _move_articles(articles, target, *, by, now, label):
    """Move an issue's articles along with it, each with its own log row and revision."""
    step = Transition("with_issue", label, (), target, REVIEWER)
    for article in articles:
        from_status = article.status
        article.status = target
        article.updated_by = by
        _save(article, by, {"status", "updated_by"}, label)
        _log(article, step, from_status, by, now, "")
