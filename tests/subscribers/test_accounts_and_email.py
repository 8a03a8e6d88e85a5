import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Industry
from apps.subscribers.models import Subscriber
from tests.factories import PASSWORD, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def test_profile_shows_the_period_and_saves_followed_industries(client, enterprise):
    subscription = enterprise.subscriber
    client.force_login(enterprise)
    page = client.get(reverse("reader:profile")).content.decode()
    until = subscription.valid_until
    assert f"{until.year}年{until.month}月{until.day}日" in page
    assert "新材料" in page

    chosen = Industry.objects.filter(slug__in=["new-materials", "intelligent-equipment"])
    forged = {
        "industries": [i.pk for i in chosen],
        "notify_by_email": "",
        # Fields a subscriber may not change; they must be ignored.
        "kind": Subscriber.Kind.LEADERSHIP,
        "organization": "别的单位",
        "valid_until": "2099-12-31",
    }
    response = client.post(reverse("reader:profile"), forged, follow=True)
    assert "已保存您的设置" in response.content.decode()
    subscription.refresh_from_db()
    assert {i.name for i in subscription.industries.all()} == {"新材料", "智能装备"}
    assert subscription.notify_by_email is False
    assert subscription.kind == Subscriber.Kind.ENTERPRISE
    assert subscription.organization == "许昌某科技有限公司"
    assert subscription.valid_until == until


def test_expired_subscriber_can_still_see_their_profile(client):
    ended = timezone.localdate() - timedelta(days=2)
    user = SubscriberFactory(valid_from=ended - timedelta(days=30), valid_until=ended).user
    client.force_login(user)
    page = client.get(reverse("reader:profile")).content.decode()
    assert "（已到期）" in page


def test_expired_page_shows_the_configured_contact(client, settings):
    settings.SUBSCRIPTION_CONTACT = "续订请致电 0374-0000000（信息服务部）"
    ended = timezone.localdate() - timedelta(days=2)
    user = SubscriberFactory(valid_from=ended - timedelta(days=30), valid_until=ended).user
    client.force_login(user)
    page = client.get(reverse("reader:issues")).content.decode()
    assert "续订请致电 0374-0000000（信息服务部）" in page


def test_password_change(client, enterprise):
    client.force_login(enterprise)
    url = reverse("password_change")
    response = client.post(
        url, {"old_password": "wrong", "new_password1": "a", "new_password2": "b"}
    )
    assert response.status_code == 200
    assert "旧密码" in response.content.decode()
    response = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "Xuchang-2025-new",
            "new_password2": "Xuchang-2025-new",
        },
    )
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.check_password("Xuchang-2025-new")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_password_reset_mail_goes_through_smtp(client, enterprise, smtp_server, worker):
    response = client.post(reverse("password_reset"), {"email": enterprise.email})
    assert response.status_code == 302
    assert smtp_server == []  # the worker sends it, not the request
    worker()
    [message] = smtp_server
    assert message["To"] == enterprise.email
    body = message.get_content()
    assert "重设" in message["Subject"]
    assert "您的用户名：firm1" in body
    link = re.search(r"http://testserver(/accounts/reset/\S+)", body).group(1)
    response = client.get(link, follow=True)
    assert "设置新密码" in response.content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_password_reset_for_unknown_address_sends_nothing(client, smtp_server, worker):
    client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    worker()
    assert smtp_server == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_invitation_link_sets_a_password_once(client, smtp_server, worker):
    subadmin = StaffFactory(username="subadmin1", is_superuser=True)
    subscriber = SubscriberFactory(user__username="newleader", user__email="new@example.com")
    subscriber.user.set_unusable_password()
    subscriber.user.save()
    client.force_login(subadmin)
    response = client.post(
        reverse("admin:subscribers_subscriber_changelist"),
        {"action": "invite", "_selected_action": [subscriber.pk]},
        follow=True,
    )
    assert "已发送 1 封邀请邮件" in response.content.decode()
    worker()
    [message] = smtp_server
    assert message["To"] == "new@example.com"
    assert "阅读账号开通通知" in message["Subject"]
    body = message.get_content()
    assert "登录用户名：newleader" in body
    link = re.search(r"http://testserver(/accounts/reset/\S+)", body).group(1)

    client.logout()
    form_url = client.get(link).url  # Django moves the token into the session
    new_password = {"new_password1": "Leader-pass-2025", "new_password2": "Leader-pass-2025"}
    assert client.post(form_url, new_password).status_code == 302
    subscriber.user.refresh_from_db()
    assert subscriber.user.check_password("Leader-pass-2025")

    # The same link a second time: refused.
    page = client.get(link, follow=True).content.decode()
    assert "链接已失效" in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_invitation_skips_accounts_without_email(client, smtp_server, worker):
    admin_user = StaffFactory(username="root", is_superuser=True)
    subscriber = SubscriberFactory(user__username="noemail", user__email="")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:subscribers_subscriber_changelist"),
        {"action": "invite", "_selected_action": [subscriber.pk]},
        follow=True,
    )
    assert "未发送（没有邮箱、账号已停用或是工作人员账号）" in response.content.decode()
    worker()
    assert smtp_server == []
