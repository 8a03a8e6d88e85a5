"""The version comparison reads rich text as a reader sees it: cells, rows and blocks apart."""

import pytest
from django.urls import reverse

from apps.articles.models import Article
from apps.workflow.history import text_lines
from tests.factories import ArticleFactory
from tests.workflow.test_editing import article_form, change_url

pytestmark = pytest.mark.django_db

TABLE = (
    '<figure class="table"><table><thead><tr><th>指标</th><th>2023年</th><th>2024年</th></tr>'
    "</thead><tbody><tr><td>增速（%）</td><td>{old}</td><td>26.4</td></tr></tbody></table></figure>"
)


def test_a_changed_table_cell_shows_as_its_row_with_the_cells_apart(client, reviewer, editor):
    article = ArticleFactory(
        created_by=editor, status=Article.Status.PUBLISHED, body=TABLE.format(old="21.5")
    )
    client.force_login(reviewer)
    client.post(change_url(article), article_form(article, body=TABLE.format(old="22.0")))
    old, new = article.history.order_by("history_date")
    page = client.get(
        reverse("admin:articles_article_compare", args=[article.pk]),
        {"old": old.pk, "new": new.pk},
    ).content.decode()
    assert '<div class="diff-same">指标 | 2023年 | 2024年</div>' in page
    assert '<div class="diff-del">增速（%） | 21.5 | 26.4</div>' in page
    assert '<div class="diff-ins">增速（%） | 22.0 | 26.4</div>' in page
    assert "21.526.4" not in page


@pytest.mark.parametrize(
    ("stored", "lines"),
    [
        ("<p>第一段。</p><p>第二段。</p>", ["第一段。", "第二段。"]),
        ("<h2>标题</h2><p>正文</p>", ["标题", "正文"]),
        ("<h3>小标题</h3>正文", ["小标题", "正文"]),
        ("<ul><li>新材料</li><li>食品</li></ul>", ["新材料", "食品"]),
        ("<ol><li><p>一</p></li><li>二</li></ol>", ["一", "二"]),
        ("<p>第一行<br>第二行</p>", ["第一行", "第二行"]),
        ("<blockquote><p>引文</p></blockquote>后文", ["引文", "后文"]),
        ("<table><tr><td>21.5</td><td>26.4</td></tr></table>", ["21.5 | 26.4"]),
        ("<table><tr><td></td><td>26.4</td></tr><tr><td></td></tr></table>", ["| 26.4"]),
        (
            '<figure class="image"><img src="/media/a.png"><figcaption>图注</figcaption></figure>',
            ["图注"],
        ),
        ("<p>A&amp;B <strong>加粗</strong>文字</p>", ["A&B 加粗文字"]),
        ("标题一\n第二行", ["标题一", "第二行"]),
        ("a < b", ["a < b"]),
        (None, []),
        (42, ["42"]),
    ],
)
def test_text_lines(stored, lines):
    assert text_lines(stored) == lines
