import pytest

from apps.core.richtext import sanitize_html
from tests.factories import ArticleFactory, IssueFactory

# What CKEditor 5 with our toolbar produces; it must come through unchanged.
CKEDITOR_OUTPUT = [
    "<h2>一、总体情况</h2><h3>（一）科技投入</h3><h4>1. 研发经费</h4>",
    "<p>正文&nbsp;<strong>加粗</strong><i>斜体</i><u>下划线</u><s>删除</s>"
    "H<sub>2</sub>O，10<sup>3</sup><br>换行</p>",
    '<p><a href="https://www.most.gov.cn/">科技部</a>，'
    '<a href="mailto:kjqb@example.com">来信</a></p>',
    "<ul><li>一</li><li>二</li></ul><ol><li>甲</li><li>乙</li></ol>",
    "<blockquote><p>引用</p></blockquote>",
    '<figure class="image"><img src="/media/editor/2023/12/a.jpg" alt="示意图" width="800" '
    'height="600"><figcaption>图1 示意图</figcaption></figure>',
    '<figure class="table"><table><thead><tr><th>地区</th><th>得分</th></tr></thead><tbody>'
    '<tr><td>上海</td><td>88.6</td></tr><tr><td colspan="2">合计</td></tr>'
    "</tbody></table></figure>",
]


@pytest.mark.parametrize("html", CKEDITOR_OUTPUT)
def test_ckeditor_output_is_kept_unchanged(html):
    assert sanitize_html(html) == html


XSS_PAYLOADS = [
    ("<script>alert(1)</script><p>正文</p>", "<p>正文</p>"),
    ('<img src="/media/a.png" onerror="alert(1)">', '<img src="/media/a.png">'),
    ('<a href="javascript:alert(1)">点我</a>', "<a>点我</a>"),
    ('<a href="JaVaScRiPt:alert(1)">点我</a>', "<a>点我</a>"),
    ('<a href="&#106;avascript:alert(1)">点我</a>', "<a>点我</a>"),
    ('<a href=" javascript:alert(1)">点我</a>', "<a>点我</a>"),
    ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', "<img>"),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "<a>x</a>"),
    ('<p style="background:url(javascript:alert(1))">正文</p>', "<p>正文</p>"),
    ("<style>body{display:none}</style><p>正文</p>", "<p>正文</p>"),
    ('<iframe src="https://evil.example/"></iframe><p>正文</p>', "<p>正文</p>"),
    ('<form action="https://evil.example/"><input name="pw"><button>提交</button></form>', "提交"),
    ("<svg onload=alert(1)><circle/></svg>", ""),
    ('<math><mi xlink:href="javascript:alert(1)">x</mi></math>', ""),
    ('<object data="evil.swf"></object><embed src="evil.swf">', ""),
    ('<p onclick="alert(1)" class="x" id="y">正文</p>', "<p>正文</p>"),
    (
        '<figure class="image evil" onmouseover="alert(1)"></figure>',
        '<figure class="image"></figure>',
    ),
    ('<img src="https://tracker.example/pixel.gif">', "<img>"),
    ('<img src="//tracker.example/pixel.gif">', "<img>"),
    ('<img src="/\t/tracker.example/pixel.gif">', "<img>"),
    ('<img src="/&#9;/tracker.example/pixel.gif">', "<img>"),
    ('<img src="/\\tracker.example/pixel.gif">', "<img>"),
    ("<!-- <script>alert(1)</script> --><p>正文</p>", "<p>正文</p>"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', ""),
]


@pytest.mark.parametrize(("payload", "expected"), XSS_PAYLOADS)
def test_xss_payloads_are_removed(payload, expected):
    assert sanitize_html(payload) == expected


@pytest.mark.django_db
def test_article_body_and_editor_note_are_sanitized_when_saved():
    issue = IssueFactory(editor_note='<p onclick="steal()">编者</p><script>x</script>')
    article = ArticleFactory(
        issue=issue, body='<p>正文<img src="/media/x.png" onerror="alert(1)"></p>'
    )

    issue.refresh_from_db()
    article.refresh_from_db()
    assert issue.editor_note == "<p>编者</p>"
    assert article.body == '<p>正文<img src="/media/x.png"></p>'


@pytest.mark.django_db
def test_queryset_update_is_sanitized_too():
    article = ArticleFactory()
    type(article).objects.filter(pk=article.pk).update(body="<p>a</p><script>b</script>")
    article.refresh_from_db()
    assert article.body == "<p>a</p>"
