from django.utils import timezone

from apps.accounts.models import User
from apps.articles.models import Article, Industry
from apps.issues.models import Issue
from apps.subscribers.models import Subscriber
from apps.workflow import signing, steps
from apps.workflow.models import SignOff
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

MAIL_TEST = {"transaction": True, "serialized_rollback": True}


def ready_issue(**kwargs):
    """An issue in review with three approved articles: one leadership-only, one about 新材料,
    one about 智能装备; signed (签发) as it stands, so that it may be published."""
    note = "<p>本期聚焦新材料产业。</p>"
    issue = IssueFactory(status=Issue.Status.REVIEW, editor_note=note, **kwargs)
    materials = Industry.objects.get(name="新材料")
    equipment = Industry.objects.get(name="智能装备")
    ArticleFactory(
        issue=issue,
        status=Article.Status.APPROVED,
        title="新材料产业发展动态",
        source="科技日报",
        summary="新材料摘要",
        position=1,
    ).industries.set([materials])
    ArticleFactory(
        issue=issue,
        status=Article.Status.APPROVED,
        title="智能装备项目进展",
        source="河南日报",
        summary="装备摘要",
        position=2,
    ).industries.set([equipment])
    ArticleFactory(
        issue=issue,
        status=Article.Status.APPROVED,
        title="内部参阅：重点项目推进情况",
        visibility=Article.Visibility.LEADERSHIP,
        summary="领导摘要",
        position=3,
    )
    signed(issue)
    return issue


def signed(issue):
    """Record the 签发 of `issue`'s content as it stands (the steps' own tests sign through
    `steps.sign_issue`; here no mail of the signing should join the ones a test counts)."""
    signer, _ = User.objects.get_or_create(username="signer-of-tests", defaults={"is_staff": True})
    SignOff.objects.create(
        issue=issue,
        decision=SignOff.Decision.SIGNED,
        signer=signer,
        at=timezone.now(),
        fingerprint=signing.issue_state(issue).fingerprint,
    )


def subscriber(username, **kwargs):
    industries = kwargs.pop("industries", [])
    subscription = SubscriberFactory(user__username=username, **kwargs)
    subscription.industries.set(Industry.objects.filter(name__in=industries))
    return subscription


def leader_and_firm():
    leader = subscriber("leader1", kind=Subscriber.Kind.LEADERSHIP)
    firm = subscriber("firm1", industries=["新材料", "智能装备"])
    return leader, firm


def publish(issue, reviewer, **kwargs):
    return steps.perform(issue, "publish", by=reviewer, **kwargs)


def addresses(received):
    return sorted(message["To"].addresses[0].addr_spec for message in received)


def text_of(message):
    """The plain text and the HTML of a received message, together."""
    parts = [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    return "\n".join(parts)


def start_worker(*, database_url, smtp_port, **popen):
    """Start `manage.py worker` as it runs in production, with its schedule every second."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    environment = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": database_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        **popen.pop("env", {}),
    }
    return subprocess.Popen(
        [
            sys.executable, "manage.py", "worker", "--no-reload", "--no-startup-delay",
            "--schedule-interval", "1", "--interval", "0.2",
        ],
        cwd=ROOT,
        env=environment,
        text=True,
        **popen,
    )  # fmt: skip
