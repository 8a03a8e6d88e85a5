"""Subscriber import and export cannot be used to read subscribers in bulk or take accounts over.

Findings of the outside test: every staff account could import and export; an import could
rewrite the e-mail of a leader (then the password reset logs in as that leader) or of a staff
member who also subscribes; the confirm step read and deleted any file in the temporary folder.
"""

import csv
import io
import tempfile
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from apps.subscribers.importing import ImportFileStorage
from apps.subscribers.models import Subscriber
from apps.subscribers.resources import COLUMNS
from tests.factories import StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:subscribers_subscriber_import")
PROCESS_URL = reverse("admin:subscribers_subscriber_process_import")
EXPORT_URL = reverse("admin:subscribers_subscriber_export")
TEMPLATE_URL = reverse("admin:subscribers_template")
CSV_FORMAT = "1"  # SubscriberAdmin.import_formats: XLSX, CSV
CONFIRM_LABEL = "我确认更改以上账号的登录邮箱/手机号"
ROLES = ["editor", "reviewer", "subscriber", "subadmin", "superuser"]


@pytest.fixture
def as_role(client_for, request):
    """Sign the test client in as one of ROLES."""

    def sign_in(role):
        if role == "subscriber":
            user = request.getfixturevalue("enterprise")
        elif role == "superuser":
            user = StaffFactory(username="root", is_superuser=True)
        else:
            user = request.getfixturevalue(role)
        return client_for(user)

    return sign_in


@pytest.fixture
def staff_reader():
    """A staff member who also subscribes to the bulletin."""
    user = StaffFactory(username="staff.reader", email="staff.reader@example.com")
    SubscriberFactory(user=user, organization="情报所")
    return user


def row(**values):
    defaults = {
        "username": "li.shuji",
        "full_name": "李书记",
        "mobile": "13700000001",
        "email": "li@example.com",
        "kind": Subscriber.Kind.LEADERSHIP.label,
        "organization": "鄢陵县委",
        "position": "书记",
        "region": Subscriber.Region.YANLING.label,
        "phone": "",
        "industries": "",
        "valid_from": "2025-01-01",
        "valid_until": "2099-12-31",
        "notify_by_email": "是",
        "wecom_userid": "",
        "notes": "",
    }
    defaults.update(values)
    return [defaults[key] for key in COLUMNS]


def csv_bytes(*rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS.values())
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def dry_run(client, *rows):
    upload = SimpleUploadedFile("订户.csv", csv_bytes(*rows))
    return client.post(IMPORT_URL, {"import_file": upload, "format": CSV_FORMAT, "resource": "0"})


def confirm(client, response, **extra):
    """Post the confirmation form the dry run page offers, as the browser would."""
    form = response.context["confirm_form"]
    data = {name: value for name, value in form.initial.items() if value is not False}
    return client.post(PROCESS_URL, {**data, **extra})


def export(client, fmt="1"):
    fields = {f"subscriberresource_{key}": "on" for key in COLUMNS}
    return client.post(EXPORT_URL, {"format": fmt, "resource": "0", **fields})


def exported_cells(response, fmt):
    if fmt == "0":
        workbook = load_workbook(io.BytesIO(response.content))
        return {cell for cells in workbook.active.iter_rows(values_only=True) for cell in cells}
    return {cell for cells in csv.reader(io.StringIO(response.content.decode())) for cell in cells}


def stored_upload(*rows):
    """An import file as the preview stores it (as if someone had got one past the preview)."""
    storage = ImportFileStorage()
    storage.save(csv_bytes(*rows))
    return storage.name


def post_confirm(client, name):
    return client.post(
        PROCESS_URL,
        {
            "import_file_name": name,
            "original_file_name": "订户.csv",
            "format": CSV_FORMAT,
            "resource": "0",
            "confirm_identity_changes": "on",
        },
    )


# --- who may import and export ---


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", [IMPORT_URL, EXPORT_URL, TEMPLATE_URL])
def test_only_subscriber_admins_and_superusers_open_import_export_and_template(as_role, role, url):
    response = as_role(role).get(url)
    if role in ("subadmin", "superuser"):
        assert response.status_code == 200
    elif role == "subscriber":
        assert response.status_code == 302  # the admin's login page
        assert reverse("admin:login") in response["Location"]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("fmt", ["0", "1"], ids=["xlsx", "csv"])
def test_export_gives_contact_details_only_to_those_who_may_see_them(
    as_role, role, fmt, leader, staff_reader
):
    leader.mobile = "13800000001"
    leader.save()

    response = export(as_role(role), fmt)

    if role in ("editor", "reviewer", "subscriber"):
        assert response.status_code == (302 if role == "subscriber" else 403)
        content = response.content.decode()
        assert leader.mobile not in content and leader.email not in content
        return
    assert response.status_code == 200
    cells = exported_cells(response, fmt)
    assert leader.mobile in cells and leader.email in cells
    # The export is the admin's list: a subscriber admin never sees staff accounts there.
    assert (staff_reader.email in cells) is (role == "superuser")


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_editors_and_reviewers_cannot_import_and_take_over_a_leader(as_role, role, leader):
    takeover = row(username=leader.username, email="attacker@example.net")

    response = dry_run(as_role(role), takeover)
    assert response.status_code == 403

    # Nor can they confirm a file someone else previewed, or one they got stored.
    response = post_confirm(as_role(role), stored_upload(takeover))
    assert response.status_code == 403

    leader.refresh_from_db()
    assert leader.email == "leader1@example.com"


