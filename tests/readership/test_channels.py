"""Links that say which channel brought the reader (issue 21, part 4): the `via` token of the
issue's e-mail and the group cards, what a reading records of it, and what it never does."""

import io
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from apps.articles.models import Article, Industry
from apps.core import via
from apps.notifications.issue_mail import IssueMail
from apps.push.deliveries import card_for
from apps.push.models import Channel, PushDelivery
from apps.readership.models import Reading
from apps.readership.selectors import issue_readership
from tests.factories import PASSWORD, ArticleFactory, IssueFactory, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"


@pytest.fixture
def issue():
    issue = IssueFactory(visible=True)
    ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title="甲文", position=1)
    ArticleFactory(
        issue=issue,
        status=Article.Status.PUBLISHED,
        title="领导专阅",
        position=2,
        visibility=Article.Visibility.LEADERSHIP,
    )
    return issue


def links_of(message) -> list[str]:
    [(html, _)] = message.alternatives
    text = message.body + html
    return re.findall(r"https?://[^\s\"'<>]+", text.replace("&amp;", "&"))


def token_of(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("via")
    return values[-1] if values else None


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def channel(kind="wecom", **fields) -> Channel:
    return Channel.objects.create(
        name=fields.pop("name", f"{kind}群"),
        kind=kind,
        webhook_url=f"https://example.invalid/{kind}",
        audience=fields.pop("audience", Channel.Audience.ALL),
        **fields,
    )


# --- the token ------------------------------------------------------------------------------


def test_a_token_names_its_channel_issue_and_recipient_and_is_short():
    token = via.make("email", 123, 4567)
    assert via.read(token) == via.Via("email", 123, 4567)
    assert via.read(via.make("feishu", 9, None)) == via.Via("feishu", 9, None)
    assert via.read(via.make("dingtalk", 9, 3)).push_channel_id == 3
    assert len(token) <= 24
    assert re.fullmatch(r"[A-Za-z0-9._-]+", token)


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-1],  # cut
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature altered
        lambda t: "w" + t[1:],  # another channel
        lambda t: t.replace(".", "0.", 1),  # another issue
        lambda t: t.split(".")[0] + "." + t.split(".")[-1],  # the recipient left out
        lambda t: t + "." + t,
        lambda t: "",
        lambda t: "é" * 30,
        lambda t: "e1." + "A" * 12,
        lambda t: t * 10,
    ],
)
def test_an_altered_or_forged_token_is_none_and_never_raises(forge):
    assert via.read(forge(via.make("email", 123, 4567))) is None


def test_a_token_signed_with_another_key_is_refused_and_a_fallback_key_is_honoured():
    with override_settings(SECRET_KEY="an-old-key-" * 5):
        old = via.make("email", 1, 2)
    assert via.read(old) is None
    with override_settings(SECRET_KEY_FALLBACKS=["an-old-key-" * 5]):
        assert via.read(old) == via.Via("email", 1, 2)


# --- the e-mail -----------------------------------------------------------------------------


def test_every_link_of_an_issue_mail_carries_the_readers_own_token(issue):
    industry = Industry.objects.first()
    issue.articles.get(title="甲文").industries.add(industry)
    firm = SubscriberFactory(user__username="firm1")
    firm.industries.add(industry)
    other = SubscriberFactory(user__username="firm2")
    mail = IssueMail(issue)
    message = mail.message_for(firm, 0)
    other_message = mail.message_for(other, 0)

    unsubscribe = re.search(r"<(.+)>", message.extra_headers["List-Unsubscribe"])[1]
    links = [link for link in links_of(message) if link != unsubscribe]
    article = issue.articles.get(title="甲文")
    # The issue page, the article (in the followed industry and in the contents), the profile.
    assert f"{SITE}{article.get_absolute_url()}?via=" in message.body
    assert f"{SITE}{issue.get_absolute_url()}?via=" in message.body
    assert len(links) >= 6 and all(link.startswith(SITE) for link in links)
    assert {via.read(token_of(link)) for link in links} == {via.Via("email", issue.pk, firm.pk)}
    assert {via.read(token_of(link)) for link in links_of(other_message) if "via=" in link} == {
        via.Via("email", issue.pk, other.pk)
    }
    # The unsubscribe link keeps its own token only.
    assert token_of(unsubscribe) is None and unsubscribe in links_of(message)
    # The contents were rendered once for the audience, not once per reader.
    assert len(mail._contents) == 1


# --- what a reading records ------------------------------------------------------------------


def test_an_email_link_records_the_reading_as_email(client, issue, leader):
    message = IssueMail(issue).message_for(leader.subscriber, 0)
    [issue_link] = {link for link in links_of(message) if "/issues/" in link}
    client.force_login(leader)
    assert client.get(path_of(issue_link)).status_code == 200
    reading = Reading.objects.get(user=leader, issue=issue, article=None)
    assert (reading.channel, reading.get_channel_display(), reading.push_channel_id) == (
        "email",
        "邮件",
        None,
    )


