"""The worker keeps the rollups (issue 23 §3): a reading shows after a minute's job, an audience
is kept once taken, the dashboard's counter moves only when a figure does, old readings go
once rolled up and leave their totals, and `rebuild_rollups` can be run any time."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from apps.core import revisions, via
from apps.insight import figures, jobs, rollups
from apps.insight.models import (
    ArticleMonth,
    IndustryMonth,
    IssueAudience,
    IssueReach,
    ReaderMonth,
    ReaderSeen,
    RollupMark,
)
from apps.readership.models import Reading
from tests.factories import SubscriberFactory
from tests.insight.seeding import live_issue, seed

pytestmark = pytest.mark.django_db

ROLLUPS = (IssueAudience, IssueReach, ArticleMonth, IndustryMonth, ReaderMonth, ReaderSeen)


def everything():
    """Every rollup row, without its id."""
    return {
        model.__name__: sorted(
            tuple(row[f.attname] for f in model._meta.concrete_fields if f.attname != "id")
            for row in model.objects.values()
        )
        for model in ROLLUPS
    }


def dashboard(world):
    """What the dashboard and the report show of the seeded history."""
    issues = figures.live_issues()
    months = figures.months_between(
        timezone.localdate(world.one.went_live_at), timezone.localdate(world.now)
    )
    return {
        "reach": [
            (r.issue.pk, r.eligible, r.reached, r.reached_by, r.channels)
            for r in figures.reach(issues)
        ],
        "industries": [
            (s["industry"].pk, s["readings"], s["by_followers"])
            for s in figures.industry_months(months)["series"]
        ],
        "articles": figures.top_articles(months),
        "readers": figures.readers_in(months[0], timezone.localdate(world.now)),
        "silent": [s.pk for s in figures.silent_readers()],
    }


def insight_counter():
    return revisions.read(revisions.Counter.INSIGHT)


def open_page(client, user, url):
    cache.clear()  # a new opening, not the reload of one within ten minutes
    client.force_login(user)
    assert client.get(url).status_code == 200


def test_a_reading_shows_after_one_run_of_the_job_and_a_run_with_nothing_new_writes_nothing(
    client,
):
    world = seed()
    assert jobs.keep_rollups.queue_name in settings.TASKS["default"]["QUEUES"]
    assert "apps.insight.jobs.keep_rollups" in settings.WORKER_PERIODIC_TASKS
    before = figures.reach([world.three])[0]
    quiet_counter = insight_counter()
    jobs.keep_rollups.call()
    assert insight_counter() == quiet_counter  # nothing new: no row written

    # The newcomer opens an article of issue three (live two days) from the e-mail.
    token = via.make("email", world.three.pk, world.newcomer.subscriber.pk)
    open_page(client, world.newcomer, f"{world.a6.get_absolute_url()}?via={token}")
    assert figures.reach([world.three])[0].reached == before.reached  # not yet rolled up

    jobs.keep_rollups.call()
    after = figures.reach([world.three])[0]
    assert after.reached[3] == before.reached[3] + 1  # day 2
    assert after.reached[1] == before.reached[1]
    assert after.reached_by[("kind", "other", 3)] == before.reached_by[("kind", "other", 3)] + 1
    assert after.channels["email"] == before.channels["email"] + 1
    this_month = [timezone.localdate().replace(day=1)]
    assert {r["article_id"]: r["readers"] for r in figures.top_articles(this_month)}[
        world.a6.pk
    ] == 3
    moved = insight_counter()
    assert moved != quiet_counter

    # The next minute reads the last minutes again (late commits): the same figures, no write.
    jobs.keep_rollups.call()
    assert insight_counter() == moved
    assert figures.reach([world.three])[0].reached == after.reached


def test_a_later_opening_through_a_channel_moves_the_channel_and_the_readers_month_not_the_day(
    client,
):
    world = seed()
    two = figures.reach([world.two])[0]
    month = timezone.localdate().replace(day=1)
    assert not ReaderMonth.objects.filter(user=world.newcomer, month=month).exists()

    # The newcomer first opened issue two directly, three hours after it went live; now they
    # open it again from a WeCom group's card: the reading takes the channel (apps.readership).
    open_page(
        client,
        world.newcomer,
        f"{world.two.get_absolute_url()}?via={via.make('wecom', world.two.pk, 3)}",
    )
    reading = Reading.objects.get(user=world.newcomer, issue=world.two, article=None)
    assert (reading.channel, reading.count) == ("wecom", 2)
    jobs.run_keep_rollups()

    after = figures.reach([world.two])[0]
    assert after.reached == two.reached  # still day 0
    assert after.channels[""] == two.channels[""] - 1
    assert after.channels["wecom"] == two.channels["wecom"] + 1
    assert ReaderMonth.objects.filter(user=world.newcomer, month=month).exists()
    assert ReaderSeen.objects.get(user=world.newcomer).last_read_at == reading.last_read_at
    assert world.quiet.pk in [s.user_id for s in figures.silent_readers()]
    assert world.newcomer.pk not in [s.user_id for s in figures.silent_readers()]


def test_a_subscriber_who_could_read_an_issue_stays_in_its_audience_after_the_subscription_ends():
    world = seed()
    subscriber = SubscriberFactory(
        user__username="leaving", valid_from=timezone.localdate() - timedelta(days=30)
    )
    issue = live_issue(9, timezone.now())
    jobs.run_keep_rollups()  # the minute after it went live: today's subscribers
    audience = figures.reach([issue])[0]
    assert audience.eligible == 8  # the seven of issue one but the expired, and two newcomers

    subscriber.valid_until = timezone.localdate() - timedelta(days=1)
    subscriber.save()
    jobs.run_keep_rollups()
    call_command("rebuild_rollups", stdout=io.StringIO())
    assert figures.reach([issue])[0].eligible == audience.eligible
    # An issue going live now no longer counts them.
    later = live_issue(10, timezone.now())
    jobs.run_keep_rollups()
    assert figures.reach([later])[0].eligible == audience.eligible - 1
    # Issue one (no audience when the rollups were first built) counted the subscription that
    # ended two days after it went live, from the subscription's dates.
    assert IssueAudience.objects.get(issue=world.one, region="jianan").eligible == 1


def test_rebuild_is_idempotent_and_repairs_the_rollups_moving_the_counter_only_then():
    seed()
    built = everything()
    counter = insight_counter()
    out = io.StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert out.getvalue().startswith("已重算数据看板汇总：更改 0 行")
    assert everything() == built
    assert insight_counter() == counter

    IssueReach.objects.order_by("pk").first().delete()
    ArticleMonth.objects.update(readers=99)
    IndustryMonth.objects.create(
        industry_id=IndustryMonth.objects.first().industry_id,
        month=timezone.localdate().replace(day=1, year=2001),
        readings=5,
        by_followers=5,
    )
    ReaderSeen.objects.all().delete()
    rollups.rebuild()
    assert everything() == built


def test_old_readings_go_only_once_rolled_up_and_their_totals_stay(settings):
    settings.READINGS_KEEP_DAYS = 45
    world = seed(rebuild=False)
    readings = Reading.objects.count()
    assert rollups.prune() == 0  # nothing rolled up yet
    assert Reading.objects.count() == readings

    jobs.run_keep_rollups()  # rolls up (the first time: everything), then prunes
    mark = RollupMark.objects.get()
    assert mark.kept_from is not None
    assert mark.kept_from <= timezone.now() - timedelta(days=45)
    pruned = Reading.objects.filter(last_read_at__lt=mark.kept_from)
    assert not pruned.exists()
    assert Reading.objects.count() < readings
    # Issue one went live more than 45 days ago: most of its readings are gone.
    assert Reading.objects.filter(issue=world.one).count() < 5
    shown = dashboard(world)
    one = figures.reach([world.one])[0]
    assert (one.eligible, one.reached[1], one.reached[7]) == (7, 4, 6)

    rollups.rebuild()
    assert dashboard(world) == shown
    jobs.run_keep_rollups()
    assert dashboard(world) == shown
    # The totals of the months after the cutoff are still recomputed from the readings.
    ArticleMonth.objects.filter(article=world.a6).delete()
    rollups.rebuild()
    assert dashboard(world) == shown


def test_a_database_error_ends_the_minutes_run_which_the_next_one_makes_up(monkeypatch, client):
    world = seed()
    token = via.make("email", world.three.pk, world.newcomer.subscriber.pk)
    open_page(client, world.newcomer, f"{world.three.get_absolute_url()}?via={token}")
    refresh = rollups.refresh

    def database_gone(now=None):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(rollups, "refresh", database_gone)
    assert jobs.run_keep_rollups()["failed"] == "refreshed"
    assert figures.reach([world.three])[0].channels["email"] == 1

    monkeypatch.setattr(rollups, "refresh", refresh)
    assert "failed" not in jobs.run_keep_rollups()
    assert figures.reach([world.three])[0].channels["email"] == 2

    # More changed readings than a refresh takes (a worker away for long): one rebuild.
    token = via.make("email", world.three.pk, world.quiet.subscriber.pk)
    open_page(client, world.quiet, f"{world.three.get_absolute_url()}?via={token}")
    open_page(client, world.firm_yuzhou, world.a6.get_absolute_url())
    assert rollups.refresh(batch=1)["backlog"]
    assert figures.reach([world.three])[0].channels["email"] == 3
    assert {r["article_id"]: r["readers"] for r in figures.top_articles(figures.last_months(1))}[
        world.a6.pk
    ] == 3
