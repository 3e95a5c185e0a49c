"""The conversation lock: in memory for one process, shared and atomic in Redis for several."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.stores.lock_store import AtomicRedisLockStore, UrlLockStore
from tests.support import REDIS_URL, redis_key_prefix, redis_keys

SERVERS = 12


@pytest.fixture
def key_prefix(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with redis_key_prefix() as prefix:
        monkeypatch.setenv("REDIS_URL", REDIS_URL)
        monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
        yield prefix


def test_without_redis_the_lock_is_rasas_in_memory_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    assert isinstance(UrlLockStore().store, InMemoryLockStore)


def test_several_workers_without_redis_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    with pytest.raises(ValueError, match="SANIC_WORKERS=2 needs REDIS_URL"):
        UrlLockStore()


def test_the_endpoints_url_comes_before_redis_url(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere:6379/0")
    with caplog.at_level(logging.INFO, logger="bot.stores.lock_store"):
        store = UrlLockStore(EndpointConfig(url="redis://:s3cret@127.0.0.1:6380/2"))
    assert isinstance(store.store, AtomicRedisLockStore)
    assert store.store.red.connection_pool.connection_kwargs["port"] == 6380
    assert "Conversation locks in Redis at redis://:***@127.0.0.1:6380/2" in caplog.text
    assert "s3cret" not in caplog.text


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
    assert redis_keys(key_prefix) == []
