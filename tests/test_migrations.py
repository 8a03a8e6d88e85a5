"""A database made by the schema of the previous release migrates with its content intact."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article
from apps.feedback.models import Feedback
from apps.issues.models import Issue
from apps.readership.models import Reading
from apps.subscribers.models import Subscriber
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The last migration of each app in the release before the apps were layered; feedback and
# readership were part of subscribers then.
PREVIOUS_RELEASE = [
    ("accounts", "0002_roles"),
    ("articles", "0002_seed_taxonomy_and_sections"),
    ("issues", "0001_initial"),
    ("search", "0002_searchdocument"),
    ("subscribers", "0001_initial"),
    ("workflow", "0001_initial"),
    ("feedback", None),
    ("readership", None),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(
        [target for target in targets if target[1] is not None], at_end=True
    ).apps


def fill_previous_release(old):
    """Content as the previous release stored it, through its own models."""
    user = old.get_model("accounts", "User").objects.create(
        username="old-leader", last_name="周", email="old@example.com"
    )
    old.get_model("subscribers", "Subscriber").objects.create(
        user=user,
        kind="leadership",
        organization="许昌市人民政府",
        region="city",
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate().replace(year=timezone.localdate().year + 1),
    )
    issue = old.get_model("issues", "Issue").objects.create(
        year=2023, number=12, total_number=12, status="published", published_at=timezone.now()
    )
    article = old.get_model("articles", "Article").objects.create(
        issue=issue,
        section=old.get_model("articles", "Section").objects.first(),
        title="2023年新材料产业发展回顾",
        body="<p>正文</p>",
        status="published",
    )
    old.get_model("subscribers", "Feedback").objects.create(
        author=user, article=article, issue=issue, message="建议增加储能专题。"
    )
    now = timezone.now()
    old.get_model("subscribers", "Reading").objects.create(
        user=user, issue=issue, article=article, first_read_at=now, last_read_at=now, count=3
    )


def test_the_previous_release_migrates_with_its_content_intact(client):
    fill_previous_release(migrate(PREVIOUS_RELEASE))

    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())

    subscriber = Subscriber.objects.select_related("user").get(user__username="old-leader")
    assert subscriber.kind == Subscriber.Kind.LEADERSHIP
    article = Article.objects.get(title="2023年新材料产业发展回顾")
    assert article.issue == Issue.objects.get(year=2023, number=12)
    feedback = Feedback.objects.get()
    assert (feedback.message, feedback.author, feedback.article) == (
        "建议增加储能专题。",
        subscriber.user,
        article,
    )
    reading = Reading.objects.get()
    assert (reading.user, reading.article, reading.count) == (subscriber.user, article, 3)

    # The roles keep their rights over the models that moved, and use them.
    subadmins = Group.objects.get(name="订户管理")
    codes = {f"{p.content_type.app_label}.{p.codename}" for p in subadmins.permissions.all()}
    assert {
        "feedback.view_feedback",
        "feedback.change_feedback",
        "readership.view_reading",
    } <= codes
    assert not {code for code in codes if code.startswith("subscribers.") and "feedback" in code}
    subadmin = StaffFactory(username="subadmin-after-upgrade")
    subadmin.groups.add(subadmins)
    client.force_login(subadmin)
    page = client.get(reverse("admin:feedback_feedback_changelist")).content.decode()
    assert "建议增加储能专题" in page
    assert client.get(reverse("admin:readership_reading_changelist")).status_code == 200
