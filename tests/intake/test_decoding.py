"""Reading the bytes a site sent as the characters it meant (apps.intake.decoding)."""

import os
from pathlib import Path

import pytest

from apps.intake.decoding import ReadError, decode

PAGES = Path(__file__).parent / "pages"
GBK_PAGE = (PAGES / "gov_article_gbk.html").read_bytes()  # declares GB2312, holds GBK characters
UTF8_TWIN = (PAGES / "gov_article_utf8.html").read_bytes()


def same_page(text: str) -> str:
    """The text with its charset declaration left out, to compare twins."""
    return text.replace("charset=gb2312", "").replace("charset=utf-8", "")


def test_a_gbk_page_declared_gb2312_reads_like_its_utf8_twin():
    text = decode(GBK_PAGE)

    assert same_page(text) == same_page(decode(UTF8_TWIN))
    # Not in GB2312: a strict GB2312 reading would garble the company and the manager.
    assert "许昌镕达新材料有限公司总经理李喆" in text
    assert "啰嗦的流程要简化" in text


def test_a_gb18030_page_reads_like_its_utf8_twin():
    # 䶮 (CJK Extension A) exists only in GB18030, beyond GBK.
    utf8 = UTF8_TWIN.replace("李喆".encode(), "李䶮".encode())
    gb18030 = utf8.decode().replace("charset=utf-8", "charset=gb18030").encode("gb18030")

    text = decode(gb18030, "text/html; charset=GB18030")

    assert text.replace("gb18030", "utf-8") == decode(utf8)
    assert "总经理李䶮" in text


def test_the_header_charset_is_believed_before_the_meta_tag():
    # The page's template still says windows-1251, which would read every byte without an
    # error (as Cyrillic); the server knows better.
    body = GBK_PAGE.replace(b"charset=gb2312", b"charset=windows-1251")

    text = decode(body, "text/html; charset=GBK")

    assert "许昌市3家企业入选2024年度河南省创新龙头企业名单" in text


def test_the_meta_tag_is_used_when_the_header_names_no_charset():
    assert "李喆" in decode(GBK_PAGE, "text/html")


def test_an_html5_meta_charset_is_read():
    body = GBK_PAGE.replace(
        b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />',
        b'<meta charset="gbk">',
    )

    assert "李喆" in decode(body, "text/html")


def test_a_feed_declares_its_charset_in_the_xml_declaration():
    body = '<?xml version="1.0" encoding="gbk"?><rss><title>许昌镕达入选</title></rss>'

    assert "许昌镕达入选" in decode(body.encode("gbk"), "application/rss+xml")


def test_a_page_that_declares_nothing_is_detected():
    body = GBK_PAGE.replace(b"; charset=gb2312", b"")

    text = decode(body, "text/html")

    assert text == decode(UTF8_TWIN.replace(b"; charset=utf-8", b""))


@pytest.mark.parametrize("bogus", ["x-unknown-charset", "base64", "utf-7", ""])
def test_an_unknown_or_bogus_header_charset_falls_through_to_the_meta_tag(bogus):
    assert "李喆" in decode(GBK_PAGE, f"text/html; charset={bogus}")


def test_a_wrong_header_charset_falls_through_to_the_meta_tag():
    # The server says UTF-8, but the bytes are GBK: read as UTF-8 they are mostly errors.
    assert "李喆" in decode(GBK_PAGE, "text/html; charset=utf-8")


def test_a_servers_latin1_default_gives_way_to_the_pages_own_declaration():
    # Java and PHP servers label pages ISO-8859-1 unless configured; Latin-1 never fails.
    assert "李喆" in decode(GBK_PAGE, "text/html; charset=ISO-8859-1")


def test_a_latin1_page_stays_latin1():
    assert decode("Zürich Öko".encode("latin-1"), "text/html; charset=iso-8859-1") == "Zürich Öko"


def test_a_byte_order_mark_outweighs_every_declaration():
    body = "\ufeff<p>许昌</p>".encode()

    assert decode(body, "text/html; charset=gbk") == "<p>许昌</p>"


def test_a_stray_broken_byte_costs_one_character_not_the_page():
    # A title cut in the middle of a character by a site's length limit.
    body = UTF8_TWIN.replace("河南省科学技术厅</title>".encode(), b"\xe6\xb2</title>")

    text = decode(body)

    assert "李喆" in text
    assert text.count("\ufffd") == 1


def test_empty_bytes_are_empty_text():
    assert decode(b"") == ""


def test_bytes_that_are_no_text_at_all_are_refused_in_chinese():
    with pytest.raises(ReadError, match="无法识别网页编码"):
        decode(b"\x89PNG\r\n\x1a\n" + os.urandom(4000), "text/html")
