"""The comments panel (批注) of the issue and article pages: its context, the preview's marks,
and the POST-only addresses its forms send to. Every change goes through apps.workflow.comments;
each answer is a redirect back with a message, so the forms work without JavaScript."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path

from apps.accounts.access import Audience
from apps.articles.models import Article
from apps.core.ids import parse_id
from apps.workflow import comments
from apps.workflow.models import Comment

# What each button of a comment does: the writer's function, and what the message says.
ACTIONS = {
    "reply": (comments.reply, "已回复批注。"),
    "edit": (comments.edit, "已修改批注。"),
    "delete": (comments.delete, "已删除批注。"),
    "resolve": (comments.resolve, "已将批注标为已解决。"),
    "reopen": (comments.reopen, "已重新打开批注。"),
}
# The actions that take the form's text.
WITH_TEXT = {"reply", "edit"}
# The preview's audiences (`?as=`) a comment posted there returns to.
PREVIEW_AUDIENCES = (Audience.LEADERSHIP, Audience.ALL)


class CommentsAdminMixin:
    """For WorkflowAdmin: `comment_urls()` for its get_urls, `comment_panel()` for the change
    form and `comment_preview()` for the preview."""

    def comment_urls(self):
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/comments/add/",
                wrap(self.post_only(self.comment_add_view)),
                name=f"{prefix}_comment_add",
            ),
            path(
                "<path:object_id>/comments/<str:comment_id>/<str:action>/",
                wrap(self.post_only(self.comment_action_view)),
                name=f"{prefix}_comment",
            ),
        ]

    def comment_panel(self, request, obj):
        """The panel's context, or None for staff who do not read comments here."""
        if not comments.may_read(request.user, obj):
            return None
        threads = comments.threads(obj, request.user)
        return {
            "threads": threads,
            "open_count": sum(1 for thread in threads if thread.resolved_at is None),
            "may_write": comments.may_write(request.user, obj),
            "max_text": Comment.MAX_TEXT,
            "max_quote": Comment.MAX_QUOTE,
        }

    def comment_preview(self, request, obj):
        """The preview's marks of open anchored comments, and its 批注 form; None for staff who
        do not read comments."""
        if not comments.may_read(request.user, obj):
            return None
        return {
            "anchors": comments.anchors(obj, request.user),
            "add_url": self.admin_url("comment_add", obj)
            if comments.may_write(request.user, obj)
            else "",
            "audience": _audience(request.GET.get("as")),
            "max_text": Comment.MAX_TEXT,
            "max_quote": Comment.MAX_QUOTE,
        }

    def comment_add_view(self, request, object_id):
        obj = self._commented(request, object_id)
        if self._forged(request):
            return self._back(request, obj)
        try:
            comment = comments.add(
                obj,
                by=request.user,
                text=request.POST.get("text", ""),
                quote=request.POST.get("quote", ""),
            )
        except comments.CommentRefused as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._back(request, obj)
        self.message_user(request, _told("已发表批注。", comment), messages.SUCCESS)
        return self._back(request, obj, comment)

    def comment_action_view(self, request, object_id, comment_id, action):
        obj = self._commented(request, object_id)
        if action not in ACTIONS or parse_id(comment_id) is None:
            raise Http404
        field = "article" if isinstance(obj, Article) else "issue"
        comment = (
            Comment.objects.select_related("parent")
            .filter(pk=parse_id(comment_id), **{field: obj})
            .first()
        )
        if comment is None:
            self.message_user(request, "这条批注已不存在（可能已被删除）。", messages.ERROR)
            return self._back(request, obj)
        if self._forged(request):
            return self._back(request, obj, comment)
        write, done = ACTIONS[action]
        details = {"text": request.POST.get("text", "")} if action in WITH_TEXT else {}
        try:
            result = write(comment, by=request.user, **details)
        except comments.CommentRefused as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._back(request, obj, comment)
        if action == "reply":
            done = _told(done, result)
        # A deleted reply's thread is still there to return to; a deleted thread is not.
        kept = comment.parent if action == "delete" else result
        self.message_user(request, done, messages.SUCCESS)
        return self._back(request, obj, kept)

    def _commented(self, request, object_id):
        """The object of a comment address: one this user sees here, or 403 (无权访问)."""
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def _forged(self, request):
        """A comment is always the signed-in user's: a form naming another author is refused."""
        author = request.POST.get("author")
        if author is None or author == str(request.user.pk):
            return False
        self.message_user(request, "不能以他人的名义发表或修改批注。", messages.ERROR)
        return True

    def _back(self, request, obj, comment=None):
        """Back to the page the form was on: the preview (as the same audience) or the panel,
        at the comment's thread."""
        if request.POST.get("back") == "preview":
            url = self.admin_url("preview", obj)
            audience = _audience(request.POST.get("as"))
            if audience:
                url = f"{url}?as={audience}"
            return HttpResponseRedirect(url)
        anchor = "comments"
        if comment is not None:
            anchor = f"comment-{comment.parent_id or comment.pk}"
        return HttpResponseRedirect(f"{self.admin_url('change', obj)}#{anchor}")


def _told(message, comment):
    """`message`, and whom the comment's @names told."""
    names = "、".join(user.get_full_name() or user.username for user in comment.mentions.all())
    return f"{message}已通知：{names}。" if names else message


def _audience(value):
    return next((audience for audience in PREVIEW_AUDIENCES if audience == value), "")
