"""Two Sanic workers sharing the load of a client that keeps its connections open: connections
end up spread evenly (bot.channels.common.spreading_connections), whichever worker accepted them
first.

A closed connection is opened again and lands on either worker, so one sample can catch a worker a
few connections up for a moment (CI once saw 5 against 11, then 7 / 9, 8 / 7, 8 / 8). The test reads
the typical sample of the second half: unbalanced, one worker kept 12 to 16 of the 16 all along."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import psutil
import pytest

from bot.ops.serve import BotServers
from tests.support import BotFactory, redis_key_prefix
from tools.bench import OUR_CONVERSATIONS, process_tree, run_load

USERS = 16
SECONDS = 10.0


@pytest.fixture(scope="module")
def servers(make_bot: BotFactory, redis_url: str) -> Iterator[BotServers]:
    with redis_key_prefix(redis_url) as prefix:
        yield make_bot("balance", env={"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix})


def connections(worker: psutil.Process, port: int) -> int:
    return sum(
        1
        for c in worker.net_connections(kind="tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port
    )


def test_kept_alive_connections_end_up_spread_over_the_workers(servers: BotServers) -> None:
    workers = process_tree(servers.processes["rasa"].pid)[1:]
    assert len(workers) == 2
    port = urlsplit(servers.url).port or 0
    seen: list[tuple[int, ...]] = []
    done = threading.Event()

    def sample() -> None:
        time.sleep(SECONDS / 2)  # the second half of the run
        while not done.wait(0.5):
            seen.append(tuple(connections(worker, port) for worker in workers))

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        run = run_load(f"{servers.url}/webhooks/rest/webhook", OUR_CONVERSATIONS, USERS, SECONDS)
    finally:
        done.set()
        sampler.join()
    assert not run.errors
    assert seen
    assert statistics.median(sum(counts) for counts in seen) >= USERS - 2, seen  # kept alive
    assert statistics.median(max(counts) - min(counts) for counts in seen) <= 4, seen
