"""A fake Telegram Bot API on loopback, for the channel's and the webhook command's tests."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from bot.ops.serve import free_port, server_env

TOKEN = "123456789:AAH-fake_token_for_tests"
SECRET = "test_Secret-token_42"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "FAQ", "username": "faqbot_test_bot"}
BLOCKED_CHAT, BLOCKED = 1099, "Forbidden: bot was blocked by the user"


class FakeBotApi:
    """Answers Bot API methods as api.telegram.org does, on loopback, recording every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        # The next `rate_limited[chat_id]` sendMessage calls to a chat get a 429 (flood control)
        self.rate_limited: dict[int, int] = {}
        self.limited_calls: list[tuple[float, dict[str, Any]]] = []  # (monotonic time, body)
        self.sent_at: dict[int, list[float]] = {}
        self.calls_while_bot_started: list[tuple[str, dict[str, Any]]] = []
        self.loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        self.runner = web.AppRunner(app)
        self.port = free_port()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        self.thread.start()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def handle(self, request: web.Request) -> web.Response:
        method, body = request.match_info["method"], await request.json()
        self.calls.append((method, body))
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        if method == "sendMessage" and body["chat_id"] == BLOCKED_CHAT:
            return web.json_response(
                {"ok": False, "error_code": 403, "description": BLOCKED}, status=403
            )
        if method == "sendMessage" and self.rate_limited.get(body["chat_id"], 0) > 0:
            self.rate_limited[body["chat_id"]] -= 1
            self.calls.pop()  # not sent: kept apart, so sent_to() lists what reached the chat
            self.limited_calls.append((time.monotonic(), body))
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                },
                status=429,
            )
        if method == "sendMessage":
            self.sent_at.setdefault(body["chat_id"], []).append(time.monotonic())
            chat = {"id": body["chat_id"], "type": "private"}
            message = {"message_id": len(self.calls), "from": BOT_USER, "chat": chat}
            return web.json_response({"ok": True, "result": {**message, "text": body["text"]}})
        if method == "answerCallbackQuery":
            return web.json_response({"ok": True, "result": True})
        if method == "setWebhook" and not body["url"].startswith("https://"):
            description = "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            return web.json_response(
                {"ok": False, "error_code": 400, "description": description}, status=400
            )
        if method == "setWebhook":
            return web.json_response({"ok": True, "result": True, "description": "Webhook was set"})
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [body for method, body in self.calls if body.get("chat_id") == chat_id]


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi()
    api.start()
    yield api
    api.stop()


def telegram_env(**settings: str) -> dict[str, str]:
    """The servers' environment with exactly these TELEGRAM_* settings, whatever the shell has."""
    env = {k: v for k, v in server_env().items() if not k.startswith("TELEGRAM_")}
    return {**env, **settings}
