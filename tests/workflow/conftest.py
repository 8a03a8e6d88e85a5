import pytest
from django.contrib.auth.models import Group

from tests.factories import StaffFactory


def member_of(group_name, username):
    user = StaffFactory(username=username)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def editor():
    return member_of("编辑", "editor1")


@pytest.fixture
def other_editor():
    return member_of("编辑", "editor2")


@pytest.fixture
def reviewer():
    return member_of("审核", "reviewer1")


@pytest.fixture
def subadmin():
    return member_of("订户管理", "subadmin1")