def test_a_card_link_records_its_push_channel(client, issue, enterprise):
    group = channel("dingtalk")
    card = card_for(issue, group)
    assert via.read(token_of(card.url)) == via.Via("dingtalk", issue.pk, group.pk)
    client.force_login(enterprise)
    assert client.get(path_of(card.url)).status_code == 200
    reading = Reading.objects.get(user=enterprise, issue=issue)
    assert (reading.get_channel_display(), reading.push_channel_id) == ("钉钉群", group.pk)


def test_the_first_channel_stays_and_a_later_direct_opening_keeps_it(client, issue, leader):
    token = via.make("email", issue.pk, leader.subscriber.pk)
    client.force_login(leader)
    client.get(f"{issue.get_absolute_url()}?via={token}")
    cache.clear()  # the next openings count as new ones (as after ten minutes)
    client.get(issue.get_absolute_url())
    cache.clear()
    client.get(f"{issue.get_absolute_url()}?via={via.make('wecom', issue.pk, 5)}")
    reading = Reading.objects.get(user=leader, issue=issue)
    assert (reading.channel, reading.push_channel_id, reading.count) == ("email", None, 3)


def test_a_direct_reading_takes_the_channel_of_a_later_link(client, issue, leader):
    client.force_login(leader)
    client.get(issue.get_absolute_url())
    cache.clear()
    client.get(f"{issue.get_absolute_url()}?via={via.make('feishu', issue.pk, 8)}")
    reading = Reading.objects.get(user=leader, issue=issue)
    assert (reading.channel, reading.push_channel_id, reading.count) == ("feishu", 8, 2)


def test_forged_altered_or_other_issue_tokens_are_direct_and_change_nothing(
    client, issue, enterprise
):
    other_issue = IssueFactory(visible=True)
    good = via.make("email", issue.pk, enterprise.subscriber.pk)
    article = issue.articles.get(title="甲文")
    client.force_login(enterprise)
    plain_issue = client.get(issue.get_absolute_url()).content
    plain_article = client.get(article.get_absolute_url()).content
    Reading.objects.all().delete()

    for token in [
        good[:-1] + ("x" if good[-1] != "x" else "y"),
        "w" + good[1:],
        via.make("email", other_issue.pk, enterprise.subscriber.pk),
        "<script>alert(1)</script>",
        "garbage",
    ]:
        cache.clear()  # rendered afresh, with the token in the request
        response = client.get(issue.get_absolute_url(), {"via": token})
        assert response.status_code == 200
        assert response.content == plain_issue
        response = client.get(article.get_absolute_url(), {"via": token})
        assert response.content == plain_article
    assert set(Reading.objects.values_list("channel", flat=True)) == {""}
    assert Reading.objects.count() == 2


# --- what a token never does -----------------------------------------------------------------


