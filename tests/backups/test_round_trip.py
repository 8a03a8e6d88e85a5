"""manage.py backup and restore: everything comes back, into a fresh database, on both kinds."""

import io
import json
import os
import subprocess
import sys
import tarfile
from datetime import timedelta

import psycopg2
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from apps.articles.models import Article
from apps.issues.models import Issue
from apps.workflow import steps
from tests.conftest import ROOT
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

COUNTS = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from apps.articles.models import Article
from apps.feedback.models import Feedback
from apps.issues.models import Issue
from apps.readership.models import Reading
from apps.subscribers.models import Subscriber
from apps.workflow.models import TransitionLog
client = Client()
client.force_login(get_user_model().objects.get(username="leader"))
page = client.get("/issues/2023/12/")
print(json.dumps({
    "issues": Issue.objects.count(),
    "articles": Article.objects.count(),
    "subscribers": Subscriber.objects.count(),
    "revisions": Article.history.count(),
    "steps": TransitionLog.objects.count(),
    "readings": Reading.objects.count(),
    "feedback": Feedback.objects.count(),
    "page": page.status_code,
    "title_shown": "2023年第12期" in page.content.decode(),
}))
"""


def counts_here(client):
    from apps.feedback.models import Feedback
    from apps.readership.models import Reading
    from apps.subscribers.models import Subscriber
    from apps.workflow.models import TransitionLog

    return {
        "issues": Issue.objects.count(),
        "articles": Article.objects.count(),
        "subscribers": Subscriber.objects.count(),
        "revisions": Article.history.count(),
        "steps": TransitionLog.objects.count(),
        "readings": Reading.objects.count(),
        "feedback": Feedback.objects.count(),
        "page": 200,
        "title_shown": True,
    }


@pytest.fixture
def archive_folder(tmp_path):
    return tmp_path / "backups"


@pytest.fixture
def content(settings, tmp_path, client, editor):
    """The demo, a workflow step, a reading, feedback, and an uploaded image."""
    settings.DEBUG = True  # load_demo's condition
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", stdout=io.StringIO())
    settings.DEBUG = False
    draft = ArticleFactory(issue=None, title="待提交的稿件", created_by=editor)
    steps.submit_article(draft, by=editor)
    from django.contrib.auth import get_user_model

    leader = get_user_model().objects.get(username="leader")
    client.force_login(leader)
    client.get("/issues/2023/12/")
    client.post("/feedback/", {"message": "建议增加储能专题。"})
    image = settings.MEDIA_ROOT / "editor" / "2023" / "12" / "chart.png"
    image.parent.mkdir(parents=True)
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 2000)
    return image


def restore_elsewhere(archive, tmp_path, *extra):
    """Run restore, then the counts, in another process on a fresh database and folder."""
    media = tmp_path / "restored-media"
    if connection.vendor == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    else:
        name = f"bulletin_restore_{os.getpid()}"
        admin = psycopg2.connect(dbname="postgres", **_server())
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        settings_dict = connection.settings_dict
        auth = settings_dict["USER"] + (
            f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
        )
        url = f"postgres://{auth}@{settings_dict['HOST']}:{settings_dict['PORT']}/{name}"

        def cleanup():
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()

    environment = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(media),
        "ALLOWED_HOSTS": "testserver",
        "CACHE_URL": "locmemcache://restored",
    }

    def manage(*args):
        return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )

    try:
        restored = manage("restore", str(archive), *extra)
        assert restored.returncode == 0, restored.stderr
        counted = manage("shell", "-c", COUNTS)
        assert counted.returncode == 0, counted.stderr
        again = manage("restore", str(archive))  # the target is no longer empty
        return json.loads(counted.stdout.strip().splitlines()[-1]), media, again
    finally:
        cleanup()


def _server():
    settings_dict = connection.settings_dict
    return {
        "user": settings_dict["USER"],
        "password": settings_dict["PASSWORD"] or None,
        "host": settings_dict["HOST"],
        "port": settings_dict["PORT"],
    }


def test_a_backup_restores_into_a_fresh_database_with_everything(
    content, client, archive_folder, tmp_path
):
    expected = counts_here(client)
    call_command("backup", "--dir", str(archive_folder), stdout=io.StringIO())
    [archive] = archive_folder.glob("bulletin-*.tar")
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"] == connection.vendor
    assert "media/editor/2023/12/chart.png" in manifest["files"]

    found, media, again = restore_elsewhere(archive, tmp_path)

    assert found == expected
    assert expected["steps"] >= 1 and expected["readings"] >= 1 and expected["revisions"] >= 1
    restored_image = media / "editor" / "2023" / "12" / "chart.png"
    assert restored_image.read_bytes() == content.read_bytes()
    assert again.returncode != 0
    assert "不是空的" in again.stderr


def test_a_damaged_archive_restores_nothing(content, archive_folder, tmp_path):
    call_command("backup", "--dir", str(archive_folder), stdout=io.StringIO())
    [archive] = archive_folder.glob("bulletin-*.tar")
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("media/"):
                data = data[:-1] + b"?"
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match="备份文件已损坏"):
        call_command("restore", str(damaged), "--force", stdout=io.StringIO())
    assert Issue.objects.filter(year=2023, number=12).exists()


def test_only_the_newest_archives_are_kept(content, archive_folder):
    start = timezone.now()
    for minute in range(4):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            call_command(
                "backup", "--dir", str(archive_folder), "--keep", "2", stdout=io.StringIO()
            )
    kept = sorted(path.name for path in archive_folder.glob("bulletin-*.tar"))
    assert len(kept) == 2
    stamp = timezone.localtime(start + timedelta(minutes=3)).strftime("%Y%m%d-%H%M")
    assert kept[-1].startswith(f"bulletin-{stamp}")
