"""The optional language model: drafts of a 摘要 and industries, validated, on the premises.

Against a loopback server of the suite's own speaking the chat-completions API
(tests/intake/chat_server.py). INTAKE_ALLOWED_NETWORKS stays empty: loopback is the
institute's own machine, which the model's address policy allows by itself.
"""

import json
import logging
import socket
import time

import pytest

from apps.articles.models import Industry
from apps.core import outbound
from apps.core.outbound import FetchError, fetch
from apps.intake import llm
from apps.intake.llm import Draft, address_allowed, draft, enabled
from tests.intake.chat_server import ChatServer

TITLE = "许昌市新材料产业园二期开工"
TEXT = "许昌市新材料产业园二期项目今日开工，总投资32亿元，主要建设超硬材料生产线。" * 3
GOOD = "许昌新材料产业园二期开工，总投资32亿元，建设超硬材料生产线，预计2026年投产。"


@pytest.fixture
def twelve(db):
    industries = list(Industry.objects.values_list("slug", "name"))
    assert len(industries) == 12
    return industries


@pytest.fixture
def model(settings):
    server = ChatServer()
    settings.INTAKE_ALLOWED_NETWORKS = ""
    settings.LLM_BASE_URL = server.url("/v1")
    settings.LLM_MODEL = server.model
    settings.LLM_API_KEY = server.key
    settings.LLM_ALLOW_PUBLIC = False
    settings.LLM_TIMEOUT = 2
    yield server
    server.close()


def says(server, summary=GOOD, industries=("新材料",), **extra):
    server.content = json.dumps({"摘要": summary, "产业": list(industries), **extra})


def assert_quiet_about_secrets(caplog, server):
    """A failure is logged as a warning that names neither the key nor the article."""
    assert any(record.levelno == logging.WARNING for record in caplog.records)
    assert server.key not in caplog.text
    assert "超硬材料" not in caplog.text and TITLE not in caplog.text


def test_a_good_answer_becomes_a_draft(model, twelve):
    says(model, industries=["新材料", "智能装备"])
    result = draft(TITLE, TEXT, twelve)
    assert result == Draft(summary=GOOD, industries=["new-materials", "intelligent-equipment"])

    path, headers, body = model.requests[-1]
    assert path == "/v1/chat/completions"
    assert headers["Authorization"] == f"Bearer {model.key}"
    assert body["model"] == model.model
    assert body["response_format"] == {"type": "json_object"}
    assert body["temperature"] <= 0.3 and 0 < body["max_tokens"] <= 1024
    system, user = body["messages"]
    assert system["role"] == "system" and "JSON" in system["content"]
    assert all(name in system["content"] for _, name in twelve)
    assert TITLE in user["content"] and "超硬材料" in user["content"]


def test_the_article_sent_is_bounded(model, twelve):
    says(model)
    draft(TITLE, "开头。" + "正文" * 5000 + "结尾不会发出", twelve)
    user = model.bodies[-1]["messages"][1]["content"]
    assert "开头" in user and "结尾不会发出" not in user
    assert len(user) <= llm.TEXT_CHARS + 100


def test_loopback_is_allowed_for_the_model_though_intake_may_not_fetch_it(model, twelve):
    says(model)
    assert draft(TITLE, TEXT, twelve) is not None
    with pytest.raises(FetchError, match="拒绝访问内部网络地址"):
        fetch(model.url("/v1/models"))


@pytest.mark.parametrize(
    "content",
    [
        f'```json\n{{"摘要": "{GOOD}", "产业": ["新材料"]}}\n```',
        f'好的，以下是结果：\n{{"摘要": "{GOOD}", "产业": ["新材料"]}}\n希望对您有帮助。',
        f'<think>先想想 {{"草稿": 1}}</think>{{"摘要": "{GOOD}", "产业": ["新材料"]}}',
        f'{{"summary": "{GOOD}", "industries": ["new-materials"]}}',
    ],
    ids=["fenced", "prose-around", "thinking-first", "english-keys-and-slug"],
)
def test_json_wrapped_in_fences_or_prose_is_found(model, twelve, content):
    model.content = content
    assert draft(TITLE, TEXT, twelve) == Draft(summary=GOOD, industries=["new-materials"])


def test_only_three_of_the_twelve_are_kept(model, twelve):
    says(model, industries=["量子计算", "新材料", "食品产业", "新材料", 7, "chemicals", "建材"])
    result = draft(TITLE, TEXT, twelve)
    assert result.industries == ["new-materials", "food", "chemicals"]

    says(model, industries=["元宇宙", "低空经济"])
    assert draft(TITLE, TEXT, twelve).industries == []


