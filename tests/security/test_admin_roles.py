"""Every admin URL × every role: what each of 编辑, 审核, 订户管理 and a subscriber gets.

The table is written out from the roles (apps/accounts/migrations/0002_roles.py and the
migrations that extend them): 编辑 writes and submits their own drafts and sees the taxonomy
and the step log; 审核 reviews and may edit everything editorial and answers feedback; 订户管理
manages subscribers, their import and export, feedback, readership and readers' login locks.
Nobody but a superuser reaches user accounts, groups or authenticator devices. A subscriber
is not staff: every admin URL sends them to the admin's login page.

A row that is not in the table fails the test, so a new admin page needs its line here.
"""

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import LoginLockout
from apps.articles.models import Article, Industry, IndustryGroup, Section
from apps.feedback.models import Feedback
from apps.intake.models import Clipping, Source, WatchWord
from apps.push.models import Channel
from apps.workflow import steps
from apps.workflow.models import TransitionLog
from tests.factories import ArticleFactory, IssueFactory, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

ROLES = ["editor", "reviewer", "subadmin", "subscriber"]
OK, REDIRECT, BAD, DENIED = 200, 302, 400, 403
LOGIN = "login"  # sent to the admin's login page

# Models whose admin pages are the usual five (list, add, change, history, delete), and the
# answers (editor, reviewer, subadmin) for each; the subscriber gets LOGIN everywhere.
NOBODY = (DENIED, DENIED, DENIED)
STANDARD = {
    # Accounts, groups and authenticators: superusers only.
    "auth.group": dict.fromkeys(["list", "add", "change", "history", "delete"], NOBODY),
    "accounts.user": dict.fromkeys(["list", "add", "change", "history", "delete"], NOBODY),
    "otp_totp.totpdevice": dict.fromkeys(["list", "add", "change", "history", "delete"], NOBODY),
    # Intake's sources: reviewers manage them; editors and 订户管理 do not.
    "intake.source": dict.fromkeys(
        ["list", "add", "change", "history", "delete"], (DENIED, OK, DENIED)
    ),
    # The work groups' robots (推送渠道): reviewers manage them; editors and 订户管理 do not.
    "push.channel": dict.fromkeys(
        ["list", "add", "change", "history", "delete"], (DENIED, OK, DENIED)
    ),
    # The pool (素材库): editors and reviewers triage and review clippings, and clip a link (the
    # add page is 添加链接); nobody but a superuser deletes one.
    "intake.clipping": {
        "list": (OK, OK, DENIED),
        "add": (OK, OK, DENIED),
        "change": (OK, OK, DENIED),
        "history": (OK, OK, DENIED),
        "delete": NOBODY,
    },
    # Watch words: reviewers manage them; editors look them up.
    "intake.watchword": {
        "list": (OK, OK, DENIED),
        "add": (DENIED, OK, DENIED),
        "change": (OK, OK, DENIED),  # read-only for the editor
        "history": (OK, OK, DENIED),
        "delete": (DENIED, OK, DENIED),
    },
    # Readers' login locks: 订户管理 sees them and lifts them (deletes); nobody adds or edits.
    "accounts.loginlockout": {
        "list": (DENIED, DENIED, OK),
        "add": NOBODY,
        "change": (DENIED, DENIED, OK),  # read-only
        "history": (DENIED, DENIED, OK),
        "delete": (DENIED, DENIED, OK),
    },
    # The taxonomy: editors look it up; reviewers edit groups and add and edit industries and
    # sections; 订户管理 sees industries (subscribers follow them). Nobody deletes any.
    "articles.industrygroup": {
        "list": (OK, OK, DENIED),
        "add": NOBODY,
        "change": (OK, OK, DENIED),
        "history": (OK, OK, DENIED),
        "delete": NOBODY,
    },
    "articles.industry": {
        "list": (OK, OK, OK),
        "add": (DENIED, OK, DENIED),
        "change": (OK, OK, OK),
        "history": (OK, OK, OK),
        "delete": NOBODY,
    },
    "articles.section": {
        "list": (OK, OK, DENIED),
        "add": (DENIED, OK, DENIED),
        "change": (OK, OK, DENIED),
        "history": (OK, OK, DENIED),
        "delete": NOBODY,
    },
    # 意见和建议: reviewers and 订户管理 read and answer; feedback comes only from readers.
    "feedback.feedback": {
        "list": (DENIED, OK, OK),
        "add": NOBODY,
        "change": (DENIED, OK, OK),
        "history": (DENIED, OK, OK),
        "delete": NOBODY,
    },
    # Subscribers: 订户管理 only.
    "subscribers.subscriber": dict.fromkeys(
        ["list", "add", "change", "history", "delete"], (DENIED, DENIED, OK)
    ),
    # The step log: read-only; editors see the steps of their own work (the row here is the
    # editor's own submission).
    "workflow.transitionlog": {
        "list": (OK, OK, DENIED),
        "add": NOBODY,
        "change": (OK, OK, DENIED),
        # Not among the rows 订户管理 may see: Django's history page answers "does not exist"
        # (a redirect to the index) before it asks for the permission.
        "history": (OK, OK, REDIRECT),
        "delete": NOBODY,
    },
}

