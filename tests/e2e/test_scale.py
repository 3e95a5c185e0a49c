"""Running at scale: Rasa servers (and Sanic workers) sharing one PostgreSQL database and one
Redis lock serve one conversation as a single server would, with every event stored once."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.config import ROOT
from bot.ops.serve import BotServers, Ports, free_port
from tests.support import (
    QUESTIONS,
    BotFactory,
    knowledge_database,
    redis_key_prefix,
    redis_keys,
    stored_events,
    wait_for,
)

SCALE_ENDPOINTS = ROOT / "endpoints.scale.yml"
# One conversation touring the topics, each turn a different intent (questions the model
# classifies with high confidence: this tests scale, not NLU).
CONVERSATION = [
    "what_is_botox",
    "procedure",
    "side_effects",
    "cost",
    "eligibility",
    "chronic_migraine",
    "other_treatments",
    "see_a_doctor",
]
TOPIC_OF = {question: topic for topic, question in QUESTIONS.items()}


@pytest.fixture(scope="module")
def database_url(postgres_admin_url: str) -> Iterator[str]:
    with knowledge_database(postgres_admin_url) as url:
        yield url


@pytest.fixture(scope="module")
def key_prefix(redis_url: str) -> Iterator[str]:
    with redis_key_prefix(redis_url) as prefix:
        yield prefix


@pytest.fixture(scope="module")
def leftover_locks(redis_url: str, key_prefix: str) -> Callable[[], list[bytes]]:
    """The lock keys still in Redis: none once every turn has finished."""
    return lambda: redis_keys(redis_url, key_prefix)


@pytest.fixture(scope="module")
def actions_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def scale_env(
    database_url: str, redis_url: str, key_prefix: str, actions_port: int
) -> dict[str, str]:
    """What an operator sets on every Rasa server: the same database, Redis and action servers
    (and one worker each here; with REDIS_URL the launcher would start two)."""
    return {
        "SANIC_WORKERS": "1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": key_prefix,
        "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
    }


def rasa_server(
    make_bot: BotFactory, name: str, env: dict[str, str], actions_port: int, actions: bool = False
) -> BotServers:
    """A Rasa server (not started yet) using the shared action server on `actions_port`."""
    ports = Ports(rasa=free_port(), actions=actions_port, web=free_port())
    return make_bot(
        name, env=env, ports=ports, endpoints=SCALE_ENDPOINTS, actions=actions, rasa=False
    )


@pytest.fixture(scope="module")
def servers(
    make_bot: BotFactory, scale_env: dict[str, str], actions_port: int
) -> tuple[BotServers, BotServers]:
    """One action server and two Rasa servers, A and B, started at the same time."""
    a = rasa_server(make_bot, "rasa-a", scale_env, actions_port, actions=True)
    b = rasa_server(make_bot, "rasa-b", scale_env, actions_port)
    with ThreadPoolExecutor(2) as pool:
        for started in [pool.submit(a.start_rasa), pool.submit(b.start_rasa)]:
            started.result()
    return a, b


def without_recipient(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if k != "recipient_id"} for m in messages]


def topics(messages: list[dict[str, Any]]) -> list[str]:
    return [m["metadata"]["topic"] for m in messages]


def skeleton(events: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """Each event's kind and its intent or action: what must match across servers."""
    return [
        (e["event"], (e.get("parse_data") or {}).get("intent", {}).get("name") or e.get("name"))
        for e in events
    ]


def assert_consistent(events: list[dict[str, Any]], said: Sequence[str]) -> None:
    """Every message stored exactly once, each followed by its own answer before the next one
    (two turns handled at once interleave), no event stored twice, the last turn finished."""
    assert len({json.dumps(e, sort_keys=True) for e in events}) == len(events)
    user_texts = [e["text"] for e in events if e["event"] == "user"]
    assert sorted(user_texts) == sorted(said)
    exchange = [e for e in events if e["event"] in ("user", "bot")]
    assert [e["event"] for e in exchange] == ["user", "bot"] * len(said)
    for question, answer in zip(exchange[::2], exchange[1::2], strict=True):
        assert answer["metadata"]["topic"] == TOPIC_OF[question["text"]]
    assert (events[-1]["event"], events[-1].get("name")) == ("action", "action_listen")


