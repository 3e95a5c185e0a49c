"""PostgreSQL and Redis for the tests: the configured servers if they answer, else throwaway ones.

TEST_POSTGRES_URL (an admin URL, default the local PostgreSQL's `postgres` database) and
TEST_REDIS_URL (default the local Redis) name the servers to use. When nothing answers there, a
server is started on a free loopback port in a temporary directory for the test session, then
stopped and the directory removed. PostgreSQL refuses to run as root: as root, the throwaway
server runs as the `postgres` system user (Debian's postgresql package creates it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_BINARIES = "/usr/lib/postgresql/*/bin"
START_SECONDS = 60


class ServiceMissing(RuntimeError):
    """A server the tests need is neither running nor installed."""


def postgres_answers(url: str) -> bool:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 2}, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin_dir() -> Path:
    """The newest installed PostgreSQL's programs (initdb, pg_ctl, postgres)."""
    found = sorted(
        (p for p in Path("/").glob(POSTGRES_BINARIES.lstrip("/")) if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        raise ServiceMissing(
            "PostgreSQL is not running at TEST_POSTGRES_URL and not installed to start one: "
            "apt-get install postgresql"
        )
    return found[-1]


def redis_server_program() -> str:
    program = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(program).exists():
        raise ServiceMissing(
            "Redis is not running at TEST_REDIS_URL and not installed to start one: "
            "apt-get install redis-server"
        )
    return program


def _wait(answers: Callable[[], bool], alive: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if answers():
            return
        if not alive():
            break
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"the throwaway {what} did not start:\n{tail}")


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A new PostgreSQL cluster (trust authentication) on a free loopback port; its admin URL."""
    bin_dir = postgres_bin_dir()
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    workdir = Path(tempfile.mkdtemp(prefix="faqbot-test-postgres-"))
    data, log, port = workdir / "data", workdir / "postgres.log", free_port()
    if as_root:
        shutil.chown(workdir, "postgres", "postgres")
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={workdir} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    url = f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    pg_ctl = [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run(
            [*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        subprocess.run(
            [*pg_ctl, "-l", str(log), "-o", options, "-w", "-t", str(START_SECONDS), "start"],
            check=True, capture_output=True, timeout=START_SECONDS + 30,
        )  # fmt: skip
        _wait(lambda: postgres_answers(url), lambda: True, "PostgreSQL", log)
        yield url
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def throwaway_redis() -> Iterator[str]:
    """A Redis without persistence on a free loopback port; its URL."""
    program = redis_server_program()
    workdir = Path(tempfile.mkdtemp(prefix="faqbot-test-redis-"))
    log, port = workdir / "redis.log", free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [program, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(workdir)],
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait(lambda: redis_answers(url), lambda: process.poll() is None, "Redis", log)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def service(
    configured: str,
    answers: Callable[[str], bool],
    throwaway: Callable[[], contextlib.AbstractContextManager[str]],
) -> Iterator[str]:
    """`configured` if a server answers there, else a throwaway one for as long as the block."""
    if answers(configured):
        yield configured
        return
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway())
        except ServiceMissing as missing:
            pytest.fail(str(missing), pytrace=False)
        yield url


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """An admin URL of a PostgreSQL the tests may create and drop databases on."""
    configured = os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    with service(configured, postgres_answers, throwaway_postgres) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a Redis the tests may write keys to (each test under its own prefix)."""
    configured = os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL
    with service(configured, redis_answers, throwaway_redis) as url:
        yield url


def postgres_endpoint(url: str) -> tuple[str, int]:
    """The host and port a PostgreSQL URL points at."""
    parsed = make_url(url)
    return parsed.host or "127.0.0.1", parsed.port or 5432
