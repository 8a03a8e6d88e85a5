"""The reader pages on a phone, as city leaders open them: inside WeChat, 360 and 412 px wide.

Every page is checked for what makes a phone page hard to use: sideways scrolling, links too
small to tap, weight on a slow connection and requests to other hosts (WeChat's network, the
institute's intranet).
"""

import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, screenshot

pytestmark = pytest.mark.e2e

WECHAT = (
    "Mozilla/5.0 (Linux; Android 13; V2148A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 "
    "MMWEBSDK/20231202 MMWEBID/2250 MicroMessenger/8.0.47.2560(0x28002F3B) WeChat/arm64 Weixin "
    "NetType/WIFI Language/zh_CN ABI/arm64"
)
WIDTHS = [360, 412]
MIN_TAP = 44  # px, the size of a fingertip (WCAG 2.5.5, Apple and Android guidelines)
ISSUE_BUDGET = 100 * 1024  # bytes transferred for the issue page, its cover left out
TABLE_TITLE = "（测试）2023年全市重点产业主要指标"
TABLE_BODY = (
    "<p>下表为手机阅读测试用的数据表格。</p>"
    '<figure class="table"><table><thead><tr><th>产业</th><th>规模以上企业（家）</th>'
    "<th>营业收入（亿元）</th><th>同比增长（%）</th><th>利润总额（亿元）</th>"
    "<th>从业人员（万人）</th><th>研发投入强度（%）</th></tr></thead>"
    "<tbody>"
    "<tr><td>新材料</td><td>214</td><td>1,286.4</td><td>26.4</td><td>96.35</td>"
    "<td>8.72</td><td>2.31</td></tr>"
    "<tr><td>智能装备</td><td>158</td><td>975.2</td><td>-3.8</td><td>61.08</td>"
    "<td>5.16</td><td>3.05</td></tr>"
    "<tr><td>新一代信息技术</td><td>67</td><td>312.9</td><td>18.7</td><td>24.55</td>"
    "<td>1.93</td><td>4.62</td></tr>"
    "</tbody></table></figure>"
    "<p>数据仅供测试。</p>"
)

# Everything a finger taps. A link inside running text (an inline link with words around it,
# as in an article's body) is left out: it cannot be 44 px tall without covering the lines
# above and below it, and WCAG 2.5.8 exempts it for that reason.
TAP_TARGETS = """(min) => {
  const small = [];
  let smallest = Infinity;
  for (const el of document.querySelectorAll('a, button, input[type=submit], select, summary')) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden' || box.right <= 0) {
      continue;  // not shown (closed details, the skip link until it has the focus)
    }
    if (style.display === 'inline') {
      let block = el.parentElement;
      while (getComputedStyle(block).display === 'inline') block = block.parentElement;
      if (block.textContent.trim().length > el.textContent.trim().length) continue;
    }
    smallest = Math.min(smallest, box.width, box.height);
    if (box.width < min || box.height < min) {
      small.push(`${el.tagName} "${el.textContent.trim().slice(0, 20)}" `
        + `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return {small, smallest};
}"""


def _database_url(tmp_path_factory):
    """The e2e server's database (tests/e2e/conftest.py makes it under the session's tmp)."""
    found = sorted(tmp_path_factory.getbasetemp().glob("e2e*/e2e.sqlite3"))
    assert found, "the e2e server's database was not found"
    return f"sqlite:///{found[-1]}"


def _shell(database_url, code):
    env = {**os.environ, "DJANGO_DEBUG": "1", "DATABASE_URL": database_url}
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""  # the last line: `shell` may first say what it imported


@pytest.fixture(scope="module")
def table_article(base_url, tmp_path_factory):
    """A leadership-only article with a table in the published demo issue; removed after."""
    database_url = _database_url(tmp_path_factory)
    pk = _shell(
        database_url,
        f"""
from django.core.cache import cache
from apps.articles.models import Article, Industry, Section
from apps.issues.models import Issue
issue = Issue.objects.get(year=2023, number=12)
section = Section.objects.get(slug="industry-reports")
position = max(a.position for a in issue.articles.filter(section=section)) + 1
article = Article.objects.create(
    issue=issue, section=section, position=position, title={TABLE_TITLE!r},
    summary="各重点产业的企业数、营业收入和增速。", body={TABLE_BODY!r},
    visibility=Article.Visibility.LEADERSHIP, status=Article.Status.PUBLISHED,
)
article.industries.set(Industry.objects.filter(slug="new-materials"))
# The server's page cache is the project's folder, shared with earlier sessions whose fresh
# databases reached the same content revision: empty it, so every page is rendered from this one.
cache.clear()
print(article.pk)
""",
    )
    yield int(pk)
    _shell(
        database_url,
        "from django.core.cache import cache\nfrom apps.articles.models import Article\n"
        f"Article.objects.filter(pk={pk}).delete()\ncache.clear()",
    )


def wechat_page(browser, width, **options):
    context = browser.new_context(
        **options,
        viewport={"width": width, "height": 780},
        user_agent=WECHAT,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
    return context, context.new_page()


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "xuchang-demo")
    with page.expect_navigation():
        page.click("button[type=submit]")


class Watch:
    """Every request the page makes to a host other than the test server."""

    def __init__(self, page, base_url):
        self.host = urlsplit(base_url).hostname
        self.elsewhere = []
        page.on("request", self.seen)

    def seen(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != self.host:
            self.elsewhere.append(request.url)


def check(page, name, width):
    """The checks every reader page passes; returns its smallest tap target."""
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{name} scrolls sideways at {width} px"
    )
    targets = page.evaluate(TAP_TARGETS, MIN_TAP)
    assert not targets["small"], f"{name} at {width} px: {targets['small']}"
    screenshot(page, f"phone-{width}-{name}")
    return targets["smallest"]


