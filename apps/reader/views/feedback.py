from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from apps.articles.models import Article
from apps.feedback.forms import FeedbackForm
from apps.feedback.models import Feedback
from apps.feedback.submission import send_feedback
from apps.issues.models import Issue
from apps.reader.mixins import SubscriberRequiredMixin


class FeedbackView(SubscriberRequiredMixin, View):
    """Send a message to the editors and read the replies to one's own earlier messages."""

    template_name = "subscribers/feedback.html"

    def get(self, request):
        return self.render(request, FeedbackForm(), *self.subject(request))

    def post(self, request):
        issue, article = self.subject(request)
        form = FeedbackForm(request.POST)
        if form.is_valid():
            try:
                send_feedback(
                    author=request.user,
                    message=form.cleaned_data["message"],
                    issue=issue,
                    article=article,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "已收到您的意见和建议，谢谢！答复会显示在本页。")
                return redirect("reader:feedback")
        return self.render(request, form, issue, article, status=400)

    def subject(self, request):
        """The issue or article the message is about, if the reader may see it (else 404)."""
        params = request.POST if request.method == "POST" else request.GET
        article_id, issue_id = params.get("article"), params.get("issue")
        if article_id:
            visible = Article.objects.visible_to(request.user).select_related("issue")
            return None, get_object_or_404(visible, pk=_as_id(article_id))
        if issue_id:
            return get_object_or_404(
                Issue.objects.visible_to(request.user), pk=_as_id(issue_id)
            ), None
        return None, None

    def render(self, request, form, issue, article, status=200):
        own = Feedback.objects.filter(author=request.user).select_related("issue", "article")
        context = {"form": form, "issue": issue, "article": article, "own_feedback": own[:50]}
        return render(request, self.template_name, context, status=status)


def _as_id(value):
    return int(value) if str(value).isdigit() else 0
