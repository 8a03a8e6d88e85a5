"""The Word import reads the masthead: 总第N期 and the document's year, not this year's.

A masthead says "2024年第1期　总第14期" on a line, or in the cells of a table, sometimes with
the date instead of the year ("第1期　总第14期", "2024年1月15日"). The preview proposes what
it says; the confirmed issue has it. Runs on SQLite and on PostgreSQL.
"""

import io

import docx
import pytest
from django.utils import timezone

from apps.issues.models import Issue
from tests.factories import IssueFactory
from tests.wordimport.documents import build, sample_lines, save
from tests.wordimport.test_import_view import confirm_data, preview_url, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def with_masthead(*lines):
    return build(["许昌竞争情报快递", *lines, *sample_lines()])


def with_masthead_table(*cells):
    """The sample, under a one-row table holding the masthead's cells."""
    document = docx.Document(io.BytesIO(build()))
    table = document.add_table(rows=1, cols=len(cells))
    for cell, text in zip(table.rows[0].cells, cells, strict=True):
        cell.text = text
    document.element.body.insert(0, table._tbl)
    return save(document)


def proposed(client, data):
    url = preview_url(upload(client, data))
    form = client.get(url).context["form"]
    return url, (form["year"].value(), form["number"].value(), form["total_number"].value())


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(lambda: with_masthead("2024年第1期　总第14期"), id="one-line"),
        pytest.param(lambda: with_masthead("2024年第1期", "（总第14期）"), id="two-lines"),
        pytest.param(lambda: with_masthead_table("2024年第1期", "总第 14 期"), id="table"),
    ],
)
def test_the_masthead_gives_year_number_and_total_number(editor_client, document):
    url, values = proposed(editor_client, document())
    assert values == (2024, 1, 14)

    response = editor_client.post(url, confirm_data(editor_client, url))
    assert response.status_code == 302, response.content.decode()[:2000]
    issue = Issue.objects.get()
    assert (issue.year, issue.number, issue.total_number) == (2024, 1, 14)
    assert str(issue) == "2024年第1期（总第14期）"


def test_without_year_in_the_number_the_documents_date_gives_the_year(editor_client):
    IssueFactory(year=2022, number=11)
    _, values = proposed(editor_client, with_masthead("第12期　总第11期", "2022年12月15日"))
    assert values == (2022, 12, 11)


def test_a_taken_number_proposes_the_next_in_the_documents_year(editor_client):
    assert timezone.localdate().year != 2023
    IssueFactory(year=2023, number=12)
    url, values = proposed(editor_client, with_masthead("2023年第12期"))
    assert values == (2023, 13, None)
    assert "文档标注为2023年第12期，但该期已经存在" in editor_client.get(url).content.decode()


def test_a_taken_total_number_is_not_proposed_and_is_refused(editor_client):
    IssueFactory(year=2023, number=12, total_number=14)
    url, values = proposed(editor_client, with_masthead("2024年第1期　总第14期"))
    assert values == (2024, 1, None)
    assert "文档标注为总第14期，但已有期刊使用该总期号" in editor_client.get(url).content.decode()

    response = editor_client.post(url, confirm_data(editor_client, url, total_number="14"))
    assert response.status_code == 200
    assert "已有期刊使用总第14期" in response.content.decode()
    assert Issue.objects.count() == 1


def test_the_total_number_may_be_left_empty(editor_client):
    url, _ = proposed(editor_client, with_masthead("2024年第1期　总第14期"))
    response = editor_client.post(url, confirm_data(editor_client, url, total_number=None))
    assert response.status_code == 302
    assert Issue.objects.get().total_number is None
