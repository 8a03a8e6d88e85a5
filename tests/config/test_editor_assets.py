"""What the back office loads with CKEditor 5 (config/editor_assets.py), and only there.

Their effect in a browser (headings, 字数, the size check) is tested in
tests/e2e/test_editor_tools.py; here: that every page with an editor loads them as static files
the Content-Security-Policy allows, and that CKEditor's own word counter stays hidden.
"""

import json

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from lxml import html

pytestmark = pytest.mark.django_db

ASSETS = {
    "link": "/static/admin-extra/editor.css",
    "script": [
        "/static/admin-extra/editor-word-count.js",
        "/static/admin-extra/form-size.js",
    ],
}


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response, html.fromstring(response.content.decode())


@pytest.mark.parametrize(
    "url", [reverse("admin:articles_article_add"), reverse("admin:issues_issue_add")]
)
def test_every_editor_page_loads_the_assets(client, editor, url):
    client.force_login(editor)
    response, page = page_of(client, url)
    assert ASSETS["link"] in page.xpath('//link[@rel="stylesheet"]/@href')
    scripts = {
        src: script for script in page.xpath("//script[@src]") for src in [script.get("src")]
    }
    for src in ASSETS["script"]:
        assert src in scripts
        assert scripts[src].get("defer") is not None  # after the page, before the editors
    size_check = scripts["/static/admin-extra/form-size.js"]
    assert size_check.get("data-max-form-bytes") == str(32 * 1024 * 1024)
    # Static files of our own: the policy keeps scripts to 'self' on the editor's pages too.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for path in [ASSETS["link"], *ASSETS["script"]]:
        assert finders.find(path.removeprefix("/static/")) is not None


def test_pages_without_an_editor_do_not_load_them(client, subadmin):
    client.force_login(subadmin)
    _, page = page_of(client, reverse("admin:subscribers_subscriber_changelist"))
    assert ASSETS["link"] not in page.xpath("//link/@href")
    assert not set(ASSETS["script"]) & set(page.xpath("//script/@src"))


def test_ckeditor_counts_no_words(client, editor):
    client.force_login(editor)
    _, page = page_of(client, reverse("admin:articles_article_add"))
    [config] = page.xpath('//script[@id="id_body_script"]/text()')
    assert json.loads(config)["wordCount"] == {"displayWords": False, "displayCharacters": False}


def test_the_headings_are_styled_for_the_editing_area_only():
    with open(finders.find("admin-extra/editor.css"), encoding="utf-8") as file:
        css = file.read()
    for tag in ("h2", "h3", "h4"):
        assert f".ck.ck-editor__editable.ck-content {tag} {{ font-size:" in css
    assert "font-weight: 700" in css
    assert "powered" not in css.lower()  # the GPL badge is not hidden (settings.py says why)
