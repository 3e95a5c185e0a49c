"""Starts the action server, the Rasa server and the widget's demo page; Ctrl-C stops them all.

Also used by the end-to-end and widget tests, so they start the bot exactly as `make run` does."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import ROOT, Settings

BIN = Path(sys.executable).parent


@dataclass
class Ports:
    rasa: int = 5005
    actions: int = 5055
    web: int = 8080


# `rasa` without TensorFlow (bot.ops.no_tensorflow) and without the third-party deprecation
# warnings it prints at start-up (bot.ops.known_warnings): both servers run through this.
RASA = [sys.executable, "-m", "bot.ops.no_tensorflow"]


def action_server_command(port: int) -> list[str]:
    return [*RASA, "run", "actions", "--actions", "actions", "--port", str(port)]


def rasa_server_command(
    ports: Ports,
    endpoints: Path,
    extra: tuple[str, ...] = (),
    *,
    credentials: Path = ROOT / "credentials.yml",
    cors: Sequence[str] = (),
) -> list[str]:
    """`cors`: the web origins whose pages may talk to Rasa (the widget's socket.io polling)."""
    return [
        *RASA, "run",
        "--model", str(ROOT / "models"),
        "--interface", "127.0.0.1",
        "--port", str(ports.rasa),
        "--endpoints", str(endpoints),
        "--credentials", str(credentials),
        *(["--cors", *cors] if cors else []),
        *extra,
    ]  # fmt: skip


def web_server_command() -> list[str]:
    return [sys.executable, "-m", "bot.ops.webserver"]


def web_server_env(env: Mapping[str, str], ports: Ports) -> dict[str, str]:
    """bot.ops.webserver reads its port, and Rasa's for the demo page, from the environment."""
    return {**env, "WEB_PORT": str(ports.web), "RASA_PORT": str(ports.rasa)}


def cors_origins(web_port: int, env: Mapping[str, str]) -> list[str]:
    """CORS_ORIGINS (comma-separated) if set, else the demo page under both of its names."""
    configured = [origin.strip() for origin in Settings.from_env(env).cors_origins.split(",")]
    return [origin for origin in configured if origin] or [
        f"http://localhost:{web_port}",
        f"http://127.0.0.1:{web_port}",
    ]


def endpoints_file(ports: Ports, target: Path, source: Path = ROOT / "endpoints.yml") -> Path:
    """`source` with the action server's port changed (the tests run on free ports)."""
    text = source.read_text(encoding="utf-8")
    target.write_text(text.replace(":5055/", f":{ports.actions}/"), encoding="utf-8")
    return target


def server_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "SANIC_HOST": "127.0.0.1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")  # a health service sends no usage data
    return {**env, **(extra or {})}


