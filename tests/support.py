"""Helpers for the tests that run several servers on the local PostgreSQL and Redis."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import redis
import sqlalchemy as sa

from bot.content.knowledge import load_knowledge
from bot.db import create_db_engine
from tests.conftest import KNOWLEDGE_DIR, postgres_database

REDIS_URL = "redis://127.0.0.1:6379/0"


@contextmanager
def knowledge_database() -> Iterator[str]:
    """A new PostgreSQL database holding the knowledge base, dropped afterwards."""
    with postgres_database() as url:
        load_knowledge(url, KNOWLEDGE_DIR)
        yield url


@contextmanager
def redis_key_prefix() -> Iterator[str]:
    """A REDIS_KEY_PREFIX no other test uses; its keys are deleted afterwards."""
    prefix = f"faqbottest{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


def redis_keys(prefix: str) -> list[bytes]:
    client = redis.Redis.from_url(REDIS_URL)
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
