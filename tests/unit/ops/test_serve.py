"""The commands and environment bot.ops.serve starts the servers with, its options and how it
restarts a server that dies."""

from __future__ import annotations

import configparser
import shlex
import socket
import subprocess
import sys
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.config import ROOT, Settings
from bot.ops import serve
from bot.ops.serve import (
    Ports,
    action_server_command,
    rasa_server_command,
    rasa_server_env,
    server_env,
)
from tests.support import JsonHandler, serving


def test_make_run_starts_rasa_without_the_http_api_and_both_servers_on_loopback() -> None:
    command = rasa_server_command(Ports(), Path("endpoints.yml"), cors=["http://localhost:8080"])
    assert not {"--enable-api", "--auth-token", "--jwt-secret"} & set(command)
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    assert server_env()["SANIC_HOST"] == "127.0.0.1"


# --- the launcher's command line and supervision ------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "bot.ops.serve", "--help"],
        [sys.executable, "-m", "bot.serve", "--help"],
        [str(Path(sys.executable).parent / "faqbot"), "serve", "--help"],
    ],
)
def test_help_prints_the_options_and_starts_nothing(command: list[str]) -> None:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for option in ("--rasa-port", "--rasa-host", "--actions-port", "--web-port", "--no-web"):
        assert option in done.stdout
    assert "started" not in done.stdout + done.stderr


def test_a_port_in_use_is_one_clear_line_and_nothing_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(Path(sys.executable).parent / "faqbot"), "serve", "--no-web",
             "--rasa-port", str(port), "--actions-port", str(serve.free_port())],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"faqbot serve: port {port} on 127.0.0.1 for rasa is already in use: stop what listens "
        "there or choose another port (--rasa-port)"
    ]


class Answers(JsonHandler):
    def do_GET(self) -> None:
        self.send_json(200, {})


def test_an_answer_from_another_program_on_the_port_is_not_the_server_up() -> None:
    """A server left running, or one a concurrent test run started on the same free port,
    answers the URL; the process being started listens nowhere, so it is not up."""
    with serving(HTTPServer(("127.0.0.1", 0), Answers)) as other:
        url = f"http://127.0.0.1:{other.server_address[1]}/"
        idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            with pytest.raises(TimeoutError, match=f"did not answer from pid {idle.pid}"):
                serve.wait_until_up(url, idle, 2)
        finally:
            idle.kill()
            idle.wait()
    port = serve.free_port()
    listening = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert serve.wait_until_up(f"http://127.0.0.1:{port}/", listening, 30) < 30
    finally:
        listening.kill()
        listening.wait()


def test_options_default_to_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_PORT", "6005")
    monkeypatch.setenv("ACTIONS_HOST", "10.0.0.7")
    options = serve.parse_options([])
    assert (options.ports.rasa, options.ports.actions, options.hosts["actions"]) == (
        6005, 5055, "10.0.0.7",
    )  # fmt: skip
    assert options.web
    options = serve.parse_options(["--no-web", "--rasa-port", "7000", "--rasa-host", "0.0.0.0"])
    assert (options.web, options.ports.rasa, options.hosts["rasa"]) == (False, 7000, "0.0.0.0")


