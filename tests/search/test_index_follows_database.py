"""The search index follows the database, as the caches do, whoever changed an article.

The database marks changed articles (triggers, apps/search/marks.py); they are re-indexed
right after a change through the ORM commits, and by the minute job (`publish_due`) for the
rest. Every change to the index moves the content counter, so a search cached before a
re-index is never served after it.
"""

import io
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse

from apps.articles.models import Article
from apps.search import indexing
from apps.search.indexing import index_marked, refresh
from apps.search.models import SearchDocument, StaleDocument
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db
URL = reverse("reader:search")


@pytest.fixture
def article():
    article = ArticleFactory(
        issue=IssueFactory(visible=True, number=60),
        status=Article.Status.PUBLISHED,
        title="发制品出口",
        body="<p>假发出口增长</p>",
    )
    refresh([article.pk])
    return article


def found(client, query):
    """The titles the search page lists, whether it was rendered now or came from the cache."""
    page = client.get(URL, {"q": query}).content.decode()
    return [title for title in ("发制品出口",) if f">{title}</a>" in page]


def publish_due():
    call_command("publish_due", stdout=io.StringIO())


def change_by_update(article):
    Article.objects.filter(pk=article.pk).update(body="<p>发制品电商销售增长</p>")


def change_by_sql(article):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE articles_article SET body = %s WHERE id = %s",
            ["<p>发制品电商销售增长</p>", article.pk],
        )


@pytest.mark.parametrize("change", [change_by_update, change_by_sql])
def test_a_change_no_receiver_sees_is_found_after_the_next_minute_job(
    client, enterprise, article, change
):
    client.force_login(enterprise)
    assert found(client, "假发") == ["发制品出口"]

    change(article)
    # The database marked it; nothing re-indexed it yet.
    assert StaleDocument.objects.filter(article_id=article.pk).exists()
    publish_due()

    assert found(client, "电商") == ["发制品出口"]
    assert found(client, "假发") == []
    assert not StaleDocument.objects.exists()


def test_a_search_between_the_commit_and_its_reindex_is_not_kept(client, enterprise, article):
    client.force_login(enterprise)
    assert found(client, "电商") == []

    # Committed (the content counter moved), not re-indexed yet.
    change_by_update(article)
    # Asked now: rendered from the old index, and cached.
    assert found(client, "电商") == []
    # The re-index moves the counter too: the cached answer is not served after it.
    index_marked()
    assert found(client, "电商") == ["发制品出口"]


def test_an_edit_is_reindexed_right_after_its_commit(
    client, enterprise, article, django_capture_on_commit_callbacks
):
    client.force_login(enterprise)
    with django_capture_on_commit_callbacks() as after_commit:
        article.body = "<p>发制品电商销售增长</p>"
        article.save()
    # Between the commit and the re-index queued after it: the old words, cached.
    assert found(client, "电商") == []
    for callback in after_commit:
        callback()
    assert found(client, "电商") == ["发制品出口"]
    assert not StaleDocument.objects.exists()


def test_only_what_a_document_is_made_of_marks_an_article(article):
    StaleDocument.objects.all().delete()
    Article.objects.filter(pk=article.pk).update(position=9, visibility="leadership")
    article.industries.clear()
    assert not StaleDocument.objects.exists()
    Article.objects.filter(pk=article.pk).update(title="发制品出口")  # the same title
    assert not StaleDocument.objects.exists()
    Article.objects.filter(pk=article.pk).update(status=Article.Status.APPROVED)
    Article.objects.filter(pk=article.pk).update(summary="新摘要")
    assert StaleDocument.objects.get(article_id=article.pk).changes == 2


def test_a_deleted_article_leaves_the_index(client, enterprise, article):
    client.force_login(enterprise)
    assert found(client, "假发") == ["发制品出口"]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM articles_article WHERE id = %s", [article.pk])
    publish_due()
    assert not SearchDocument.objects.filter(article_id=article.pk).exists()
    assert found(client, "假发") == []


def test_workflow_no_longer_calls_search():
    workflow = Path(__file__).resolve().parents[2] / "apps" / "workflow"
    callers = [
        str(path.relative_to(workflow))
        for path in workflow.rglob("*.py")
        if "apps.search" in path.read_text(encoding="utf-8")
    ]
    assert callers == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_edit_committed_during_a_reindex_is_marked_again(monkeypatch):
    """A re-index that has taken an article's mark reads the article as committed then; an
    edit that commits meanwhile marks it again, so its words are indexed too, not lost."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time: nothing can commit during a re-index")
    article = ArticleFactory(
        issue=IssueFactory(visible=True, number=61),
        status=Article.Status.PUBLISHED,
        body="<p>假发出口增长</p>",
    )  # indexed after its commit
    Article.objects.filter(pk=article.pk).update(body="<p>发制品电商销售增长</p>")

    claimed, go = threading.Event(), threading.Event()
    write = indexing._write

    def paused_write(ids):
        claimed.set()  # the marks are taken (deleted, uncommitted)
        assert go.wait(10)
        write(ids)

    monkeypatch.setattr(indexing, "_write", paused_write)

    def in_thread(work):
        def run():
            try:
                work()
            finally:
                connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    reindex = in_thread(indexing.index_marked)
    assert claimed.wait(10)
    # The edit waits for the re-index's claim on the mark, inside its UPDATE.
    edit = in_thread(
        lambda: Article.objects.filter(pk=article.pk).update(body="<p>钠离子电池量产</p>")
    )
    edit.join(0.5)
    assert edit.is_alive()
    go.set()
    reindex.join(10)
    edit.join(10)
    assert not reindex.is_alive() and not edit.is_alive()

    # Marked again: re-indexed by the same run's next batch, or by the next run.
    monkeypatch.setattr(indexing, "_write", write)
    indexing.index_marked()
    assert not StaleDocument.objects.exists()
    document = SearchDocument.objects.get(article_id=article.pk)
    assert "钠" in document.gram_content and "电商" not in document.gram_content
