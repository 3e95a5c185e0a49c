"""Running at scale: Rasa servers (and Sanic workers) sharing one PostgreSQL database and one
Redis lock serve one conversation as a single server would, with every event stored once."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.config import ROOT
from bot.ops.serve import BotServers, Ports, free_port, server_env
from tests.support import REDIS_URL, knowledge_database, redis_key_prefix, redis_keys, stored_events
from tests.test_e2e import QUESTIONS

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

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
def database_url() -> Iterator[str]:
    with knowledge_database() as url:
        yield url


@pytest.fixture(scope="module")
def key_prefix() -> Iterator[str]:
    with redis_key_prefix() as prefix:
        yield prefix


@pytest.fixture(scope="module")
def actions_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def scale_env(database_url: str, key_prefix: str, actions_port: int) -> dict[str, str]:
    """What an operator sets on every Rasa server: the same database, Redis and action servers."""
    return server_env(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "REDIS_KEY_PREFIX": key_prefix,
            "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
        }
    )


def rasa_server(workdir: Path, env: dict[str, str], actions_port: int) -> BotServers:
    ports = Ports(rasa=free_port(), actions=actions_port, web=free_port())
    return BotServers(workdir=workdir, env=env, ports=ports, endpoints=SCALE_ENDPOINTS)


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, scale_env: dict[str, str], actions_port: int
) -> Iterator[tuple[BotServers, BotServers]]:
    """One action server and two Rasa servers, A and B, started at the same time."""
    a = rasa_server(tmp_path_factory.mktemp("rasa-a"), scale_env, actions_port)
    b = rasa_server(tmp_path_factory.mktemp("rasa-b"), scale_env, actions_port)
    try:
        a.start_actions()
        with ThreadPoolExecutor(2) as pool:
            for started in [pool.submit(a.start_rasa), pool.submit(b.start_rasa)]:
                started.result()
        yield a, b
    finally:
        a.stop_all()
        b.stop_all()


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
    servers: tuple[BotServers, BotServers], database_url: str, key_prefix: str
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
    assert redis_keys(key_prefix) == []  # every lock released


def test_messages_of_one_conversation_sent_to_both_servers_at_once_are_all_stored_once(
    servers: tuple[BotServers, BotServers], database_url: str, key_prefix: str
) -> None:
    a, b = servers
    sent: list[str] = []
    for batch in (CONVERSATION[:4], CONVERSATION[4:]):
        jobs = [([a, b][i % 2], QUESTIONS[topic]) for i, topic in enumerate(batch)]
        assert ask_all_at_once(jobs, "scale-concurrent") == [[topic] for topic in batch]
        sent += [question for _, question in jobs]
    assert_consistent(stored_events(database_url, "scale-concurrent"), sent)
    assert redis_keys(key_prefix) == []


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


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_sanic_workers_share_the_redis_lock(
    servers: tuple[BotServers, BotServers],
    tmp_path: Path,
    scale_env: dict[str, str],
    actions_port: int,
    database_url: str,
    key_prefix: str,
) -> None:
    """SANIC_WORKERS=2 (Rasa allows it as the lock store is not in memory); `servers` for the
    action server."""
    server = rasa_server(tmp_path, {**scale_env, "SANIC_WORKERS": "2"}, actions_port)
    workers: list[int] = []
    try:
        server.start_rasa()
        workers = children(server.processes["rasa"].pid)
        assert len(workers) == 2
        assert wait_for(lambda: all(serving(worker) for worker in workers), 120)
        log = (tmp_path / "rasa.log").read_text()
        assert log.count("Conversation locks in Redis at redis://127.0.0.1:6379/0") == 2

        said = [QUESTIONS[topic] for topic in CONVERSATION[:3]]
        assert [topics(server.ask("workers", q)) for q in said] == [[t] for t in CONVERSATION[:3]]
        batch = CONVERSATION[3:7]
        jobs = [(server, QUESTIONS[topic]) for topic in batch]
        assert ask_all_at_once(jobs, "workers") == [[topic] for topic in batch]
        assert_consistent(stored_events(database_url, "workers"), said + [q for _, q in jobs])
        assert redis_keys(key_prefix) == []
    finally:
        server.stop_all()
        stopped = wait_for(lambda: not any(running(worker) for worker in workers), 10)
        for worker in filter(running, workers):
            os.kill(worker, signal.SIGKILL)
    assert stopped, "a Sanic worker outlived its server"
