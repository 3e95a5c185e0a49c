"""The insights page's HTTP side, served by bot/ops/webserver.py under /insights.

Off (404) unless INSIGHTS_TOKEN is set. Then every request needs the token: either the login
form's cookie (HttpOnly, SameSite=Strict, holding an HMAC of the token, never the token) or an
`Authorization: Bearer <token>` header. Both are compared in constant time (hmac.compare_digest).
The token only ever travels in a POST body or a header, never in a URL, so no access log or
browser history holds it. Pages go out with a Content-Security-Policy that lets them load and send
nothing outside this server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.parse
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.config import ROOT, Settings
from bot.db import create_db_engine

logger = logging.getLogger(__name__)
WEB_DIR = ROOT / "bot" / "web"
COOKIE = "faqbot_insights"
MAX_BODY = 16_384
DAY_CHOICES = (1, 7, 30, 90, 365)
DEFAULT_DAYS = 30
FAILED_LOGIN_DELAY = 0.5  # seconds: guessing the token by the thousand is not an option
INDEX_INTERVAL = 30.0  # seconds between background catch-ups with the tracker store

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
STATIC = {
    "/insights/insights.js": ("insights.js", "text/javascript; charset=utf-8"),
    "/insights/insights.css": ("insights.css", "text/css; charset=utf-8"),
    "/insights/chart.umd.min.js": ("vendor/chart.umd.min.js", "text/javascript; charset=utf-8"),
}


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def _json(status: int, payload: Any, *headers: tuple[str, str]) -> Response:
    return Response(status, json.dumps(payload).encode("utf-8"), "application/json", headers)


def _html(status: int, page: str, *headers: tuple[str, str]) -> Response:
    return Response(status, page.encode("utf-8"), "text/html; charset=utf-8", headers)


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Insights: sign in</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/insights/insights.css"></head>
<body><main class="login"><h1>FAQ assistant insights</h1>
<form method="post" action="/insights/login">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>{error}</form></main></body></html>
"""


