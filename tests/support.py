"""Helpers the tests share: databases with the knowledge base, Redis key prefixes, the stored
events of a conversation, fake HTTP APIs, waiting for a condition, the questions of each topic."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.config import ROOT
from bot.content.knowledge import KnowledgeBase, load_knowledge
from bot.db import create_db_engine
from bot.ops.serve import BotServers, Ports, server_env

KNOWLEDGE_DIR = ROOT / "data" / "knowledge"

# A question in plain words per topic, each classified with high confidence by the shipped model.
QUESTIONS = {
    "what_is_botox": "isn't botox the wrinkle stuff? what actually is it",
    "how_it_works": "how does botox stop migraines, what does it do to the nerves",
    "procedure": "where on my head do they put the injections and how many are there",
    "schedule": "how often would i need to go back for more injections",
    "eligibility": "who is eligible to get botox for migraines",
    "chronic_migraine": "what counts as chronic migraine",
    "side_effects": "what are the side effects of botox for migraine",
    "effectiveness": "how effective is botox for chronic migraine",
    "other_treatments": "what are the alternatives to botox",
    "cost": "how much does botox for migraine cost",
    "see_a_doctor": "which specialist should i see about getting botox",
}


def knowledge_sqlite(directory: Path) -> str:
    """The URL of a new SQLite database in `directory` holding the knowledge base."""
    url = f"sqlite:///{directory / 'faqbot.db'}"
    load_knowledge(url, KNOWLEDGE_DIR)
    return url


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL of `admin_url`, dropped afterwards."""
    name = f"faqbot_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def knowledge_database(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database holding the knowledge base, dropped afterwards."""
    with postgres_database(admin_url) as url:
        load_knowledge(url, KNOWLEDGE_DIR)
        yield url


@contextmanager
def redis_key_prefix(redis_url: str) -> Iterator[str]:
    """A REDIS_KEY_PREFIX no other test uses; its keys are deleted afterwards."""
    prefix = f"faqbottest{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


def redis_keys(redis_url: str, prefix: str) -> list[bytes]:
    client = redis.Redis.from_url(redis_url)
    try:
        return list(client.scan_iter(f"{prefix}:*"))
    finally:
        client.close()


def stored_events(database_url: str, sender: str) -> list[dict[str, Any]]:
    """The conversation's rows in Rasa's `events` table, in the order they were written."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id"),
                {"sender": sender},
            ).all()
    finally:
        engine.dispose()
    return [json.loads(row.data) for row in rows]


def wait_for(condition: Callable[[], bool], seconds: float, interval: float = 0.1) -> bool:
    """Polls `condition` until it holds or `seconds` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(interval)
    return condition()


class JsonHandler(BaseHTTPRequestHandler):
    """Base of the tests' fake HTTP APIs: JSON answers, no request log on the test output."""

    def send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        """Keeps the test output quiet."""


@contextmanager
def serving(server: HTTPServer) -> Iterator[HTTPServer]:
    """Runs a fake HTTP API on a daemon thread for the duration of the block."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class BotFactory:
    """Starts the action server and Rasa as `make run` does, on free ports; `stop_all` stops
    every one it started."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.made: list[BotServers] = []

    def __call__(
        self,
        name: str = "bot",
        *,
        env: Mapping[str, str] | None = None,
        without: Sequence[str] = (),
        credentials: Path | None = None,
        actions: bool = True,
        rasa: bool = True,
        rasa_args: tuple[str, ...] = (),
        ports: Ports | None = None,
        endpoints: Path | None = None,
    ) -> BotServers:
        """`env`: variables on top of the servers' usual environment (default DATABASE_URL: a new
        SQLite database with the knowledge base); `without`: prefixes of inherited variables to
        drop (e.g. "SLACK_", whatever the developer's shell exported); `actions`, `rasa`: which
        servers to start now (False: the test starts them itself)."""
        workdir = self.tmp_path_factory.mktemp(name)
        extra = dict(env or {})
        if "DATABASE_URL" not in extra:
            extra["DATABASE_URL"] = knowledge_sqlite(workdir)
        inherited = server_env()
        if without:
            inherited = {k: v for k, v in inherited.items() if not k.startswith(tuple(without))}
        options: dict[str, Any] = {"credentials": credentials, "ports": ports}
        options["endpoints"] = endpoints
        servers = BotServers(
            workdir=workdir,
            env={**inherited, **extra},
            rasa_args=rasa_args,
            **{key: value for key, value in options.items() if value is not None},
        )
        self.made.append(servers)
        try:
            if actions:
                servers.start_actions()
            if rasa:
                servers.start_rasa()
        except BaseException:
            servers.stop_all()
            raise
        return servers

    def stop_all(self) -> None:
        for servers in self.made:
            servers.stop_all()


def with_entry(kb: KnowledgeBase, entry_id: str, **changes: object) -> KnowledgeBase:
    """`kb` with one FAQ entry changed, for validation and loading tests."""
    entries = tuple(
        dataclasses.replace(e, **changes) if e.id == entry_id else e  # type: ignore[arg-type]
        for e in kb.entries
    )
    return dataclasses.replace(kb, entries=entries)
