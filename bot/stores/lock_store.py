"""The lock Rasa holds on a conversation while it handles one of its messages, shared in Redis.

Rasa handles the messages of one conversation one at a time: each takes a ticket and waits for
its turn. Several Rasa servers, or one with SANIC_WORKERS > 1, must share those tickets, or two
messages of one conversation are handled at once and its stored events are lost or repeated.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import (
    DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
    LOCK_LIFETIME,
    InMemoryLockStore,
    LockError,
    LockStore,
)
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url

from bot.config import Settings

logger = logging.getLogger(__name__)

# How often a message waiting for its conversation's lock looks again. Rasa's default, 1 s, would
# make the second of two quick messages miss the channels' reply deadline (2.5 s).
WAIT_SECONDS = 0.05

# Takes the next ticket of a conversation. KEYS[1]: the conversation's hash of tickets (number ->
# expiry time); ARGV: now, the new ticket's expiry (as stored), the key's lifetime in seconds.
# Drops expired tickets, adds number = the last one + 1 (0 when none is left), and returns it with
# the number now served (the lowest left). The key expires with the ticket that lives longest, so
# a server that died holding one leaves nothing behind.
TAKE = """
local now, first, last = tonumber(ARGV[1]), nil, -1
local tickets = redis.call('HGETALL', KEYS[1])
for i = 1, #tickets, 2 do
  local number = tonumber(tickets[i])
  if now > tonumber(tickets[i + 1]) then
    redis.call('HDEL', KEYS[1], tickets[i])
  else
    if first == nil or number < first then first = number end
    if number > last then last = number end
  end
end
local ticket = last + 1
redis.call('HSET', KEYS[1], ticket, ARGV[2])
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return {ticket, first or ticket}
"""
# The number now served, after dropping expired tickets; -1 when ticket ARGV[2] has expired.
SERVING = """
local now, mine, first = tonumber(ARGV[1]), ARGV[2], nil
local tickets = redis.call('HGETALL', KEYS[1])
local held = false
for i = 1, #tickets, 2 do
  local number = tonumber(tickets[i])
  if now > tonumber(tickets[i + 1]) then
    redis.call('HDEL', KEYS[1], tickets[i])
  else
    if tickets[i] == mine then held = true end
    if first == nil or number < first then first = number end
  end
end
if not held then return -1 end
return first
"""


class RedisTicketLockStore(LockStore):
    """Rasa's ticket lock (first come, first served; a ticket expires after its lifetime), kept in
    Redis so that every server and worker shares it, in as few round trips as it can be.

    A conversation's tickets are one Redis hash (`<prefix>:tickets:<conversation>`, ticket number
    -> expiry time). Taking a ticket and learning which one is served is one Lua script, so two
    servers taking tickets at the same moment get different ones; releasing is one HDEL (Redis
    removes the hash with its last ticket). A message whose ticket is served at once, the usual
    case, costs two round trips; Rasa's RedisLockStore made seven or more, with a WATCH/MULTI
    transaction around each change to be correct across servers (docs/operations/performance.md).
    While another message of the conversation is handled, it looks again every WAIT_SECONDS.
    """

    def __init__(self, url: str, key_prefix: str) -> None:
        super().__init__()
        self.red = redis.Redis.from_url(url, socket_timeout=DEFAULT_SOCKET_TIMEOUT_IN_SECONDS)
        self.key_prefix = f"{key_prefix}:tickets:"
        self._take = self.red.register_script(TAKE)
        self._serving = self.red.register_script(SERVING)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Takes the conversation's next ticket (as Rasa's LockStore.issue_ticket)."""
        return self._issue(conversation_id, lock_lifetime)[0]

    def _issue(self, conversation_id: str, lock_lifetime: float) -> tuple[int, int, float]:
        """(the new ticket, the ticket now served, the new ticket's expiry time)."""
        now = time.time()
        expires = now + lock_lifetime
        try:
            ticket, serving = self._take(
                keys=[self.key_prefix + conversation_id],
                args=[repr(now), repr(expires), max(1, int(lock_lifetime) + 1)],
            )
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return int(ticket), int(serving), expires

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = WAIT_SECONDS,
    ) -> AsyncIterator[TicketLock]:
        """Holds the conversation's lock while the block runs (Rasa's LockStore.lock): waits for
        the ticket's turn; raises LockError if the ticket expires first."""
        key = self.key_prefix + conversation_id
        ticket, serving, expires = self._issue(conversation_id, lock_lifetime)
        try:
            while serving != ticket:
                await asyncio.sleep(wait_time_in_seconds)
                serving = int(self._serving(keys=[key], args=[repr(time.time()), ticket]))
                if serving < 0:
                    raise LockError(
                        f"Could not acquire lock for conversation_id '{conversation_id}'."
                    )
            yield TicketLock(conversation_id, deque([Ticket(ticket, expires)]))
        finally:
            self.red.hdel(key, ticket)


class UrlLockStore(LockStore):
    """`lock_store: {type: bot.stores.lock_store.UrlLockStore}` in endpoints (endpoints.scale.yml).

    Redis at the endpoint's `url:`, else at REDIS_URL (keys start with REDIS_KEY_PREFIX). Without
    either it is Rasa's in-memory lock, which serves one process only: with SANIC_WORKERS > 1 it
    refuses to start rather than let each worker keep its own.
    """

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        settings = Settings.from_env()
        url = (endpoint_config.url if endpoint_config else None) or settings.redis_url
        if url:
            self.store: LockStore = RedisTicketLockStore(url, settings.redis_key_prefix)
            shown = make_url(url).render_as_string(hide_password=True)
            logger.info("Conversation locks in Redis at %s", shown)
        elif (settings.sanic_workers or 1) > 1:
            raise ValueError(
                f"SANIC_WORKERS={settings.sanic_workers} needs REDIS_URL: without Redis each "
                "worker would lock conversations on its own"
            )
        else:
            self.store = InMemoryLockStore()
        super().__init__()

    def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = WAIT_SECONDS,
    ) -> AbstractAsyncContextManager[TicketLock]:
        """Rasa takes every conversation lock through here."""
        return self.store.lock(conversation_id, lock_lifetime, wait_time_in_seconds)