# The workflow models, per object: the editor's own draft, another editor's draft, and what
# is published. Editors do not see others' draft articles at all (the change page answers
# "does not exist", 302); draft issues are shared so that editors can place articles in them.
WORKFLOW = {
    "articles.article": {
        "list": (OK, OK, DENIED),
        "add": (OK, OK, DENIED),
        "own draft: change": (OK, OK, DENIED),
        "own draft: history": (OK, OK, DENIED),
        "own draft: version": (OK, OK, DENIED),
        "own draft: compare": (OK, OK, DENIED),
        "own draft: preview": (OK, OK, DENIED),
        "own draft: delete": (OK, OK, DENIED),
        "own draft: submit": (REDIRECT, REDIRECT, DENIED),
        "other's draft: change": (REDIRECT, OK, DENIED),
        "other's draft: history": (DENIED, OK, DENIED),
        "other's draft: version": (DENIED, OK, DENIED),
        "other's draft: compare": (DENIED, OK, DENIED),
        "other's draft: preview": (DENIED, OK, DENIED),
        "other's draft: delete": (REDIRECT, OK, DENIED),
        "other's draft: submit": (DENIED, REDIRECT, DENIED),
        "published: change": (OK, OK, DENIED),  # read-only for the editor
        "published: history": (OK, OK, DENIED),
        "published: version": (OK, OK, DENIED),
        "published: compare": (OK, OK, DENIED),
        "published: preview": (OK, OK, DENIED),
        "published: delete": NOBODY,  # only drafts are deleted
    },
    "issues.issue": {
        "list": (OK, OK, DENIED),
        "add": (OK, OK, DENIED),
        "own draft: change": (OK, OK, DENIED),
        "own draft: history": (OK, OK, DENIED),
        "own draft: version": (OK, OK, DENIED),
        "own draft: compare": (OK, OK, DENIED),
        "own draft: preview": (OK, OK, DENIED),
        "own draft: delete": (DENIED, OK, DENIED),  # deleting issues is the reviewer's
        "own draft: submit": (REDIRECT, REDIRECT, DENIED),
        "other's draft: change": (OK, OK, DENIED),  # shared, read-only for the editor
        "other's draft: history": (OK, OK, DENIED),
        "other's draft: version": (OK, OK, DENIED),
        "other's draft: compare": (OK, OK, DENIED),
        "other's draft: preview": (OK, OK, DENIED),
        "other's draft: delete": (DENIED, OK, DENIED),
        "other's draft: submit": (DENIED, REDIRECT, DENIED),
        "published: change": (OK, OK, DENIED),
        "published: history": (OK, OK, DENIED),
        "published: version": (OK, OK, DENIED),
        "published: compare": (OK, OK, DENIED),
        "published: preview": (OK, OK, DENIED),
        "published: delete": NOBODY,
    },
}

