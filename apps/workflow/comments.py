"""Comments on drafts (批注): the one writer of `Comment`, and what the back office reads of it.

A comment belongs to an article or an issue, perhaps anchored to a passage of its current text
(`quote`); replies hang under their thread's first comment, which is what is resolved and
reopened. Staff comment on what they see in the back office (roles.visible_to_staff); only the
author changes or deletes a comment, and not while its thread is resolved. Every change is kept
by simple-history. `@username` names a colleague: they get the office's mail (after the commit)
and the comment waits on their admin index (`waiting_for`).

Nothing reader-facing reads comments: reader pages, search, print, PDF, mails to readers,
push cards, exports and proofs are built without this module.
"""

import re
from html import unescape

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import strip_tags

from apps.accounts.access import acts_as_staff, as_if_verified
from apps.articles.models import Article
from apps.issues.models import Issue
from apps.notifications import office
from apps.workflow.models import Comment
from apps.workflow.roles import visible_to_staff

READ = "workflow.view_comment"
WRITE = "workflow.add_comment"
# How many comments the admin index lists as waiting.
WAITING_LIMIT = 30

# "@" starting a name: not inside an e-mail address or a word of Latin letters ("a@b.cn").
MENTION_START = re.compile(r"(?<![A-Za-z0-9._%+-])@")


class CommentRefused(Exception):
    """The comment cannot be written, changed or removed; the message says why (in Chinese)."""


# --- Who may read and write ---------------------------------------------------------------------


def _seen(user, model):
    """The rows of `model` (Article or Issue) `user` sees in the back office: its admin's
    rule, the model's permission to view or change and roles.visible_to_staff."""
    opts = model._meta
    if not (
        user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
        or user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
    ):
        return model.objects.none()
    return visible_to_staff(user, model.objects.all())


def _sees(user, subject) -> bool:
    return _seen(user, type(subject)).filter(pk=subject.pk).exists()


def may_read(user, subject) -> bool:
    """Whether `user` sees the comments on `subject`."""
    return acts_as_staff(user) and user.has_perm(READ) and _sees(user, subject)


def may_write(user, subject) -> bool:
    """Whether `user` may comment on `subject`, reply, resolve and reopen there."""
    return acts_as_staff(user) and user.has_perm(WRITE) and _sees(user, subject)


def _would_read(user, subject) -> bool:
    """Whether `user`, loaded here rather than signed in, would read comments on `subject`
    once signed in. The roles ask `acts_as_staff`, which wants the second factor that only a
    session carries: this copy of the user is marked verified, as django_otp marks a session
    that passed it."""
    return may_read(as_if_verified(user), subject)


# --- The text a comment may quote ----------------------------------------------------------------


def _text_of(html: str) -> str:
    return unescape(strip_tags(html))


def plain_text(subject) -> str:
    """The text of `subject` a passage may be quoted from: an article's title, summary and
    body; an issue's title and editor's note. Rich text as readers see it (no tags, entities
    read)."""
    if isinstance(subject, Article):
        return "\n".join([subject.title, subject.summary, _text_of(subject.body)])
    return "\n".join([subject.title, _text_of(subject.editor_note)])


def _squeezed(text: str) -> str:
    # A selection in the browser has line breaks where paragraphs meet, and none where inline
    # tags do; Chinese text has no spaces that matter. Passages are compared without any.
    return "".join(text.split())


def quote_found(quote: str, text: str) -> bool:
    """Whether the passage `quote` is in `text` (plain_text of its object), spacing aside."""
    wanted = _squeezed(quote)
    return bool(wanted) and wanted in _squeezed(text)


def _where(subject) -> str:
    if isinstance(subject, Article):
        return "本文当前的标题、摘要或正文"
    return "本期当前的标题或编者的话"


# --- Checks on what is written -------------------------------------------------------------------


def _clean_text(text) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise CommentRefused("请填写批注内容。")
    if "\x00" in text:
        raise CommentRefused("批注内容含有无法保存的字符，请删除后重试。")
    if len(text) > Comment.MAX_TEXT:
        raise CommentRefused(f"批注不能超过 {Comment.MAX_TEXT} 字，请精简后再提交。")
    return text


def _clean_quote(quote, subject) -> str:
    quote = " ".join((quote or "").split())
    if not quote:
        return ""
    if "\x00" in quote:
        raise CommentRefused("所选原文含有无法保存的字符，请重新选择。")
    if len(quote) > Comment.MAX_QUOTE:
        raise CommentRefused(f"所选原文不能超过 {Comment.MAX_QUOTE} 字，请选择较短的一段。")
    if not quote_found(quote, plain_text(subject)):
        raise CommentRefused(f"所选原文不在{_where(subject)}中（可能已被修改），请重新选择。")
    return quote


