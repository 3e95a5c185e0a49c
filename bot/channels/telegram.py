"""Telegram channel: our own webhook connector for the Bot API.

Rasa's connector calls Telegram at start-up; this one never touches the network until an update
arrives, takes its secrets only from the environment, and sends the same text and buttons as REST.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import (
    ReplyOutput,
    answer_or_apologise,
    clean_text,
    json_body,
    retry_after_seconds,
    retry_rate_limited,
)
from bot.channels.deliveries import Claim, Deliveries
from bot.config import Settings
from bot.content.answers import EMPTY_MESSAGE, Reply
from bot.insights.feedback import QUESTION, feedback_buttons, feedback_payload

logger = logging.getLogger(__name__)


SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
OFF_MESSAGE = "Telegram channel off: set TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN to turn it on"
MAX_TEXT_UNITS = 4096  # sendMessage's limit, counted in UTF-16 code units
MAX_CALLBACK_DATA_BYTES = 64
# Commands every Telegram client offers, mapped to the intents that answer them.
COMMANDS = {"/start": "/greet", "/help": "/capabilities"}
FEEDBACK_DATA_PREFIX = "fb:"


class TelegramError(Exception):
    """A Bot API call failed. The message never contains the bot token (it is in the URL).
    `retry_after`: the seconds Telegram asked to wait, when it answered 429 (flood control)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after(error: Exception) -> float | None:
    return error.retry_after if isinstance(error, TelegramError) else None


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    secret: str
    api_base_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TelegramSettings | None:
        """None unless both secrets are set: a half-configured channel must not start."""
        settings = Settings.from_env(env)
        if not settings.telegram_bot_token or not settings.telegram_secret_token:
            return None
        return cls(
            token=settings.telegram_bot_token.get_secret_value(),
            secret=settings.telegram_secret_token.get_secret_value(),
            api_base_url=settings.telegram_api_base_url.rstrip("/"),
        )


@dataclass(frozen=True)
class BotApi:
    """Calls Bot API methods as `POST {base}/bot{token}/{method}` with a JSON body."""

    settings: TelegramSettings
    timeout_seconds: float = 15.0

    async def call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """The whole answer (`ok`, `result`, maybe `description`); TelegramError if not ok.
        A 429 is retried after the `retry_after` Telegram names (bounded: common.py)."""
        return await retry_rate_limited(
            lambda: self._call_once(method, body), _retry_after, f"telegram: {method}"
        )

    async def _call_once(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.settings.api_base_url}/bot{self.settings.token}/{method}"
        timeout = aiohttp.ClientTimeout(total=self.timeout_seconds)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(url, json=body) as http,
            ):
                status, raw = http.status, await http.read()
        except asyncio.TimeoutError:
            raise TelegramError(f"{method}: no answer in {self.timeout_seconds:.0f} s") from None
        except aiohttp.ClientError as error:  # its text may hold the URL, so the token is masked
            reason = str(error).replace(self.settings.token, "<token>")
            raise TelegramError(f"{method}: {type(error).__name__}: {reason}") from None
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or answer.get("ok") is not True:
            detail = answer.get("description") if isinstance(answer, dict) else None
            parameters = answer.get("parameters") if isinstance(answer, dict) else None
            wait = (
                retry_after_seconds(parameters.get("retry_after"))
                if status == 429 and isinstance(parameters, dict)
                else None
            )
            raise TelegramError(
                f"{method}: {detail or 'not a Bot API answer'} (HTTP {status})", retry_after=wait
            )
        return answer


async def register_webhook(settings: TelegramSettings, url: str) -> dict[str, Any]:
    """setWebhook: Telegram will POST our two update kinds to `url` with the secret header."""
    return await BotApi(settings).call(
        "setWebhook",
        {"url": url, "secret_token": settings.secret, "allowed_updates": ALLOWED_UPDATES},
    )


def _longest_prefix(text: str, limit: int) -> int:
    """Length of the longest prefix of `text` that fits in `limit` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_TEXT_UNITS) -> list[str]:
    """Parts Telegram accepts (it refuses text over 4096 UTF-16 units), cut at a line break or
    space where there is one."""
    parts: list[str] = []
    while (fits := _longest_prefix(text, limit)) < len(text):
        cut = max(text.rfind("\n", 0, fits + 1), text.rfind(" ", 0, fits + 1))
        cut = cut if cut > 0 else fits
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return [part for part in parts if part.strip()]


def inline_keyboard(buttons: list[dict[str, Any]]) -> list[list[dict[str, str]]]:
    """One button per row; a payload Telegram cannot carry (over 64 bytes) is left out."""
    rows = []
    for button in buttons:
        payload = str(button.get("payload") or "")
        if not payload or len(payload.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            logger.warning("telegram: button %r left out: payload empty or over 64 bytes", button)
            continue
        rows.append([{"text": str(button.get("title") or payload), "callback_data": payload}])
    return rows


def feedback_data(vote: str, entry_id: str) -> str:
    """A feedback click's callback_data, short enough for Telegram's 64 bytes: `fb:up:<entry>`."""
    return f"{FEEDBACK_DATA_PREFIX}{vote}:{entry_id}"


def payload_from_callback(data: str) -> str:
    """The Rasa payload a click stands for: a feedback click's short form spelled out."""
    if data.startswith(FEEDBACK_DATA_PREFIX):
        vote, _, entry_id = data[len(FEEDBACK_DATA_PREFIX) :].partition(":")
        return feedback_payload(vote, entry_id)
    return data


def feedback_row(entry_id: str) -> list[dict[str, str]]:
    """ "Helpful? Yes" and "Helpful? No" side by side, under the answer's other buttons."""
    return [
        {"text": f"{QUESTION} {b['title']}", "callback_data": feedback_data(b["vote"], entry_id)}
        for b in feedback_buttons(entry_id)
    ]


