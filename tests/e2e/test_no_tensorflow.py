"""The servers as the launcher starts them run without TensorFlow (bot/ops/no_tensorflow.py), and
with REDIS_URL set the Rasa server runs two workers sharing the Redis lock."""

from __future__ import annotations

from collections.abc import Iterator

import psutil
import pytest

from bot.ops.serve import BotServers
from tests.support import QUESTIONS, BotFactory, redis_key_prefix, wait_for

REPORT = "TensorFlow modules in sys.modules:"


def processes(server: BotServers, name: str) -> list[psutil.Process]:
    """A server's process and its children (Sanic's workers)."""
    main = psutil.Process(server.processes[name].pid)
    return [main, *main.children(recursive=True)]


def tensorflow_files_mapped(process: psutil.Process) -> list[str]:
    """Files of TensorFlow (its shared libraries: any import of it loads them) in memory."""
    return sorted({m.path for m in process.memory_maps() if "/tensorflow" in m.path})


def reports(server: BotServers) -> list[str]:
    """What each Rasa process said about its sys.modules once its model was loaded."""
    log = (server.workdir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    return [line.split(REPORT, 1)[1].strip() for line in log.splitlines() if REPORT in line]


def test_no_server_process_imports_tensorflow(bot: BotServers) -> None:
    assert bot.ask("no-tensorflow", QUESTIONS["cost"])
    assert reports(bot) and set(reports(bot)) == {"none"}  # one line per worker
    for name in ("rasa", "actions"):
        for process in processes(bot, name):
            assert tensorflow_files_mapped(process) == [], name


@pytest.fixture(scope="module")
def with_redis(make_bot: BotFactory, redis_url: str) -> Iterator[BotServers]:
    """The servers with REDIS_URL set and SANIC_WORKERS unset: the production defaults."""
    with redis_key_prefix(redis_url) as prefix:
        env = {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix, "SANIC_WORKERS": ""}
        servers = make_bot("with-redis", env=env)
        # Both workers loaded (each says so): a worker still loading can miss the stop signal.
        both = wait_for(lambda: len(reports(servers)) == 2, 300)
        assert both, (servers.workdir / "rasa.log").read_text(errors="replace")[-3000:]
        yield servers
        servers.stop_all()


def test_with_redis_two_workers_serve_without_tensorflow(with_redis: BotServers) -> None:
    workers = processes(with_redis, "rasa")[1:]
    assert len(workers) == 2
    assert reports(with_redis) == ["none", "none"]
    assert [tensorflow_files_mapped(worker) for worker in workers] == [[], []]
    assert with_redis.ask("two-workers", QUESTIONS["cost"])