# --- an import never touches staff or superusers ---


@pytest.mark.parametrize("importer", ["subadmin", "superuser"])
@pytest.mark.parametrize("target", ["staff_reader", "superuser_account"])
def test_import_refuses_rows_naming_a_staff_or_superuser_account(
    as_role, request, importer, target
):
    if target == "superuser_account":
        victim = StaffFactory(username="it.admin", is_superuser=True, email="it@example.com")
    else:
        victim = request.getfixturevalue("staff_reader")
    old_email = victim.email
    client = as_role(importer)
    takeover = row(username=victim.username, email="attacker@example.net", mobile="")
    harmless = row(username="new.one", email="new.one@example.com", mobile="")

    response = dry_run(client, harmless, takeover)

    page = response.content.decode()
    assert f"“{victim.username}”是工作人员或超级管理员的账号，导入不能创建或修改这类账号" in page
    assert response.context.get("confirm_form") is None

    # The confirm step checks the same, and (all or nothing) imports no row of the file.
    response = post_confirm(client, stored_upload(harmless, takeover))
    assert response.status_code == 200
    page = response.content.decode()
    assert "没有导入任何数据" in page
    assert "是工作人员或超级管理员的账号" in page
    victim.refresh_from_db()
    assert victim.email == old_email
    assert not get_user_model().objects.filter(username="new.one").exists()


# --- a change of login e-mail or mobile is shown and must be confirmed ---


def test_change_of_login_email_and_mobile_is_named_and_needs_its_own_tick(subadmin_client, leader):
    newcomer = row(username="new.one", email="new.one@example.com", mobile="13700000002")
    takeover = row(username=leader.username, email="attacker@example.net", mobile="13700000003")

    preview = dry_run(subadmin_client, newcomer, takeover)

    page = preview.content.decode()
    assert "以下账号的登录邮箱/手机号将被更改" in page
    assert f"账号{leader}的登录邮箱：leader1@example.com → attacker@example.net" in page
    assert f"账号{leader}的登录手机号：（空） → 13700000003" in page
    assert CONFIRM_LABEL in page

    # Confirming without the tick imports nothing and says why; the form comes back.
    response = confirm(subadmin_client, preview)
    assert response.status_code == 200
    page = response.content.decode()
    assert "没有导入任何数据：此文件会更改下列账号的登录邮箱或手机号" in page
    assert f"账号{leader}的登录邮箱：leader1@example.com → attacker@example.net" in page
    assert CONFIRM_LABEL in page
    leader.refresh_from_db()
    assert (leader.email, leader.mobile) == ("leader1@example.com", "")
    assert not get_user_model().objects.filter(username="new.one").exists()

    # With the tick, the same file imports, and the change is reported once more.
    response = confirm(subadmin_client, response, confirm_identity_changes="on")
    assert response.status_code == 302
    leader.refresh_from_db()
    assert (leader.email, leader.mobile) == ("attacker@example.net", "13700000003")
    assert get_user_model().objects.filter(username="new.one").exists()
    page = subadmin_client.get(response["Location"]).content.decode()
    assert "已按确认更改登录邮箱/手机号" in page and "attacker@example.net" in page


# --- the confirm step reads only what its own preview stored ---


@pytest.fixture
def file_in_tmp():
    """A file in the system temporary folder that would import a subscriber if read."""
    path = Path(tempfile.gettempdir()) / f"tmp{uuid.uuid4().hex[:8]}"
    content = csv_bytes(row(username="tmp.victim", email="tmp@example.com", mobile=""))
    path.write_bytes(content)
    yield path, content
    path.unlink(missing_ok=True)


@pytest.mark.parametrize(
    "forged",
    [
        lambda path: "../../etc/passwd",
        lambda path: str(path),  # /tmp/…
        lambda path: path.name,  # the library's default storage joins it to /tmp
        lambda path: f"../{path.parent.name}/{path.name}",
    ],
    ids=["etc-passwd", "absolute-tmp-path", "name-in-tmp", "relative-path"],
)
def test_forged_file_name_is_refused_and_no_file_is_read_or_deleted(
    subadmin_client, file_in_tmp, forged
):
    path, content = file_in_tmp

    response = post_confirm(subadmin_client, forged(path))

    assert response.status_code == 400
    assert "导入请求无效（文件标识或格式不正确），没有导入任何数据" in response.content.decode()
    assert path.read_bytes() == content
    assert Path("/etc/passwd").exists()
    assert not get_user_model().objects.filter(username="tmp.victim").exists()


def test_well_formed_name_of_a_file_in_tmp_is_not_read_either(subadmin_client):
    # A name of the right form selects only an entry of the import's own storage.
    name = uuid.uuid4().hex
    path = Path(tempfile.gettempdir()) / name
    content = csv_bytes(row(username="tmp.victim", email="tmp@example.com", mobile=""))
    path.write_bytes(content)
    try:
        response = post_confirm(subadmin_client, name)

        assert response.status_code == 400
        assert "导入文件已过期" in response.content.decode()
        assert path.read_bytes() == content
        assert not get_user_model().objects.filter(username="tmp.victim").exists()
    finally:
        path.unlink(missing_ok=True)
