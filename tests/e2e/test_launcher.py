"""`faqbot serve --no-web` as the systemd unit runs it: a killed server comes back on its own."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.config import ROOT
from bot.ops.serve import BotServers, Ports, free_port, server_env
from tests.support import knowledge_sqlite

BACK_WITHIN_SECONDS = 30  # on a machine where Rasa starts cold within that (about 12 s idle)
# FAQ answers by their button payloads: Rasa asks the action server for them.
SIDE_EFFECTS = '/faq{"faq_entry":"side_effects_overview"}'
COST = '/faq{"faq_entry":"cost_overview"}'


def pid_of(log: Path, name: str) -> int:
    return int(re.findall(rf"{name} started \(pid (\d+)\)", log.read_text())[-1])


def answers_the_faq(client: BotServers) -> bool:
    """A FAQ answer needs both servers (Rasa and the action server)."""
    try:
        messages = client.ask(f"launcher-{time.monotonic_ns()}", SIDE_EFFECTS)
    except (OSError, RuntimeError):
        return False
    return bool(messages) and messages[0].get("metadata", {}).get("topic") == "side_effects"


def seconds_until_answered(client: BotServers, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if answers_the_faq(client):
            return time.monotonic() - started
        time.sleep(0.5)
    raise TimeoutError(f"no FAQ answer within {timeout:.0f} s")


def test_a_killed_action_server_then_rasa_are_restarted_and_answer_again(tmp_path: Path) -> None:
    ports = Ports(rasa=free_port(), actions=free_port(), web=free_port())
    env = server_env({"DATABASE_URL": knowledge_sqlite(tmp_path)})
    log = tmp_path / "serve.log"
    command = [
        sys.executable, "-m", "bot.ops.serve", "--no-web",
        "--rasa-port", str(ports.rasa), "--actions-port", str(ports.actions),
    ]  # fmt: skip
    with log.open("ab") as output:
        launcher = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    client = BotServers(workdir=tmp_path, env=env, ports=ports)
    try:
        cold_start = seconds_until_answered(client, 300)
        # Rasa's restart is a cold start (the launcher waits 1 s before it): on a machine so busy
        # that a cold start takes longer than 30 s, that is the bound.
        rasa_bound = max(BACK_WITHIN_SECONDS, cold_start * 1.1)
        assert f":{ports.web}" not in log.read_text()  # --no-web: no demo page server

        os.kill(pid_of(log, "actions"), signal.SIGKILL)
        time.sleep(0.5)
        [apology] = client.ask("launcher-meanwhile", COST)  # Rasa keeps serving
        assert apology["metadata"]["topic"] == "unavailable"
        assert seconds_until_answered(client, BACK_WITHIN_SECONDS) < BACK_WITHIN_SECONDS

        os.kill(pid_of(log, "rasa"), signal.SIGKILL)
        assert seconds_until_answered(client, rasa_bound) < rasa_bound

        text = log.read_text()
        assert re.search(r"actions \(pid \d+\) exited with code -9 .*restarting it in 1 s", text)
        assert re.search(r"rasa \(pid \d+\) exited with code -9 .*restarting it in 1 s", text)
        assert launcher.poll() is None
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            assert launcher.wait(60) == 0
        finally:
            if launcher.poll() is None:
                os.killpg(launcher.pid, signal.SIGKILL)
    time.sleep(1)
    assert not answers_the_faq(client)  # SIGTERM stopped every server
