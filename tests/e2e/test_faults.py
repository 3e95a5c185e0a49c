"""Faults a person would notice: the action server down or slow."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from bot.ops.serve import BotServers
from tests.support import BotFactory

QUESTION = "what are the side effects of botox for migraine"


@pytest.fixture(scope="module")
def servers(make_bot: BotFactory) -> BotServers:
    """Rasa up, the action server not started yet: each test decides what answers on its port."""
    return make_bot("faults", actions=False)


class SilentServer:
    """Accepts connections on the action server's port and never answers: a hung action server."""

    def __init__(self, port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()


def timed_ask(servers: BotServers, sender: str) -> tuple[float, list[dict[str, object]]]:
    started = time.monotonic()
    messages = servers.ask(sender, QUESTION)
    return time.monotonic() - started, messages


def test_action_server_down_gets_an_apology_then_answers_resume(servers: BotServers) -> None:
    seconds, [message] = timed_ask(servers, "fault-down")
    assert message["metadata"]["topic"] == "unavailable"
    assert seconds < 3
    servers.start_actions()
    try:
        [message] = servers.ask("fault-down", QUESTION)
        assert message["metadata"]["topic"] == "side_effects"
    finally:
        servers.stop("actions")


def test_a_hung_action_server_gets_an_apology_within_3_seconds(servers: BotServers) -> None:
    hung = SilentServer(servers.ports.actions)
    try:
        seconds, [message] = timed_ask(servers, "fault-slow")
        assert message["metadata"]["topic"] == "unavailable"
        assert seconds < 3
        # Emergencies never depend on the action server.
        [emergency] = servers.ask("fault-slow-2", "I suddenly have the worst headache of my life")
        assert emergency["metadata"]["topic"] == "emergency"
    finally:
        hung.close()
    servers.start_actions()
    try:
        [message] = servers.ask("fault-slow-3", QUESTION)
        assert message["metadata"]["topic"] == "side_effects"
    finally:
        servers.stop("actions")
