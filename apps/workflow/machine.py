"""The editorial workflow: the only code that changes the `status` of issues and articles.

One table of transitions serves both models. Each transition names who may take it, the states
it leaves from, the state it reaches, what it needs (a comment, a time) and what else it does.
`perform` checks all of that under a row lock, changes the state and writes the log row in one
transaction; the admin, `publish_due` and the tests all go through it.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.issues.page_cache import content_changed
from apps.issues.querysets import visible_issue_q
from apps.search.indexing import refresh_on_commit
from apps.workflow.models import TransitionLog

DRAFT = "draft"
REVIEW = "review"
APPROVED = "approved"
PUBLISHED = "published"
WITHDRAWN = "withdrawn"

# Who may take a transition: the author of a draft (or a reviewer), or reviewers only.
AUTHOR = "author"
REVIEWER = "reviewer"

MAX_COMMENT = 2000  # the form's textarea says the same

REVIEW_PERMISSION = {Article: "articles.review_article", Issue: "issues.review_issue"}


class TransitionNotAllowed(Exception):
    """The user may not take this transition on this object in its current state."""


class TransitionRefused(Exception):
    """The transition is allowed but its conditions are not met; the message says why."""


class AlreadyDone(TransitionRefused):
    """The object is already where the transition leads (a double click or a retry)."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    who: str
    needs_comment: bool = False
    needs_time: bool = False


ARTICLE_TRANSITIONS = (
    Transition("submit", "提交审核", (DRAFT,), REVIEW, AUTHOR),
    Transition("approve", "审核通过", (REVIEW,), APPROVED, REVIEWER),
    Transition("send_back", "退回修改", (REVIEW,), DRAFT, REVIEWER, needs_comment=True),
    Transition("reopen", "重新打开", (APPROVED,), DRAFT, REVIEWER),
)
ISSUE_TRANSITIONS = (
    Transition("submit", "提交审核", (DRAFT,), REVIEW, AUTHOR),
    Transition("send_back", "退回修改", (REVIEW,), DRAFT, REVIEWER, needs_comment=True),
    Transition("publish", "发布", (REVIEW,), PUBLISHED, REVIEWER),
    Transition("schedule", "定时发布", (REVIEW,), PUBLISHED, REVIEWER, needs_time=True),
    Transition("withdraw", "撤回", (PUBLISHED,), WITHDRAWN, REVIEWER, needs_comment=True),
    Transition("reopen", "重新打开", (WITHDRAWN,), DRAFT, REVIEWER),
)
TRANSITIONS = {Article: ARTICLE_TRANSITIONS, Issue: ISSUE_TRANSITIONS}


# --- Roles -----------------------------------------------------------------------------------


def is_reviewer(user, model) -> bool:
    return user.is_active and user.is_staff and user.has_perm(REVIEW_PERMISSION[model])


def may_edit(user, obj) -> bool:
    """Return whether `user` may change `obj`'s content: reviewers always, authors their drafts."""
    model = type(obj)
    opts = model._meta
    if not (user.is_active and user.is_staff):
        return False
    if not user.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
        return False
    if is_reviewer(user, model):
        return True
    return obj.status == DRAFT and obj.created_by_id == user.pk


def visible_to_staff(user, rows):
    """Narrow `rows` (issues or articles) to what `user` sees in the back office.

    Reviewers see everything. Editors see their own work and what is published; issues still
    being drafted are shared too, so that editors can place their articles in them.
    """
    model = rows.model
    if is_reviewer(user, model):
        return rows
    shared = [PUBLISHED, DRAFT] if model is Issue else [PUBLISHED]
    return rows.filter(models.Q(created_by=user) | models.Q(status__in=shared))


def _has_role(user, obj, transition) -> bool:
    """Return whether `user` may take `transition` on `obj` in a state it leaves from."""
    model = type(obj)
    if is_reviewer(user, model):
        return True
    if transition.who != AUTHOR or not (user.is_active and user.is_staff):
        return False
    opts = model._meta
    return (
        user.has_perm(f"{opts.app_label}.change_{opts.model_name}") and obj.created_by_id == user.pk
    )


def available_transitions(obj, user) -> list[Transition]:
    """Return the transitions `user` may take on `obj` now, in the table's order."""
    return [
        transition
        for transition in TRANSITIONS[type(obj)]
        if obj.status in transition.sources and _has_role(user, obj, transition)
    ]