# The project's and the libraries' own admin pages.
EXTRA = {
    # Readership (阅读统计): 订户管理.
    "readership: index": (DENIED, DENIED, OK),
    "readership: issue": (DENIED, DENIED, OK),
    "readership: export": (DENIED, DENIED, OK),
    # Subscriber import and export: 订户管理 only (contact details, and accounts to change).
    "subscribers: import template": (DENIED, DENIED, OK),
    "subscribers: import": (DENIED, DENIED, OK),
    "subscribers: process import": (DENIED, DENIED, BAD),  # posted without a file
    "subscribers: export": (DENIED, DENIED, OK),
    # django-otp's pages showing an authenticator's secret: nobody but superusers.
    "totp: config": NOBODY,
    "totp: qrcode": NOBODY,
    # The pool's own pages: 加入本期 and a clipping's state (editors and reviewers), adding
    # watch words in bulk (reviewers).
    "intake: adopt": (OK, OK, DENIED),
    "intake: state": (REDIRECT, REDIRECT, DENIED),  # posted without a state: told so
    "intake: bulk watch words": (DENIED, OK, DENIED),
    # A channel's 发送测试消息 and an issue's 重新推送: reviewers (each answers with a redirect).
    "push: test message": (DENIED, REDIRECT, DENIED),
    "push: retry": (DENIED, REDIRECT, DENIED),
    # The admin's index and its own pages are every staff member's.
    "index": (OK, OK, OK),
    "password change": (OK, OK, OK),
}


@pytest.fixture
def objects(editor, other_editor, reviewer):
    """One existing object for each admin page, and the three kinds of workflow objects."""
    reader = SubscriberFactory(user__username="reader1")
    own_issue = IssueFactory(created_by=editor, year=2025, number=1)
    own_article = ArticleFactory(issue=own_issue, created_by=editor, title="我的草稿")
    own_article.title = "我的草稿（改）"
    own_article.save()  # a second version, to compare
    others_issue = IssueFactory(created_by=other_editor, year=2025, number=2)
    others_article = ArticleFactory(issue=others_issue, created_by=other_editor)
    others_article.save()
    published_issue = IssueFactory(created_by=reviewer, year=2025, number=3)
    published_article = ArticleFactory(
        issue=published_issue, created_by=reviewer, status=Article.Status.APPROVED
    )
    steps.submit_issue(published_issue, by=reviewer)
    # Ahead of the drafts numbered before it, as the reviewer may choose to.
    steps.publish_issue(published_issue, by=reviewer, out_of_order=True)
    published_issue.refresh_from_db()
    published_article.refresh_from_db()
    own_issue.title = "我的一期"
    own_issue.save()
    others_issue.title = "别人的一期"
    others_issue.save()
    steps.submit_article(ArticleFactory(issue=own_issue, created_by=editor), by=editor)
    return {
        "auth.group": Group.objects.get(name="编辑"),
        "accounts.user": reader.user,
        "otp_totp.totpdevice": TOTPDevice.objects.create(user=StaffFactory(), name="手机"),
        "intake.source": Source.objects.create(name="科技日报", url="https://www.stdaily.com/"),
        "intake.clipping": Clipping.objects.create(
            url="https://www.stdaily.com/1.html", title="素材", source_name="科技日报"
        ),
        "intake.watchword": WatchWord.objects.create(word="许昌"),
        "push.channel": Channel.objects.create(
            name="企业群",
            kind="wecom",
            audience="enterprise",
            webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-1234-efgh",
        ),
        "accounts.loginlockout": LoginLockout.objects.create(
            username=reader.user.username, ip_address="10.0.0.1", failures_since_start=10
        ),
        "articles.industrygroup": IndustryGroup.objects.first(),
        "articles.industry": Industry.objects.first(),
        "articles.section": Section.objects.first(),
        "feedback.feedback": Feedback.objects.create(author=reader.user, message="意见"),
        "subscribers.subscriber": reader,
        "workflow.transitionlog": TransitionLog.objects.get(by=editor),
        "articles.article": {
            "own draft": own_article,
            "other's draft": others_article,
            "published": published_article,
        },
        "issues.issue": {
            "own draft": own_issue,
            "other's draft": others_issue,
            "published": published_issue,
        },
    }