def reader_pages(table_article):
    return [
        ("home", "/"),
        ("archive", "/issues/"),
        ("issue", "/issues/2023/12/"),
        ("article-table", f"/articles/{table_article}/"),
        ("industries", "/industries/"),
        ("industry", "/industries/new-materials/"),
        ("search", "/search/?q=科技创新"),
        ("profile", "/accounts/profile/"),
        ("feedback", "/feedback/"),
    ]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("username", ["leader", "enterprise"])
def test_reader_pages_fit_a_phone(browser, base_url, table_article, username, width):
    context, page = wechat_page(browser, width)
    watch = Watch(page, base_url)
    sign_in(page, base_url, username)
    smallest = MIN_TAP * 10
    for name, path in reader_pages(table_article):
        if name == "article-table" and username != "leader":
            continue  # leadership-only
        page.goto(base_url + path)
        smallest = min(smallest, check(page, f"{username}-{name}", width))
    assert smallest >= MIN_TAP
    assert not watch.elsewhere, watch.elsewhere
    print(f"{username} at {width} px: smallest tap target {smallest:.0f} px")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_expired_page_names_a_contact(browser, base_url, width):
    context, page = wechat_page(browser, width)
    watch = Watch(page, base_url)
    sign_in(page, base_url, "expired")
    page.goto(base_url + "/")
    expect(page.locator("h1")).to_have_text("暂时无法阅读")
    expect(page.locator(".contact a[href^='tel:']")).to_be_visible()
    expect(page.locator(".contact a[href^='mailto:']")).to_be_visible()
    check(page, "expired", width)
    assert not watch.elsewhere, watch.elsewhere
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_issue_page_is_light(browser, base_url, width):
    signing_in, page = wechat_page(browser, width)
    sign_in(page, base_url, "leader")
    # A fresh browser with only the session: nothing from the login page in its cache.
    context, page = wechat_page(browser, width, storage_state=signing_in.storage_state())
    signing_in.close()
    watch = Watch(page, base_url)
    responses = {}
    page.on("response", lambda response: responses.__setitem__(response.url, response))
    page.goto(f"{base_url}/issues/2023/12/")
    page.wait_for_load_state("load")
    cover = page.evaluate("document.querySelector('.issue-cover')?.currentSrc || ''")
    transferred = page.evaluate(
        """(cover) => {
          const navigation = performance.getEntriesByType('navigation')[0];
          return performance.getEntriesByType('resource')
            .filter(entry => entry.name !== cover)
            .reduce((sum, entry) => sum + entry.transferSize, navigation.transferSize);
        }""",
        cover,
    )
    # transferSize is what came over the wire; the bodies say the same when it is not given.
    bodies = sum(
        len(response.body())
        for url, response in responses.items()
        if url != cover and response.status == 200
    )
    print(f"issue page at {width} px: {transferred} B transferred, {bodies} B of bodies")
    assert max(transferred, bodies) <= ISSUE_BUDGET
    assert not watch.elsewhere, watch.elsewhere
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_header_stays_compact_at_the_largest_font(browser, base_url, width):
    context, page = wechat_page(browser, width)
    sign_in(page, base_url, "leader")
    page.goto(f"{base_url}/issues/2023/12/")
    header = page.locator(".masthead")
    before = header.bounding_box()["height"]
    for _ in range(5):
        page.click("[data-font-step='1']")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == 25
    after = header.bounding_box()["height"]
    assert after == before, "the font-size buttons grow the header"
    assert after <= 780 / 6, f"the header takes {after} px of 780"
    screenshot(page, f"phone-{width}-issue-largest-font")
    # Scrolled, the header has left the screen: the whole screen is the text's.
    page.evaluate("window.scrollTo(0, 600)")
    assert page.evaluate("window.scrollY") > after
    assert header.bounding_box()["y"] + after <= 0
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_tables_scroll_in_their_box_and_numbers_hold_together(
    browser, base_url, table_article, width
):
    context, page = wechat_page(browser, width)
    sign_in(page, base_url, "leader")
    page.goto(f"{base_url}/articles/{table_article}/")
    expect(page.locator(".breadcrumb .leadership-mark")).to_have_text("领导参阅")
    figure = page.locator(".rich-text figure.table")
    assert figure.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    # Each number stays on one line, whatever the width of its column.
    broken = page.evaluate(
        """() => [...document.querySelectorAll('.rich-text td')]
          .filter(td => /^[-+]?[\\d,.]+%?$/.test(td.textContent.trim()))
          .filter(td => {
            const range = document.createRange();
            range.selectNodeContents(td);
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            return tops.size > 1;
          })
          .map(td => td.textContent)"""
    )
    assert not broken, broken
    padding = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.rich-text td')).paddingLeft)"
    )
    assert padding >= 6
    # The table scrolls, not the page.
    assert figure.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def test_leadership_mark_only_for_leaders(browser, base_url, table_article):
    context, page = wechat_page(browser, 412)
    for username, marked in [("leader", True), ("enterprise", False)]:
        sign_in(page, base_url, username)
        for path in ["/", "/issues/2023/12/", "/industries/new-materials/"]:
            page.goto(base_url + path)
            marks = page.locator(".leadership-mark")
            if marked:
                expect(marks.first).to_have_text("领导参阅")
            else:
                expect(marks).to_have_count(0)
                expect(page.get_by_text(TABLE_TITLE)).to_have_count(0)
        page.context.clear_cookies()
    context.close()
