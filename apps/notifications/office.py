"""The office's own e-mails: review requests, decisions, feedback replies, expiry and 截稿
reminders.

Plain Chinese text with a link to the page where the work is. They go through `send_mail`,
so through the worker after the transaction commits (outbox.py); nobody is told about their
own action.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.notifications.issue_mail import absolute, one_line
from apps.notifications.models import DeadlineReminder, ExpiryReminder
from apps.subscribers.selectors import current_subscribers

# The permission check needs the backend that knows groups (axes' backend knows none).
PERMISSION_BACKEND = "apps.accounts.backends.UsernameEmailOrMobileBackend"
# Days before a subscription ends when its reminders go out, latest first.
REMINDER_DAYS = (30, 7)
# Days before an issue's 截稿日期 when editors with drafts in it are reminded.
DEADLINE_REMINDER_DAYS = 2

# Each step names the mail that tells the people concerned (apps.workflow.steps, `mail=`):
# the reviewers of a submission, the author of a decision. `subject` is the article or issue.


def submitted(subject, *, by, label, comment="") -> None:
    """Ask the reviewers of `subject`'s kind to review it."""
    opts = subject._meta
    reviewers = staff_with_perm(f"{opts.app_label}.review_{opts.model_name}")
    _step_mail(
        subject, reviewers, "notifications/email/submitted.txt", by=by, label=label, comment=comment
    )


def returned(subject, *, by, label, comment) -> None:
    """Tell the author that `subject` came back to them, with the reason."""
    _to_author(subject, by=by, label=label, comment=comment, returned=True)


def approved(subject, *, by, label, comment="") -> None:
    """Tell the author that `subject` was approved."""
    _to_author(subject, by=by, label=label, comment=comment)


def published(subject, *, by, label, comment="") -> None:
    """Tell the author that `subject` was published, or when it will be."""
    scheduled_at = subject.published_at if subject.is_scheduled else None
    _to_author(subject, by=by, label=label, comment=comment, scheduled_at=scheduled_at)


def signed_off(subject, *, by, label, comment="") -> None:
    """Tell the reviewers of `subject`'s kind and its author what the 签发人 decided."""
    opts = subject._meta
    reviewers = staff_with_perm(f"{opts.app_label}.review_{opts.model_name}")
    author = [subject.created_by] if subject.created_by_id else []
    tell(subject, [*reviewers, *author], by=by, label=label, comment=comment)


def tell(subject, recipients, *, by, label, comment="") -> None:
    """Tell `recipients` (staff) that `by` took the step `label` on `subject`."""
    recipients = {user.pk: user for user in recipients if user.is_active}.values()
    _step_mail(
        subject, recipients, "notifications/email/step.txt", by=by, label=label, comment=comment
    )


def _to_author(subject, *, by, label, comment, returned=False, scheduled_at=None):
    author = subject.created_by if subject.created_by_id else None
    authors = [author] if author is not None and author.is_active else []
    template = "notifications/email/decided.txt"
    _step_mail(
        subject,
        authors,
        template,
        by=by,
        label=label,
        comment=comment,
        returned=returned,
        scheduled_at=scheduled_at,
    )


def _step_mail(subject, recipients, template, *, by, label, comment, **extra):
    recipients = [user for user in recipients if user.pk != by.pk and user.email]
    if not recipients:
        return
    opts = subject._meta
    context = {
        "kind": opts.verbose_name,
        "object": subject,
        "label": label,
        "by": by.get_full_name() or by.username,
        "comment": comment,
        "returned": False,
        "scheduled_at": None,
        **extra,
        "link": absolute(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[subject.pk])
        ),
    }
    _send(
        f"{opts.verbose_name}「{_short(subject)}」{label}",
        template,
        context,
        [user.email for user in recipients],
    )


def mentioned(comment, recipients, *, by) -> None:
    """Tell the staff a comment (批注) names as @username about it, with its text and the link
    to its thread on the object's page; `comment.subject` is the article or issue."""
    recipients = [user for user in recipients if user.pk != by.pk and user.email]
    if not recipients:
        return
    subject = comment.subject
    opts = subject._meta
    thread = comment.parent_id or comment.pk
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[subject.pk])
    context = {
        "kind": opts.verbose_name,
        "object": subject,
        "by": by.get_full_name() or by.username,
        "text": comment.text,
        "quote": comment.quote,
        "link": absolute(f"{change}#comment-{thread}"),
    }
    _send(
        f"{context['by']} 在{opts.verbose_name}「{_short(subject)}」的批注中提到了您",
        "notifications/email/mentioned.txt",
        context,
        [user.email for user in recipients],
    )


def feedback_replied(feedback) -> None:
    """Tell a subscriber that the editors answered their feedback."""
    author = feedback.author
    if not (author.is_active and author.email):
        return
    context = {
        "name": author.get_full_name() or author.username,
        "message": feedback.message,
        "reply": feedback.reply,
        "link": absolute(reverse("reader:feedback")),
    }
    template = "notifications/email/feedback_replied.txt"
    _send("您的意见和建议有了答复", template, context, [author.email])