def test_an_overlong_summary_is_cut_after_a_sentence(model, twelve):
    first = "许昌新材料产业园二期开工，总投资32亿元，建设超硬材料生产线，预计明年投产。"
    sentence = "这是又一句比较长的补充说明，用来把摘要撑到一百二十个字以上。"
    says(model, summary=first + sentence * 5)
    summary = draft(TITLE, TEXT, twelve).summary
    assert len(summary) <= llm.SUMMARY_CHARS
    assert summary.startswith(first) and summary.endswith("。")

    says(model, summary="长" * 300)  # no punctuation at all: cut and marked as cut
    summary = draft(TITLE, TEXT, twelve).summary
    assert len(summary) == llm.SUMMARY_CHARS and summary.endswith("……")


def test_markup_is_stripped_from_the_summary(model, twelve):
    says(model, summary=f"## 摘要：\n**{GOOD[:10]}**<b>{GOOD[10:]}</b>")
    assert draft(TITLE, TEXT, twelve).summary == GOOD

    says(model, summary="<script>alert(1)</script>")
    assert draft(TITLE, TEXT, twelve).summary == "alert(1)"


@pytest.mark.parametrize(
    "content",
    [
        "这篇文章讲的是新材料产业园开工。",  # no JSON at all
        '{"摘要": "许昌新材料产业园二期开工", "产业": ["新材料"',  # cut off mid-way
        '{"产业": ["新材料"]}',  # no summary
        '{"摘要": "  <p></p> ", "产业": ["新材料"]}',  # a summary of markup only
        '{"摘要": ["许昌"], "产业": []}',  # not a string
        '{"摘要": "许昌新材料产业园二期开工。", "产业": {"新材料": 1}}',  # not a list
        "",  # nothing said
        None,  # content null
    ],
)
def test_a_malformed_answer_gives_nothing(model, twelve, caplog, content):
    model.content = content
    with caplog.at_level(logging.WARNING, logger="apps.intake.llm"):
        assert draft(TITLE, TEXT, twelve) is None
    assert_quiet_about_secrets(caplog, model)


@pytest.mark.parametrize(
    "raw",
    [
        b"<html>Bad Gateway</html>",
        json.dumps({"choices": []}).encode(),
        json.dumps({"choices": [{"text": GOOD}]}).encode(),  # the completions API's shape
        json.dumps({"message": {"content": GOOD}}).encode(),
        json.dumps([GOOD]).encode(),
    ],
)
def test_a_wrong_shape_gives_nothing(model, twelve, caplog, raw):
    model.raw = raw
    with caplog.at_level(logging.WARNING, logger="apps.intake.llm"):
        assert draft(TITLE, TEXT, twelve) is None
    assert_quiet_about_secrets(caplog, model)


@pytest.mark.parametrize(("status", "words"), [(500, "500"), (429, "请求过于频繁")])
def test_an_error_status_gives_nothing_and_is_not_retried(model, twelve, caplog, status, words):
    model.status = status
    with caplog.at_level(logging.WARNING, logger="apps.intake.llm"):
        assert draft(TITLE, TEXT, twelve) is None
    assert words in caplog.text
    assert len(model.requests) == 1
    assert_quiet_about_secrets(caplog, model)


def test_a_server_that_rejects_response_format_is_asked_once_more_without_it(model, twelve):
    model.rejects_response_format = True
    says(model)
    assert draft(TITLE, TEXT, twelve) == Draft(summary=GOOD, industries=["new-materials"])
    first, second = model.bodies
    assert "response_format" in first and "response_format" not in second
    assert first["messages"] == second["messages"]


def test_a_400_for_another_reason_is_asked_once_more_then_given_up(model, twelve, settings):
    settings.LLM_MODEL = "glm-4-9b-chat"  # not served: 404 from this server, so no second ask
    assert draft(TITLE, TEXT, twelve) is None
    assert len(model.requests) == 1

    settings.LLM_MODEL = model.model
    model.status = 400
    assert draft(TITLE, TEXT, twelve) is None
    assert len(model.requests) == 3  # the first ask and one more, never a loop