def test_the_commands_listen_where_they_are_told(tmp_path: Path) -> None:
    command = serve.rasa_server_command(Ports(rasa=7005), Path("e.yml"), host="0.0.0.0")
    assert command[command.index("--interface") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "7005"
    assert serve.action_server_env({}, "10.0.0.7")["SANIC_HOST"] == "10.0.0.7"
    endpoints = serve.endpoints_file(Ports(actions=7055), tmp_path / "e.yml", actions_host="::1")
    assert "http://[::1]:7055/webhook" in endpoints.read_text()
    endpoints = serve.endpoints_file(
        Ports(actions=7055), tmp_path / "e.yml", actions_host="0.0.0.0"
    )
    assert "http://127.0.0.1:7055/webhook" in endpoints.read_text()


def test_the_pause_before_a_restart_doubles_up_to_30_s() -> None:
    assert [serve.backoff_seconds(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


class FakeProcess:
    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None

    def poll(self) -> Any:
        return self.returncode


def test_a_dead_server_is_restarted_after_its_pause_and_the_others_are_left_alone(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pids = iter(range(200, 300))

    def start(self: serve.Supervised) -> None:
        self.process, self.started_at, self.up = FakeProcess(next(pids)), now, False

    monkeypatch.setattr(serve.Supervised, "start", start)
    monkeypatch.setattr(serve.Supervised, "answers", lambda self: True)
    now = 0.0
    actions, rasa = (serve.Supervised(name, [], {}, "") for name in ("actions", "rasa"))
    for server in (actions, rasa):
        server.start()
    rasa_process = rasa.process
    caplog.set_level("INFO", logger="faqbot.serve")
    for dies_at, pause in [(5.0, 1), (6.5, 2), (9.0, 4), (100.0, 1)]:
        now = dies_at
        actions.process.returncode = -9  # type: ignore[union-attr]
        serve.supervise_once([actions, rasa], now)
        assert actions.process is None
        assert f"restarting it in {pause} s" in caplog.text
        now += pause - 0.1
        serve.supervise_once([actions, rasa], now)
        assert actions.process is None
        now += 0.1
        serve.supervise_once([actions, rasa], now)
        assert actions.process is not None
    assert rasa.process is rasa_process  # never touched
    assert "actions (pid 200) exited with code -9 after 5 s" in caplog.text


def test_the_systemd_unit_runs_the_launcher_without_the_web_server() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "faqbot.service")
    service = unit["Service"]
    program, command, *args = shlex.split(service["ExecStart"])
    assert (Path(program).name, command) == ("faqbot", "serve")
    assert not serve.parse_options(args).web
    assert service["Restart"] in ("on-failure", "always")
    assert service["KillMode"] in ("mixed", "control-group")
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the unit, its program pointed at this checkout's."""
    import shutil

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    text = (ROOT / "deploy" / "faqbot.service").read_text()
    program = shlex.split(text.split("ExecStart=", 1)[1].splitlines()[0])[0]
    unit = tmp_path / "faqbot.service"
    unit.write_text(text.replace(program, str(Path(sys.executable).parent / "faqbot")))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("env", "workers"),
    [
        ({}, "1"),  # Rasa's in-memory lock: one process only
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "2"),  # the shared lock: one per core
        ({"REDIS_URL": "redis://127.0.0.1:6379/0", "SANIC_WORKERS": "3"}, "3"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0", "SANIC_WORKERS": ""}, "2"),  # empty: unset
        ({"SANIC_WORKERS": "1"}, "1"),
    ],
)
def test_the_rasa_server_gets_two_workers_when_redis_is_set(
    env: dict[str, str], workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("REDIS_URL", "SANIC_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    assert rasa_server_env(env)["SANIC_WORKERS"] == workers


def test_both_servers_run_without_tensorflow() -> None:
    assert rasa_server_command(Ports(), Path("endpoints.yml"))[1:3] == [
        "-m",
        "bot.ops.no_tensorflow",
    ]
    assert action_server_command(5055)[1:5] == ["-m", "bot.ops.no_tensorflow", "run", "actions"]


def test_the_process_environment_is_parsed_again_only_when_one_of_our_variables_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/first.db")
    first = Settings.from_env()
    assert first.database_url == "sqlite:////tmp/first.db"
    monkeypatch.setenv("SOMETHING_ELSE_ENTIRELY", "x")
    assert Settings.from_env() is first
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/second.db")
    assert Settings.from_env().database_url == "sqlite:////tmp/second.db"
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("database_url", "sqlite:////tmp/lower.db")  # names are case-insensitive
    assert Settings.from_env().database_url == "sqlite:////tmp/lower.db"