def rasa_server_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` with the production defaults of the Rasa server: SANIC_WORKERS as
    Settings.rasa_workers says (2 with REDIS_URL, the shared lock; 1 without; as set if set).
    The server runs through RASA, so without TensorFlow."""
    return {**env, "SANIC_WORKERS": str(Settings.from_env(env).rasa_workers())}


def wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> float:
    """Seconds until `url` answers; raises if the process dies or the time runs out."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class BotServers:
    """The action server, the Rasa server and (on demand) the web server, plus a REST client."""

    workdir: Path
    env: dict[str, str]
    ports: Ports = field(
        default_factory=lambda: Ports(rasa=free_port(), actions=free_port(), web=free_port())
    )
    credentials: Path = ROOT / "credentials.yml"
    endpoints: Path = ROOT / "endpoints.yml"
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    rasa_args: tuple[str, ...] = ()  # more `rasa run` options, e.g. the HTTP API for a test

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web}"

    def start_actions(self) -> None:
        with (self.workdir / "actions.log").open("ab") as log:  # the server has its own copy
            self.processes["actions"] = subprocess.Popen(
                action_server_command(self.ports.actions), cwd=ROOT, env=self.env,
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_until_up(
            f"http://127.0.0.1:{self.ports.actions}/health", self.processes["actions"], 120
        )

    def start_rasa(self) -> None:
        endpoints = endpoints_file(self.ports, self.workdir / "endpoints.yml", self.endpoints)
        command = rasa_server_command(
            self.ports, endpoints, self.rasa_args, credentials=self.credentials,
            cors=cors_origins(self.ports.web, self.env),
        )  # fmt: skip
        with (self.workdir / "rasa.log").open("ab") as log:
            self.processes["rasa"] = subprocess.Popen(
                command, cwd=ROOT, env=rasa_server_env(self.env), stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_until_up(f"{self.url}/webhooks/rest/", self.processes["rasa"], 300)

    def start_web(self) -> None:
        with (self.workdir / "web.log").open("ab") as log:
            self.processes["web"] = subprocess.Popen(
                web_server_command(), cwd=ROOT, env=web_server_env(self.env, self.ports),
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_until_up(f"{self.web_url}/", self.processes["web"], 30)

    def stop(self, name: str) -> None:
        stop(self.processes.pop(name))

    def stop_all(self) -> None:
        stop(*self.processes.values())
        self.processes.clear()

    def post(self, body: bytes | str) -> tuple[int, Any]:
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook", data=data,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def ask(self, sender: str, text: str) -> list[dict[str, Any]]:
        status, messages = self.post(json.dumps({"sender": sender, "message": text}))
        if status != 200:
            raise RuntimeError(f"the bot answered {status}: {messages}")
        return list(messages)


def start_bot(workdir: Path, database_url: str) -> BotServers:
    """Both servers up on free ports, using `database_url`; stopped again if either fails."""
    bot = BotServers(workdir=workdir, env=server_env({"DATABASE_URL": database_url}))
    try:
        bot.start_actions()
        bot.start_rasa()
    except BaseException:
        bot.stop_all()
        raise
    return bot


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:
    settings = Settings.from_env()
    ports = Ports(rasa=settings.rasa_port, actions=settings.actions_port, web=settings.web_port)
    endpoints = endpoints_file(ports, ROOT / "var" / "endpoints.run.yml")
    env = server_env()
    cors = cors_origins(ports.web, env)
    # A service manager stops with SIGTERM: stop the servers as Ctrl-C does, leaving none behind.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    actions = subprocess.Popen(action_server_command(ports.actions), cwd=ROOT, env=env)
    rasa = subprocess.Popen(
        rasa_server_command(ports, endpoints, cors=cors), cwd=ROOT, env=rasa_server_env(env)
    )
    web = subprocess.Popen(web_server_command(), cwd=ROOT, env=web_server_env(env, ports))
    try:
        wait_until_up(f"http://127.0.0.1:{ports.actions}/health", actions, timeout=120)
        wait_until_up(f"http://127.0.0.1:{ports.web}/", web, timeout=30)
        seconds = wait_until_up(f"http://127.0.0.1:{ports.rasa}/webhooks/rest/", rasa, 300)
        print(
            f"\nThe assistant is up ({seconds:.1f} s). Talk to it:\n"
            f"  in a browser: http://localhost:{ports.web}/ (the website widget's demo page;\n"
            f"    Rasa accepts pages from {', '.join(cors)}: set CORS_ORIGINS for others)\n"
            f"  curl -s localhost:{ports.rasa}/webhooks/rest/webhook "
            "-H 'Content-Type: application/json' "
            '-d \'{"sender": "me", "message": "what is botox?"}\'\n'
            "  or `make shell` for a chat in the terminal. Ctrl-C stops all servers.\n",
            flush=True,
        )
        while all(p.poll() is None for p in (actions, rasa, web)):
            time.sleep(0.5)
        print("a server stopped; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(f"start-up failed: {error}", file=sys.stderr)
        return 1
    finally:
        stop(web, rasa, actions)


if __name__ == "__main__":
    sys.exit(main())
