import io
import json
from datetime import timedelta
from pathlib import Path

from django.apps import apps as registry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.articles.models import Article, Industry, Section
from apps.demo import bundled
from apps.issues.models import Issue
from apps.search.indexing import index_marked
from apps.subscribers.models import Subscriber

SAMPLE_ISSUE = Path(__file__).resolve().parents[2] / "sample_issue.json"
# The next issue, waiting for the reviewer: publishing it sends the demo's e-mails.
REVIEW_ISSUE = Path(__file__).resolve().parents[2] / "review_issue.json"
DEMO_PASSWORD = "xuchang-demo"  # noqa: S105 - refused unless DEBUG is on
# The demo's sources are first due this long after loading: `make run` starts the worker beside
# the server, and the worker's first round must not find the server still starting (a failed
# first fetch would wait the source's whole interval). Its next round, a minute on, reads them.
FIRST_FETCH_DELAY = timedelta(seconds=20)
# The demo's work-group robots: (name, kind, audience, webhook address with a made-up key).
DEMO_CHANNELS = [
    (
        "市领导工作群（演示）",
        "dingtalk",
        "leadership",
        "https://oapi.dingtalk.com/robot/send?access_token=demo0000leadership",
    ),
    (
        "重点企业交流群（演示）",
        "wecom",
        "enterprise",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=demo-0000-enterprise",
    ),
    (
        "科技信息订户群（演示）",
        "feishu",
        "all",
        "https://open.feishu.cn/open-apis/bot/v2/hook/demo-0000-all",
    ),
]

# username -> (family name, given name, role group or None, is_superuser)
STAFF = {
    "admin": ("系统", "管理员", None, True),
    "editor": ("张", "编辑", "编辑", False),
    "reviewer": ("李", "主编", "审核", False),
    "signer": ("周", "所长", "签发", False),
    "subadmin": ("王", "订户管理员", "订户管理", False),
}
# username -> (family name, given name, kind, organization, position, region, followed, days)
# where days is (valid_from, valid_until) relative to today.
SUBSCRIBERS = {
    "leader": (
        "赵", "市长", Subscriber.Kind.LEADERSHIP, "许昌市人民政府", "副市长",
        Subscriber.Region.CITY, [], (-30, 335),
    ),
    "enterprise": (
        "钱", "经理", Subscriber.Kind.ENTERPRISE, "许昌示例新材料有限公司", "总经理",
        Subscriber.Region.CHANGGE,
        ["new-materials", "intelligent-equipment"], (-30, 335),
    ),
    "expired": (
        "孙", "主任", Subscriber.Kind.OTHER, "许昌市某局", "办公室主任", Subscriber.Region.WEIDU,
        [], (-400, -35),
    ),
}  # fmt: skip
# Demo mobile numbers, to try signing in with a mobile number.
MOBILES = {"leader": "13800000001", "enterprise": "13800000002", "expired": "13800000003"}


