from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from apps.notifications import unsubscribe


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class UnsubscribeView(View):
    """The e-mail's unsubscribe link, without login.

    GET shows a confirmation button: mail scanners open links, and must not unsubscribe
    anyone. POST unsubscribes: the button, or the mail client's one-click request (RFC 8058),
    which carries no CSRF token; the signed link is the proof instead.
    """

    template_name = "notifications/unsubscribe.html"

    def get(self, request, token):
        subscriber = unsubscribe.subscriber_for(token)
        return self.render(request, subscriber, done=False)

    def post(self, request, token):
        subscriber = unsubscribe.subscriber_for(token)
        if subscriber is not None:
            unsubscribe.unsubscribe(subscriber)
        return self.render(request, subscriber, done=subscriber is not None)

    def render(self, request, subscriber, *, done):
        status = 200 if subscriber is not None else 400
        context = {"subscriber": subscriber, "done": done}
        return render(request, self.template_name, context, status=status)
