"""Search excerpts keep a break between block elements: a heading never runs into a table cell.

"<h3>一、产业规模</h3><table>…<td>2023年</td>" read "一、产业规模2023年…" in the results, as if
it were one sentence; inline tags (<strong>, <a>) still join the words they split.
"""

import pytest
from django.urls import reverse

from apps.search.snippets import snippet
from tests.search.test_matching import publish

pytestmark = pytest.mark.django_db

URL = reverse("reader:search")
REPORT = (
    "<h3>一、产业规模</h3>"
    '<figure class="table"><table><tbody><tr><td>2023年</td><td>营业收入1,286亿元</td></tr>'
    "<tr><th>同比</th><td>增长26.4%</td></tr></tbody></table></figure>"
    "<ul><li>新材料企业214家</li><li>智能装备158家</li></ul>"
    "<p>第一行<br>第二行，<strong>氢</strong>能产业</p><blockquote>引文</blockquote><p>结语</p>"
)


def test_a_heading_and_a_table_cell_are_kept_apart_in_the_results(client, enterprise):
    publish("产业运行报告", body=REPORT)
    client.force_login(enterprise)
    page = client.get(URL, {"q": "产业规模"}).content.decode()
    excerpt = page.split('class="search-snippet"')[1].split("</")[0]
    assert "<mark>产业规模</mark> 2023年 营业收入1,286亿元 同比 增长26.4%" in page, excerpt
    assert "产业规模</mark>2023" not in page


def test_every_block_edge_is_a_break_and_inline_tags_join():
    text = snippet("", REPORT, ["产业规模", "氢能"])
    assert text == (
        "一、<mark>产业规模</mark> 2023年 营业收入1,286亿元 同比 增长26.4% "
        "新材料企业214家 智能装备158家 第一行 第二行，<mark>氢能</mark>产业 引文 结语"
    )


def test_the_summary_and_the_body_stay_apart():
    assert snippet("摘要一句", "<p>正文一句</p>", []) == "摘要一句 正文一句"
