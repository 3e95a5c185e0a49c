"""Serves the widget and its demo page (bot/web) on WEB_HOST (127.0.0.1), for `make run` and tests.

Only the files a browser needs are served, never node_modules or package files. The demo page names
Rasa's default URL; the server puts in the real one, so the page also works on other ports.
The insights page for clinic staff lives under /insights (bot/insights/web.py): off unless
INSIGHTS_TOKEN is set.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.config import ROOT, Settings
from bot.insights.web import CSP, MAX_BODY, InsightsApp, Response

logger = logging.getLogger(__name__)
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

    def __init__(self, *args: Any, rasa_url: str, insights: InsightsApp, **kwargs: Any) -> None:
        self.rasa_url = rasa_url
        self.insights = insights
        super().__init__(*args, directory=str(WEB_DIR), **kwargs)

    def send_head(self) -> Any:
        path, _, query = self.path.partition("?")
        answer = self._answer(self.insights.get, path, query, self.headers)
        if answer is not None:
            return self._send_insights(answer)
        name = PUBLIC_FILES.get(path)
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

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit() or int(length) > MAX_BODY:
            self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        body = self.rfile.read(int(length))
        answer = self._answer(self.insights.post, self.path.partition("?")[0], self.headers, body)
        if answer is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        stream = self._send_insights(answer)
        self.copyfile(stream, self.wfile)

    def _answer(self, handle: Any, *args: Any) -> Response | None:
        """The insights' answer; a failure (the database down, say) is a 500, logged by type."""
        try:
            return handle(*args)
        except Exception as error:
            # The type only: a database error's text can hold the statement's parameters.
            logger.error(
                "insights: %s %s failed: %s",
                self.command,
                self.path.partition("?")[0],
                type(error).__name__,
            )
            return Response(500, b'{"error": "the figures could not be read"}')

    def _send_insights(self, answer: Response) -> Any:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        for name, value in answer.headers:
            self.send_header(name, value)
        self.end_headers()
        return io.BytesIO(answer.body)

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Failures only: `make run` shares the terminal with Rasa's log."""
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)


def make_server(
    port: int, rasa_url: str, host: str = "127.0.0.1", settings: Settings | None = None
) -> ThreadingHTTPServer:
    insights = InsightsApp(settings or Settings.from_env())
    insights.start_indexer()
    handler = partial(WidgetRequestHandler, rasa_url=rasa_url, insights=insights)
    return ThreadingHTTPServer((host, port), handler)


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)-8s %(name)s  %(message)s"
    )
    settings = Settings.from_env()
    port, rasa_url = settings.web_port, f"http://localhost:{settings.rasa_port}"
    with (
        contextlib.suppress(KeyboardInterrupt),
        make_server(port, rasa_url, settings.web_host, settings) as server,
    ):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
