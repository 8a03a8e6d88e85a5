import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return UserFactory(username="zhangsan", email="ZhangSan@Example.com", mobile="13800000001")


@pytest.mark.parametrize(
    "login", ["zhangsan", "zhangsan@example.com", "13800000001", " 13800000001 "]
)
def test_sign_in_with_username_email_or_mobile(client, reader, login):
    response = client.post(reverse("login"), {"username": login, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(reader.pk)


@pytest.mark.parametrize(
    ("login", "password"),
    [("zhangsan", "wrong-password"), ("13800000009", PASSWORD), ("", PASSWORD)],
)
def test_wrong_credentials_are_refused_in_chinese(client, reader, login, password):
    response = client.post(reverse("login"), {"username": login, "password": password})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "请输入一个正确的" in page or "这个字段是必填项" in page
    # What the user typed stays in the form.
    if login.strip():
        assert f'value="{login}"' in page


def test_suspended_account_cannot_sign_in(client, reader):
    reader.is_active = False
    reader.save()
    client.post(reverse("login"), {"username": "zhangsan", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_username_wins_over_another_users_mobile(client, reader):
    # Someone chose a username that looks like reader's mobile number.
    other = UserFactory(username="13800000001")
    client.post(reverse("login"), {"username": "13800000001", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(other.pk)


def test_email_and_mobile_belong_to_one_user_only(reader):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="other1", email="zhangsan@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="other2", mobile="13800000001")
    # Blank values are "none", not a duplicate.
    UserFactory(username="other3", email="", mobile="")
    UserFactory(username="other4", email="", mobile="")


def test_login_page_is_in_chinese(client):
    page = client.get(reverse("login")).content.decode()
    assert "订户登录" in page
    assert "用户名、电子邮箱或手机号码" in page
