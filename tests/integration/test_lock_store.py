"""The conversation lock shared and atomic in Redis for several servers."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.stores.lock_store import AtomicRedisLockStore, UrlLockStore
from tests.support import redis_key_prefix, redis_keys

SERVERS = 12


@pytest.fixture
def key_prefix(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[str]:
    with redis_key_prefix(redis_url) as prefix:
        monkeypatch.setenv("REDIS_URL", redis_url)
        monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
        yield prefix


def test_tickets_taken_at_the_same_moment_by_several_servers_are_all_different(
    key_prefix: str,
) -> None:
    """Rasa's own RedisLockStore hands most of them the same ticket (reads, then writes)."""
    stores = [UrlLockStore().store for _ in range(SERVERS)]
    barrier = threading.Barrier(SERVERS)

    def take(store: AtomicRedisLockStore) -> int:
        barrier.wait()
        return int(store.issue_ticket("same-conversation"))

    with ThreadPoolExecutor(SERVERS) as pool:
        tickets = list(pool.map(take, stores))
    assert sorted(tickets) == list(range(SERVERS))


def test_one_conversation_is_handled_by_one_server_at_a_time_and_its_lock_then_removed(
    key_prefix: str,
) -> None:
    holders: list[int] = []
    most = 0
    guard = threading.Lock()

    async def handle(store: UrlLockStore) -> None:
        nonlocal most
        async with store.lock("busy-conversation"):
            with guard:
                holders.append(1)
                most = max(most, len(holders))
            await asyncio.sleep(0.02)
            with guard:
                holders.pop()

    def server() -> None:
        store = UrlLockStore()

        async def three_messages() -> None:
            await asyncio.gather(*(handle(store) for _ in range(3)))

        asyncio.run(three_messages())

    with ThreadPoolExecutor(4) as pool:
        for done in [pool.submit(server) for _ in range(4)]:
            done.result()
    assert most == 1
    assert redis_keys(os.environ["REDIS_URL"], key_prefix) == []