def test_signed_out_a_token_leads_to_the_login_and_is_recorded_after_it(client, issue, leader):
    token = via.make("email", issue.pk, leader.subscriber.pk)
    response = client.get(issue.get_absolute_url(), {"via": token})
    assert response.status_code == 302
    login = response["Location"]
    assert login.startswith(reverse("login"))
    next_url = parse_qs(urlsplit(login).query)["next"][0]
    assert token_of(next_url) == token
    assert not Reading.objects.exists()

    response = client.post(login, {"username": "leader1", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == next_url
    assert client.get(next_url).status_code == 200
    assert Reading.objects.get(user=leader, issue=issue).channel == "email"


def test_a_leaders_token_opens_nothing_for_an_enterprise_reader(client, issue, leader, enterprise):
    secret = issue.articles.get(title="领导专阅")
    leaders_token = via.make("email", issue.pk, leader.subscriber.pk)
    leaders_group = via.make("wecom", issue.pk, channel(audience="leadership").pk)
    client.force_login(enterprise)
    for token in (leaders_token, leaders_group):
        assert client.get(secret.get_absolute_url(), {"via": token}).status_code == 404
        page = client.get(issue.get_absolute_url(), {"via": token}).content.decode()
        assert "领导专阅" not in page
    assert not Reading.objects.filter(article=secret).exists()
    # Signed in as the leader, the same link opens it, as it would without a token.
    client.force_login(leader)
    assert client.get(secret.get_absolute_url(), {"via": leaders_token}).status_code == 200


def test_a_lapsed_reader_with_a_token_is_refused_as_always(client, issue):
    lapsed = SubscriberFactory(
        user__username="lapsed", valid_from=date(2019, 1, 1), valid_until=date(2020, 1, 1)
    )
    client.force_login(lapsed.user)
    token = via.make("email", issue.pk, lapsed.pk)
    assert client.get(issue.get_absolute_url(), {"via": token}).status_code == 403
    assert not Reading.objects.exists()


def test_the_cached_page_holds_no_token_and_other_readers_get_it_without(client, issue):
    first = SubscriberFactory(user__username="firm1").user
    second = SubscriberFactory(user__username="firm2").user
    token = via.make("email", issue.pk, first.subscriber.pk)
    client.force_login(first)
    response = client.get(issue.get_absolute_url(), {"via": token})
    assert response.status_code == 200
    assert token not in response.content.decode() and "via=" not in response.content.decode()

    client.force_login(second)
    again = client.get(issue.get_absolute_url())
    assert again.content == response.content
    assert token not in again.content.decode()
    # The second reader came on their own: the first reader's channel is not theirs.
    assert Reading.objects.get(user=second).channel == ""
    assert Reading.objects.get(user=first).channel == "email"


# --- the figures -----------------------------------------------------------------------------


@pytest.fixture
def readings_by_channel(client, issue):
    """Five readers: two by e-mail (one of them also through the WeCom group, to another page),
    one through the WeCom group, one through the Feishu group, one on their own."""
    wecom, feishu = channel("wecom", name="市直企业群"), channel("feishu", name="园区群")
    for group in (wecom, feishu):
        PushDelivery.objects.create(issue=issue, channel=group, status=PushDelivery.Status.SENT)
    article = issue.articles.get(title="甲文")
    readers = [SubscriberFactory(user__username=f"firm{n}") for n in range(5)]
    mail = IssueMail(issue)

    def mail_link(reader, page):
        links = links_of(mail.message_for(reader, 0))
        return path_of(next(link for link in links if link.startswith(SITE + page)))

    plans = [
        (readers[0], [mail_link(readers[0], issue.get_absolute_url())]),
        (readers[1], [mail_link(readers[1], article.get_absolute_url()), card_for(issue, wecom)]),
        # The card's link, then an article from the issue's page (no token there).
        (readers[2], [card_for(issue, wecom), article.get_absolute_url()]),
        (readers[3], [card_for(issue, feishu)]),
        (readers[4], [issue.get_absolute_url(), article.get_absolute_url()]),
    ]
    for reader, pages in plans:
        client.force_login(reader.user)
        for page in pages:
            url = path_of(page.url) if hasattr(page, "url") else page
            assert client.get(url).status_code == 200
    return wecom, feishu


def test_the_readership_page_shows_readers_per_channel(client, issue, readings_by_channel):
    subadmin = StaffFactory(username="subadmin1")
    subadmin.groups.add(Group.objects.get(name="订户管理"))
    client.force_login(subadmin)
    response = client.get(reverse("admin:readership_reading_issue", args=[issue.pk]))
    assert response.context["stats"]["by_channel"] == [
        ("邮件", 2),
        ("企业微信群", 2),
        ("钉钉群", 0),
        ("飞书群", 1),
        ("直接访问", 1),
    ]
    page = response.content.decode()
    assert "按来源渠道" in page and "直接访问" in page

    export = client.get(reverse("admin:readership_reading_export", args=[issue.pk]))
    rows = list(load_workbook(io.BytesIO(export.content))["概况"].iter_rows(values_only=True))
    assert ("企业微信群", 2) in [row[:2] for row in rows]


def test_each_push_channels_page_shows_its_readers_per_issue(
    client, issue, readings_by_channel, reviewer
):
    wecom, feishu = readings_by_channel
    unread = IssueFactory(visible=True)
    PushDelivery.objects.create(issue=unread, channel=wecom, status=PushDelivery.Status.SENT)
    client.force_login(reviewer)
    page = client.get(reverse("admin:push_channel_change", args=[wecom.pk])).content.decode()
    rows = re.findall(r"<tr><td>(.+?)</td><td>(.+?)</td><td>(\d+)</td></tr>", page)
    assert (str(issue), "已推送", "2") in rows
    assert (str(unread), "已推送", "0") in rows
    page = client.get(reverse("admin:push_channel_change", args=[feishu.pk])).content.decode()
    rows = re.findall(r"<tr><td>(.+?)</td><td>(.+?)</td><td>(\d+)</td></tr>", page)
    assert rows == [(str(issue), "已推送", "1")]
    empty = channel("dingtalk")
    page = client.get(reverse("admin:push_channel_change", args=[empty.pk])).content.decode()
    assert "尚未推送过期刊。" in page


def test_a_readers_other_rows_keep_them_out_of_direct(client, issue, leader):
    """A reader brought by e-mail who then opens an article on their own is an e-mail reader,
    not also a direct one."""
    client.force_login(leader)
    client.get(issue.get_absolute_url(), {"via": via.make("email", issue.pk, leader.subscriber.pk)})
    client.get(issue.articles.get(title="甲文").get_absolute_url())
    stats = issue_readership(issue)
    assert dict(stats["by_channel"])["邮件"] == 1
    assert dict(stats["by_channel"])["直接访问"] == 0
