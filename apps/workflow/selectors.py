"""What waits for each staff member, for the admin index; what a step would do, for its
confirmation page."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.workflow import signing
from apps.workflow.comments import waiting_for
from apps.workflow.models import CorrectionProposal, TransitionLog
from apps.workflow.roles import is_reviewer, is_signer
from apps.workflow.steps import ARTICLE_SEND_BACK, ISSUE_SEND_BACK

LIMIT = 30
SEND_BACK = {ARTICLE_SEND_BACK.name, ISSUE_SEND_BACK.name}


def work_queue(user) -> dict:
    """Return the lists the admin index shows `user`; empty for roles without editorial work."""
    queue = {}
    if is_reviewer(user, Article):
        queue["articles_in_review"] = list(
            Article.objects.filter(status=Article.Status.REVIEW)
            .select_related("issue", "created_by")
            .order_by("updated_at")[:LIMIT]
        )
    if is_reviewer(user, Issue):
        queue["issues_in_review"] = list(Issue.objects.filter(status=Issue.Status.REVIEW)[:LIMIT])
        queue["scheduled_issues"] = list(
            Issue.objects.filter(
                status=Issue.Status.PUBLISHED, published_at__gt=timezone.now()
            ).order_by("published_at")[:LIMIT]
        )
    if user.has_perm("articles.change_article") or user.has_perm("issues.change_issue"):
        queue["my_drafts"] = _own_drafts(user, Issue) + _own_drafts(user, Article)
    if is_reviewer(user, Article):
        queue["corrections_in_review"] = list(
            CorrectionProposal.objects.filter(status=CorrectionProposal.Status.OPEN)
            .select_related("article", "proposed_by")
            .order_by("proposed_at")[:LIMIT]
        )
    if is_signer(user):
        queue["to_sign"] = signing.waiting_for_signer(user, limit=LIMIT)
    if user.has_perm("workflow.view_comment"):
        queue["comments_waiting"] = _comments_waiting(user)
    return queue


def _comments_waiting(user):
    """The comments that wait for `user` (待我处理的批注), each with its object's page."""
    comments = waiting_for(user)
    for comment in comments:
        subject = comment.subject
        opts = subject._meta
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[subject.pk])
        comment.kind_label = opts.verbose_name
        comment.admin_url = f"{change}#comment-{comment.parent_id or comment.pk}"
    return comments


def expected_total_numbers(issue, earlier, *, when) -> list[tuple[Issue, int]]:
    """Return the total number `issue` gets going live at `when`, then each of `earlier`'s
    (issues of the same year still waiting) as it goes live after it, in number order.

    Mirrors apps.notifications.live: an issue going live takes the highest number plus one,
    unless a reviewer set it; scheduled issues due first take theirs before.
    """
    highest = Issue.objects.aggregate(Max("total_number"))["total_number__max"] or 0
    due_first = (
        Issue.objects.filter(
            status=Issue.Status.PUBLISHED,
            went_live_at__isnull=True,
            total_number__isnull=True,
            published_at__lte=when,
        )
        .exclude(pk=issue.pk)
        .count()
    )
    following = highest + due_first + 1
    numbers = []
    for each in [issue, *earlier]:
        if each.total_number is not None:
            numbers.append((each, each.total_number))
        else:
            numbers.append((each, following))
            following += 1
    return numbers


def _own_drafts(user, model):
    """Return the user's drafts, each with `returned_reason` when a reviewer sent it back."""
    drafts = list(
        model.objects.filter(created_by=user, status=model.Status.DRAFT).order_by("-updated_at")[
            :LIMIT
        ]
    )
    latest = {}
    logs = TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[draft.pk for draft in drafts],
    ).order_by("object_id", "-at", "-pk")
    for log in logs:
        latest.setdefault(log.object_id, log)
    opts = model._meta
    for draft in drafts:
        draft.kind_label = opts.verbose_name
        draft.admin_url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=[draft.pk]
        )
        log = latest.get(draft.pk)
        draft.returned_reason = log.comment if log and log.transition in SEND_BACK else ""
    return drafts
