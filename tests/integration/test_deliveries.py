"""The delivery store Slack and Telegram share: one claim wins, done stays done, leases run out."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from bot.channels.deliveries import (
    Claim,
    Deliveries,
    DeliveryStore,
    RedisDeliveryStore,
    SqlDeliveryStore,
)
from tests.support import redis_key_prefix


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[DeliveryStore]:
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        with redis_key_prefix(url) as prefix:
            yield RedisDeliveryStore(url, prefix)
        return
    yield SqlDeliveryStore(str(request.getfixturevalue(f"{request.param}_url")))


def key() -> str:
    return f"test:{uuid.uuid4().hex}"


def test_one_claim_wins_then_done_stays_done(store: DeliveryStore) -> None:
    k = key()
    assert store.try_claim(k, 30) is Claim.MINE
    assert store.try_claim(k, 30) is Claim.BUSY
    store.mark_done(k, 3600)
    assert store.try_claim(k, 30) is Claim.DONE
    store.release(k)  # a late release never undoes an answer
    assert store.try_claim(k, 30) is Claim.DONE


def test_a_released_claim_can_be_claimed_again(store: DeliveryStore) -> None:
    k = key()
    assert store.try_claim(k, 30) is Claim.MINE
    store.release(k)
    assert store.try_claim(k, 30) is Claim.MINE


def test_the_claim_of_a_server_that_died_runs_out(store: DeliveryStore) -> None:
    k = key()
    assert store.try_claim(k, 0.3) is Claim.MINE
    time.sleep(0.5)
    assert store.try_claim(k, 30) is Claim.MINE


def test_done_is_forgotten_after_its_memory(store: DeliveryStore) -> None:
    k = key()
    store.try_claim(k, 30)
    store.mark_done(k, 0.3)
    time.sleep(0.5)
    assert store.try_claim(k, 30) is Claim.MINE


def test_of_many_servers_claiming_at_once_exactly_one_wins(store: DeliveryStore) -> None:
    k, results, start = key(), [], threading.Barrier(8)
    store.try_claim(key(), 30)  # creates the table (SQL) before the race

    def claim() -> None:
        start.wait()
        results.append(store.try_claim(k, 30))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.value for r in results) == ["busy"] * 7 + ["mine"]


def test_a_copy_arriving_while_the_answer_is_sent_waits_for_it(store: DeliveryStore) -> None:
    deliveries, k = Deliveries(store, lease=30, memory=3600), key()

    async def scenario() -> Claim:
        assert await deliveries.claim(k) is Claim.MINE
        copy = asyncio.ensure_future(deliveries.claim(k))
        await asyncio.sleep(0.5)
        await deliveries.done(k)
        return await copy

    assert asyncio.run(scenario()) is Claim.DONE


def test_a_store_that_cannot_be_reached_lets_the_message_be_answered() -> None:
    deliveries = Deliveries(RedisDeliveryStore("redis://127.0.0.1:1/0", "x"), 30, 3600)
    assert asyncio.run(deliveries.claim(key())) is Claim.MINE
