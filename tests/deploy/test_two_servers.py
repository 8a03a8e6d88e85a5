"""Two app servers on one database and one Redis: a reader and an editor may land on either."""

import os
import re

import pytest

from apps.articles.models import Article
from apps.feedback.models import Feedback
from apps.issues.models import Issue
from config import settings as project_settings
from tests.conftest import shared_database_url
from tests.deploy.servers import Browser, collected_static, gunicorn
from tests.factories import PASSWORD, ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def production_environment(settings, redis_of_our_own, tmp_path, leader, reviewer):
    # The servers hash as production does; the tests' fast hasher is not among theirs.
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    for user in (leader, reviewer):
        user.set_password(PASSWORD)
        user.save()
    return {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "two-servers-" + "s" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": shared_database_url(),
        "CACHE_URL": settings.CACHES["default"]["LOCATION"],
        "MEDIA_ROOT": str(tmp_path / "media"),
        "STATIC_ROOT": str(collected_static()),
        # The staff step below signs in with a password only; the TOTP login has its own tests.
        "OTP_REQUIRED": "0",
    }


def test_sessions_publishing_and_feedback_cross_between_servers(
    production_environment, leader, reviewer
):
    published = IssueFactory(visible=True, year=2025, number=1)
    ArticleFactory(issue=published, status=Article.Status.PUBLISHED, title="已发布的文章")
    pending = IssueFactory(status=Issue.Status.REVIEW, year=2025, number=2)
    ArticleFactory(issue=pending, status=Article.Status.APPROVED, title="待发布的文章")

    with gunicorn(production_environment) as one, gunicorn(production_environment) as two:
        reader = Browser()
        status, _, _ = reader.post_form(
            one, "/accounts/login/", {"username": leader.username, "password": PASSWORD}
        )
        assert status == 302
        status, _, page = reader.get(two, "/issues/2025/1/")  # signed in on the other one
        assert status == 200
        assert "已发布的文章" in page.decode()
        assert reader.get(two, "/issues/2025/2/")[0] == 404

        editor = Browser()
        status, _, _ = editor.post_form(
            two, "/admin/login/", {"username": reviewer.username, "password": PASSWORD}
        )
        assert status == 302
        status, _, page = editor.get(two, f"/admin/issues/issue/{pending.pk}/change/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _, _ = editor.request(
            two,
            "POST",
            f"/admin/issues/issue/{pending.pk}/transition/publish/",
            form={"csrfmiddlewaretoken": token.decode(), "comment": "", "confirmed": "1"},
        )
        assert status == 302
        status, _, page = reader.get(one, "/issues/2025/2/")  # published on two, read on one
        assert status == 200
        assert "待发布的文章" in page.decode()

        for index in range(4):  # the limit is five an hour
            server = one if index % 2 else two
            status, _, _ = reader.post_form(
                server, "/feedback/", {"message": f"第{index}条意见：来自两台服务器的测试。"}
            )
            assert status == 302, index
    messages = set(Feedback.objects.values_list("message", flat=True))
    assert messages == {f"第{index}条意见：来自两台服务器的测试。" for index in range(4)}
