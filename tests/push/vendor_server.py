"""A loopback server of the suite's own that speaks the three work-group robots' webhook APIs
as their documentation describes them:

- WeCom 群机器人: POST /cgi-bin/webhook/send?key=KEY, answers {"errcode": 0, "errmsg": "ok"};
  an unknown or revoked key 93000; past the rate limit 45009.
- DingTalk 自定义机器人: POST /robot/send?access_token=TOKEN[&timestamp=ms&sign=…], answers
  {"errcode": 0, "errmsg": "ok"}; an unknown token 300001; 加签 checked (310000 "sign not
  match", or "invalid timestamp" when more than an hour off), keyword and IP rules (310000);
  past the rate limit 410100.
- Feishu 自定义机器人: POST /open-apis/bot/v2/hook/TOKEN, answers {"code": 0, "msg": "success"}
  (with the legacy StatusCode); an unknown token 19001; 签名校验 from the body's timestamp and
  sign (19021), IP rule 19022, keyword rule 19024; past the rate limit 11232; a body that is
  not JSON or over 20 KB, HTTP 400 with 9499 "Bad Request".

Each robot takes at most 20 messages a minute, as WeCom and DingTalk document (Feishu allows
100 a minute and 5 a second; the product keeps to 20 a minute for all three, so the server
holds Feishu to the same, plus its 5 a second).

A robot can be told to misbehave (`misbehave(key, mode)`): "500" (HTTP 500), "html" (a proxy's
HTML page with HTTP 200), "slow" (answers after `slow_seconds`), "unknown" (an error code no
document lists), "close" (drops the connection without an answer). Every message that reaches
a robot's path is recorded in `received`, with the answer it was given.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PATHS = {
    "wecom": "/cgi-bin/webhook/send",
    "dingtalk": "/robot/send",
    "feishu": "/open-apis/bot/v2/hook/",
}
# (messages, seconds) windows per robot.
LIMITS = {
    "wecom": [(20, 60)],
    "dingtalk": [(20, 60)],
    "feishu": [(20, 60), (5, 1)],
}
MAX_FEISHU_BODY = 20 * 1024
FRESH_SECONDS = 3600  # both vendors refuse a signature more than an hour off
UNKNOWN_CODE = 777001


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that hung up on a slow answer is what the test wanted


@dataclass
class Robot:
    kind: str
    key: str
    secret: str = ""  # DingTalk 加签 / Feishu 签名校验; "" for none
    keyword: str = ""  # 自定义关键词: a message without it is refused
    allowed_ips: tuple[str, ...] = ()  # IP 白名单: empty for none
    revoked: bool = False
    misbehave: str = ""  # "", "500", "html", "slow", "unknown", "close"


@dataclass
class Received:
    kind: str
    key: str
    body: dict | None  # the parsed JSON, None when it was not JSON
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    answer: dict | None = None  # the JSON answered; None for a misbehaving answer
    status: int = 0

    @property
    def accepted(self) -> bool:
        return bool(self.answer) and (
            self.answer.get("errcode") == 0 or self.answer.get("code") == 0
        )


class VendorServer:
    """Start it with `with VendorServer() as server:` (or call `close()`); add robots with
    `add(kind, …)`, post to `url(kind, key)`."""

    def __init__(self, address="127.0.0.1"):
        self.address = address
        self.robots: dict[tuple[str, str], Robot] = {}
        self.received: list[Received] = []
        self.slow_seconds = 3.0
        self.clock = time.time  # the vendors' clock, for signature freshness and rate limits
        self._sent = defaultdict(deque)  # (kind, key) -> times of accepted messages
        self._lock = threading.Lock()
        self._closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                server._handle(self)

            def do_GET(self):
                # The robots take POST only; WeCom answers a GET with its JSON error too.
                self._answer(405, {"errcode": 40001, "errmsg": "method not allowed"})

            def _answer(self, status, data, content_type="application/json; charset=utf-8"):
                body = data if isinstance(data, bytes) else json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass  # quiet tests

        self.server = _QuietServer((address, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.host = f"{address}:{self.port}"
        # A short poll: closing the server after each test waits for it.
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    # --- Set-up -------------------------------------------------------------------------

    def add(self, kind, key=None, *, secret="", keyword="", allowed_ips=()) -> Robot:
        """A robot of `kind` with `key` (a fresh one of the vendor's shape by default)."""
        if key is None:
            key = uuid.uuid4().hex * 2 if kind == "dingtalk" else str(uuid.uuid4())
        robot = Robot(kind, key, secret=secret, keyword=keyword, allowed_ips=tuple(allowed_ips))
        self.robots[(kind, key)] = robot
        return robot

    def revoke(self, kind, key):
        self.robots[(kind, key)].revoked = True

    def misbehave(self, kind, key, mode):
        assert mode in ("", "500", "html", "slow", "unknown", "close"), mode
        self.robots[(kind, key)].misbehave = mode

    def url(self, kind, key, host=None) -> str:
        base = f"http://{host or self.host}"
        if kind == "wecom":
            return f"{base}{PATHS['wecom']}?key={key}"
        if kind == "dingtalk":
            return f"{base}{PATHS['dingtalk']}?access_token={key}"
        return f"{base}{PATHS['feishu']}{key}"

    def messages(self, kind=None, key=None, accepted=True) -> list[Received]:
        """What reached the robots (only what they accepted, by default), in order."""
        with self._lock:
            return [
                message
                for message in self.received
                if (kind is None or message.kind == kind)
                and (key is None or message.key == key)
                and (accepted is None or message.accepted == accepted)
            ]

    def close(self):
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- The APIs -----------------------------------------------------------------------

    def _handle(self, handler):
        parts = urlsplit(handler.path)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        if parts.path == PATHS["wecom"]:
            kind, key = "wecom", query.get("key", "")
        elif parts.path == PATHS["dingtalk"]:
            kind, key = "dingtalk", query.get("access_token", "")
        elif parts.path.startswith(PATHS["feishu"]):
            kind, key = "feishu", parts.path[len(PATHS["feishu"]) :]
        else:
            handler._answer(404, b"<html><body>404 Not Found</body></html>", "text/html")
            return
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            body = None
        message = Received(kind, key, body, query=query, headers=dict(handler.headers))
        with self._lock:
            self.received.append(message)
        robot = self.robots.get((kind, key))

        mode = robot.misbehave if robot is not None else ""
        if mode == "close":
            handler.close_connection = True
            return  # no answer at all: the client sees the connection closed
        if mode == "500":
            message.status = 500
            handler._answer(
                500, b"<html><body>500 Internal Server Error</body></html>", "text/html"
            )
            return
        if mode == "html":
            message.status = 200
            page = "<html><body>网关维护中，请稍后再试。</body></html>".encode()
            handler._answer(200, page, "text/html; charset=utf-8")
            return
        if mode == "slow":
            self._closing.wait(self.slow_seconds)

        status, answer = self._answer_for(kind, robot, body, raw, query, handler)
        if mode == "unknown" and answer.get("errcode", answer.get("code")) == 0:
            field_name = "code" if kind == "feishu" else "errcode"
            # Echoing the request, as some gateways do: the key must not reach the record.
            text = f"unexpected error for {self.url(kind, key)}"
            answer = {field_name: UNKNOWN_CODE, ("msg" if kind == "feishu" else "errmsg"): text}
        message.status, message.answer = status, answer
        handler._answer(status, answer)

    def _answer_for(self, kind, robot, body, raw, query, handler):
        if kind == "wecom":
            return self._wecom(robot, body)
        if kind == "dingtalk":
            return self._dingtalk(robot, body, query, handler.client_address[0])
        return self._feishu(robot, body, raw, handler.client_address[0])

    def _limited(self, robot) -> bool:
        """Whether the robot is past its rate limit; counts the message when it is not."""
        now = self.clock()
        with self._lock:
            sent = self._sent[(robot.kind, robot.key)]
            for count, seconds in LIMITS[robot.kind]:
                if sum(1 for at in sent if at > now - seconds) >= count:
                    return True
            sent.append(now)
            while sent and sent[0] <= now - 60:
                sent.popleft()
            return False

    def _wecom(self, robot, body):
        if robot is None or robot.revoked:
            return 200, {
                "errcode": 93000,
                "errmsg": "invalid webhook url, hint: [1700000000_1], from ip: 127.0.0.1",
            }
        if not isinstance(body, dict):
            return 200, {"errcode": 40058, "errmsg": "invalid json"}
        kind = body.get("msgtype")
        if kind == "template_card":
            card = body.get("template_card") or {}
            if card.get("card_type") != "text_notice" or not card.get("card_action"):
                return 200, {"errcode": 40058, "errmsg": "invalid template_card"}
        elif kind not in ("text", "markdown", "news", "image", "file"):
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        if self._limited(robot):
            return 200, {"errcode": 45009, "errmsg": "api freq out of limit"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _dingtalk(self, robot, body, query, ip):
        if robot is None or robot.revoked:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        if not isinstance(body, dict):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 json"}
        if robot.secret:
            stamp, sign = query.get("timestamp", ""), query.get("sign", "")
            if not stamp.isdigit() or abs(self.clock() * 1000 - int(stamp)) > FRESH_SECONDS * 1000:
                return 200, {"errcode": 310000, "errmsg": "invalid timestamp"}
            digest = hmac.new(
                robot.secret.encode(), f"{stamp}\n{robot.secret}".encode(), hashlib.sha256
            ).digest()
            if not hmac.compare_digest(base64.b64encode(digest).decode(), sign):
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
        if robot.allowed_ips and ip not in robot.allowed_ips:
            return 200, {"errcode": 310000, "errmsg": f"ip {ip} not in whitelist"}
        if robot.keyword and robot.keyword not in json.dumps(body, ensure_ascii=False):
            return 200, {"errcode": 310000, "errmsg": "keywords not in content"}
        card = body.get("actionCard") or {}
        if body.get("msgtype") != "actionCard" or not (card.get("title") and card.get("text")):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 actionCard"}
        if self._limited(robot):
            return 200, {"errcode": 410100, "errmsg": "send too fast, exceed 20 times per minute"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _feishu(self, robot, body, raw, ip):
        if not isinstance(body, dict) or len(raw) > MAX_FEISHU_BODY:
            return 400, {"code": 9499, "msg": "Bad Request", "data": {}}
        if robot is None or robot.revoked:
            return 200, {
                "code": 19001,
                "msg": "param invalid: incoming webhook access token invalid",
                "data": {},
            }
        if robot.secret:
            stamp, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
            digest = hmac.new(f"{stamp}\n{robot.secret}".encode(), b"", hashlib.sha256).digest()
            fresh = stamp.isdigit() and abs(self.clock() - int(stamp)) <= FRESH_SECONDS
            if not fresh or not hmac.compare_digest(base64.b64encode(digest).decode(), sign):
                return 200, {
                    "code": 19021,
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                    "data": {},
                }
        if robot.allowed_ips and ip not in robot.allowed_ips:
            return 200, {"code": 19022, "msg": "Ip Not Allowed", "data": {}}
        if robot.keyword and robot.keyword not in json.dumps(body, ensure_ascii=False):
            return 200, {"code": 19024, "msg": "Key Words Not Found", "data": {}}
        if body.get("msg_type") != "interactive" or not isinstance(body.get("card"), dict):
            return 400, {"code": 9499, "msg": "Bad Request", "data": {}}
        if self._limited(robot):
            return 200, {"code": 11232, "msg": "frequency limited psm[lark.oapi.bot]", "data": {}}
        return 200, {
            "code": 0,
            "msg": "success",
            "data": {},
            "StatusCode": 0,
            "StatusMessage": "success",
        }
