"""Telegram: the channel's pieces, then the real servers against a fake Bot API on loopback."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.channels.telegram import OFF_MESSAGE, SECRET_HEADER, outgoing_messages, split_text
from bot.config import ROOT
from bot.content.answers import EMPTY_MESSAGE, Reply
from bot.content.knowledge import read_knowledge
from bot.ops.serve import BIN, BotServers, free_port, server_env
from tests.conftest import KNOWLEDGE_DIR, knowledge_sqlite

TOKEN = "123456789:AAH-fake_token_for_tests"
SECRET = "test_Secret-token_42"
WEBHOOK_URL = "https://bot.example.org/webhooks/telegram/webhook"
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
DISCLAIMER = DOMAIN["responses"]["utter_disclaimer"][0]["text"]
TOPICS = {topic.id: topic for topic in read_knowledge(KNOWLEDGE_DIR).topics}
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "FAQ", "username": "faqbot_test_bot"}
BLOCKED_CHAT, BLOCKED = 1099, "Forbidden: bot was blocked by the user"
update_ids = itertools.count(900_000_001)


# --- the pieces ---------------------------------------------------------------------------------


def test_text_over_telegrams_limit_is_split_at_line_breaks_and_keeps_every_word() -> None:
    paragraph = "word " * 500 + "\n"  # 2,501 characters
    text = paragraph * 4
    parts = split_text(text)
    assert len(parts) == 3
    assert all(len(part) <= 4096 for part in parts)
    assert parts[0].endswith("word") and parts[1].startswith("word")
    assert " ".join(parts).split() == text.split()


def test_characters_outside_the_bmp_count_twice_as_telegram_counts_them() -> None:
    parts = split_text("\U0001f600" * 2049)  # 4,098 UTF-16 units, no space to cut at
    assert [len(part) for part in parts] == [2048, 1]


def test_buttons_go_under_the_last_part_and_a_payload_over_64_bytes_is_left_out() -> None:
    reply = Reply(
        text="a " * 3000,
        topic="t",
        buttons=[
            {"title": "Side effects", "payload": "/side_effects"},
            {"title": "Too long", "payload": "/" + "x" * 64},
        ],
    )
    first, last = outgoing_messages(42, reply)
    assert "reply_markup" not in first and "parse_mode" not in first
    assert last["reply_markup"] == {
        "inline_keyboard": [[{"text": "Side effects", "callback_data": "/side_effects"}]]
    }


# --- a fake Bot API -----------------------------------------------------------------------------


class FakeBotApi:
    """Answers Bot API methods as api.telegram.org does, on loopback, recording every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
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
        if method == "sendMessage":
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


@pytest.fixture(scope="module")
def telegram_bot(
    tmp_path_factory: pytest.TempPathFactory, fake_api: FakeBotApi
) -> Iterator[BotServers]:
    """Both real servers with the Telegram channel on, talking to the fake Bot API."""
    env = telegram_env(
        DATABASE_URL=knowledge_sqlite(tmp_path_factory.mktemp("telegram-db")),
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_SECRET_TOKEN=SECRET,
        TELEGRAM_API_BASE_URL=fake_api.url,
    )
    servers = BotServers(workdir=tmp_path_factory.mktemp("telegram-servers"), env=env)
    before = len(fake_api.calls)
    try:
        servers.start_actions()
        servers.start_rasa()
        fake_api.calls_while_bot_started = fake_api.calls[before:]
        yield servers
    finally:
        servers.stop_all()


def post_update(
    servers: BotServers, body: dict[str, Any] | str, secret: str | None = SECRET
) -> int:
    data = body if isinstance(body, str) else json.dumps(body)
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    request = urllib.request.Request(
        f"{servers.url}/webhooks/telegram/webhook", data=data.encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "first_name": "Pat", "type": "private"}


def user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Pat", "language_code": "en"}


def message_update(chat_id: int, **content: Any) -> dict[str, Any]:
    """An Update as Telegram sends it for a message in a private chat (`text=`, `sticker=`...)."""
    message = {
        "message_id": 17,
        "from": user(chat_id),
        "chat": chat(chat_id),
        "date": int(time.time()),
        **content,
    }
    return {"update_id": next(update_ids), "message": message}


