"""Logins hold up to an attacker: throttling, staff second factor, password storage, demo
accounts, and a suspended reader who is told why."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import LoginLockout
from config import settings as project_settings
from tests.factories import PASSWORD, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def reader():
    return SubscriberFactory(
        user__username="zhangsan", user__email="zhang@example.com", user__mobile="13900000001"
    ).user


def log_in(client, login, password, url=LOGIN, **extra):
    return client.post(url, {"username": login, "password": password}, **extra)


# --- 3. Throttling ------------------------------------------------------------------------


def test_the_tenth_wrong_password_locks_and_says_when(client, reader):
    for _ in range(9):
        assert log_in(client, "zhangsan", "wrong").status_code == 200
    locked = log_in(client, "zhangsan", "wrong")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "登录已暂停" in page
    assert "30 分钟后" in page
    # Even the right password waits, from this address.
    assert log_in(client, "zhangsan", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address is not locked out.
    assert log_in(client, "zhangsan", PASSWORD, REMOTE_ADDR="10.0.0.9").status_code == 302


def test_switching_between_username_email_and_mobile_gains_nothing(client, reader):
    for login in ["zhangsan", "zhang@example.com", "13900000001"] * 3:
        log_in(client, login, "wrong")
    assert log_in(client, "ZHANG@example.com", "wrong").status_code == 429
    assert LoginLockout.objects.get().username == "zhangsan"


def test_a_right_password_resets_the_count(client, reader):
    for _ in range(9):
        log_in(client, "zhangsan", "wrong")
    assert log_in(client, "zhangsan", PASSWORD).status_code == 302
    client.logout()
    for _ in range(9):
        assert log_in(client, "zhangsan", "wrong").status_code == 200


def test_the_admin_login_is_throttled_too(client):
    StaffFactory(username="editor9")
    for _ in range(9):
        assert log_in(client, "editor9", "wrong", url=ADMIN_LOGIN).status_code == 200
    assert log_in(client, "editor9", "wrong", url=ADMIN_LOGIN).status_code == 429
    assert log_in(client, "editor9", PASSWORD, url=ADMIN_LOGIN).status_code == 429


def test_behind_the_proxy_the_configured_header_names_the_client(client, reader, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    for _ in range(10):
        log_in(client, "zhangsan", "wrong", HTTP_X_REAL_IP="203.0.113.7")
    assert LoginLockout.objects.get().ip_address == "203.0.113.7"
    assert log_in(client, "zhangsan", PASSWORD, HTTP_X_REAL_IP="203.0.113.7").status_code == 429
    # Same proxy (REMOTE_ADDR), another client behind it: not locked.
    assert log_in(client, "zhangsan", PASSWORD, HTTP_X_REAL_IP="198.51.100.2").status_code == 302


def lock_out(client, username):
    for _ in range(10):
        log_in(client, username, "wrong")


def test_subscriber_admins_lift_subscribers_locks_but_not_staff_ones(client, reader, subadmin):
    staff = StaffFactory(username="staff9")
    lock_out(client, "zhangsan")
    lock_out(client, "staff9")
    changelist = reverse("admin:accounts_loginlockout_changelist")

    client.force_login(subadmin)
    page = client.get(changelist).content.decode()
    assert "zhangsan" in page
    assert "staff9" not in page
    staff_lock = LoginLockout.objects.get(username="staff9")
    client.post(changelist, {"action": "unlock", "_selected_action": [staff_lock.pk]})
    assert LoginLockout.objects.filter(username="staff9").exists()
    reader_lock = LoginLockout.objects.get(username="zhangsan")
    response = client.post(
        changelist, {"action": "unlock", "_selected_action": [reader_lock.pk]}, follow=True
    )
    assert "已解除登录锁定：zhangsan" in response.content.decode()
    client.logout()
    assert log_in(client, "zhangsan", PASSWORD).status_code == 302

    client.logout()
    client.force_login(StaffFactory(username="root9", is_superuser=True))
    client.post(changelist, {"action": "unlock", "_selected_action": [staff_lock.pk]})
    client.logout()
    assert log_in(client, staff.username, PASSWORD).status_code == 302


def test_editors_cannot_see_or_lift_locks(client, editor):
    client.force_login(editor)
    assert client.get(reverse("admin:accounts_loginlockout_changelist")).status_code == 403


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_password_reset_is_limited_per_address_and_per_client(
    client, reader, smtp_server, worker, settings
):
    url = reverse("password_reset")
    for _ in range(5):
        assert client.post(url, {"email": "zhang@example.com"}).status_code == 302
    worker()
    assert len(smtp_server) == settings.PASSWORD_RESET_LIMIT_PER_EMAIL == 3

    settings.PASSWORD_RESET_LIMIT_PER_IP = 5
    for index in range(8):
        SubscriberFactory(user__username=f"r{index}", user__email=f"r{index}@example.com")
        client.post(url, {"email": f"r{index}@example.com"}, REMOTE_ADDR="10.1.1.1")
    # The first five addresses from that client got a mail; the page never tells.
    worker()
    assert len(smtp_server) == 3 + 5


# --- 4. Staff second factor ------------------------------------------------------------------


@pytest.fixture
def otp_required(settings):
    settings.OTP_REQUIRED = True


def test_the_admin_asks_for_a_totp_code(client, otp_required, reviewer):
    device = TOTPDevice.objects.create(user=reviewer, name="身份验证器", confirmed=True)
    page = client.get(ADMIN_LOGIN).content.decode()
    assert "动态验证码" in page

    without_code = log_in(client, reviewer.username, PASSWORD, url=ADMIN_LOGIN)
    assert "请输入身份验证器应用显示的 6 位动态验证码" in without_code.content.decode()
    wrong = client.post(
        ADMIN_LOGIN, {"username": reviewer.username, "password": PASSWORD, "otp_token": "000000"}
    )
    assert "动态验证码不正确" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code delays the next try by a second (django-otp)

    code = f"{totp(device.bin_key):06d}"
    response = client.post(
        ADMIN_LOGIN,
        {"username": reviewer.username, "password": PASSWORD, "otp_token": code, "next": "/admin/"},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_password_alone_does_not_open_the_admin(client, otp_required, reviewer):
    client.force_login(reviewer)  # a session without a verified device
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(ADMIN_LOGIN)


def test_the_local_demo_admin_needs_no_code(client, reviewer, settings):
    settings.OTP_REQUIRED = False
    client.force_login(reviewer)
    assert client.get("/admin/").status_code == 200


def test_the_setup_command_creates_a_device_and_prints_its_secret(reviewer):
    out = io.StringIO()
    call_command("totp_device", reviewer.username, stdout=out)
    device = TOTPDevice.objects.get(user=reviewer)
    assert device.confirmed
    assert "otpauth://totp/" in out.getvalue()
    assert "█" in out.getvalue() or "▀" in out.getvalue()  # the QR code, for the terminal

    with pytest.raises(Exception, match="已有身份验证器"):
        call_command("totp_device", reviewer.username, stdout=io.StringIO())
    call_command("totp_device", reviewer.username, "--replace", stdout=io.StringIO())
    assert TOTPDevice.objects.get(user=reviewer).pk != device.pk


# --- 11. Password storage ----------------------------------------------------------------------


def test_passwords_are_stored_with_argon2_and_old_hashes_upgraded_at_login(client, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = SubscriberFactory(user__username="old-hash").user
    user.password = make_password("an-old-password", hasher="pbkdf2_sha256")
    user.save()
    assert log_in(client, "old-hash", "an-old-password").status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


def test_the_project_puts_argon2_first():
    # The tests swap in a fast hasher (conftest); the project's own list is in the settings.
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


# --- 9. A suspended subscriber hears why ---------------------------------------------------


def test_a_suspended_reader_with_the_right_password_is_told_whom_to_contact(client, reader):
    get_user_model().objects.filter(pk=reader.pk).update(is_active=False)
    page = log_in(client, "zhangsan", PASSWORD).content.decode()
    assert "您的账号已停用" in page
    assert "许昌市科学技术情报研究所" in page
    # Without the right password nothing tells the account exists, or is suspended.
    page = log_in(client, "zhangsan", "wrong").content.decode()
    assert "停用" not in page
    assert "请输入一个正确的" in page


def test_a_reader_suspended_while_reading_is_told_on_the_login_page(client, reader):
    client.force_login(reader)
    get_user_model().objects.filter(pk=reader.pk).update(is_active=False)
    response = client.get(reverse("reader:home"), follow=True)
    assert "您的账号已停用，阅读已结束" in response.content.decode()


# --- 10. Demo accounts ------------------------------------------------------------------------


def test_load_demo_never_changes_an_existing_accounts_password(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("a-real-secret-now")
    admin.is_active = False
    admin.save()

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    admin.refresh_from_db()
    assert admin.check_password("a-real-secret-now")
    assert not admin.is_active
    assert "已存在的账号保持原样" in out.getvalue()

    call_command("load_demo", "--reset-demo-passwords", stdout=io.StringIO())
    admin.refresh_from_db()
    assert admin.check_password("xuchang-demo")
    assert Group.objects.get(name="编辑").user_set.filter(username="editor").exists()


def test_the_editors_image_upload_needs_the_second_factor_too(client, otp_required, editor):
    client.force_login(editor)  # a password alone, no verified device
    response = client.post("/editor/images/", {})
    assert response.status_code == 403
    assert "没有上传图片的权限" in response.json()["error"]["message"]