def outgoing_messages(chat_id: int | str, reply: Reply) -> list[dict[str, Any]]:
    """sendMessage bodies for one reply: plain text (no parse_mode), the buttons under the last;
    an FAQ answer ends with the "Helpful? Yes / No" row."""
    bodies: list[dict[str, Any]] = [
        {"chat_id": chat_id, "text": part, "link_preview_options": {"is_disabled": True}}
        for part in split_text(reply.text)
    ]
    keyboard = inline_keyboard(reply.buttons)
    if reply.faq and len(feedback_data("down", reply.faq).encode()) <= MAX_CALLBACK_DATA_BYTES:
        keyboard.append(feedback_row(reply.faq))
    if bodies and keyboard:
        bodies[-1]["reply_markup"] = {"inline_keyboard": keyboard}
    return bodies


class TelegramOutput(ReplyOutput):
    """Sends each Rasa bot message as it is produced, read as every channel reads it."""

    def __init__(self, api: BotApi) -> None:
        self.api = api

    @classmethod
    def name(cls) -> str:
        return "telegram"

    async def deliver(self, recipient_id: str, reply: Reply) -> None:
        numeric = recipient_id.lstrip("-").isdigit()  # chat ids go back as the numbers they were
        chat_id: int | str = int(recipient_id) if numeric else recipient_id
        for body in outgoing_messages(chat_id, reply):
            await self.api.call("sendMessage", body)


def _chat_id(message: Any) -> int | None:
    chat = message.get("chat") if isinstance(message, dict) else None
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    return chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None


def _is_update(body: Any) -> bool:
    update_id = body.get("update_id") if isinstance(body, dict) else None
    return isinstance(update_id, int) and not isinstance(update_id, bool)


class TelegramInput(InputChannel):
    """`POST /webhooks/telegram/webhook`, called by Telegram with one Update per request.

    Answers 403 to a request without the right secret header and 400 to a body that is not an
    Update; every Update is acknowledged with 200 (Telegram re-sends on anything else), including
    the kinds it does not handle.
    """

    def __init__(
        self, settings: TelegramSettings | None, deliveries: Deliveries | None = None
    ) -> None:
        self.settings = settings
        # update_ids answered, shared by every server: Telegram re-sends what got no quick 200
        self.deliveries = deliveries or Deliveries.from_settings()

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Ignores credentials.yml: the secrets come only from the environment."""
        settings = TelegramSettings.from_env()
        if settings is None:
            logger.warning(OFF_MESSAGE)
        return cls(settings)

    def get_output_channel(self) -> OutputChannel | None:
        """Lets Rasa message a chat unprompted (reminders, the HTTP API's trigger_intent)."""
        return TelegramOutput(BotApi(self.settings)) if self.settings else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("faqbot_telegram_webhook", __name__)
        settings = self.settings
        if settings is None:
            return webhook
        output = TelegramOutput(BotApi(settings))

        async def to_rasa(text: str, chat_id: int) -> None:
            turn = TelegramOutput(output.api)  # counts this turn's replies only
            message = UserMessage(text, turn, str(chat_id), input_channel=self.name())
            await answer_or_apologise(
                on_new_message(message), turn, str(chat_id), self.name(), text
            )

        async def on_message(message: dict[str, Any]) -> None:
            chat_id, text = _chat_id(message), message.get("text")
            if chat_id is None:
                return
            if isinstance(text, str) and clean_text(text).strip():
                text = clean_text(text)
                command = text.split()[0].split("@")[0]  # "/start@OurBot" in group chats
                await to_rasa(COMMANDS.get(command, text), chat_id)
            elif message["chat"].get("type") == "private":  # a sticker, photo, voice note...
                await output.send_reply(str(chat_id), EMPTY_MESSAGE)

        async def on_click(callback: dict[str, Any]) -> None:
            click_id = callback.get("id")
            if isinstance(click_id, str):  # stops the spinner on the button in the app
                try:
                    await output.api.call("answerCallbackQuery", {"callback_query_id": click_id})
                except TelegramError as error:
                    logger.warning("telegram: %s", error)
            chat_id, data = _chat_id(callback.get("message")), callback.get("data")
            if chat_id is not None and isinstance(data, str) and data.strip():
                await to_rasa(payload_from_callback(data), chat_id)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), settings.secret.encode()):
                return response.json({"error": f"wrong or missing {SECRET_HEADER}"}, status=403)
            update = json_body(request)
            if not _is_update(update):
                return response.json({"error": "the body must be a Telegram Update"}, status=400)
            key = f"telegram:{settings.token.split(':')[0]}:{update['update_id']}"
            claim = await self.deliveries.claim(key)
            if claim is Claim.DONE:
                return response.empty(status=200)
            if claim is Claim.BUSY:  # another server is answering it (or died doing so)
                return response.json({"error": "being answered; send it again later"}, 503)
            try:
                if isinstance(update.get("callback_query"), dict):
                    await on_click(update["callback_query"])
                elif isinstance(update.get("message"), dict):
                    await on_message(update["message"])
            except TelegramError as error:
                logger.error("telegram: update %s: %s", update["update_id"], error)
            except asyncio.CancelledError:
                logger.error("telegram: update %s timed out", update["update_id"])
                await self.deliveries.release(key)  # no 200 goes back: Telegram sends it again
                raise
            except Exception:
                logger.exception("telegram: update %s failed", update["update_id"])
            # Answered (or refused by Telegram, or failed: logged). Telegram gets a 200 and would
            # re-send it forever otherwise; a copy that still comes is not answered again.
            await self.deliveries.done(key)
            return response.empty(status=200)

        return webhook
