"""The conversation lock shared in Redis by several servers: Rasa's ticket lock (first come, first
served; a ticket expires), each change to it atomic, in two round trips per message."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from rasa.core.lock_store import LockError

from bot.stores.lock_store import RedisTicketLockStore, UrlLockStore
from tests.support import redis_key_prefix, redis_keys

SERVERS = 12


@pytest.fixture
def key_prefix(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[str]:
    with redis_key_prefix(redis_url) as prefix:
        monkeypatch.setenv("REDIS_URL", redis_url)
        monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
        yield prefix


def store() -> RedisTicketLockStore:
    lock_store = UrlLockStore().store
    assert isinstance(lock_store, RedisTicketLockStore)
    return lock_store


def test_tickets_taken_at_the_same_moment_by_several_servers_are_all_different(
    key_prefix: str,
) -> None:
    """Rasa's own RedisLockStore hands most of them the same ticket (reads, then writes)."""
    stores = [store() for _ in range(SERVERS)]
    barrier = threading.Barrier(SERVERS)

    def take(lock_store: RedisTicketLockStore) -> int:
        barrier.wait()
        return lock_store.issue_ticket("same-conversation")

    with ThreadPoolExecutor(SERVERS) as pool:
        tickets = list(pool.map(take, stores))
    assert sorted(tickets) == list(range(SERVERS))


def test_one_conversation_is_handled_by_one_server_at_a_time_in_the_order_of_arrival(
    key_prefix: str,
) -> None:
    """Four servers (threads, each with its own event loop and connection) handle three messages
    of one conversation each, all at once: never two at a time, first come first served, and
    no lock left behind."""
    holders: list[int] = []
    most = 0
    order: list[int] = []
    guard = threading.Lock()

    async def handle(lock_store: RedisTicketLockStore) -> None:
        nonlocal most
        async with lock_store.lock("busy-conversation") as lock:
            with guard:
                holders.append(1)
                most = max(most, len(holders))
                order.append(lock.now_serving or 0)
            await asyncio.sleep(0.02)
            with guard:
                holders.pop()

    def server() -> None:
        lock_store = store()

        async def three_messages() -> None:
            await asyncio.gather(*(handle(lock_store) for _ in range(3)))

        asyncio.run(three_messages())

    with ThreadPoolExecutor(4) as pool:
        for done in [pool.submit(server) for _ in range(4)]:
            done.result()
    assert most == 1
    assert order == list(range(12))
    assert redis_keys(os.environ["REDIS_URL"], key_prefix) == []


def test_other_conversations_do_not_wait(key_prefix: str) -> None:
    lock_store = store()

    async def both() -> float:
        async with lock_store.lock("first"):
            started = time.monotonic()
            async with lock_store.lock("second"):
                return time.monotonic() - started

    assert asyncio.run(both()) < 0.5


def test_a_ticket_left_by_a_server_that_died_expires(key_prefix: str) -> None:
    """A server that took a ticket and died never releases it: the next message waits until it
    expires, then is handled; Redis forgets the conversation once its last ticket has expired."""
    lock_store = store()
    lock_store.issue_ticket("abandoned", lock_lifetime=0.3)  # never released
    key = f"{key_prefix}:tickets:abandoned".encode()
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    assert 0 < client.ttl(key) <= 2

    async def next_message() -> float:
        started = time.monotonic()
        async with lock_store.lock("abandoned"):
            return time.monotonic() - started

    waited = asyncio.run(next_message())
    assert 0.2 < waited < 2
    assert redis_keys(os.environ["REDIS_URL"], key_prefix) == []
    lock_store.issue_ticket("forgotten", lock_lifetime=0.3)
    time.sleep(1.6)  # the key's own expiry: its lifetime rounded up, plus one second
    assert redis_keys(os.environ["REDIS_URL"], key_prefix) == []


def test_a_message_whose_ticket_expired_while_it_waited_gets_a_lock_error(
    key_prefix: str,
) -> None:
    """As Rasa's lock store: the waiting message fails rather than run alongside another."""
    lock_store = store()
    lock_store.issue_ticket("slow", lock_lifetime=30)  # held for longer than the next one lives

    async def next_message() -> None:
        async with lock_store.lock("slow", lock_lifetime=0.2):
            pass

    with pytest.raises(LockError, match="Could not acquire lock"):
        asyncio.run(next_message())


def test_a_short_lived_ticket_does_not_shorten_the_life_of_the_others(key_prefix: str) -> None:
    lock_store = store()
    lock_store.issue_ticket("mixed", lock_lifetime=30)
    lock_store.issue_ticket("mixed", lock_lifetime=0.3)
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    assert client.ttl(f"{key_prefix}:tickets:mixed") > 29