def click_update(chat_id: int, data: str) -> dict[str, Any]:
    """An Update for a click on an inline keyboard button under one of the bot's messages."""
    answered = {"message_id": 18, "from": BOT_USER, "chat": chat(chat_id), "date": int(time.time())}
    callback = {
        "id": f"4382{chat_id}",
        "from": user(chat_id),
        "message": {**answered, "text": "an earlier answer"},
        "chat_instance": "-8541729612345678901",
        "data": data,
    }
    return {"update_id": next(update_ids), "callback_query": callback}


def keyboard_for(topic_id: str) -> list[list[dict[str, str]]]:
    related = TOPICS[topic_id].related
    return [[{"text": TOPICS[r].title, "callback_data": f"/{r}"}] for r in related]


# --- the real servers ---------------------------------------------------------------------------


@pytest.mark.e2e
def test_starting_with_telegram_on_calls_no_telegram_method(
    telegram_bot: BotServers, fake_api: FakeBotApi
) -> None:
    assert fake_api.calls_while_bot_started == []
    assert OFF_MESSAGE not in (telegram_bot.workdir / "rasa.log").read_text()


@pytest.mark.e2e
def test_a_question_gets_the_answer_with_the_disclaimer_and_related_topic_buttons(
    telegram_bot: BotServers, fake_api: FakeBotApi
) -> None:
    status = post_update(
        telegram_bot, message_update(1001, text="what are the side effects of botox for migraine")
    )
    assert status == 200
    [sent] = fake_api.sent_to(1001)
    assert sent["text"].startswith(TOPICS["side_effects"].answer)
    assert sent["text"].endswith(DISCLAIMER)
    assert "parse_mode" not in sent
    assert sent["reply_markup"] == {"inline_keyboard": keyboard_for("side_effects")}


@pytest.mark.e2e
def test_a_button_click_is_acknowledged_then_answers_that_topic(
    telegram_bot: BotServers, fake_api: FakeBotApi
) -> None:
    update = click_update(1002, "/cost")
    assert post_update(telegram_bot, update) == 200
    acknowledged = ("answerCallbackQuery", {"callback_query_id": update["callback_query"]["id"]})
    assert acknowledged in fake_api.calls
    [sent] = fake_api.sent_to(1002)
    assert fake_api.calls.index(acknowledged) < fake_api.calls.index(("sendMessage", sent))
    assert sent["text"].startswith(TOPICS["cost"].answer)
    assert sent["text"].endswith(DISCLAIMER)
    assert sent["reply_markup"] == {"inline_keyboard": keyboard_for("cost")}


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("chat_id", "command", "response"),
    [(1003, "/start", "utter_greet"), (1013, "/help@faqbot_test_bot", "utter_capabilities")],
)
def test_telegrams_own_commands_get_the_greeting_or_the_topic_menu(
    telegram_bot: BotServers, fake_api: FakeBotApi, chat_id: int, command: str, response: str
) -> None:
    entities = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    update = message_update(chat_id, text=command, entities=entities)
    assert post_update(telegram_bot, update) == 200
    [sent] = fake_api.sent_to(chat_id)
    expected = DOMAIN["responses"][response][0]
    assert sent["text"] == expected["text"]
    assert len(sent["reply_markup"]["inline_keyboard"]) == len(expected["buttons"])


@pytest.mark.e2e
def test_when_telegram_refuses_a_reply_the_update_is_still_acknowledged_and_logged(
    telegram_bot: BotServers, fake_api: FakeBotApi
) -> None:
    assert post_update(telegram_bot, message_update(BLOCKED_CHAT, text="what is botox")) == 200
    assert len(fake_api.sent_to(BLOCKED_CHAT)) == 1
    log = (telegram_bot.workdir / "rasa.log").read_text()
    assert f"sendMessage: {BLOCKED} (HTTP 403)" in log
    assert TOKEN not in log


@pytest.mark.e2e
@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]])
def test_a_wrong_or_missing_secret_is_rejected_and_nothing_is_sent(
    telegram_bot: BotServers, fake_api: FakeBotApi, secret: str | None
) -> None:
    update = message_update(1004, text="what does botox cost")
    assert post_update(telegram_bot, update, secret=secret) == 403
    assert fake_api.sent_to(1004) == []


