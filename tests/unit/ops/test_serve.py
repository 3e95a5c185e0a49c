"""The commands and environment bot.ops.serve starts the servers with."""

from __future__ import annotations

from pathlib import Path

from bot.ops.serve import Ports, rasa_server_command, server_env


def test_make_run_starts_rasa_without_the_http_api_and_both_servers_on_loopback() -> None:
    command = rasa_server_command(Ports(), Path("endpoints.yml"), cors=["http://localhost:8080"])
    assert not {"--enable-api", "--auth-token", "--jwt-secret"} & set(command)
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    assert server_env()["SANIC_HOST"] == "127.0.0.1"