def _check_may_write(user, subject):
    if not may_write(user, subject):
        raise CommentRefused("您不能在此稿件上发表或处理批注。")


def _check_author(comment, user, action):
    if comment.author_id != user.pk:
        raise CommentRefused(f"只能{action}自己的批注。")


def _check_open(comment, action):
    root = comment.parent or comment
    if root.resolved_at is not None:
        raise CommentRefused(f"这条批注已解决，不能{action}；如需{action}，请先重新打开。")


def _locked(comment) -> Comment:
    """The row of `comment`, locked until the transaction ends; refused if it is gone."""
    current = (
        Comment.objects.select_for_update(of=("self",))
        .select_related("parent", "article", "issue")
        .filter(pk=comment.pk)
        .first()
    )
    if current is None:
        raise CommentRefused("这条批注已不存在（可能已被删除）。")
    return current


# --- Mentions ------------------------------------------------------------------------------------


def mentioned_in(text: str, subject, *, by) -> list:
    """The staff `text` names as @username who would read comments on `subject`, `by` aside.

    Usernames may be Chinese and text runs on after them ("@张三请看"): at each "@" the longest
    active staff username written there is taken.
    """
    starts = [match.end() for match in MENTION_START.finditer(text)]
    if not starts:
        return []
    staff = {
        user.username: user
        for user in get_user_model().objects.filter(is_staff=True, is_active=True)
    }
    names = sorted(staff, key=len, reverse=True)
    found = {}
    for start in starts:
        name = next((name for name in names if text.startswith(name, start)), None)
        if name is not None and staff[name].pk != by.pk:
            found[name] = staff[name]
    return [user for user in found.values() if _would_read(user, subject)]


def _set_mentions(comment, text, subject, *, by, before=()):
    """Store who `text` names and mail those it names for the first time."""
    people = mentioned_in(text, subject, by=by)
    comment.mentions.set(people)
    told = {user.pk for user in before}
    new = [user for user in people if user.pk not in told]
    if new:
        # A mail is a task row queued in this transaction: sent after the commit, never if
        # it rolls back (apps.notifications.outbox).
        office.mentioned(comment, new, by=by)
    return people


# --- The writer ----------------------------------------------------------------------------------


def _create(subject, *, by, text, quote="", parent=None) -> Comment:
    comment = Comment(
        article=subject if isinstance(subject, Article) else None,
        issue=subject if isinstance(subject, Issue) else None,
        author=by,
        text=text,
        quote=quote,
        parent=parent,
    )
    comment._history_user = by
    comment.save()
    _set_mentions(comment, text, subject, by=by)
    return comment


def add(subject, *, by, text, quote="") -> Comment:
    """Comment on `subject` (an article or an issue) as `by`, on the passage `quote` of its
    current text if one is given."""
    _check_may_write(by, subject)
    text = _clean_text(text)
    quote = _clean_quote(quote, subject)
    with transaction.atomic():
        return _create(subject, by=by, text=text, quote=quote)


def reply(parent: Comment, *, by, text) -> Comment:
    """Answer `parent`'s thread as `by` (a reply to a reply joins the same thread)."""
    subject = parent.subject
    _check_may_write(by, subject)
    text = _clean_text(text)
    with transaction.atomic():
        root = _locked(parent.parent or parent)
        _check_open(root, "回复")
        return _create(subject, by=by, text=text, parent=root)


def edit(comment: Comment, *, by, text) -> Comment:
    """Change the text of `by`'s own comment while its thread is open; newly named
    colleagues are told."""
    _check_may_write(by, comment.subject)
    text = _clean_text(text)
    with transaction.atomic():
        current = _locked(comment)
        _check_author(current, by, "修改")
        _check_open(current, "修改")
        if current.text == text:
            return current
        before = list(current.mentions.all())
        current.text = text
        current._history_user = by
        current.save()
        _set_mentions(current, text, current.subject, by=by, before=before)
        return current


def delete(comment: Comment, *, by) -> None:
    """Delete `by`'s own comment while its thread is open and nobody has answered it (the
    history keeps it)."""
    _check_may_write(by, comment.subject)
    with transaction.atomic():
        current = _locked(comment)
        _check_author(current, by, "删除")
        _check_open(current, "删除")
        if current.parent_id is None and current.replies.exists():
            raise CommentRefused("这条批注已有回复，不能删除；可以修改内容，或标为已解决。")
        current._history_user = by
        current.delete()


