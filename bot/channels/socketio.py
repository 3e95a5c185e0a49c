"""Our socket.io channel (the website widget): Rasa's, with each bot message sent whole.

Rasa's stock output splits a text on blank lines into several events and drops the message's
metadata, so the widget could not keep an answer, its source line and disclaimer together, nor know
its topic. Input gets the same cleaning and size limit as the REST channel, and a session id the
same limits as the REST channel's sender.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint
from socketio import AsyncServer

from bot.channels.common import ReplyOutput, answer_or_apologise, clean_text
from bot.channels.rest import MAX_MESSAGE_CHARS, MAX_SENDER_CHARS
from bot.content.answers import EMPTY_MESSAGE, Reply
from bot.insights.feedback import feedback_buttons

TOO_LONG = Reply(
    text=f"That message is too long for me. Please ask in fewer than {MAX_MESSAGE_CHARS} "
    "characters.",
    topic="too_long",
)


def as_socketio_message(reply: Reply) -> dict[str, Any]:
    """The `bot_uttered` payload the widget reads: text, buttons, the topic and, for an FAQ
    answer, its entry and the payloads of its "Helpful? Yes / No" buttons."""
    message: dict[str, Any] = {
        "text": reply.text,
        "buttons": [{"title": b["title"], "payload": b["payload"]} for b in reply.buttons],
        "metadata": {"topic": reply.topic},
    }
    if reply.faq:
        message["metadata"]["faq"] = reply.faq
        message["metadata"]["feedback"] = {
            b["vote"]: b["payload"] for b in feedback_buttons(reply.faq)
        }
    return message


class SocketIOOutput(ReplyOutput):
    """Emits one `bot_uttered` event per bot message, to the conversation's room."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def __init__(self, sio: AsyncServer, bot_message_evt: str) -> None:
        self.sio = sio
        self.bot_message_evt = bot_message_evt

    async def deliver(self, recipient_id: str, reply: Reply) -> None:
        await self.sio.emit(self.bot_message_evt, as_socketio_message(reply), room=recipient_id)


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io input (session_request, rooms, optional JWT), our output and checks."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> OutputChannel | None:
        """Used by Rasa for messages it sends on its own (reminders, external events)."""
        return SocketIOOutput(self.sio, self.bot_message_evt) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def receive(message: UserMessage) -> None:
            output = SocketIOOutput(sio, self.bot_message_evt)
            text = message.text if isinstance(message.text, str) else ""
            if len(text) > MAX_MESSAGE_CHARS:
                await output.send_reply(message.sender_id, TOO_LONG)
                return
            text = clean_text(text)
            if not text.strip():
                await output.send_reply(message.sender_id, EMPTY_MESSAGE)
                return
            message.text = text
            message.output_channel = output
            await answer_or_apologise(
                on_new_message(message), output, message.sender_id, "socketio", text
            )

        async def session_request(sid: str, data: Any) -> None:
            """Replaces Rasa's, which calls `enter_room` without awaiting it: python-socketio 5.x
            made that a coroutine, so the tab never joined its session's room and got no replies."""
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not 0 < len(session_id) <= MAX_SENDER_CHARS:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        blueprint = super().blueprint(receive)
        sio = self.sio  # created by Rasa's blueprint, used by the handlers above
        assert sio is not None
        sio.on("session_request", session_request, namespace=self.namespace)
        return blueprint
