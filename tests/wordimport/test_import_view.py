"""The import over HTTP: upload, preview, confirm, as an editor would in the back office."""

import io
import os
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.articles.models import Article, Industry, Section
from apps.issues.models import Issue
from apps.uploads.models import ImageUse
from apps.wordimport import checks, forms, storage
from tests.factories import IssueFactory, StaffFactory
from tests.wordimport.documents import (
    DOCX,
    SAMPLE_ISSUE,
    TITLES,
    broken_png,
    build,
    paragraphs_of,
    png,
    replace_member,
    sample_lines,
)

URL = reverse("issue_import_word")
pytestmark = pytest.mark.django_db


def upload(client, data, name="第12期.docx"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data, content_type=DOCX)})


def preview_url(response):
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].startswith(URL + "?ref=")
    return response["Location"]


def ref_of(url):
    return re.search(r"ref=([^&]+)", url).group(1)


def confirm_data(client, url, **changes):
    """The preview form as it was shown (initial values), with `changes` applied."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["form"]
    data = {"ref": response.context["ref"]}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool) or value is None:
            if value:
                data[name] = "on"
            continue
        data[name] = value
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def test_one_upload_and_one_confirmation_make_the_draft_issue(editor_client, editor, sample_docx):
    url = preview_url(upload(editor_client, sample_docx))
    preview = editor_client.get(url)

    assert preview.status_code == 200
    page = preview.content.decode()
    for title in TITLES:
        assert title in page
    assert "行业趋势" in page and "行业报告" in page
    assert "许昌市科学技术情报研究所是隶属于市科技局" in page  # the note's excerpt
    assert Issue.objects.count() == 0  # nothing before the confirmation

    data = confirm_data(editor_client, url, year="2023", number="12")
    response = editor_client.post(URL, data)

    issue = Issue.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:issues_issue_change", args=[issue.pk])
    assert (issue.year, issue.number, issue.status) == (2023, 12, Issue.Status.DRAFT)
    assert issue.created_by == editor
    assert paragraphs_of(issue.editor_note) == paragraphs_of(SAMPLE_ISSUE["issue"]["editor_note"])
    articles = list(issue.articles.select_related("section").order_by("section__order", "position"))
    expected = [(a["title"], a["section"], a["position"]) for a in SAMPLE_ISSUE["articles"]]
    assert [(a.title, a.section.slug, a.position) for a in articles] == expected
    for article in articles:
        assert article.status == Article.Status.DRAFT
        assert article.created_by == editor
        assert article.visibility == Article.Visibility.ALL
        assert 0 < len(article.summary) <= 120
    assert "<h3>下沉到企业一线</h3>" in articles[2].body
    [message] = messages_of(response)
    assert message.startswith("已从 Word 导入 2023年第12期（草稿）：编者的话，4 篇文章")
    assert "综合要闻 2 篇、行业趋势 1 篇、行业报告 1 篇" in message

    # The editor lands on the issue's page and may edit what they imported.
    change = editor_client.get(response["Location"])
    assert change.status_code == 200
    assert TITLES[0] in change.content.decode()


def test_suggested_industries_are_ticked_and_saved(editor_client, sample_docx):
    url = preview_url(upload(editor_client, sample_docx))
    data = confirm_data(editor_client, url, year="2023", number="12")
    it = Industry.objects.get(slug="next-generation-it")
    assert str(it.pk) in data["industries_3"]  # the generative-AI article

    editor_client.post(URL, data)

    ai = Article.objects.get(title=TITLES[3])
    assert it in ai.industries.all()


def test_industries_and_sections_can_be_changed(editor_client, sample_docx):
    url = preview_url(upload(editor_client, sample_docx))
    food = Industry.objects.get(slug="food")
    finance = Section.objects.get(slug="finance-highlights")
    data = confirm_data(
        editor_client,
        url,
        year="2023",
        number="12",
        industries_0=[str(food.pk)],
        section_1=str(finance.pk),
    )

    editor_client.post(URL, data)

    first, second = (Article.objects.get(title=title) for title in TITLES[:2])
    assert list(first.industries.all()) == [food]
    assert (second.section, second.position) == (finance, 1)
    assert (first.section.slug, first.position) == ("general-news", 1)


def test_drop_and_merge(editor_client, sample_docx):
    url = preview_url(upload(editor_client, sample_docx))
    data = confirm_data(editor_client, url, year="2023", number="12", drop_0="on", merge_3="on")

    response = editor_client.post(URL, data)

    assert response.status_code == 302
    issue = Issue.objects.get()
    titles = list(
        issue.articles.order_by("section__order", "position").values_list("title", flat=True)
    )
    assert titles == [TITLES[1], TITLES[2]]
    shenzhen = Article.objects.get(title=TITLES[2])
    # The merged article follows under its own title, as a subheading.
    assert f"<h3>{TITLES[3]}</h3>" in shenzhen.body.replace("&quot;", '"')
    assert "<h3>深度学习加聊天</h3>" in shenzhen.body
    assert shenzhen.section.slug == "industry-trends"


def test_merging_the_first_article_is_refused(editor_client, sample_docx):
    url = preview_url(upload(editor_client, sample_docx))
    data = confirm_data(editor_client, url, year="2023", number="12", merge_0="on")

    response = editor_client.post(URL, data)

    assert response.status_code == 200
    assert "无法“并入上一篇”" in response.content.decode()
    assert Issue.objects.count() == Article.objects.count() == 0


def test_drop_and_merge_of_the_same_article_is_refused(editor_client, sample_docx):
    url = preview_url(upload(editor_client, sample_docx))
    data = confirm_data(editor_client, url, year="2023", number="12", drop_1="on", merge_1="on")

    response = editor_client.post(URL, data)

    assert response.status_code == 200
    assert "不能同时“删除”和“并入上一篇”" in response.content.decode()
    assert Issue.objects.count() == 0


def test_dropping_everything_is_refused(editor_client, sample_docx):
    url = preview_url(upload(editor_client, sample_docx))
    drops = {f"drop_{index}": "on" for index in range(4)}
    data = confirm_data(editor_client, url, year="2023", number="12", **drops)

    response = editor_client.post(URL, data)

    assert response.status_code == 200
    assert "请至少保留一篇" in response.content.decode()
    assert Issue.objects.count() == 0


def test_the_proposed_number_is_the_next_free_one(editor_client, sample_docx):
    this_year = timezone.localdate().year
    IssueFactory(year=this_year, number=3)
    IssueFactory(year=this_year, number=7)

    response = editor_client.get(preview_url(upload(editor_client, sample_docx)))

    form = response.context["form"]
    assert (form["year"].value(), form["number"].value()) == (this_year, 8)


def test_the_documents_own_number_is_proposed(editor_client):
    data = build(["许昌竞争情报快递", "2023年第12期", *sample_lines()])
    response = editor_client.get(preview_url(upload(editor_client, data)))

    form = response.context["form"]
    assert (form["year"].value(), form["number"].value()) == (2023, 12)


@pytest.mark.parametrize(
    ("year", "number", "message"),
    [
        ("2023", "12", "2023年第12期已经存在，请换一个期号。"),
        ("1999", "1", "确保该值大于或等于2000"),
        ("2023", "0", "确保该值大于或等于1"),
        ("2023", "100", "确保该值小于或等于99"),
        ("二〇二三", "12", "年份应为四位数字。"),
        ("", "12", "请填写年份。"),
        ("99999999999999999999", "12", "确保该值小于或等于2100"),
    ],
)
def test_year_and_number_are_checked(editor_client, sample_docx, year, number, message):
    IssueFactory(year=2023, number=12)
    url = preview_url(upload(editor_client, sample_docx))
    data = confirm_data(editor_client, url, year=year, number=number)

    response = editor_client.post(URL, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Issue.objects.count() == 1
    assert Article.objects.count() == 0


@pytest.mark.parametrize(
    "forged",
    [
        {"section_0": "999999"},
        {"section_0": "99999999999999999999"},
        {"section_0": "abc"},
        {"industries_0": ["999999"]},
        {"industries_0": ["99999999999999999999"]},
        {"section_0": None, "industries_1": None},  # fields left out
        {"drop_99": "on", "merge_42": "on", "section_77": "1"},  # articles that do not exist
    ],
)
def test_forged_choices_change_nothing(editor_client, sample_docx, forged):
    url = preview_url(upload(editor_client, sample_docx))
    data = confirm_data(editor_client, url, year="2023", number="12", **forged)

    response = editor_client.post(URL, data)

    if "drop_99" in forged:  # fields that were never offered are ignored
        assert response.status_code == 302
        assert Article.objects.count() == 4
    else:
        assert response.status_code == 200
        assert Issue.objects.count() == Article.objects.count() == 0


@pytest.mark.parametrize("ref", ["", "nonsense", "a" * 5000])
def test_a_forged_reference_sends_back_to_the_upload(editor_client, ref):
    response = editor_client.post(URL, {"ref": ref, "year": "2023", "number": "12"})

    assert response.status_code == 302
    assert response["Location"] == URL
    assert "导入文件已失效" in messages_of(response)[0]
    assert Issue.objects.count() == 0


def test_another_users_upload_cannot_be_used(client, editor, other_editor, sample_docx):
    client.force_login(editor)
    url = preview_url(upload(client, sample_docx))
    data = confirm_data(client, url, year="2023", number="12")
    client.force_login(other_editor)

    assert client.get(url)["Location"] == URL
    response = client.post(URL, data)

    assert response["Location"] == URL
    assert Issue.objects.count() == 0


def test_a_file_is_imported_once(editor_client, sample_docx, media_root):
    url = preview_url(upload(editor_client, sample_docx))
    data = confirm_data(editor_client, url, year="2023", number="12")
    editor_client.post(URL, data)

    # The kept file is gone: a second confirmation (a double click) cannot import it again.
    assert not list((media_root / storage.FOLDER).iterdir())
    response = editor_client.post(URL, {**data, "number": "13"})

    assert response["Location"] == URL
    assert Issue.objects.count() == 1


def test_old_kept_files_are_swept(editor_client, sample_docx, media_root):
    old = media_root / storage.FOLDER / ("0" * 32 + ".docx")
    old.parent.mkdir(parents=True)
    old.write_bytes(b"old")
    os.utime(old, (0, 0))

    upload(editor_client, sample_docx)

    assert not old.exists()
    assert len(list(old.parent.iterdir())) == 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("第12期.docx", b"", "文件是空的"),
        ("第12期.doc", checks.OLE_MAGIC + b"\0" * 100, "另存为"),
        ("第12期.docx", png(), "不是有效的 Word 文档"),
        ("第12期.pdf", b"%PDF-1.7", "只能导入 Word 文档"),
    ],
)
def test_bad_files_are_refused_on_the_upload_page(editor_client, name, data, message, media_root):
    response = upload(editor_client, data, name=name)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not (media_root / storage.FOLDER).exists()


def test_a_file_over_the_limit_is_refused_unread(editor_client, monkeypatch, sample_docx):
    monkeypatch.setattr(forms, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(checks, "MAX_UPLOAD_BYTES", 1000)

    response = upload(editor_client, sample_docx)

    assert response.status_code == 200
    assert "文件过大" in response.content.decode()


def test_an_upload_without_a_file(editor_client):
    response = editor_client.post(URL, {})

    assert response.status_code == 200
    assert "请选择要导入的 Word 文档" in response.content.decode()


def test_images_are_stored_like_uploads_and_shown(editor_client, editor, media_root):
    def add(document, title):
        if title == TITLES[2]:
            document.add_picture(io.BytesIO(png()))

    url = preview_url(upload(editor_client, build(add=add)))
    preview = editor_client.get(url)
    assert "图片 1 张" in preview.content.decode()
    editor_client.post(URL, confirm_data(editor_client, url, year="2023", number="12"))

    shenzhen = Article.objects.get(title=TITLES[2])
    [src] = re.findall(r'<img src="([^"]+)"', shenzhen.body)
    assert re.fullmatch(r"/media/editor/\d{4}/\d{2}/[0-9a-f]{32}\.png", src)
    assert '<figure class="image">' in shenzhen.body
    stored = media_root / src.removeprefix("/media/")
    assert stored.is_file()
    # Recorded as used by the article, so readers of the article may see it once published.
    assert ImageUse.objects.filter(article=shenzhen, path=src.removeprefix("/media/")).exists()
    assert editor_client.get(src).status_code == 200


def test_an_image_is_reencoded_before_it_is_stored(editor_client, media_root):
    payload = b"<script>alert(1)</script>PK\x03\x04appended"

    def add(document, title):
        if title == TITLES[0]:
            document.add_picture(io.BytesIO(png()))

    data = replace_member(build(add=add), "word/media/image1.png", png() + payload)
    url = preview_url(upload(editor_client, data))
    editor_client.post(URL, confirm_data(editor_client, url, year="2023", number="12"))

    [src] = re.findall(r'<img src="([^"]+)"', Article.objects.get(title=TITLES[0]).body)
    stored = (media_root / src.removeprefix("/media/")).read_bytes()
    assert payload not in stored
    assert stored.startswith(b"\x89PNG")


def test_a_broken_image_is_a_warning_and_the_rest_is_imported(editor_client, media_root):
    def add(document, title):
        if title == TITLES[2]:
            document.add_picture(io.BytesIO(png()))

    data = replace_member(build(add=add), "word/media/image1.png", broken_png())
    url = preview_url(upload(editor_client, data))

    page = editor_client.get(url).content.decode()
    assert "第 1 张图片未导入：无法识别该图片" in page
    response = editor_client.post(URL, confirm_data(editor_client, url, year="2023", number="12"))

    assert response.status_code == 302
    assert Article.objects.count() == 4
    assert "<img" not in Article.objects.get(title=TITLES[2]).body
    assert not (media_root / "editor").exists()


def test_text_before_the_first_title_can_become_the_note(editor_client):
    note = [line for line in sample_lines() if line.startswith("许昌市科学技术情报研究所")]
    lines = [line for line in sample_lines() if line != "●编者的话"]
    url = preview_url(upload(editor_client, build(lines)))

    page = editor_client.get(url).content.decode()
    assert "第一篇文章标题之前有文字" in page
    assert "把第一篇标题之前的文字作为编者的话" in page
    data = confirm_data(editor_client, url, year="2023", number="12", preamble_as_note="on")
    editor_client.post(URL, data)

    assert paragraphs_of(Issue.objects.get().editor_note) == [("p", note[0])]


def test_without_the_choice_the_text_before_the_first_title_is_left_out(editor_client):
    lines = [line for line in sample_lines() if line != "●编者的话"]
    url = preview_url(upload(editor_client, build(lines)))
    editor_client.post(URL, confirm_data(editor_client, url, year="2023", number="12"))

    assert Issue.objects.get().editor_note == ""
    assert Article.objects.count() == 4


def test_only_editors_and_reviewers_may_import(client, editor, reviewer, subadmin, leader):
    for user in (editor, reviewer):
        client.force_login(user)
        assert client.get(URL).status_code == 200
    client.force_login(subadmin)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"file": SimpleUploadedFile("a.docx", b"x")}).status_code == 403
    # Staff without the right to add issues and articles.
    client.force_login(StaffFactory(username="staff-without-roles"))
    assert client.get(URL).status_code == 403
    # A subscriber is not staff: the admin's login page, as for any admin page.
    client.force_login(leader)
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_visitors_are_sent_to_the_login(client, sample_docx):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={URL}"
    response = upload(client, sample_docx)
    assert response.status_code == 302
    assert Issue.objects.count() == 0


def test_the_issue_list_links_to_the_import(editor_client):
    response = editor_client.get(reverse("admin:issues_issue_changelist"))

    assert response.status_code == 200
    assert f'<a href="{URL}">从 Word 导入</a>' in response.content.decode()


def test_the_page_works_under_the_back_offices_csp(editor_client, sample_docx):
    # No script at all: nothing for the policy to refuse.
    page = editor_client.get(preview_url(upload(editor_client, sample_docx))).content.decode()
    assert "<script>" not in page
    assert "onclick" not in page
