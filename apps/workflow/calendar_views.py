"""The editorial calendar's pages: the month view and one's own feed in the admin (registered
by config.admin_site), and the private iCalendar feed itself (config.urls)."""

from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from apps.notifications.issue_mail import absolute
from apps.workflow import calendar
from apps.workflow.models import CalendarFeed

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass
class Day:
    date: object
    in_month: bool
    is_today: bool
    entries: list

    @property
    def weekday(self):
        return WEEKDAYS[self.date.weekday()]


@require_safe
def month_view(request):
    """编辑日历: one month of plans, publications and deadlines, as a grid (a list on phones)."""
    if not calendar.may_use_calendar(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    year, month = today.year, today.month
    wanted = request.GET.get("month")
    if wanted is not None:
        chosen = calendar.parse_month(wanted)
        if chosen is None:
            messages.error(
                request, "月份无效：请使用“2026-12”这样的年-月（2000年至2100年）。已显示本月。"
            )
        else:
            year, month = chosen
    weeks = calendar.month_weeks(year, month)
    by_day = {}
    for entry in calendar.entries(request.user, weeks[0][0], weeks[-1][-1]):
        by_day.setdefault(entry.day, []).append(entry)
    context = {
        **admin.site.each_context(request),
        "title": f"编辑日历：{year}年{month}月",
        "weekdays": WEEKDAYS,
        "weeks": [
            [Day(day, day.month == month, day == today, by_day.get(day, [])) for day in week]
            for week in weeks
        ],
        "has_entries": any(day.month == month for day in by_day),
        "previous_month": calendar.next_month(year, month, -1),
        "next_month": calendar.next_month(year, month, 1),
        "is_this_month": (year, month) == (today.year, today.month),
    }
    return TemplateResponse(request, "admin/workflow/calendar.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def subscription_view(request):
    """我的日历订阅: make, renew or revoke one's private feed address (changes by POST only).

    The address is shown once, in the answer to the POST that made it: only its digest is kept.
    """
    user = request.user
    if not calendar.may_use_calendar(user):
        raise PermissionDenied
    here = reverse("admin:calendar_subscription")
    feed = CalendarFeed.objects.filter(user=user).first()
    feed_url = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "renew":
            feed_url = absolute(reverse("calendar_feed", args=[calendar.renew_feed(user)]))
        elif action == "revoke":
            if calendar.revoke_feed(user):
                messages.success(request, "已撤销日历订阅地址，原地址从现在起不再可用。")
            else:
                messages.info(request, "您还没有日历订阅地址。")
            return HttpResponseRedirect(here)
        else:
            messages.error(request, "无效的操作，未做任何更改。")
            return HttpResponseRedirect(here)
    context = {
        **admin.site.each_context(request),
        "title": "我的日历订阅",
        "feed": feed,  # the address there was before this request
        "feed_url": feed_url,
    }
    response = TemplateResponse(request, "admin/workflow/calendar_subscription.html", context)
    # The page may hold the address, which is a password to the calendar: nobody keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def feed_view(request, token):
    """/calendar/<token>.ics: the token owner's calendar, for a calendar app to subscribe to.

    A wrong or revoked token, and one whose owner is no longer active staff, are all 404.
    """
    owner = calendar.feed_owner(token)
    if owner is None:
        raise Http404
    response = HttpResponse(calendar.feed_ics(owner), content_type="text/calendar; charset=utf-8")
    # Personal, and its address is its password: no shared cache keeps it, nor any copy at all.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
