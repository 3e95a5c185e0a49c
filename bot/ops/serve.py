"""`faqbot serve`: starts the action server, Rasa and the widget's demo page, and keeps them up.

A server that dies is started again after a pause that doubles with each quick death (1 s, 2 s,
4 s... at most 30 s), logged, while the others go on serving. Ctrl-C or SIGTERM stops them all.
`--no-web` starts only Rasa and the action server (behind a reverse proxy that serves the widget).

Also used by the end-to-end and widget tests, so they start the bot exactly as `make run` does."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bot.config import ROOT, Settings

BIN = Path(sys.executable).parent
logger = logging.getLogger("faqbot.serve")

# Restarting a server that died: the first pause, the longest, and how long a server must have
# been up for its next death to count as a first one again.
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
STABLE_SECONDS = 60.0


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


def action_server_env(env: Mapping[str, str], host: str) -> dict[str, str]:
    """rasa_sdk reads the address to listen on from SANIC_HOST (it has no option for it)."""
    return {**env, "SANIC_HOST": host}


def rasa_server_command(
    ports: Ports,
    endpoints: Path,
    extra: tuple[str, ...] = (),
    *,
    credentials: Path = ROOT / "credentials.yml",
    cors: Sequence[str] = (),
    host: str = "127.0.0.1",
) -> list[str]:
    """`cors`: the web origins whose pages may talk to Rasa (the widget's socket.io polling)."""
    return [
        *RASA, "run",
        "--model", str(ROOT / "models"),
        "--interface", host,
        "--port", str(ports.rasa),
        "--endpoints", str(endpoints),
        "--credentials", str(credentials),
        *(["--cors", *cors] if cors else []),
        *extra,
    ]  # fmt: skip


def web_server_command() -> list[str]:
    return [sys.executable, "-m", "bot.ops.webserver"]


def web_server_env(env: Mapping[str, str], ports: Ports, host: str = "127.0.0.1") -> dict[str, str]:
    """bot.ops.webserver reads its address, and Rasa's port for the demo page, from the
    environment."""
    return {**env, "WEB_HOST": host, "WEB_PORT": str(ports.web), "RASA_PORT": str(ports.rasa)}


def cors_origins(web_port: int, env: Mapping[str, str]) -> list[str]:
    """CORS_ORIGINS (comma-separated) if set, else the demo page under both of its names."""
    configured = [origin.strip() for origin in Settings.from_env(env).cors_origins.split(",")]
    return [origin for origin in configured if origin] or [
        f"http://localhost:{web_port}",
        f"http://127.0.0.1:{web_port}",
    ]


def endpoints_file(
    ports: Ports, target: Path, source: Path = ROOT / "endpoints.yml", actions_host: str = ""
) -> Path:
    """`source` with the action server's port (the tests run on free ports) and, if given, its
    address changed."""
    text = source.read_text(encoding="utf-8").replace(":5055/", f":{ports.actions}/")
    if actions_host:
        text = text.replace("//127.0.0.1:", f"//{connect_host(actions_host)}:")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def connect_host(host: str) -> str:
    """Where to reach a server listening on `host`: loopback for "all addresses"."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


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
    """Seconds until `url` answers from `process`; raises if the process dies or the time runs
    out. An answer on a port `process` does not listen on is another program's (a server left
    running, or one that took the port first): `process` then fails to bind and exits."""
    started = time.monotonic()
    port = urllib.parse.urlsplit(url).port
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                if port is None or listens_on(process, port):
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer from pid {process.pid} within {timeout:.0f} s")


def listens_on(process: subprocess.Popen, port: int) -> bool:
    """Whether `process` or one of its children (Sanic's workers) listens on `port`."""
    try:
        main = psutil.Process(process.pid)
        tree = [main, *main.children(recursive=True)]
    except psutil.NoSuchProcess:
        return False
    for member in tree:
        try:
            sockets = member.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if any(s.status == psutil.CONN_LISTEN and s.laddr.port == port for s in sockets):
            return True
    return False


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


@dataclass
class Supervised:
    """One server the launcher keeps running: its command, and when to start it again."""

    name: str
    command: list[str]
    env: dict[str, str]
    health_url: str
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    quick_deaths: int = 0
    restart_at: float = 0.0
    up: bool = False

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env)
        self.started_at, self.up = time.monotonic(), False
        logger.info("%s started (pid %d)", self.name, self.process.pid)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=0.5):
                return True
        except (urllib.error.URLError, OSError):
            return False


def backoff_seconds(quick_deaths: int) -> float:
    """The pause before starting a server again after its n-th death in a row: 1, 2, 4... 30 s."""
    return float(min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** max(0, quick_deaths - 1)))


def supervise_once(servers: Sequence[Supervised], now: float) -> None:
    """One look at every server: note a death and schedule its restart, start one whose pause is
    over, log one that answers again."""
    for server in servers:
        process = server.process
        if process is not None and process.poll() is not None:
            lived = now - server.started_at
            server.quick_deaths = 1 if lived >= STABLE_SECONDS else server.quick_deaths + 1
            pause = backoff_seconds(server.quick_deaths)
            logger.warning(
                "%s (pid %d) exited with code %s after %.0f s; restarting it in %.0f s "
                "(the other servers keep serving)",
                server.name, process.pid, process.returncode, lived, pause,
            )  # fmt: skip
            server.process, server.restart_at = None, now + pause
        elif process is None and now >= server.restart_at:
            server.start()
        elif process is not None and not server.up and server.answers():
            server.up = True
            if server.quick_deaths:
                logger.info("%s is answering again (pid %d)", server.name, process.pid)


