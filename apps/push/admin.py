"""The push channels (推送渠道), for reviewers and superusers: where each group robot is, who is in
its group, and a test message. A saved key or secret is never shown again, in any page."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from apps.issues.models import Issue
from apps.push import vendors
from apps.push.models import Channel, PushDelivery

TEST_TIMEOUT = 8  # seconds: the administrator waits for the answer
READERS_ISSUES = 24  # the newest issues a channel's page counts the readers of


class ChannelForm(forms.ModelForm):
    """The address and the secret are typed, never shown back: left empty on a saved channel,
    each keeps what it was."""

    webhook_url = forms.CharField(
        label="Webhook 地址",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"size": 80, "autocomplete": "off"}),
    )
    secret = forms.CharField(
        label="签名密钥",
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"size": 60, "autocomplete": "off"}),
    )
    clear_secret = forms.BooleanField(label="清除签名密钥", required=False)

    class Meta:
        model = Channel
        fields = ("name", "kind", "webhook_url", "secret", "audience", "industries", "active")
        widgets = {"industries": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved = self.instance.pk is not None
        self.fields["webhook_url"].help_text = (
            f"当前：{vendors.masked(self.instance.webhook_url)}。留空则保持不变；"
            "如需更换，请粘贴机器人设置页显示的完整地址。"
            if saved
            else "粘贴机器人设置页显示的完整 Webhook 地址，保存后只显示密钥的后 4 位。"
        )
        self.fields["secret"].help_text = (
            ("当前：已设置，留空则保持不变。" if self.instance.secret else "当前：未设置。")
            + "钉钉「加签」或飞书「签名校验」的密钥；企业微信无需填写。"
            if saved
            else "钉钉「加签」或飞书「签名校验」的密钥；企业微信无需填写。保存后不再显示。"
        )

    def clean_webhook_url(self):
        typed = self.cleaned_data["webhook_url"].strip()
        if not typed:
            if self.instance.pk is None:
                raise forms.ValidationError("请填写 Webhook 地址。")
            return self.instance.webhook_url
        return typed

    def clean_secret(self):
        typed = self.cleaned_data["secret"]
        return typed or self.instance.secret

    def clean(self):
        cleaned = super().clean()
        kind, url = cleaned.get("kind"), cleaned.get("webhook_url")
        if kind and url:
            refusal = vendors.check_webhook(kind, url)
            if refusal:
                self.add_error("webhook_url", refusal)
        if cleaned.get("clear_secret"):
            cleaned["secret"] = ""
        return cleaned


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("name", "kind", "audience", "address", "active", "last_push")
    list_filter = ("kind", "audience", "active")
    search_fields = ("name",)
    change_form_template = "admin/push/channel/change_form.html"

    # Fields a list filter in the address bar may never name: `?secret__startswith=a`
    # answering with or without the channel would read the secret back a character at a time.
    SECRET_FIELDS = frozenset({"webhook_url", "secret"})

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split(LOOKUP_SEP, 1)[0] in self.SECRET_FIELDS:
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="Webhook 地址")
    def address(self, channel):
        return vendors.masked(channel.webhook_url)

    def get_queryset(self, request):
        # Each channel's latest card, in the list's one query.
        latest = PushDelivery.objects.filter(channel=OuterRef("pk")).order_by("-created_at", "-pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_status=Subquery(latest.values("status")[:1]),
                last_error=Subquery(latest.values("last_error")[:1]),
                last_year=Subquery(latest.values("issue__year")[:1]),
                last_number=Subquery(latest.values("issue__number")[:1]),
            )
        )

    @admin.display(description="最近推送")
    def last_push(self, channel):
        if channel.last_status is None:
            return "—"
        issue = f"{channel.last_year}年第{channel.last_number}期"
        label = PushDelivery.Status(channel.last_status).label
        if channel.last_status == PushDelivery.Status.FAILED:
            return format_html(
                '{}：<strong style="color:#cf222e">{}</strong>（{}）',
                issue,
                label,
                channel.last_error,
            )
        return f"{issue}：{label}"

    @admin.display(description="各期阅读人数")
    def readers_per_issue(self, channel):
        """The newest issues sent to the group, each with the readers its card's link brought."""
        deliveries = list(
            channel.deliveries.select_related("issue").order_by(
                *Issue.objects.newest_first_order("issue__")
            )[:READERS_ISSUES]
        )
        if not deliveries:
            return "尚未推送过期刊。"
        # Readings come from the readership app, which push may not import (they are
        # independent layers): they are reached through the issues' reverse relation instead;
        # a reading keeps the push channel's id (apps.core.via).
        readers = dict(
            Issue.objects.filter(
                pk__in=[d.issue_id for d in deliveries],
                readings__push_channel_id=channel.pk,
                readings__user__subscriber__isnull=False,
            )
            .order_by()
            .values_list("pk")
            .annotate(n=Count("readings__user", distinct=True))
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((d.issue, d.get_status_display(), readers.get(d.issue_id, 0)) for d in deliveries),
        )
        return format_html(
            "<table><thead><tr><th>期刊</th><th>推送状态</th><th>经本群链接阅读人数</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            rows,
        )

    def get_fields(self, request, obj=None):
        fields = ["name", "kind", "webhook_url", "secret", "audience", "industries", "active"]
        if obj is not None and obj.secret:
            fields.insert(4, "clear_secret")  # a saved secret can be removed, never read
        if obj is not None:
            fields.append("readers_per_issue")
        return fields

    def get_readonly_fields(self, request, obj=None):
        return ("readers_per_issue",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("clear_secret"):
            obj.secret = ""
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/test/",
                self.admin_site.admin_view(self.test_view),
                name="push_channel_test",
            ),
            *super().get_urls(),
        ]

    def test_view(self, request, object_id):
        """发送测试消息: one card to the group now, its answer shown at once."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        channel = self.get_object(request, object_id)
        if channel is None or not self.has_change_permission(request, channel):
            raise PermissionDenied
        card = vendors.Card(
            heading=f"《{settings.PUBLICATION_NAME}》推送渠道测试：{channel.name}",
            titles=("这是一条测试消息，收到即表示机器人设置正确。",),
            url=settings.SITE_URL + "/",
            button="打开网站",
        )
        if settings.PUSH_CONSOLE:
            outcome = vendors.print_card(channel.kind, channel.name, card)
        else:
            outcome = vendors.send(
                channel.kind,
                channel.webhook_url,
                channel.secret,
                card,
                now=timezone.now(),
                timeout=TEST_TIMEOUT,
            )
        if outcome.ok:
            self.message_user(request, f"测试消息已发送到「{channel.name}」。", messages.SUCCESS)
        else:
            self.message_user(request, f"测试消息未能发送：{outcome.message}", messages.ERROR)
        return HttpResponseRedirect(reverse("admin:push_channel_change", args=[channel.pk]))
