"""Serves the widget and its demo page (bot/web) on WEB_HOST (127.0.0.1), for `make run` and tests.

Only the files a browser needs are served, never node_modules or package files. The demo page names
Rasa's default URL; the server puts in the real one, so the page also works on other ports.
"""

from __future__ import annotations

import contextlib
import io
import sys
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.config import ROOT, Settings

WEB_DIR = ROOT / "bot" / "web"
PUBLIC_FILES = {
    "/": "index.html",
    "/index.html": "index.html",
    "/faqbot-widget.js": "faqbot-widget.js",
    "/vendor/socket.io.min.js": "vendor/socket.io.min.js",
    "/vendor/socket.io.min.js.map": "vendor/socket.io.min.js.map",
}
DEMO_SERVER_URL = "http://localhost:5005"


class WidgetRequestHandler(SimpleHTTPRequestHandler):
    """GET/HEAD of the public files; everything else is 404."""

    def __init__(self, *args: Any, rasa_url: str, **kwargs: Any) -> None:
        self.rasa_url = rasa_url
        super().__init__(*args, directory=str(WEB_DIR), **kwargs)

    def send_head(self) -> Any:
        name = PUBLIC_FILES.get(self.path.split("?", 1)[0])
        if name is None or not (WEB_DIR / name).is_file():
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        if name == "index.html":
            return self._send_demo_page()
        self.path = "/" + name
        return super().send_head()

    def _send_demo_page(self) -> Any:
        page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
        body = page.replace(DEMO_SERVER_URL, self.rasa_url).encode("utf-8")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        return io.BytesIO(body)

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Failures only: `make run` shares the terminal with Rasa's log."""
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)


def make_server(port: int, rasa_url: str, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    handler = partial(WidgetRequestHandler, rasa_url=rasa_url)
    return ThreadingHTTPServer((host, port), handler)


def main() -> int:
    settings = Settings.from_env()
    port, rasa_url = settings.web_port, f"http://localhost:{settings.rasa_port}"
    with (
        contextlib.suppress(KeyboardInterrupt),
        make_server(port, rasa_url, settings.web_host) as server,
    ):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