@dataclass
class Options:
    hosts: dict[str, str]
    ports: Ports
    web: bool


def parse_options(argv: Sequence[str] | None, prog: str | None = None) -> Options:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(
        prog=prog or "python -m bot.ops.serve",
        description=(
            "Start the action server, Rasa and the widget's demo page, and restart any that dies "
            "(with a growing pause, logged) while the others keep serving. Ctrl-C or SIGTERM "
            "stops them all. Defaults come from the environment (docs/configuration.md)."
        ),
    )

    def add(name: str, what: str, host: str, port: int) -> None:
        parser.add_argument(f"--{name}-host", default=host, metavar="HOST",
                            help=f"address {what} listens on (default {host})")  # fmt: skip
        parser.add_argument(f"--{name}-port", type=int, default=port, metavar="PORT",
                            help=f"port of {what} (default {port})")  # fmt: skip

    add("rasa", "Rasa (REST, socket.io, Slack, Telegram)", settings.rasa_host, settings.rasa_port)
    add("actions", "the action server", settings.actions_host, settings.actions_port)
    add("web", "the widget's demo page", settings.web_host, settings.web_port)
    parser.add_argument(
        "--no-web", action="store_true",
        help="start only Rasa and the action server (a reverse proxy serves the widget)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    for name in ("rasa", "actions", "web"):
        port = getattr(args, f"{name}_port")
        if not 0 < port < 65536:
            parser.error(f"--{name}-port must be between 1 and 65535, not {port}")
    return Options(
        hosts={"rasa": args.rasa_host, "actions": args.actions_host, "web": args.web_host},
        ports=Ports(rasa=args.rasa_port, actions=args.actions_port, web=args.web_port),
        web=not args.no_web,
    )


PORT_OPTIONS = {"rasa": "--rasa-port", "actions": "--actions-port", "web": "--web-port"}


def port_problem(name: str, host: str, port: int) -> str | None:
    """Why `name` cannot listen on host:port, in one line, or None if it can."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                reason = "is already in use: stop what listens there or choose another port"
            elif error.errno == errno.EACCES:
                reason = "needs privileges: choose a port above 1023"
            else:
                reason = f"cannot be used ({error.strerror})"
            return f"port {port} on {host} for {name} {reason} ({PORT_OPTIONS[name]})"
    return None


def _servers(options: Options, env: dict[str, str]) -> list[Supervised]:
    hosts, ports = options.hosts, options.ports
    endpoints = endpoints_file(
        ports, ROOT / "var" / f"endpoints.run-{ports.rasa}.yml", actions_host=hosts["actions"]
    )
    cors = cors_origins(ports.web, env)
    servers = [
        Supervised(
            "actions", action_server_command(ports.actions),
            action_server_env(env, hosts["actions"]),
            f"http://{connect_host(hosts['actions'])}:{ports.actions}/health",
        ),
        Supervised(
            "rasa", rasa_server_command(ports, endpoints, cors=cors, host=hosts["rasa"]),
            rasa_server_env(env),
            f"http://{connect_host(hosts['rasa'])}:{ports.rasa}/webhooks/rest/",
        ),
    ]  # fmt: skip
    if options.web:
        servers.append(
            Supervised(
                "web", web_server_command(), web_server_env(env, ports, hosts["web"]),
                f"http://{connect_host(hosts['web'])}:{ports.web}/",
            )
        )  # fmt: skip
    return servers


def _banner(options: Options, env: Mapping[str, str], seconds: float) -> str:
    ports = options.ports
    web = (
        f"  in a browser: http://localhost:{ports.web}/ (the website widget's demo page;\n"
        f"    Rasa accepts pages from {', '.join(cors_origins(ports.web, env))}: set "
        "CORS_ORIGINS for others)\n"
        if options.web
        else ""
    )
    return (
        f"\nThe assistant is up ({seconds:.1f} s). Talk to it:\n{web}"
        f"  curl -s localhost:{ports.rasa}/webhooks/rest/webhook "
        "-H 'Content-Type: application/json' "
        '-d \'{"sender": "me", "message": "what is botox?"}\'\n'
        "  or `make shell` for a chat in the terminal. Ctrl-C stops all servers.\n"
    )


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    options = parse_options(argv, prog)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    names = ["actions", "rasa", *(["web"] if options.web else [])]
    wanted = [(name, options.hosts[name], getattr(options.ports, name)) for name in names]
    clashes = {port for _, _, port in wanted if [p for _, _, p in wanted].count(port) > 1}
    if clashes:
        print(f"{prog or 'serve'}: two servers on port {min(clashes)}: give each its own",
              file=sys.stderr)  # fmt: skip
        return 1
    for name, host, port in wanted:
        problem = port_problem(name, host, port)
        if problem:
            print(f"{prog or 'serve'}: {problem}", file=sys.stderr)
            return 1
    env = server_env()
    servers = _servers(options, env)
    # A service manager stops with SIGTERM: stop the servers as Ctrl-C does, leaving none behind.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        for server in servers:
            server.start()
        started = time.monotonic()
        for server in servers:
            assert server.process is not None
            timeout = 300 if server.name == "rasa" else 120
            wait_until_up(server.health_url, server.process, timeout)
            server.up = True
        print(_banner(options, env, time.monotonic() - started), flush=True)
        while True:
            supervise_once(servers, time.monotonic())
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(f"start-up failed: {error}", file=sys.stderr)
        return 1
    finally:
        stop(*(server.process for server in reversed(servers) if server.process is not None))


if __name__ == "__main__":
    sys.exit(main())
