"""The database unreachable: at start-up Rasa waits for it, saying so; later each message gets an
apology until it is back. PostgreSQL is reached through a proxy the tests switch off and on."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.ops.serve import BotServers, free_port
from tests.services import postgres_endpoint
from tests.support import QUESTIONS, BotFactory, knowledge_database, stored_events, wait_for

PASSWORD = "s3cret-not-logged"  # the local PostgreSQL trusts; the password is only to be hidden


class SwitchableProxy:
    """Forwards a free loopback port to the tests' PostgreSQL. Off, it refuses connections and
    cuts the open ones, as a database that went away does."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.connections: set[socket.socket] = set()
        self.guard = threading.Lock()
        self.stopping = threading.Event()
        self.acceptor: threading.Thread | None = None

    def on(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.1)
        self.stopping.clear()
        self.acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self.acceptor.start()

    def off(self) -> None:
        if self.acceptor:
            self.stopping.set()
            self.acceptor.join()
            self.acceptor = None
        with self.guard:
            connections, self.connections = self.connections, set()
        for connection in connections:
            _cut(connection)

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while not self.stopping.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                database = socket.create_connection(self.target)
                with self.guard:
                    self.connections |= {client, database}
                for source, target in ((client, database), (database, client)):
                    threading.Thread(target=_pump, args=(source, target), daemon=True).start()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        _cut(target)


def _cut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already cut by the other direction
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()


@dataclass
class StartedWhileDown:
    """The bot started with the database unreachable, and what was seen before it came back."""

    servers: BotServers
    proxy: SwitchableProxy
    database_url: str
    log_while_down: str
    alive_while_down: bool


@pytest.fixture(scope="module")
def outage(make_bot: BotFactory, postgres_admin_url: str) -> Iterator[StartedWhileDown]:
    """Starts both servers with the proxy off, waits for Rasa to log two attempts, then turns
    the proxy on and waits for Rasa to come up."""
    proxy = SwitchableProxy(postgres_endpoint(postgres_admin_url))
    with knowledge_database(postgres_admin_url) as direct_url:
        url = make_url(direct_url).set(host="127.0.0.1", password=PASSWORD, port=proxy.port)
        database_url = url.render_as_string(hide_password=False)
        servers = make_bot("outage", env={"DATABASE_URL": database_url}, rasa=False)
        log = servers.workdir / "rasa.log"
        try:
            with ThreadPoolExecutor(1) as pool:
                started = pool.submit(servers.start_rasa)
                try:
                    wait_for(lambda: _log(log).count("is unreachable") >= 2, 180, interval=0.2)
                    log_while_down = _log(log)
                    alive = servers.processes["rasa"].poll() is None
                finally:
                    proxy.on()
                started.result(timeout=300)
            yield StartedWhileDown(servers, proxy, direct_url, log_while_down, alive)
        finally:
            servers.stop_all()
            proxy.off()


def _log(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def user_texts(database_url: str, sender: str) -> list[str]:
    return [e["text"] for e in stored_events(database_url, sender) if e["event"] == "user"]


def topic_of(servers: BotServers, sender: str, text: str) -> tuple[float, str]:
    started = time.monotonic()
    [message] = servers.ask(sender, text)
    return time.monotonic() - started, message["metadata"]["topic"]


def test_at_start_up_rasa_says_which_database_is_unreachable_and_waits_for_it(
    outage: StartedWhileDown,
) -> None:
    assert outage.alive_while_down
    database = outage.database_url.rsplit("/", 1)[1]
    expected = (
        f"ERROR    bot.stores.tracker_store  - Database postgresql+psycopg2://postgres:***@127.0.0.1:"
        f'{outage.proxy.port}/{database} is unreachable (connection to server at "127.0.0.1", '
        f"port {outage.proxy.port} failed: Connection refused); retrying in 5 s\n"
    )
    assert outage.log_while_down.count(expected) >= 2
    assert "Traceback" not in outage.log_while_down
    assert PASSWORD not in _log(outage.servers.workdir / "rasa.log")
    # Came up once the database was back: the same process, never restarted.
    assert _log(outage.servers.workdir / "rasa.log").count("Starting Rasa server") == 1
    assert topic_of(outage.servers, "outage-start", QUESTIONS["cost"])[1] == "cost"


def test_while_the_database_is_down_messages_get_an_apology_and_answers_resume_after(
    outage: StartedWhileDown,
) -> None:
    servers, proxy = outage.servers, outage.proxy
    assert topic_of(servers, "outage", QUESTIONS["procedure"])[1] == "procedure"
    proxy.off()
    try:
        seconds, topic = topic_of(servers, "outage", QUESTIONS["side_effects"])
        assert (topic, seconds < 3) == ("unavailable", True)
        # Emergencies need neither the database nor the action server.
        emergency = "I suddenly have the worst headache of my life"
        assert topic_of(servers, "outage-emergency", emergency)[1] == "emergency"
    finally:
        proxy.on()
    assert topic_of(servers, "outage", QUESTIONS["cost"])[1] == "cost"
    # What was said while the database was down could not be stored; the rest is, once each.
    assert user_texts(outage.database_url, "outage") == [QUESTIONS["procedure"], QUESTIONS["cost"]]


def test_a_database_restart_between_two_messages_goes_unnoticed(outage: StartedWhileDown) -> None:
    servers, proxy = outage.servers, outage.proxy
    said = [QUESTIONS["eligibility"], QUESTIONS["other_treatments"]]
    assert topic_of(servers, "restart", said[0])[1] == "eligibility"
    proxy.off()  # every pooled connection is cut
    proxy.on()
    assert topic_of(servers, "restart", said[1])[1] == "other_treatments"
    assert user_texts(outage.database_url, "restart") == said
