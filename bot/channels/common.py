"""What every channel shares: reading a bot message the same way everywhere."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import json
import logging
import multiprocessing
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from rasa.core.channels.channel import OutputChannel
from sanic.request import Request

from bot.config import Settings
from bot.content.answers import Reply
from bot.safety.fallback import reply_without_actions

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A person waiting on a chat should hear back within 3 s, even if a part behind Rasa is slow.
REPLY_DEADLINE_SECONDS = 2.5


# The most Sanic workers whose load is shared (SANIC_WORKERS beyond this are not balanced).
MAX_WORKERS = 64
# Per worker: its pid and how many requests it is handling. In shared memory made when this module
# is imported, before Sanic forks the workers: each worker writes its own slot, reads the others.
_LOAD = multiprocessing.RawArray(ctypes.c_long, 2 * MAX_WORKERS)
_CLAIM = multiprocessing.Lock()
_slot: list[int] = []  # this process's slot, once claimed


def _my_slot() -> int | None:
    if not _slot:
        with _CLAIM:
            pids = _LOAD[0::2]
            free = [i for i, pid in enumerate(pids) if pid == 0 or not _alive(pid)]
            if not free:
                return None
            _LOAD[2 * free[0]], _LOAD[2 * free[0] + 1] = os.getpid(), 0
            _slot.append(free[0])
    return _slot[0]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


@contextlib.contextmanager
def spreading_connections(request: Request) -> Iterator[None]:
    """Counts the request as in hand while the block runs; at its end, closes the client's
    kept-alive connection when this worker has more requests in hand than another by two or more.

    The Sanic workers share one listening socket, and whichever is woken first accepts every
    pending connection: a client opening 16 connections at once had 12 to 16 of them on one
    worker while the other idled, for as long as it kept them (half the throughput, twice the
    latency). A closed connection is opened again by its client and lands on either worker; on
    the busier one it is closed again after one request, until the load is even."""
    slot = _my_slot()
    if slot is None:
        yield
        return
    _LOAD[2 * slot + 1] += 1
    try:
        yield
    finally:
        _LOAD[2 * slot + 1] -= 1
        mine = _LOAD[2 * slot + 1]
        others = [
            _LOAD[2 * i + 1]
            for i, pid in enumerate(_LOAD[0::2])
            if pid and i != slot and _alive(pid)
        ]
        if len(others) < _workers() - 1:  # a worker that has not had a request yet
            others.append(0)
        if others and mine > min(others) + 1 and request.stream is not None:
            request.stream.keep_alive = False


@functools.lru_cache(maxsize=1)
def _workers() -> int:
    """How many Sanic workers this Rasa server has (SANIC_WORKERS, as Rasa reads it)."""
    return Settings.from_env().sanic_workers or 1


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
    handling: Awaitable[Any], output: ReplyOutput, recipient_id: str, channel: str, text: str
) -> None:
    """Every turn has a reply by design; none by the deadline means something behind Rasa is
    down or slow, and the person hears so instead of silence (or, for an emergency or a
    crisis, the urgent reply all the same: bot/safety/fallback.py)."""
    await handle_within_deadline(handling, channel)
    if not output.replies_sent:
        await output.send_reply(recipient_id, reply_without_actions(text))


async def retry_rate_limited(
    call: Callable[[], Awaitable[T]],
    retry_after: Callable[[Exception], float | None],
    what: str,
    settings: Settings | None = None,
) -> T:
    """`call()`, again after the wait the platform asks for whenever it answers 429.

    `retry_after(error)` is the wait in seconds when `error` is a 429, else None. At most
    RATE_LIMIT_RETRIES retries; none when the wait asked for is over RATE_LIMIT_MAX_WAIT_SECONDS.
    Then the last error is raised. The wait is an asyncio sleep: other conversations go on.
    A 429 means the message was not accepted, so sending it again cannot post it twice.
    """
    attempt = 0
    while True:
        try:
            return await call()
        except Exception as error:
            wait = retry_after(error)
            if wait is None:
                raise
            settings = settings or Settings.from_env()
            retries, longest = settings.rate_limit_retries, settings.rate_limit_max_wait_seconds
            if attempt >= retries or wait > longest:
                logger.error(
                    "%s: rate limited (retry after %.0f s); giving up after %d retries",
                    what, wait, attempt,
                )  # fmt: skip
                raise
            attempt += 1
            logger.warning(
                "%s: rate limited; retrying in %.1f s (retry %d of %d)",
                what,
                wait,
                attempt,
                retries,
            )
            await asyncio.sleep(wait)


def retry_after_seconds(value: Any) -> float | None:
    """A Retry-After header or `retry_after` parameter as seconds (at least 1), None if absent."""
    try:
        return max(1.0, float(value))
    except (TypeError, ValueError):
        return None