def resolve(comment: Comment, *, by) -> Comment:
    """Mark `comment`'s thread resolved (已解决)."""
    return _settle(comment, by=by, resolved=True)


def reopen(comment: Comment, *, by) -> Comment:
    """Open `comment`'s resolved thread again."""
    return _settle(comment, by=by, resolved=False)


def _settle(comment, *, by, resolved):
    _check_may_write(by, comment.subject)
    with transaction.atomic():
        root = _locked(comment.parent or comment)
        if (root.resolved_at is not None) == resolved:
            raise CommentRefused(
                "这条批注已经标为已解决。" if resolved else "这条批注尚未解决，无需重新打开。"
            )
        root.resolved_at = timezone.now() if resolved else None
        root.resolved_by = by if resolved else None
        root._history_user = by
        root.save(update_fields=["resolved_at", "resolved_by", "updated_at"])
        return root


def add_return_reason(subject, *, by, label, reason) -> Comment:
    """Open a thread on `subject` with the reason it was returned (退回修改), in the step's
    transaction. The step has checked who may return it; this asks no more."""
    text = f"{label}：{(reason or '').strip()}"[: Comment.MAX_TEXT]
    return _create(subject, by=by, text=text)


# --- What the back office shows ------------------------------------------------------------------


def threads(subject, user) -> list[Comment]:
    """`subject`'s threads, oldest first, for `user`: each first comment with `thread_replies`,
    `anchor_lost` (its passage was edited away: 原文已修改), and on every comment `editable`
    and `deletable` (what `user` may do with it)."""
    field = "article" if isinstance(subject, Article) else "issue"
    rows = list(
        Comment.objects.filter(**{field: subject})
        .select_related("author", "resolved_by")
        .prefetch_related("mentions")
        .order_by("created_at", "pk")
    )
    text = plain_text(subject)
    writes = may_write(user, subject)
    roots = [row for row in rows if row.parent_id is None]
    by_root = {root.pk: [] for root in roots}
    for row in rows:
        if row.parent_id is not None and row.parent_id in by_root:
            by_root[row.parent_id].append(row)
    for root in roots:
        root.thread_replies = by_root[root.pk]
        root.anchor_lost = bool(root.quote) and not quote_found(root.quote, text)
        open_thread = root.resolved_at is None
        for row in [root, *root.thread_replies]:
            own = writes and open_thread and row.author_id == user.pk
            row.editable = own
            row.deletable = own and (row is not root or not root.thread_replies)
    return roots


def anchors(subject, user) -> list[dict]:
    """The open threads anchored to a passage still in `subject`, for the preview to mark."""
    return [
        {
            "id": root.pk,
            "quote": root.quote,
            "author": root.author.get_full_name() or root.author.username,
            "text": root.text,
        }
        for root in threads(subject, user)
        if root.quote and not root.anchor_lost and root.resolved_at is None
    ]


def waiting_for(user) -> list[Comment]:
    """What waits for `user` on the admin index (待我处理的批注): comments in open threads that
    name them, and others' replies in their own open threads, unless they have written in the
    thread since. Newest first; each with `mentions_me`."""
    if not (acts_as_staff(user) and user.has_perm(READ)):
        return []
    names_me = Exists(Comment.mentions.through.objects.filter(comment=OuterRef("pk"), user=user.pk))
    own_threads = Comment.objects.filter(
        parent__isnull=True, author=user.pk, resolved_at__isnull=True
    )
    thread = Coalesce("parent_id", "pk")
    answered = Exists(
        Comment.objects.filter(
            Q(pk=OuterRef("thread")) | Q(parent=OuterRef("thread")),
            author=user.pk,
            pk__gt=OuterRef("pk"),
        )
    )
    visible = Q(article__in=_seen(user, Article).values("pk")) | Q(
        issue__in=_seen(user, Issue).values("pk")
    )
    rows = (
        Comment.objects.annotate(thread=thread)
        .annotate(mentions_me=names_me, answered=answered)
        .filter(Q(mentions_me=True) | Q(parent__in=own_threads))
        .filter(
            Q(parent__isnull=True, resolved_at__isnull=True)
            | Q(parent__isnull=False, parent__resolved_at__isnull=True)
        )
        .filter(visible, answered=False)
        .exclude(author=user.pk)
        .select_related("author", "article", "issue")
        .order_by("-created_at", "-pk")
    )
    return list(rows[:WAITING_LIMIT])
