from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from apps.accounts.access import subscription_of
from apps.push.wecom_login import profile_context
from apps.subscribers.forms import ProfileForm


class ProfileView(LoginRequiredMixin, View):
    """A subscriber's own page: the subscription period, followed industries, e-mail choice."""

    template_name = "subscribers/profile.html"

    def get(self, request):
        subscription = subscription_of(request.user)
        form = ProfileForm(instance=subscription) if subscription else None
        return self.render(request, subscription, form)

    def post(self, request):
        subscription = subscription_of(request.user)
        if subscription is None:
            return redirect("reader:profile")
        form = ProfileForm(request.POST, instance=subscription)
        if form.is_valid():
            form.save()
            messages.success(request, "已保存您的设置。")
            return redirect("reader:profile")
        return self.render(request, subscription, form)

    def render(self, request, subscription, form):
        context = {
            "subscription": subscription,
            "form": form,
            "today": timezone.localdate(),
            **profile_context(request, subscription),
        }
        return render(request, self.template_name, context)
