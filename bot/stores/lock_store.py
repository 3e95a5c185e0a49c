"""The lock Rasa holds on a conversation while it handles one of its messages, shared in Redis.

Rasa handles the messages of one conversation one at a time: each takes a ticket and waits for
its turn. Several Rasa servers, or one with SANIC_WORKERS > 1, must share those tickets, or two
messages of one conversation are handled at once and its stored events are lost or repeated.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
    LOCK_LIFETIME,
    InMemoryLockStore,
    LockStore,
    RedisLockStore,
)
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url

from bot.config import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How often a message waiting for its conversation's lock looks again. Rasa's default, 1 s, would
# make the second of two quick messages miss the channels' reply deadline (2.5 s).
WAIT_SECONDS = 0.05


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore, with every change to a conversation's lock made atomic.

    Rasa's reads a lock, changes it and writes it back in separate commands, so two servers taking
    a ticket at the same moment both get the first one and handle their messages at once. Here each
    change is a WATCH/MULTI transaction, retried when another server changed the lock in between.
    """

    def __init__(self, url: str, key_prefix: str) -> None:
        super().__init__(key_prefix=key_prefix)
        # Replaces the parent's client (which has not connected yet): a URL says it all.
        self.red = redis.Redis.from_url(url, socket_timeout=DEFAULT_SOCKET_TIMEOUT_IN_SECONDS)

    def _change(self, conversation_id: str, change: Callable[[TicketLock], T]) -> T:
        """Applies `change` to the stored lock (a new one if none); a lock left without tickets
        is deleted, as Rasa's cleanup does."""
        key = self.key_prefix + conversation_id

        def attempt(pipe: redis.client.Pipeline) -> T:
            stored = pipe.get(key)
            lock = (
                TicketLock.from_dict(json.loads(stored)) if stored else TicketLock(conversation_id)
            )
            result = change(lock)
            pipe.multi()
            if lock.is_someone_waiting():
                pipe.set(key, lock.dumps())
            else:
                pipe.delete(key)
            return result

        return self.red.transaction(attempt, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime))

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))


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
            self.store: LockStore = AtomicRedisLockStore(url, settings.redis_key_prefix)
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