class Command(BaseCommand):
    help = (
        "载入演示数据：样刊一期、演示账号、素材库的演示信息源和监测词（仅限 DEBUG 模式）。"
        "可重复运行；"
        "已有的账号保持不变，除非指定 --reset-demo-passwords。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-demo-passwords",
            action="store_true",
            help=f"把已有演示账号的密码重设为 {DEMO_PASSWORD}。",
        )

    def handle(self, *args, reset_demo_passwords=False, **options):
        if not settings.DEBUG:
            raise CommandError("DEBUG 已关闭：演示账号使用公开的密码，不能在生产环境创建。")
        with transaction.atomic():
            issue = self.load_sample_issue()
            kept = self.load_accounts(reset_passwords=reset_demo_passwords)
            self.sign_sample_issue(issue)
            next_issue = self.load_review_issue()
            sources, words = self.load_intake()
            channels = self.load_push_channels()
            self.load_readings(issue)
        # The dashboard's (数据看板) totals, from the readings: as the worker would within a
        # minute, so that a demo served without a worker (the browser tests) shows them too.
        call_command("rebuild_rollups", stdout=io.StringIO())
        self.stdout.write(
            self.style.SUCCESS(f"已载入样刊 {issue}，共 {issue.articles.count()} 篇文章。")
        )
        if next_issue is not None:
            self.stdout.write(
                f"待审核：{next_issue}。本期含领导参阅文章：先以 signer 登录签发，"
                "再以 reviewer 登录编辑部发布它，"
                "每位可接收邮件的演示订户会收到一封新一期通知（开发环境打印在控制台）。"
            )
        self.stdout.write(
            f"素材库：{sources} 个演示信息源（本机开发服务器提供的示例网站，"
            f"约一分钟后由后台任务进程抓取）、{words} 个监测词。"
        )
        self.stdout.write(
            f"推送渠道：{channels} 个演示工作群机器人（企业微信、钉钉、飞书；开发环境中卡片打印在"
            "后台任务进程的控制台，不会真的发出）。"
        )
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username in [*STAFF, *SUBSCRIBERS]:
            mobile = f"（手机 {MOBILES[username]}）" if username in MOBILES else ""
            self.stdout.write(f"  {username}{mobile}")
        if kept:
            self.stdout.write(
                f"已存在的账号保持原样，密码未改动：{'、'.join(kept)}"
                "（如需恢复演示密码：python manage.py load_demo --reset-demo-passwords）"
            )

    def load_sample_issue(self):
        data = json.loads(SAMPLE_ISSUE.read_text(encoding="utf-8"))
        issue_data = data["issue"]
        issue, _ = Issue.objects.update_or_create(
            year=issue_data["year"],
            number=issue_data["number"],
            defaults={
                "total_number": issue_data["total_number"],
                "title": issue_data["title"],
                "editor_note": issue_data["editor_note"],
                "status": Issue.Status.PUBLISHED,
                "published_at": parse_datetime(issue_data["published_at"]),
                # A past issue: recorded as live, so that nobody is mailed it now.
                "went_live_at": parse_datetime(issue_data["published_at"]),
            },
        )
        sections = {section.slug: section for section in Section.objects.all()}
        industries = {industry.slug: industry for industry in Industry.objects.all()}
        for item in data["articles"]:
            article, _ = Article.objects.update_or_create(
                issue=issue,
                title=item["title"],
                defaults={
                    "section": sections[item["section"]],
                    "position": item["position"],
                    "summary": item["summary"],
                    "body": item["body"],
                    "status": Article.Status.PUBLISHED,
                },
            )
            article.industries.set([industries[slug] for slug in item["industries"]])
        # Searchable when the command ends, even inside a caller's transaction (tests).
        index_marked()
        return issue

    @staticmethod
    def sign_sample_issue(issue):
        """The sample issue went out signed by the demo's 签发人, as the masthead shows."""
        if issue.signed_by_id is None:
            signer = get_user_model().objects.get(username="signer")
            Issue.objects.filter(pk=issue.pk).update(signed_by=signer, signed_at=issue.published_at)

    def load_review_issue(self):
        """Create the next issue, in review with its articles approved, unless it exists (in
        whatever state the demo's users left it). Returns it when created."""
        data = json.loads(REVIEW_ISSUE.read_text(encoding="utf-8"))
        issue_data = data["issue"]
        if Issue.objects.filter(year=issue_data["year"], number=issue_data["number"]).exists():
            return None
        editor = get_user_model().objects.get(username="editor")
        issue = Issue.objects.create(
            **issue_data, status=Issue.Status.REVIEW, created_by=editor, updated_by=editor
        )
        sections = {section.slug: section for section in Section.objects.all()}
        for item in data["articles"]:
            item = dict(item)
            industries = Industry.objects.filter(slug__in=item.pop("industries"))
            section = sections[item.pop("section")]
            article = Article.objects.create(
                **item,
                issue=issue,
                section=section,
                status=Article.Status.APPROVED,
                created_by=editor,
                updated_by=editor,
            )
            article.industries.set(industries)
        return issue

    def load_intake(self):
        """The demo's intake sources, pointing at the bundled sites on this server's port, and
        its watch words; return how many of each there are. Sources are found again by their
        path on any port, so a run on another port moves them instead of adding more."""
        # Through the app registry: demo and intake are independent apps of one layer.
        source_model = registry.get_model("intake", "Source")
        watch_word_model = registry.get_model("intake", "WatchWord")
        industries = {industry.slug: industry for industry in Industry.objects.all()}
        base = f"http://127.0.0.1:{settings.PORT}/{bundled.URL_PREFIX}"
        first_due = timezone.now() + FIRST_FETCH_DELAY
        for demo in bundled.SOURCES:
            url = base + demo.path
            source = (
                source_model.objects.filter(
                    url__startswith="http://127.0.0.1:",
                    url__endswith=f"/{bundled.URL_PREFIX}{demo.path}",
                )
                .order_by("pk")
                .first()
            )
            if source is None:
                source = source_model.objects.create(
                    name=demo.name,
                    url=url,
                    kind=demo.kind,
                    link_selector=demo.link_selector,
                    next_fetch_at=first_due,
                )
                source.industries.set([industries[slug] for slug in demo.industries])
                continue
            source.url = url
            if source.last_success_at is None:
                # Never read (the server was not up, or on another port): try again soon.
                source.consecutive_failures, source.failing_since = 0, None
                source.last_error, source.next_fetch_at = "", first_due
            source.save()
        for word, industry in bundled.WATCH_WORDS.items():
            watch_word_model.objects.get_or_create(
                word=word, defaults={"industry": industries.get(industry)}
            )
        return len(bundled.SOURCES), len(bundled.WATCH_WORDS)

    def load_readings(self, issue):
        """The demo readers' readings of the sample issue, once, for the dashboard to show:
        the leader opened it from the e-mail hours after it went live, the enterprise one of its
        articles from the WeCom group two days on, and both read more of it lately. The
        sample issue is history, and they were its readers: they count among those who could
        read it when it went live (its audience, which the rollups otherwise take from the
        subscriptions of that day)."""
        reading_model = registry.get_model("readership", "Reading")
        audience_model = registry.get_model("insight", "IssueAudience")
        readers = {
            subscriber.user.username: subscriber
            for subscriber in Subscriber.objects.filter(
                user__username__in=["leader", "enterprise"]
            ).select_related("user")
        }
        if len(readers) < 2 or reading_model.objects.filter(issue=issue).exists():
            return
        audience_model.objects.filter(issue=issue).delete()
        audience_model.objects.bulk_create(
            [
                audience_model(issue=issue, kind=s.kind, region=s.region, eligible=1)
                for s in readers.values()
            ]
        )
        articles = list(issue.articles.order_by("position", "pk"))
        live, now = issue.went_live_at, timezone.now()
        leader, enterprise = readers["leader"].user, readers["enterprise"].user
        for user, article, first, channel in [
            (leader, None, live + timedelta(hours=3), "email"),
            (leader, articles[0], live + timedelta(hours=3, minutes=5), "email"),
            (enterprise, articles[2], live + timedelta(days=2, hours=1), "wecom"),
            (leader, articles[1], now - timedelta(days=40), ""),
            (enterprise, articles[1], now - timedelta(days=12), ""),
            (enterprise, articles[3], now - timedelta(days=3), ""),
        ]:
            reading_model.objects.create(
                user=user,
                issue=issue,
                article=article,
                first_read_at=first,
                last_read_at=max(first, now - timedelta(days=1)),
                channel=channel,
            )

    def load_push_channels(self):
        """One demo robot of each kind, with keys that reach no group (in development the
        cards are printed, settings.PUSH_CONSOLE); return how many there are."""
        channel_model = registry.get_model("push", "Channel")
        for name, kind, audience, url in DEMO_CHANNELS:
            channel_model.objects.get_or_create(
                name=name, defaults={"kind": kind, "audience": audience, "webhook_url": url}
            )
        return len(DEMO_CHANNELS)

    def load_accounts(self, *, reset_passwords):
        """Create the demo accounts that do not exist yet; return the names of those that did.

        An existing account is never changed (someone may have given it a real password),
        except that --reset-demo-passwords sets the demo password again.
        """
        today = timezone.localdate()
        kept = []
        for username, (last, first, role, superuser) in STAFF.items():
            user, created = self.demo_user(
                username, last, first, is_staff=True, is_superuser=superuser
            )
            if created and role:
                user.groups.set([Group.objects.get(name=role)])
            self.finish(user, created, reset_passwords, kept)
        for username, entry in SUBSCRIBERS.items():
            last, first, kind, organization, position, region, followed, days = entry
            user, created = self.demo_user(
                username, last, first, is_staff=False, is_superuser=False, mobile=MOBILES[username]
            )
            self.finish(user, created, reset_passwords, kept)
            if not created:
                continue
            subscriber = Subscriber.objects.create(
                user=user,
                kind=kind,
                organization=organization,
                position=position,
                region=region,
                valid_from=today + timedelta(days=days[0]),
                valid_until=today + timedelta(days=days[1]),
            )
            subscriber.industries.set(Industry.objects.filter(slug__in=followed))
        return kept

    @staticmethod
    def finish(user, created, reset_passwords, kept):
        if created or reset_passwords:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        else:
            kept.append(user.username)

    @staticmethod
    def demo_user(username, last_name, first_name, **flags):
        return get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "last_name": last_name,
                "first_name": first_name,
                "email": f"{username}@example.com",
                "is_active": True,
                **flags,
            },
        )