def ask_all_at_once(jobs: Sequence[tuple[BotServers, str]], sender: str) -> list[list[str]]:
    """Sends every (server, question) of `jobs` for `sender` at the same moment; their topics."""
    barrier = threading.Barrier(len(jobs))

    def ask(job: tuple[BotServers, str]) -> list[str]:
        server, question = job
        barrier.wait()
        return topics(server.ask(sender, question))

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(ask, jobs))


def test_one_conversation_alternating_between_two_servers_is_served_as_by_one(
    servers: tuple[BotServers, BotServers],
    database_url: str,
    leftover_locks: Callable[[], list[bytes]],
) -> None:
    a, b = servers
    questions = [QUESTIONS[topic] for topic in CONVERSATION]
    alternating = [[a, b][i % 2].ask("scale-alternating", q) for i, q in enumerate(questions)]
    single = [a.ask("scale-single", q) for q in questions]

    assert [topics(reply) for reply in alternating] == [[topic] for topic in CONVERSATION]
    assert [without_recipient(r) for r in alternating] == [without_recipient(r) for r in single]
    events = stored_events(database_url, "scale-alternating")
    assert [e["text"] for e in events if e["event"] == "user"] == questions
    assert_consistent(events, questions)
    assert skeleton(events) == skeleton(stored_events(database_url, "scale-single"))
    assert leftover_locks() == []  # every lock released


def test_messages_of_one_conversation_sent_to_both_servers_at_once_are_all_stored_once(
    servers: tuple[BotServers, BotServers],
    database_url: str,
    leftover_locks: Callable[[], list[bytes]],
) -> None:
    a, b = servers
    sent: list[str] = []
    for batch in (CONVERSATION[:4], CONVERSATION[4:]):
        jobs = [([a, b][i % 2], QUESTIONS[topic]) for i, topic in enumerate(batch)]
        assert ask_all_at_once(jobs, "scale-concurrent") == [[topic] for topic in batch]
        sent += [question for _, question in jobs]
    assert_consistent(stored_events(database_url, "scale-concurrent"), sent)
    assert leftover_locks() == []


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def serving(worker: int) -> bool:
    """Whether a Sanic worker has loaded the model and heeds its stop signal. Sanic 21.12 makes a
    worker ignore SIGINT just before it starts to heed SIGTERM; a worker sent SIGTERM before that
    (still loading) keeps running after its server has stopped."""
    status = Path(f"/proc/{worker}/status").read_text()
    ignored = int(status.split("SigIgn:")[1].split()[0], 16)
    return bool(ignored & (1 << (signal.SIGINT - 1)))


def test_sanic_workers_share_the_redis_lock(
    servers: tuple[BotServers, BotServers],
    make_bot: BotFactory,
    scale_env: dict[str, str],
    actions_port: int,
    database_url: str,
    redis_url: str,
    leftover_locks: Callable[[], list[bytes]],
) -> None:
    """SANIC_WORKERS=2 (Rasa allows it as the lock store is not in memory); `servers` for the
    action server."""
    server = rasa_server(make_bot, "workers", {**scale_env, "SANIC_WORKERS": "2"}, actions_port)
    workers: list[int] = []
    try:
        server.start_rasa()
        workers = children(server.processes["rasa"].pid)
        assert len(workers) == 2
        assert wait_for(lambda: all(serving(worker) for worker in workers), 120)
        log = (server.workdir / "rasa.log").read_text()
        assert log.count(f"Conversation locks in Redis at {redis_url}") == 2

        said = [QUESTIONS[topic] for topic in CONVERSATION[:3]]
        assert [topics(server.ask("workers", q)) for q in said] == [[t] for t in CONVERSATION[:3]]
        batch = CONVERSATION[3:7]
        jobs = [(server, QUESTIONS[topic]) for topic in batch]
        assert ask_all_at_once(jobs, "workers") == [[topic] for topic in batch]
        assert_consistent(stored_events(database_url, "workers"), said + [q for _, q in jobs])
        assert leftover_locks() == []
    finally:
        server.stop_all()
        stopped = wait_for(lambda: not any(running(worker) for worker in workers), 10)
        for worker in filter(running, workers):
            os.kill(worker, signal.SIGKILL)
    assert stopped, "a Sanic worker outlived its server"
