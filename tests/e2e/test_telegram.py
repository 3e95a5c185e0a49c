"""Telegram: the real servers against a fake Bot API on loopback."""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from bot.channels.telegram import OFF_MESSAGE, SECRET_HEADER
from bot.content.answers import EMPTY_MESSAGE, faq_payload
from bot.content.knowledge import read_knowledge
from bot.ops.serve import BotServers
from tests.support import KNOWLEDGE_DIR, BotFactory, wait_for
from tests.telegram_api import (
    BLOCKED,
    BLOCKED_CHAT,
    BOT_USER,
    SECRET,
    TOKEN,
    FakeBotApi,
)

ENTRIES = {entry.id: entry for entry in read_knowledge(KNOWLEDGE_DIR).entries}
update_ids = itertools.count(900_000_001)


@pytest.fixture(scope="module")
def telegram_bot(make_bot: BotFactory, fake_api: FakeBotApi) -> BotServers:
    """Both real servers with the Telegram channel on, talking to the fake Bot API."""
    before = len(fake_api.calls)
    servers = make_bot(
        "telegram",
        env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_SECRET_TOKEN": SECRET,
            "TELEGRAM_API_BASE_URL": fake_api.url,
        },
        without=["TELEGRAM_"],
    )
    fake_api.calls_while_bot_started = fake_api.calls[before:]
    return servers


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


def keyboard_for(entry_id: str) -> list[list[dict[str, str]]]:
    """The related-entry rows of an answer's keyboard (the "Helpful?" row follows them)."""
    related = ENTRIES[entry_id].related
    return [[{"text": ENTRIES[r].question, "callback_data": faq_payload(r)}] for r in related]


# --- the real servers ---------------------------------------------------------------------------


@pytest.mark.e2e
def test_starting_with_telegram_on_calls_no_telegram_method(
    telegram_bot: BotServers, fake_api: FakeBotApi
) -> None:
    assert fake_api.calls_while_bot_started == []
    assert OFF_MESSAGE not in (telegram_bot.workdir / "rasa.log").read_text()


@pytest.mark.e2e
def test_a_question_gets_the_answer_with_the_disclaimer_and_related_topic_buttons(
    telegram_bot: BotServers, fake_api: FakeBotApi, disclaimer: str
) -> None:
    status = post_update(
        telegram_bot, message_update(1001, text="what are the side effects of botox for migraine")
    )
    assert status == 200
    [sent] = fake_api.sent_to(1001)
    [rest] = telegram_bot.ask("tg-rest", "what are the side effects of botox for migraine")
    entry = rest["metadata"]["faq"]
    assert ENTRIES[entry].topic == "side_effects"
    assert sent["text"].startswith(ENTRIES[entry].answer)
    assert sent["text"].endswith(disclaimer)
    assert "parse_mode" not in sent
    rows = keyboard_for(entry)
    assert sent["reply_markup"]["inline_keyboard"][: len(rows)] == rows


@pytest.mark.e2e
def test_a_button_click_is_acknowledged_then_answers_that_topic(
    telegram_bot: BotServers, fake_api: FakeBotApi, disclaimer: str
) -> None:
    update = click_update(1002, faq_payload("cost_overview"))
    assert post_update(telegram_bot, update) == 200
    acknowledged = ("answerCallbackQuery", {"callback_query_id": update["callback_query"]["id"]})
    assert acknowledged in fake_api.calls
    [sent] = fake_api.sent_to(1002)
    assert fake_api.calls.index(acknowledged) < fake_api.calls.index(("sendMessage", sent))
    assert sent["text"].startswith(ENTRIES["cost_overview"].answer)
    assert sent["text"].endswith(disclaimer)
    rows = keyboard_for("cost_overview")
    assert sent["reply_markup"]["inline_keyboard"][: len(rows)] == rows


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("chat_id", "command", "response"),
    [(1003, "/start", "utter_greet"), (1013, "/help@faqbot_test_bot", "utter_capabilities")],
)
def test_telegrams_own_commands_get_the_greeting_or_the_topic_menu(
    telegram_bot: BotServers,
    fake_api: FakeBotApi,
    domain: dict[str, Any],
    chat_id: int,
    command: str,
    response: str,
) -> None:
    entities = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    update = message_update(chat_id, text=command, entities=entities)
    assert post_update(telegram_bot, update) == 200
    [sent] = fake_api.sent_to(chat_id)
    expected = domain["responses"][response][0]
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
def test_flood_control_is_waited_out_without_holding_up_other_chats(
    telegram_bot: BotServers, fake_api: FakeBotApi
) -> None:
    """Two 429s with retry_after 1 for one chat: its answer is sent once, after the waits;
    another chat asking meanwhile is answered at once."""
    fake_api.rate_limited[1021] = 2
    question = '/faq{"faq_entry":"side_effects_overview"}'
    results: dict[int, int] = {}

    def ask(chat_id: int) -> None:
        results[chat_id] = post_update(telegram_bot, message_update(chat_id, text=question))

    slow = threading.Thread(target=ask, args=(1021,))
    slow.start()
    time.sleep(0.3)
    ask(1022)
    slow.join(30)
    assert results == {1021: 200, 1022: 200}
    assert wait_for(lambda: len(fake_api.sent_to(1021)) == 1, 15)
    limited = [at for at, body in fake_api.limited_calls if body["chat_id"] == 1021]
    [sent] = fake_api.sent_at[1021]
    assert len(limited) == 2
    assert limited[1] - limited[0] >= 0.95 and sent - limited[1] >= 0.95
    assert fake_api.sent_at[1022][0] < sent
    time.sleep(1)
    assert len(fake_api.sent_to(1021)) == 1  # nothing sent twice


@pytest.mark.e2e
def test_flood_control_retries_are_bounded(telegram_bot: BotServers, fake_api: FakeBotApi) -> None:
    fake_api.rate_limited[1023] = 100
    assert post_update(telegram_bot, message_update(1023, text="what is botox")) == 200
    log = telegram_bot.workdir / "rasa.log"
    assert wait_for(lambda: "sendMessage: rate limited" in log.read_text(), 20)
    assert wait_for(lambda: "giving up after 3 retries" in log.read_text(), 20)
    assert [b["chat_id"] for _, b in fake_api.limited_calls].count(1023) == 4
    assert fake_api.sent_to(1023) == []
    fake_api.rate_limited[1023] = 0


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
    make_bot: BotFactory,
) -> None:
    servers = make_bot("telegram-off", actions=False, without=["TELEGRAM_"])
    try:
        assert post_update(servers, message_update(1008, text="hello")) == 404
    finally:
        servers.stop_all()
    assert (servers.workdir / "rasa.log").read_text().count(OFF_MESSAGE) == 1
