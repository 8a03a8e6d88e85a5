"""A loopback server of the suite's own that speaks WeCom's web sign-in (企业微信网页授权) as its
documentation describes it:

- GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET: {"errcode": 0, "errmsg": "ok",
  "access_token": "…", "expires_in": 7200}. Within a token's life the same token is returned
  again; after it, a new one. A wrong corp id is 40013 "invalid corpid", a wrong secret 40001
  "invalid credential".
- GET /cgi-bin/auth/getuserinfo?access_token=…&code=…: {"errcode": 0, "errmsg": "ok",
  "userid": "…"} for a member of the corp, {"errcode": 0, "errmsg": "ok", "openid": "…"} for
  anyone else. A token past its life is 42001 "access_token expired", an unknown one 40014
  "invalid access_token"; a code that is unknown, used already or older than 5 minutes is 40029
  "invalid code".
- GET /connect/oauth2/authorize?appid=…&redirect_uri=…&response_type=code&scope=snsapi_base
  &state=…&agentid=…: as WeCom does for snsapi_base, no page: a 302 straight back to
  redirect_uri with `code` and `state`, for whoever is signed in to the WeCom client
  (`member`, or `outsider` for someone outside the corp). A redirect_uri off the app's trusted
  domain (可信域名) is refused (50001), as WeCom refuses it.

`misbehave` makes the API answer badly: "500" (HTTP 500), "html" (a proxy's page with HTTP
200), "slow" (answers after `slow_seconds`), "close" (drops the connection). The server's clock
(`clock`) may be moved on to let tokens and codes expire. `calls` counts requests per path.
"""

import json
import secrets
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

CORP_ID = "ww0123456789abcdef"
AGENT_ID = "1000002"
SECRET = "S3cr3t-WeCom-App-Secret-0123456789abcdefXYZ"
CODE_SECONDS = 300  # "code只能使用一次，5分钟未被使用自动过期"
TOKEN_SECONDS = 7200


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that hung up on a slow answer is what the test wanted


class WecomServer:
    """Start it with `with WecomServer() as server:`; `member` is whom the WeCom client has
    signed in, `issue_code(userid)` a code as WeCom's OAuth would give for them."""

    def __init__(self, address="127.0.0.1"):
        self.member = "zhangsan"  # the WeCom account using the client; None: an outsider
        self.trusted_domain = ""  # host[:port] the app's 可信域名 allows; "" for any
        self.token_seconds = TOKEN_SECONDS
        self.misbehave = ""
        self.slow_seconds = 3.0
        self.offset = 0.0  # seconds the server's clock is ahead of the real one
        self.calls = Counter()
        self.requests: list[str] = []  # every request's path and query, as received
        self._tokens: dict[str, float] = {}  # token -> end
        self._current = None  # (token, end) handed out by gettoken
        self._codes: dict[str, tuple[str | None, float]] = {}  # code -> (userid, issued)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server._handle(self)

            def log_message(self, *args):
                pass

        self.server = _QuietServer((address, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.host = f"{address}:{self.port}"
        self.base = f"http://{self.host}"
        self.authorize_url = f"{self.base}/connect/oauth2/authorize"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def clock(self) -> float:
        return time.time() + self.offset

    def issue_code(self, userid: str | None) -> str:
        """A code for `userid` (None: someone outside the corp), as the OAuth page gives."""
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = (userid, self.clock())
        return code

    def end_tokens(self):
        """WeCom may end tokens before their time; a call with one is then refused."""
        with self._lock:
            self._tokens.clear()
            self._current = None

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- the protocol ---

    def _handle(self, handler):
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            self.calls[parts.path] += 1
            self.requests.append(handler.path)
        if parts.path == "/connect/oauth2/authorize":
            return self._authorize(handler, query)
        if self.misbehave == "close":
            handler.close_connection = True
            handler.connection.close()
            return None
        if self.misbehave == "slow":
            time.sleep(self.slow_seconds)
        if self.misbehave == "500":
            return self._send(handler, 500, b"Internal Server Error", "text/plain")
        if self.misbehave == "html":
            page = "<html><body><h1>502 Bad Gateway</h1>网关错误</body></html>".encode()
            return self._send(handler, 200, page, "text/html; charset=utf-8")
        if parts.path == "/cgi-bin/gettoken":
            answer = self._gettoken(query)
        elif parts.path == "/cgi-bin/auth/getuserinfo":
            answer = self._getuserinfo(query)
        else:
            answer = {"errcode": 404, "errmsg": "invalid url"}
        body = json.dumps(answer).encode()
        return self._send(handler, 200, body, "application/json; charset=utf-8")

    @staticmethod
    def _send(handler, status, body, content_type):
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _gettoken(self, query):
        if query.get("corpid") != CORP_ID:
            return {"errcode": 40013, "errmsg": "invalid corpid"}
        if query.get("corpsecret") != SECRET:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        now = self.clock()
        with self._lock:
            if self._current is None or self._current[1] <= now:
                token = secrets.token_urlsafe(48)
                self._current = (token, now + self.token_seconds)
                self._tokens[token] = now + self.token_seconds
            token, end = self._current
        return {
            "errcode": 0,
            "errmsg": "ok",
            "access_token": token,
            "expires_in": max(0, round(end - now)),
        }

    def _getuserinfo(self, query):
        now = self.clock()
        token = query.get("access_token", "")
        with self._lock:
            end = self._tokens.get(token)
            if end is None:
                return {"errcode": 40014, "errmsg": "invalid access_token"}
            if end <= now:
                return {"errcode": 42001, "errmsg": "access_token expired"}
            issued = self._codes.pop(query.get("code", ""), None)  # once only
        if issued is None or now - issued[1] > CODE_SECONDS:
            return {"errcode": 40029, "errmsg": "invalid code"}
        userid = issued[0]
        if userid is None:
            return {"errcode": 0, "errmsg": "ok", "openid": "oAbCdEfGhIjKlMnOpQrStUvWxYz0"}
        return {"errcode": 0, "errmsg": "ok", "userid": userid}

    def _authorize(self, handler, query):
        redirect_uri = query.get("redirect_uri", "")
        target = urlsplit(redirect_uri)
        wrong = (
            query.get("appid") != CORP_ID
            or query.get("agentid") != AGENT_ID
            or query.get("response_type") != "code"
            or query.get("scope") != "snsapi_base"
            or target.scheme not in ("http", "https")
            or (self.trusted_domain and target.netloc != self.trusted_domain)
        )
        if wrong:
            body = json.dumps({"errcode": 50001, "errmsg": "redirect_url 未登记可信域名"})
            return self._send(handler, 200, body.encode(), "application/json; charset=utf-8")
        code = self.issue_code(self.member)
        back = urlencode({"code": code, "state": query.get("state", "")})
        separator = "&" if target.query else "?"
        handler.send_response(302)
        handler.send_header("Location", f"{redirect_uri}{separator}{back}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return None
