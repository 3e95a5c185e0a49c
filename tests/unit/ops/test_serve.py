"""The commands and environment bot.ops.serve starts the servers with."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ops.serve import (
    Ports,
    action_server_command,
    rasa_server_command,
    rasa_server_env,
    server_env,
)


def test_make_run_starts_rasa_without_the_http_api_and_both_servers_on_loopback() -> None:
    command = rasa_server_command(Ports(), Path("endpoints.yml"), cors=["http://localhost:8080"])
    assert not {"--enable-api", "--auth-token", "--jwt-secret"} & set(command)
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    assert server_env()["SANIC_HOST"] == "127.0.0.1"


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