def test_a_slow_model_is_cut_at_the_timeout(model, twelve, settings, caplog):
    settings.LLM_TIMEOUT = 0.5
    model.stall = 10
    says(model)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="apps.intake.llm"):
        assert draft(TITLE, TEXT, twelve) is None
    assert time.monotonic() - started < 1.5
    assert "0.5 秒内没有完成响应" in caplog.text


def test_a_redirect_is_not_followed(model, twelve, caplog):
    model.redirect_to = model.url("/v1/elsewhere/chat/completions")
    with caplog.at_level(logging.WARNING, logger="apps.intake.llm"):
        assert draft(TITLE, TEXT, twelve) is None
    assert [path for path, _, _ in model.requests] == ["/v1/chat/completions"]
    assert "不跟随重定向" in caplog.text


def test_an_oversized_answer_stops_at_the_size_limit(model, twelve, settings):
    settings.INTAKE_MAX_BYTES = 64 * 1024
    model.content = json.dumps({"摘要": GOOD, "产业": ["新材料"], "x": "长" * 100_000})
    assert draft(TITLE, TEXT, twelve) is None


@pytest.mark.parametrize(
    "key",
    ["sk-wrong-0a1b2c3d4e5f", "sk-line\r\nX-Injected: 1", "sk-密钥-0a1b2c3d"],
    ids=["wrong", "header-injection", "not-latin-1"],
)
def test_the_key_never_reaches_the_log(model, twelve, settings, caplog, key):
    settings.LLM_API_KEY = key
    with caplog.at_level(logging.DEBUG):
        assert draft(TITLE, TEXT, twelve) is None
    assert any(record.levelno == logging.WARNING for record in caplog.records)
    assert key not in caplog.text and key.split("-")[-1] not in caplog.text
    assert "超硬材料" not in caplog.text
    assert all("X-Injected" not in headers for _, headers, _ in model.requests)


@pytest.mark.parametrize(
    ("base", "words"),
    [("http://llm..internal/v1", "找不到网站"), ("ftp://10.0.0.5/v1", "只能抓取 http 或 https")],
)
def test_a_mistyped_address_gives_nothing(model, twelve, settings, caplog, base, words):
    settings.LLM_BASE_URL = base
    with caplog.at_level(logging.WARNING, logger="apps.intake.llm"):
        assert draft(TITLE, TEXT, twelve) is None
    assert words in caplog.text


def test_a_public_address_is_refused_before_any_connection(
    model, twelve, settings, caplog, monkeypatch
):
    settings.LLM_BASE_URL = "http://llm.example:8000/v1"

    def resolve(host, port, *args, **kwargs):
        assert host == "llm.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    def no_socket(*args, **kwargs):
        raise AssertionError("a socket was opened towards a refused address")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(outbound.socket, "socket", no_socket)
    with caplog.at_level(logging.WARNING, logger="apps.intake.llm"):
        assert draft(TITLE, TEXT, twelve) is None
    assert "内部材料不得发往公网" in caplog.text and "LLM_ALLOW_PUBLIC=1" in caplog.text
    assert_quiet_about_secrets(caplog, model)


def test_the_address_policy_of_the_model(settings):
    settings.INTAKE_ALLOWED_NETWORKS = ""
    settings.LLM_ALLOW_PUBLIC = False
    for address in ["127.0.0.1", "::1", "10.0.0.5", "172.16.3.4", "192.168.1.20", "fd00::5"]:
        assert address_allowed(address), address
    refused = ["93.184.216.34", "2606:2800:220:1::1", "::ffff:93.184.216.34", "169.254.169.254"]
    refused += ["224.0.0.1", "0.0.0.0", "100.64.0.1"]  # noqa: S104 - refused, not bound
    for address in refused:
        assert not address_allowed(address), address

    settings.LLM_ALLOW_PUBLIC = True
    assert address_allowed("93.184.216.34") and address_allowed("2606:2800:220:1::1")
    assert not address_allowed("169.254.169.254")  # the metadata service, never

    settings.LLM_ALLOW_PUBLIC = False
    settings.INTAKE_ALLOWED_NETWORKS = "100.64.0.0/10"  # e.g. a VPN of the institute's own
    assert address_allowed("100.64.0.1")


@pytest.mark.parametrize("missing", ["LLM_BASE_URL", "LLM_MODEL", "LLM_API_KEY"])
def test_without_address_model_and_key_nothing_is_asked(model, twelve, settings, missing):
    assert enabled()
    setattr(settings, missing, "")
    assert not enabled()
    assert draft(TITLE, TEXT, twelve) is None
    assert model.requests == []