class InsightsApp:
    """Answers the /insights requests; one per web server (one engine, one token)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        token = settings.insights_token
        self.token = token.get_secret_value().encode("utf-8") if token else None

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    @cached_property
    def engine(self) -> Engine:
        return create_db_engine(self.settings.database_url)

    def start_indexer(self, interval: float = INDEX_INTERVAL) -> None:
        """Keeps the index of `events` current in the background, so that a page load only has
        the last few seconds' events to read (bot/insights/index.py)."""
        if not self.enabled:
            return

        def run() -> None:
            from bot.insights.index import refresh

            while True:
                try:
                    refresh(self.engine)
                except Exception as error:  # the database may be down: try again later
                    logger.warning("insights: indexing failed: %s", type(error).__name__)
                time.sleep(interval)

        threading.Thread(target=run, name="insights-indexer", daemon=True).start()

    @property
    def session_value(self) -> str:
        """The cookie's value: derived from the token, so the cookie is not the token."""
        assert self.token is not None
        return hmac.new(self.token, b"faqbot-insights-session-v1", hashlib.sha256).hexdigest()

    def authorised(self, headers: Any) -> bool:
        if not self.token:
            return False
        auth = headers.get("Authorization") or ""
        if auth.startswith("Bearer "):
            given = auth[len("Bearer ") :].strip().encode("utf-8")
            return hmac.compare_digest(given, self.token)
        for part in (headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                return hmac.compare_digest(value.encode("utf-8"), self.session_value.encode())
        return False

    # --- requests ---------------------------------------------------------------------------------

    def get(self, path: str, query: str, headers: Any) -> Response | None:
        """None: not an insights path (the caller serves it or answers 404)."""
        if path in STATIC:
            return self._static(*STATIC[path]) if self.enabled else _json(404, {})
        if path != "/insights" and not path.startswith("/insights/"):
            return None
        if not self.enabled:
            return _json(404, {"error": "not found"})
        if not self.authorised(headers):
            if path == "/insights":
                return _html(401, LOGIN_PAGE.format(error=""))
            return _json(401, {"error": "sign in, or send Authorization: Bearer <token>"})
        params = urllib.parse.parse_qs(query)
        days = _days(params)
        if path == "/insights":
            return self._static("insights.html", "text/html; charset=utf-8")
        if path == "/insights/api/figures":
            from bot.insights.figures import compute, period

            return _json(200, compute(self.engine, *period(days)).page())
        if path == "/insights/api/review":
            return _json(200, {"items": [i.as_dict() for i in self._queue(days)],
                               "entries": self._entries()})  # fmt: skip
        if path == "/insights/review.csv":
            from bot.insights.review import to_csv

            return Response(
                200, to_csv(self._queue(days)).encode("utf-8"), "text/csv; charset=utf-8",
                (("Content-Disposition", 'attachment; filename="review-queue.csv"'),),
            )  # fmt: skip
        return _json(404, {"error": "not found"})

    def post(self, path: str, headers: Any, body: bytes) -> Response | None:
        if path != "/insights" and not path.startswith("/insights/"):
            return None
        if not self.enabled:
            return _json(404, {"error": "not found"})
        if path == "/insights/login":
            return self._login(body)
        if path == "/insights/logout":
            return _html(303, "", ("Location", "/insights"), ("Set-Cookie", _cookie("", 0)))
        if not self.authorised(headers):
            return _json(401, {"error": "sign in, or send Authorization: Bearer <token>"})
        if path == "/insights/api/label":
            # JSON only: a form on another site cannot send it without CORS, which we never allow.
            if not (headers.get("Content-Type") or "").startswith("application/json"):
                return _json(415, {"error": "send JSON"})
            return self._label(body)
        return _json(404, {"error": "not found"})

    def _login(self, body: bytes) -> Response:
        assert self.token is not None
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        given = (form.get("token") or [""])[0].strip().encode("utf-8")
        if not hmac.compare_digest(given, self.token):
            time.sleep(FAILED_LOGIN_DELAY)
            error = '<p class="error" role="alert">That token is not right.</p>'
            return _html(401, LOGIN_PAGE.format(error=error))
        return _html(303, "", ("Location", "/insights"),
                     ("Set-Cookie", _cookie(self.session_value, 12 * 3600)))  # fmt: skip

    def _label(self, body: bytes) -> Response:
        from bot.insights.review import LabelError, label

        try:
            request = json.loads(body)
            key, name = str(request["key"]), str(request["label"])
        except (ValueError, KeyError, TypeError):
            return _json(400, {"error": "send {key, label}"})
        try:
            done = label(
                self.engine, key, name, self._queue(365), self._entries(),
                self.settings.reviewed_nlu_path, ROOT / "data" / "nlu",
            )  # fmt: skip
        except LabelError as error:
            return _json(409, {"error": str(error)})
        return _json(200, {"key": done.key, "label": done.label, "appended": done.appended})

    # --- data -------------------------------------------------------------------------------------

    def _queue(self, days: int) -> list[Any]:
        from bot.insights.figures import period
        from bot.insights.review import queue
        from bot.nlu.data import read_examples

        paths = [ROOT / "data" / "nlu", self.settings.reviewed_nlu_path]
        training = [text for text, _ in read_examples([p for p in paths if p.exists()])]
        return queue(self.engine, *period(days), training_texts=training)

    def _entries(self) -> list[str]:
        from bot.content.knowledge import read_knowledge

        return [entry.id for entry in read_knowledge(self.settings.knowledge_dir).entries]

    def _static(self, name: str, content_type: str) -> Response:
        path: Path = WEB_DIR / name
        if not path.is_file():
            return _json(404, {"error": "not found"})
        return Response(200, path.read_bytes(), content_type)


def _days(params: dict[str, list[str]]) -> int:
    value = (params.get("days") or [""])[0]
    return int(value) if value.isdigit() and int(value) in DAY_CHOICES else DEFAULT_DAYS


def _cookie(value: str, max_age: int) -> str:
    return f"{COOKIE}={value}; Max-Age={max_age}; Path=/insights; HttpOnly; SameSite=Strict"