def get_transition(model, name) -> Transition:
    for transition in TRANSITIONS[model]:
        if transition.name == name:
            return transition
    raise TransitionNotAllowed(f"没有名为 {name} 的操作。")


# --- Taking a transition ---------------------------------------------------------------------


def perform(obj, name, *, by, comment="", at: datetime | None = None):
    """Take transition `name` on `obj` as user `by`; return the updated object.

    Raises TransitionNotAllowed (the user may not, or the state does not allow it),
    TransitionRefused (a condition is not met) or AlreadyDone (nothing to do).
    """
    model = type(obj)
    transition = get_transition(model, name)
    comment = (comment or "").strip()
    if not _has_role(by, obj, transition):
        raise TransitionNotAllowed("您没有执行此操作的权限。")
    try:
        with transaction.atomic():
            subject = model.objects.select_for_update().get(pk=obj.pk)
            _check_state(subject, transition)
            if transition.needs_comment and not comment:
                raise TransitionRefused(f"请填写{transition.label}的原因。")
            if len(comment) > MAX_COMMENT:
                raise TransitionRefused(f"意见不能超过 {MAX_COMMENT} 字，请精简后再提交。")
            now = timezone.now()
            from_status = subject.status
            subject.status = transition.target
            subject.updated_by = by
            changed = {"status", "updated_by"}
            changed |= _EFFECTS.get((model, name), _no_effect)(subject, by=by, at=at, now=now)
            _save(subject, by, changed, f"{transition.label} {comment}".strip())
            _log(subject, transition, from_status, by, now, comment)
            content_changed()
    except IntegrityError as error:
        # Two issues published at the same moment can reach for the same total number.
        raise TransitionRefused("总期号与另一期冲突，请稍后重试。") from error
    return subject


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
    subject._change_reason = reason
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


# --- What issue transitions do besides changing the status -------------------------------------


def _no_effect(subject, **kwargs):
    return set()


def _publish_now(issue, *, by, at, now):
    return _publish(issue, by=by, when=now, now=now)


def _schedule(issue, *, by, at, now):
    if at is None:
        raise TransitionRefused("请填写有效的定时发布日期和时间。")
    if at <= now:
        raise TransitionRefused("定时发布的时间必须晚于现在；如需立即发布，请使用「发布」。")
    return _publish(issue, by=by, when=at, now=now)


def _publish(issue, *, by, when, now):
    articles = list(
        Article.objects.select_for_update()
        .filter(issue=issue)
        .order_by("section__order", "position")
    )
    if not articles:
        raise TransitionRefused("本期还没有文章，不能发布。")
    pending = [article for article in articles if article.status != APPROVED]
    if pending:
        names = "、".join(f"《{a.title}》（{a.get_status_display()}）" for a in pending)
        raise TransitionRefused(f"以下文章尚未审核通过，不能发布：{names}")
    issue.published_at = when
    issue.went_live_at = None
    changed = {"published_at", "went_live_at"}
    if issue.total_number is None:
        highest = Issue.objects.aggregate(models.Max("total_number"))["total_number__max"]
        issue.total_number = (highest or 0) + 1
        changed.add("total_number")
    _move_articles(articles, PUBLISHED, by=by, now=now, label="随期刊发布")
    if when <= now:
        transaction.on_commit(mark_live)
    return changed


def _reopen_issue(issue, *, by, at, now):
    articles = list(Article.objects.select_for_update().filter(issue=issue, status=PUBLISHED))
    _move_articles(articles, APPROVED, by=by, now=now, label="随期刊重新打开")
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
    refresh_on_commit(article.pk for article in articles)


_EFFECTS = {
    (Issue, "publish"): _publish_now,
    (Issue, "schedule"): _schedule,
    (Issue, "reopen"): _reopen_issue,
}


# --- Follow-up of issues that became visible ---------------------------------------------------


def mark_live() -> list[int]:
    """Mark issues that have become visible and do their follow-up work, once per issue.

    Idempotent and safe to run concurrently: the conditional update lets only one caller
    claim an issue. Returns the ids of the issues claimed by this call.
    """
    now = timezone.now()
    claimed = []
    due = Issue.objects.filter(visible_issue_q(), went_live_at__isnull=True)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            if Issue.objects.filter(pk=pk, went_live_at__isnull=True).update(went_live_at=now):
                claimed.append(pk)
    return claimed
