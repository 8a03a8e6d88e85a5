"""The database moves its counters by itself, whatever writes to a watched table."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from apps.articles.models import Article, Industry, IndustryGroup, Section
from apps.core.revisions import Counter, install_triggers, read
from apps.feedback.models import Feedback
from apps.issues.models import Issue
from apps.subscribers.models import Subscriber
from tests.factories import ArticleFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def moves(counter, change):
    before = read(counter)
    change()
    return read(counter) != before


def test_every_content_table_moves_the_content_counter_on_any_write():
    article = ArticleFactory(issue=IssueFactory(visible=True))
    section = Section.objects.first()
    industry = Industry.objects.first()
    group = IndustryGroup.objects.first()
    changes = [
        lambda: IssueFactory(number=77),
        lambda: Issue.objects.filter(pk=article.issue_id).update(title="新题"),
        lambda: Article.objects.filter(pk=article.pk).update(
            visibility=Article.Visibility.LEADERSHIP
        ),
        lambda: Section.objects.filter(pk=section.pk).update(name="新栏目"),
        lambda: Industry.objects.filter(pk=industry.pk).update(name="新产业"),
        lambda: IndustryGroup.objects.filter(pk=group.pk).update(name="新类别"),
        lambda: article.industries.add(industry),
        lambda: article.industries.clear(),
        lambda: ArticleFactory(issue=article.issue).delete(),
    ]
    for index, change in enumerate(changes):
        assert moves(Counter.CONTENT, change), index


def test_plain_sql_moves_it_too():
    article = ArticleFactory(issue=IssueFactory(visible=True))

    def raw_update():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE articles_article SET title = %s WHERE id = %s", ["新", article.pk]
            )

    assert moves(Counter.CONTENT, raw_update)


def test_users_and_subscriptions_move_the_readers_counter_but_a_login_time_does_not():
    subscriber = SubscriberFactory()
    users = get_user_model().objects.filter(pk=subscriber.user_id)
    assert moves(Counter.READERS, lambda: users.update(is_active=False))
    assert moves(Counter.READERS, lambda: users.update(password="changed"))
    assert moves(
        Counter.READERS,
        lambda: Subscriber.objects.filter(pk=subscriber.pk).update(kind=Subscriber.Kind.OTHER),
    )
    assert not moves(Counter.READERS, lambda: users.update(last_login=timezone.now()))
    assert not moves(Counter.CONTENT, lambda: users.update(is_active=True))


def test_other_tables_move_nothing():
    user = SubscriberFactory().user
    assert not moves(Counter.CONTENT, lambda: Feedback.objects.create(author=user, message="好"))


def test_installing_again_keeps_one_bump_per_change():
    issue = IssueFactory()
    install_triggers()
    install_triggers()
    before = read(Counter.CONTENT)
    Issue.objects.filter(pk=issue.pk).update(title="再装一次")
    assert read(Counter.CONTENT) == before + 1


@pytest.mark.django_db
def test_counters_start_at_random_values_and_a_restore_renews_them():
    """A cache outlives a recreated or restored database: it must not meet the same values."""
    from apps.core.models import Revision
    from apps.core.revisions import renew

    starts = []
    for _ in range(2):
        Revision.objects.all().delete()
        install_triggers()  # as after `migrate` on a new database
        starts.append(read(Counter.CONTENT))
    assert starts[0] != starts[1] and min(starts) > 1
    before = read(Counter.READERS)
    renew()  # as after `restore`
    assert read(Counter.READERS) != before
