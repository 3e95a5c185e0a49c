"""Our REST channel: Rasa's, with request checks and each answer's topic in its metadata."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import (
    clean_text,
    handle_within_deadline,
    json_body,
    message_topic,
    spreading_connections,
)
from bot.content.answers import EMPTY_MESSAGE, Reply
from bot.safety.fallback import prepare as prepare_urgent_replies
from bot.safety.fallback import reply_without_actions

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2_000
MAX_SENDER_CHARS = 128


class TopicCollectingOutputChannel(CollectingOutputChannel):
    """Collects messages as Rasa's REST channel does, keeping text whole plus `metadata.topic`."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        out: dict[str, Any] = {"recipient_id": recipient_id}
        for key in ("text", "buttons", "image", "attachment", "custom"):
            if message.get(key):
                out[key] = message[key]
        topic = message_topic(message)
        if topic:
            out["metadata"] = {"topic": topic}
            faq = message.get("faq") or (message.get("metadata") or {}).get("faq")
            if faq:  # the FAQ entry an answer is for
                out["metadata"]["faq"] = faq
        await self._persist_message(out)


def as_rest_message(recipient_id: str, reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"recipient_id": recipient_id, "text": reply.text}
    if reply.buttons:
        message["buttons"] = reply.buttons
    message["metadata"] = {"topic": reply.topic}
    return message


def _bad_request(reason: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


class RestInput(RasaRestInput):
    """`POST /webhooks/rest/webhook` with `{"sender": "...", "message": "..."}`."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("faqbot_rest_webhook", __name__)
        prepare_urgent_replies()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            with spreading_connections(request):
                return await self._receive(request, on_new_message)

        return webhook

    async def _receive(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        """One message: checked, handled by Rasa, answered with Rasa's messages or, if none came,
        an apology (or the urgent reply an emergency or a crisis needs)."""
        body = json_body(request)
        if body is None:
            return _bad_request("the body must be JSON")
        if not isinstance(body, dict):
            return _bad_request('the body must be a JSON object: {"sender", "message"}')
        sender, text = body.get("sender"), body.get("message")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
            return _bad_request(f"'sender' must be a non-empty string of <= {MAX_SENDER_CHARS}")
        if not isinstance(text, str):
            return _bad_request("'message' must be a string")
        if len(text) > MAX_MESSAGE_CHARS:
            return _bad_request(f"'message' is longer than {MAX_MESSAGE_CHARS} characters", 413)
        text = clean_text(text)
        if not text.strip():
            return response.json([as_rest_message(sender, EMPTY_MESSAGE)])
        metadata = body.get("metadata")
        collector = TopicCollectingOutputChannel()
        user_message = UserMessage(
            text,
            collector,
            sender,
            input_channel=self.name(),
            metadata=metadata if isinstance(metadata, dict) else None,
        )
        await handle_within_deadline(on_new_message(user_message), self.name())
        # Every turn has a reply by design; none means a part behind Rasa failed or is slow
        # (an emergency or a crisis still gets its urgent reply: bot/safety/fallback.py).
        messages = list(collector.messages) or [
            as_rest_message(sender, reply_without_actions(text))
        ]
        return response.json(messages)