def send_expiry_reminders(today=None) -> int:
    """Remind subscribers whose subscription ends in 30 or 7 days, and their administrators.

    Each reminder goes out once per end date (ExpiryReminder). The record and the mails are
    written in one transaction (the mails are task rows, outbox.py), so neither exists without
    the other; one missed while the worker was down goes out at the next run while its window
    lasts. Returns how many subscribers were reminded.
    """
    today = today or timezone.localdate()
    managers = [u.email for u in staff_with_perm("subscribers.change_subscriber") if u.email]
    reminded = []
    # (30, 7): ends within 30 days but not 7; (7, -1): ends within 7 days, today included.
    windows = zip(REMINDER_DAYS, (*REMINDER_DAYS[1:], -1), strict=True)
    for days, later in windows:
        already = ExpiryReminder.objects.filter(
            subscriber=OuterRef("pk"), valid_until=OuterRef("valid_until"), days_before=days
        )
        ending = (
            current_subscribers()
            .filter(
                valid_until__lte=today + timedelta(days=days),
                valid_until__gt=today + timedelta(days=later),
            )
            .exclude(Exists(already))
            .select_related("user")
        )
        for subscriber in ending:
            if _remind(subscriber, days, today):
                reminded.append((subscriber, (subscriber.valid_until - today).days))
    if reminded and managers:
        context = {
            "reminded": [
                (s, d, absolute(reverse("admin:subscribers_subscriber_change", args=[s.pk])))
                for s, d in reminded
            ],
            "link": absolute(reverse("admin:subscribers_subscriber_changelist")),
        }
        _send(
            f"{len(reminded)} 位订户的订阅即将到期",
            "notifications/email/expiry_managers.txt",
            context,
            managers,
        )
    return len(reminded)


def _remind(subscriber, days, today) -> bool:
    """Record the reminder and queue the subscriber's mail together; False when it went out
    before (a racing worker)."""
    user = subscriber.user
    try:
        with transaction.atomic():
            ExpiryReminder.objects.create(
                subscriber=subscriber, valid_until=subscriber.valid_until, days_before=days
            )
            if user.email:
                days_left = (subscriber.valid_until - today).days
                context = {
                    "name": user.get_full_name() or user.username,
                    "subscriber": subscriber,
                    "days_left": days_left,
                    "contact": settings.SUBSCRIPTION_CONTACT,
                    "link": absolute(reverse("reader:profile")),
                }
                _send(
                    f"您的《{settings.PUBLICATION_NAME}》订阅将于{days_left}天后到期",
                    "notifications/email/expiry_subscriber.txt",
                    context,
                    [user.email],
                )
    except IntegrityError:
        return False
    return True


def send_deadline_reminders(today=None) -> int:
    """Remind each editor whose articles in an issue are still drafts, two days before the
    issue's 截稿日期: one mail per editor and deadline (DeadlineReminder), listing those drafts.

    As with the expiry reminders, the record and the mail are written together; one missed
    while the worker was down goes out at the next run, until the deadline's day. An issue
    already published or withdrawn has no deadline left to meet. Returns how many mails went.
    """
    today = today or timezone.localdate()
    editors = {user.pk: user for user in staff_with_perm("articles.change_article")}
    already = DeadlineReminder.objects.filter(
        issue=OuterRef("issue"), editor=OuterRef("created_by"), deadline=OuterRef("issue__deadline")
    )
    drafts = (
        Article.objects.filter(
            status=Article.Status.DRAFT,
            created_by__in=list(editors),
            issue__status__in=(Issue.Status.DRAFT, Issue.Status.REVIEW),
            issue__deadline__gte=today,
            issue__deadline__lte=today + timedelta(days=DEADLINE_REMINDER_DAYS),
        )
        .exclude(Exists(already))
        .select_related("issue")
        .order_by("issue__deadline", "issue", "created_by", "section__order", "position", "pk")
    )
    due = {}
    for article in drafts:
        due.setdefault((article.issue, article.created_by_id), []).append(article)
    return sum(
        _remind_deadline(issue, editors[editor_pk], articles, today)
        for (issue, editor_pk), articles in due.items()
    )


def _remind_deadline(issue, editor, articles, today) -> bool:
    """Record the reminder and queue the editor's mail together; False when it went out
    before (a racing worker)."""
    try:
        with transaction.atomic():
            DeadlineReminder.objects.create(issue=issue, editor=editor, deadline=issue.deadline)
            if editor.email:
                days_left = (issue.deadline - today).days
                context = {
                    "name": editor.get_full_name() or editor.username,
                    "issue": issue,
                    "when": {0: "今天", 1: "明天"}.get(days_left, f"{days_left}天后"),
                    "articles": [
                        (
                            article,
                            absolute(reverse("admin:articles_article_change", args=[article.pk])),
                        )
                        for article in articles
                    ],
                    "calendar_link": absolute(reverse("admin:calendar")),
                }
                deadline = f"{issue.deadline.month}月{issue.deadline.day}日"
                _send(
                    f"截稿提醒：{issue}将于{deadline}截稿，您还有 {len(articles)} 篇草稿",
                    "notifications/email/deadline_reminder.txt",
                    context,
                    [editor.email],
                )
    except IntegrityError:
        return False
    return True


def staff_with_perm(perm):
    return list(
        get_user_model()
        .objects.with_perm(perm, is_active=True, backend=PERMISSION_BACKEND)
        .filter(is_staff=True)
    )


def _send(subject, template, context, recipients):
    context = {
        **context,
        "publication_name": settings.PUBLICATION_NAME,
        "publication_publisher": settings.PUBLICATION_PUBLISHER,
    }
    subject = one_line(f"[{settings.PUBLICATION_NAME}] {subject}")
    body = render_to_string(template, context)
    # One message per person: nobody sees who else was told.
    for address in recipients:
        send_mail(subject, body, None, [address])


def _short(subject, length=40) -> str:
    text = str(subject)
    return text if len(text) <= length else f"{text[:length]}…"
