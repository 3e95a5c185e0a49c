"""What every channel shares: reading a bot message the same way everywhere."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Hashable
from typing import Any

from rasa.core.channels.channel import OutputChannel
from sanic.request import Request

from bot.content.answers import UNAVAILABLE, Reply

logger = logging.getLogger(__name__)

# A person waiting on a chat should hear back within 3 s, even if a part behind Rasa is slow.
REPLY_DEADLINE_SECONDS = 2.5


class SeenIds:
    """The last `size` ids a channel has received (Slack event ids, Telegram update ids), so a
    delivery the platform repeats is answered once. Kept in memory: forgotten on a restart."""

    def __init__(self, size: int = 10_000) -> None:
        self._ids: OrderedDict[Hashable, None] = OrderedDict()
        self._size = size

    def first_time(self, key: Hashable) -> bool:
        """True the first time `key` is seen (and remembers it), False after."""
        if key in self._ids:
            return False
        self._ids[key] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


def message_topic(message: dict[str, Any]) -> str | None:
    """The topic of a bot message: set by an action (`topic=`) or by a response's metadata."""
    return message.get("topic") or (message.get("metadata") or {}).get("topic")


def json_body(request: Request) -> Any:
    """The request's JSON body, or None when it is not JSON in valid UTF-8.

    Sanic's own `request.json` (ujson) accepts invalid UTF-8 and builds strings that Python cannot
    even iterate ("chr() arg not in range"), so the standard library decodes it, strictly."""
    try:
        return json.loads(request.body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        return None


def clean_text(text: str) -> str:
    """Drops control characters (keeping newlines and tabs) that no person typed on purpose."""
    return "".join(c for c in text if c.isprintable() or c in "\n\t")


def message_faq(message: dict[str, Any]) -> str | None:
    """The FAQ entry a bot message answers (set by action_answer_faq), if it answers one."""
    faq = message.get("faq") or (message.get("metadata") or {}).get("faq")
    return faq if isinstance(faq, str) and faq else None


def reply_from_message(message: dict[str, Any]) -> Reply:
    """The channel-neutral form of a Rasa bot message: text, buttons, topic and FAQ entry (an
    answer with an entry gets the "Helpful? Yes / No" buttons on every channel)."""
    return Reply(
        text=message.get("text") or "",
        topic=message_topic(message) or "",
        buttons=list(message.get("buttons") or []),
        faq=message_faq(message),
    )


async def handle_within_deadline(handling: Awaitable[Any], channel: str) -> None:
    """Waits for Rasa to handle a message, at most REPLY_DEADLINE_SECONDS.

    A slow turn is not cancelled: it finishes in the background (its answer is kept in the
    conversation), while the caller apologises now instead of leaving the person in silence.
    """
    task = asyncio.ensure_future(handling)
    task.add_done_callback(_log_failure(channel))
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=REPLY_DEADLINE_SECONDS)
    except asyncio.TimeoutError:
        logger.warning("%s: no answer within %.1f s", channel, REPLY_DEADLINE_SECONDS)
    except Exception:  # already logged by the done callback
        pass


def _log_failure(channel: str) -> Any:
    def log(task: asyncio.Future) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s: handling a message failed: %r", channel, task.exception())

    return log


class ReplyOutput(OutputChannel):
    """A pushing channel's output: sends channel-neutral Replies and counts them, so the channel
    can tell a turn that produced nothing (a failed part behind Rasa) and apologise."""

    replies_sent = 0

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self.send_reply(recipient_id, reply_from_message(message))

    async def send_reply(self, recipient_id: str, reply: Reply) -> None:
        self.replies_sent += 1
        await self.deliver(recipient_id, reply)

    async def deliver(self, recipient_id: str, reply: Reply) -> None:
        raise NotImplementedError


async def answer_or_apologise(
    handling: Awaitable[Any], output: ReplyOutput, recipient_id: str, channel: str
) -> None:
    """Every turn has a reply by design; none by the deadline means something behind Rasa is
    down or slow, and the person hears so instead of silence."""
    await handle_within_deadline(handling, channel)
    if not output.replies_sent:
        await output.send_reply(recipient_id, UNAVAILABLE)
