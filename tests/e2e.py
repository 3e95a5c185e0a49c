"""Starts the real action server and Rasa server, as `make run` does, on free ports."""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import ROOT
from bot.serve import (
    Ports,
    action_server_command,
    endpoints_file,
    rasa_server_command,
    server_env,
    stop,
    wait_until_up,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningBot:
    workdir: Path
    env: dict[str, str]
    ports: Ports = field(default_factory=lambda: Ports(rasa=free_port(), actions=free_port()))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    def start_actions(self) -> None:
        log = (self.workdir / "actions.log").open("ab")
        self.processes["actions"] = subprocess.Popen(
            action_server_command(self.ports.actions), cwd=ROOT, env=self.env,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_up(
            f"http://127.0.0.1:{self.ports.actions}/health", self.processes["actions"], 120
        )

    def start_rasa(self) -> None:
        endpoints = endpoints_file(self.ports, self.workdir / "endpoints.yml")
        log = (self.workdir / "rasa.log").open("ab")
        self.processes["rasa"] = subprocess.Popen(
            rasa_server_command(self.ports, endpoints), cwd=ROOT, env=self.env,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_up(f"{self.url}/webhooks/rest/", self.processes["rasa"], 300)

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
        assert status == 200, messages
        return list(messages)


def start_bot(workdir: Path, database_url: str) -> RunningBot:
    bot = RunningBot(workdir=workdir, env=server_env({"DATABASE_URL": database_url}))
    try:
        bot.start_actions()
        bot.start_rasa()
    except BaseException:
        bot.stop_all()
        raise
    return bot
