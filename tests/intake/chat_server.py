"""A loopback server of the suite's own speaking the OpenAI-compatible chat-completions API, as
vLLM, Ollama and Xinference document it, standing in for the institute's language model.

It checks what those servers check (the bearer key, the path, the model, the messages) and
answers with a chat completion, or with the documented errors: 401 for a wrong key, 404 for an
unknown model, 400 for a bad request, 429 with Retry-After, 500. Each test sets what the model
says (`content`), or a fault: a raw body of the wrong shape, an error status, a server that
rejects `response_format`, a stall, a redirect.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH = "/v1/chat/completions"


def error_body(status: int, message: str, kind: str, param: str | None = None) -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": kind, "param": param, "code": status}}
    ).encode()


def completion(model: str, content: str | None) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-loopback",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 60, "total_tokens": 160},
        },
        ensure_ascii=False,
    ).encode()


class ChatServer:
    def __init__(self, *, key: str = "sk-loopback-7f3a9c2e51", model: str = "qwen2.5-7b-instruct"):
        self.key = key
        self.model = model
        self.content: str | None = '{"摘要": "示例摘要。", "产业": []}'  # what the model says
        self.raw: bytes | None = None  # a 200 body sent as is instead of a completion
        self.status: int | None = None  # an error status to answer with
        self.rejects_response_format = False  # answer 400 when response_format is sent
        self.stall = 0.0  # seconds to wait before answering
        self.redirect_to: str | None = None
        self.requests: list[tuple[str, dict, dict | None]] = []  # path, headers, JSON body
        self.released = threading.Event()  # set on close, so that a stalled answer ends
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                server.requests.append((self.path, dict(self.headers), body))
                status, headers, content = server.answer(self.path, self.headers, body)
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except OSError:
                    pass  # the client gave up first (a timeout test): nothing to answer

            def log_message(self, *args):
                pass  # quiet tests

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        # A short poll, so that closing the server at each test's end takes no time.
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def url(self, path: str = "/v1", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    @property
    def bodies(self) -> list[dict | None]:
        return [body for _, _, body in self.requests]

    def answer(self, path, headers, body) -> tuple[int, dict, bytes]:
        if path != PATH:
            return 404, {}, error_body(404, f"Not found: {path}", "NotFoundError")
        if headers.get("Authorization") != f"Bearer {self.key}":
            return (
                401,
                {},
                error_body(
                    401, "Incorrect API key provided.", "invalid_request_error", "authorization"
                ),
            )
        problem = self.invalid(body)
        if problem:
            return 400, {}, error_body(400, problem, "BadRequestError")
        if body["model"] != self.model:
            message = f"The model `{body['model']}` does not exist."
            return 404, {}, error_body(404, message, "NotFoundError", "model")
        if self.rejects_response_format and "response_format" in body:
            message = "response_format is not supported by this server."
            return 400, {}, error_body(400, message, "BadRequestError", "response_format")
        if self.redirect_to:
            return 307, {"Location": self.redirect_to}, b""
        if self.status == 429:
            message = "Rate limit reached, please try again later."
            return 429, {"Retry-After": "20"}, error_body(429, message, "rate_limit_error")
        if self.status:
            return self.status, {}, error_body(self.status, "Internal error.", "InternalError")
        if self.stall:
            self.released.wait(self.stall)
        if self.raw is not None:
            return 200, {}, self.raw
        return 200, {}, completion(self.model, self.content)

    @staticmethod
    def invalid(body) -> str:
        """What a server would say of a request body it cannot take, or ""."""
        if not isinstance(body, dict):
            return "Request body is not a JSON object."
        if not isinstance(body.get("model"), str):
            return "Field required: model."
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "Field required: messages."
        for message in messages:
            if not isinstance(message, dict) or not isinstance(message.get("content"), str):
                return "Each message needs a role and a content."
            if message.get("role") not in ("system", "user", "assistant"):
                return f"Unknown role: {message.get('role')}."
        return ""

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