@pytest.mark.e2e
def test_an_update_sent_twice_is_answered_once(
    telegram_bot: BotServers, fake_api: FakeBotApi
) -> None:
    update = message_update(1005, text="how often would i need to go back for more injections")
    assert [post_update(telegram_bot, update) for _ in range(2)] == [200, 200]
    assert len(fake_api.sent_to(1005)) == 1


@pytest.mark.e2e
def test_a_sticker_gets_a_polite_request_for_a_typed_question(
    telegram_bot: BotServers, fake_api: FakeBotApi
) -> None:
    sticker = {"file_id": "CAACAgIAAxkBAAI", "file_unique_id": "AgAD", "width": 512, "height": 512}
    assert post_update(telegram_bot, message_update(1006, sticker=sticker)) == 200
    [sent] = fake_api.sent_to(1006)
    assert sent["text"] == EMPTY_MESSAGE.text


@pytest.mark.e2e
def test_other_kinds_of_update_are_acknowledged_and_ignored(
    telegram_bot: BotServers, fake_api: FakeBotApi
) -> None:
    edited = message_update(1007, text="what is botox", edit_date=int(time.time()))
    edited["edited_message"] = edited.pop("message")
    assert post_update(telegram_bot, edited) == 200
    assert fake_api.sent_to(1007) == []


@pytest.mark.e2e
@pytest.mark.parametrize(
    "body", ["not json", "[1, 2]", json.dumps({"message": {"text": "hi"}}), '{"update_id": "1"}']
)
def test_a_body_that_is_not_an_update_gets_a_400(
    telegram_bot: BotServers, fake_api: FakeBotApi, body: str
) -> None:
    calls = len(fake_api.calls)
    assert post_update(telegram_bot, body) == 400
    assert len(fake_api.calls) == calls


@pytest.mark.e2e
def test_without_telegram_settings_there_is_no_route_and_one_log_line_says_why(
    tmp_path: Path,
) -> None:
    env = telegram_env(DATABASE_URL=f"sqlite:///{tmp_path / 'faqbot.db'}")
    servers = BotServers(workdir=tmp_path, env=env)
    try:
        servers.start_rasa()
        assert post_update(servers, message_update(1008, text="hello")) == 404
    finally:
        servers.stop_all()
    assert (tmp_path / "rasa.log").read_text().count(OFF_MESSAGE) == 1


def run_webhook_command(url: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "faqbot"), "telegram-webhook", "--url", url],
        env=telegram_env(**settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_webhook_command_registers_the_url_with_the_secret_token(
    fake_api: FakeBotApi,
) -> None:
    done = run_webhook_command(
        WEBHOOK_URL,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_SECRET_TOKEN=SECRET,
        TELEGRAM_API_BASE_URL=fake_api.url,
    )
    assert done.returncode == 0, done.stderr
    assert "Webhook was set" in done.stdout
    expected = {
        "url": WEBHOOK_URL,
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }
    assert ("setWebhook", expected) in fake_api.calls


@pytest.mark.parametrize(
    ("url", "settings", "says"),
    [
        ("http://bot.example.org/hook", {}, "An HTTPS URL"),
        (WEBHOOK_URL, {"TELEGRAM_BOT_TOKEN": "1:wrong"}, "Unauthorized"),
        (WEBHOOK_URL, {"TELEGRAM_SECRET_TOKEN": ""}, "set TELEGRAM_BOT_TOKEN"),
        (WEBHOOK_URL, {"TELEGRAM_API_BASE_URL": "closed port"}, "Cannot connect"),
    ],
)
def test_the_webhook_command_reports_errors_in_one_line_and_exits_1(
    fake_api: FakeBotApi, url: str, settings: dict[str, str], says: str
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_API_BASE_URL": fake_api.url,
        **settings,
    }
    if env["TELEGRAM_API_BASE_URL"] == "closed port":
        env["TELEGRAM_API_BASE_URL"] = f"http://127.0.0.1:{free_port()}"
    done = run_webhook_command(url, **env)
    assert done.returncode == 1
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert TOKEN not in done.stderr + done.stdout
