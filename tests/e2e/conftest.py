"""A real server and a real browser: gunicorn on 127.0.0.1 with the demo, Debian's Chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(env, *args):
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


def serve(env):
    """Run gunicorn with `env` on a free loopback port; yield its address, then stop it (a
    generator for fixtures to `yield from`)."""
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
        [
            *(sys.executable, "-m", "gunicorn", "config.wsgi"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "2"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)  # noqa: S310 - loopback
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("gunicorn did not start")
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def base_url(tmp_path_factory):
    """Serve the demo with gunicorn on a free loopback port for the whole session."""
    folder = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{folder / 'e2e.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
    }
    _manage(env, "migrate", "--noinput")
    _manage(env, "load_demo")
    yield from serve(env)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 375, "height": 740},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    yield context.new_page()
    context.close()


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# --- The back office's journeys: a staff member's window, signed in, and the editor's import ---


def staff_window(browser):
    """A desktop window of its own (its own cookies: one person each)."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    return context.new_page()


def admin_login(page, base_url, username):
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "xuchang-demo")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()


def import_word_issue(page, base_url, tmp_path, year, number):
    """The editor imports the institute's Word file (the sample's four articles) as the draft
    issue `year`/`number`, the 总期号 left to going live; the page is the new issue's."""
    from tests.wordimport.documents import build

    page.goto(f"{base_url}/admin/issues/issue/")
    page.get_by_role("link", name="从 Word 导入").click()
    docx = tmp_path / "竞争情报快递.docx"
    docx.write_bytes(build())
    page.set_input_files("input[type=file]", str(docx))
    page.get_by_role("button", name="上传并预览").click()
    page.fill("input[name=year]", year)
    page.fill("input[name=number]", number)
    total = page.locator("input[name=total_number]")
    if total.count():  # a number read from the masthead would be another journey's too
        total.fill("")
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator(".arrange-status", has_text="草稿")).to_have_count(4)
