"""`make bench`'s load generator against a fake bot on loopback."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest

from tests.support import JsonHandler, serving
from tools.bench import drive


class FakeBot(ThreadingHTTPServer):
    """Answers each message after 20 ms and records how many were in flight at once."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeBotHandler)
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0
        self.senders: dict[str, list[str]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/webhooks/rest/webhook"


class FakeBotHandler(JsonHandler):
    server: FakeBot
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.in_flight += 1
            self.server.most_in_flight = max(self.server.most_in_flight, self.server.in_flight)
            self.server.senders.setdefault(body["sender"], []).append(body["message"])
        time.sleep(0.02)
        topic = "unavailable" if body["message"] == "break" else "greet"
        with self.server.lock:
            self.server.in_flight -= 1
        self.send_json(200, [{"text": "ok", "metadata": {"topic": topic}}])


@pytest.fixture
def fake_bot() -> Iterator[FakeBot]:
    with serving(FakeBot()) as server:
        yield server


def test_exactly_n_conversations_are_in_flight_each_turn_in_order(fake_bot: FakeBot) -> None:
    conversations = [["a", "b", "c"], ["x", "y"]]
    result = asyncio.run(drive(fake_bot.url, conversations, users=4, seconds=1.5))
    assert fake_bot.most_in_flight == 4
    assert 1.5 <= result.elapsed < 3
    assert result.messages == sum(len(turns) for turns in fake_bot.senders.values())
    assert not result.errors
    for turns in fake_bot.senders.values():  # each sender is one conversation, turns in order
        assert turns in (["a", "b", "c"][: len(turns)], ["x", "y"][: len(turns)])


def test_an_unavailable_answer_counts_as_an_error(fake_bot: FakeBot) -> None:
    result = asyncio.run(drive(fake_bot.url, [["hi", "break"]], users=1, seconds=0.5))
    assert result.errors["unavailable"] == result.messages // 2


def test_the_load_goes_to_loopback_only() -> None:
    with pytest.raises(ValueError, match="127.0.0.1"):
        asyncio.run(drive("http://example.org/webhooks/rest/webhook", [["hi"]], 1, 0.1))
