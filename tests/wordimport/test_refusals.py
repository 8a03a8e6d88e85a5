"""Files that are not a Word issue are refused with a reason in Chinese, before any parser works."""

import io
import zipfile

import pytest
from docx import Document

from apps.wordimport import checks, parsing
from apps.wordimport.checks import ImportRefused, check_upload
from apps.wordimport.parsing import parse_docx
from tests.wordimport.documents import build, png, replace_member, save


def refusal(name, data):
    with pytest.raises(ImportRefused) as caught:
        check_upload(name, data)
        parse_docx(data)
    return caught.value.message


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in members.items():
            package.writestr(name, content)
    return out.getvalue()


def test_an_empty_file():
    assert refusal("第12期.docx", b"") == checks.EMPTY_FILE


def test_a_word_document_without_text():
    assert refusal("空白.docx", save(Document())) == parsing.NO_TEXT


def test_a_legacy_doc_is_asked_to_be_saved_as_docx():
    ole = checks.OLE_MAGIC + b"\x00" * 512
    message = refusal("第12期.doc", ole)
    assert "另存为" in message
    assert ".docx" in message
    # The same file renamed to .docx is still a .doc (and so is a password-protected .docx).
    assert refusal("第12期.docx", ole) == message


@pytest.mark.parametrize("name", ["第12期.pdf", "第12期.wps", "第12期.rtf", "第12期"])
def test_other_file_types(name, sample_docx):
    assert refusal(name, sample_docx) == checks.WRONG_TYPE


@pytest.mark.parametrize(
    "data",
    [
        png(),
        b"PK\x03\x04 this is not a zip at all",
        zip_of({"notes.txt": b"hello"}),
        # A workbook: a zip of Office parts, but not a Word document.
        zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
    ],
    ids=["png", "broken-zip", "random-zip", "workbook"],
)
def test_files_that_are_not_word(data):
    assert refusal("第12期.docx", data) == checks.NOT_WORD


def test_a_damaged_word_document(sample_docx):
    data = replace_member(sample_docx, "word/document.xml", b"<w:document><w:body><w:p>")
    message = refusal("第12期.docx", data)
    assert message in (parsing.UNREADABLE, checks.NOT_WORD)


def test_a_file_over_the_size_limit(monkeypatch, sample_docx):
    monkeypatch.setattr(checks, "MAX_UPLOAD_BYTES", len(sample_docx) - 1)
    assert refusal("第12期.docx", sample_docx).startswith("文件过大")


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    # 60 MB of zeros compress to about 60 KB: far past the ratio any text reaches.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", b"<Types/>")
        with package.open("word/document.xml", "w") as member:
            for _ in range(60):
                member.write(b"\0" * 1024 * 1024)
    assert refusal("第12期.docx", out.getvalue()) == checks.TOO_LARGE_CONTENT


def test_too_much_content_in_total(monkeypatch, sample_docx):
    monkeypatch.setattr(checks, "MAX_TOTAL_BYTES", 10_000)
    assert refusal("第12期.docx", sample_docx) == checks.TOO_LARGE_CONTENT


def test_entity_expansion_is_refused(sample_docx):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><w:document/>'
    )
    data = replace_member(sample_docx, "word/document.xml", bomb)
    assert refusal("第12期.docx", data) == checks.NOT_WORD


def test_a_very_long_document(monkeypatch, sample_docx):
    monkeypatch.setattr(parsing, "MAX_BLOCKS", 10)
    assert refusal("第12期.docx", sample_docx) == parsing.TOO_LONG


def test_too_many_titles(monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ARTICLES", 3)
    assert refusal("第12期.docx", build()) == parsing.TOO_MANY_ARTICLES
