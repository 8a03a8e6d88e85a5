from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from apps.articles.models import Article
from apps.core.ids import parse_id
from apps.feedback.forms import FeedbackForm
from apps.feedback.models import Feedback
from apps.feedback.submission import send_feedback
from apps.issues.models import Issue
from apps.reader.mixins import SubscriberRequiredMixin

OWN_FEEDBACK_SHOWN = 50


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
        # A malformed id ("²", "abc", 20 digits) names nothing: 404, as an unknown id does.
        if article_id:
            visible = Article.objects.visible_to(request.user).select_related("issue")
            return None, get_object_or_404(visible, pk=parse_id(article_id))
        if issue_id:
            return get_object_or_404(
                Issue.objects.visible_to(request.user), pk=parse_id(issue_id)
            ), None
        return None, None

    def render(self, request, form, issue, article, status=200):
        context = {
            "form": form,
            "issue": issue,
            "article": article,
            "own_feedback": own_feedback(request.user),
        }
        return render(request, self.template_name, context, status=status)


def own_feedback(user):
    """The reader's latest messages, each naming its article or issue only while they may
    still read it (an article may since have become leadership-only, an issue withdrawn).

    Three queries, however many messages: the messages, then the visible articles and issues
    among theirs. A subject the reader no longer sees is never loaded, so no template can show
    its title: `about_article` or `about_issue` is what may be named, `subject_hidden` says
    there was a subject that may not.
    """
    items = list(
        Feedback.objects.filter(author=user).prefetch_related(
            # A forward relation prefetched through a queryset is None where the row is not
            # in it: the hidden article's or issue's row never leaves the database.
            Prefetch("article", queryset=Article.objects.visible_to(user)),
            Prefetch("issue", queryset=Issue.objects.visible_to(user)),
        )[:OWN_FEEDBACK_SHOWN]
    )
    for item in items:
        # A message is about its article when it names one (its issue is then only where the
        # article stood), else about its issue.
        if item.article_id is not None:
            item.about_article, item.about_issue = item.article, None
            item.subject_hidden = item.article is None
        else:
            item.about_article, item.about_issue = None, item.issue
            item.subject_hidden = item.issue_id is not None and item.issue is None
    return items
