"""Which conversation lock the settings choose (no Redis is contacted)."""

from __future__ import annotations

import logging

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.stores.lock_store import RedisTicketLockStore, UrlLockStore


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
    assert isinstance(store.store, RedisTicketLockStore)
    assert store.store.red.connection_pool.connection_kwargs["port"] == 6380
    assert "Conversation locks in Redis at redis://:***@127.0.0.1:6380/2" in caplog.text
    assert "s3cret" not in caplog.text
