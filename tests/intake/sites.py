"""A loopback web server of the suite's own, standing in for the news sites intake reads.

Each test gives it routes: a path and what to answer (status, headers, body, or a pause).
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Site:
    def __init__(self, address="127.0.0.1"):
        # Any address of 127.0.0.0/8 is loopback: a second one is a second host.
        self.address = address
        self.routes = {}
        self.requests = []  # (path, headers) as received
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append((self.path, dict(self.headers)))
                route = site.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                status, headers, body = route(self) if callable(route) else route
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if body is not None and "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass  # quiet tests

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path, host=None):
        return f"http://{host or self.address}:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