def admin_url(obj_or_label, view, *args):
    label = obj_or_label if isinstance(obj_or_label, str) else obj_or_label._meta.label_lower
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def requests(objects):
    """(key, method, url) for every page in the tables above."""
    for label in STANDARD:
        obj = objects[label]
        yield f"{label} list", "get", admin_url(label, "changelist")
        yield f"{label} add", "get", admin_url(label, "add")
        for view in ("change", "history", "delete"):
            yield f"{label} {view}", "get", admin_url(obj, view, obj.pk)
    for label, by_kind in objects.items():
        if label not in WORKFLOW:
            continue
        yield f"{label} list", "get", admin_url(label, "changelist")
        yield f"{label} add", "get", admin_url(label, "add")
        for kind, obj in by_kind.items():
            for view in ("change", "history", "preview", "delete"):
                yield f"{label} {kind}: {view}", "get", admin_url(obj, view, obj.pk)
            versions = list(obj.history.order_by("history_id").values_list("pk", flat=True))
            version = admin_url(obj, "simple_history", obj.pk, versions[0])
            yield f"{label} {kind}: version", "get", version  # one saved version's page
            compare = admin_url(obj, "compare", obj.pk) + f"?old={versions[0]}&new={versions[-1]}"
            yield f"{label} {kind}: compare", "get", compare
            if kind != "published":
                yield (
                    f"{label} {kind}: submit",
                    "post",
                    admin_url(obj, "transition", obj.pk, "submit"),
                )
    issue = objects["issues.issue"]["published"]
    clipping = objects["intake.clipping"]
    yield "intake: adopt", "get", reverse("admin:intake_clipping_adopt", args=[clipping.pk])
    yield "intake: state", "post", reverse("admin:intake_clipping_state", args=[clipping.pk])
    yield "intake: bulk watch words", "get", reverse("admin:intake_watchword_bulk")
    channel = objects["push.channel"]
    yield "push: test message", "post", reverse("admin:push_channel_test", args=[channel.pk])
    yield "push: retry", "post", reverse("admin:issues_issue_push_retry", args=[issue.pk])
    yield "readership: index", "get", reverse("admin:readership_reading_changelist")
    yield "readership: issue", "get", reverse("admin:readership_reading_issue", args=[issue.pk])
    yield "readership: export", "get", reverse("admin:readership_reading_export", args=[issue.pk])
    yield "subscribers: import template", "get", reverse("admin:subscribers_template")
    yield "subscribers: import", "get", reverse("admin:subscribers_subscriber_import")
    process = reverse("admin:subscribers_subscriber_process_import")
    yield "subscribers: process import", "post", process
    yield "subscribers: export", "get", reverse("admin:subscribers_subscriber_export")
    device = objects["otp_totp.totpdevice"]
    yield "totp: config", "get", reverse("admin:otp_totp_totpdevice_config", args=[device.pk])
    yield "totp: qrcode", "get", reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk])
    yield "index", "get", reverse("admin:index")
    yield "password change", "get", reverse("admin:password_change")


def expected(key, role):
    if role == "subscriber":
        return LOGIN
    column = ROLES.index(role)
    if key in EXTRA:
        return EXTRA[key][column]
    label, view = key.split(" ", 1)
    table = STANDARD.get(label) or WORKFLOW[label]
    return table[view][column]


def answer(response):
    if response.status_code == 302 and response["Location"].startswith(reverse("admin:login")):
        return LOGIN
    return response.status_code


def test_every_admin_page_is_in_the_table():
    """A registered ModelAdmin that the table does not name fails here, not in production."""
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == {*STANDARD, *WORKFLOW, "readership.reading"}
    # The locks are shown by our LoginLockout admin, in Chinese and scoped; django-axes' own
    # pages, which would show every staff login attempt, stay unregistered.
    assert AccessAttempt not in admin.site._registry


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(client, role, objects, request):
    user = request.getfixturevalue(role) if role != "subscriber" else None
    if user is None:
        user = SubscriberFactory(user__username="plain-reader").user
    client.force_login(user)
    wrong = []
    for key, method, url in requests(objects):
        response = getattr(client, method)(url)
        if answer(response) != expected(key, role):
            wrong.append(f"{key}: {answer(response)}, expected {expected(key, role)} ({url})")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
