"""`faqbot telegram-webhook` against a fake Bot API on loopback."""

from __future__ import annotations

import subprocess

import pytest

from bot.config import ROOT
from bot.ops.serve import BIN, free_port
from tests.telegram_api import SECRET, TOKEN, FakeBotApi, telegram_env

WEBHOOK_URL = "https://bot.example.org/webhooks/telegram/webhook"


def run_webhook_command(url: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "faqbot"), "telegram-webhook", "--url", url],
        env=telegram_env(**settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_webhook_command_registers_the_url_with_the_secret_token(
    fake_api: FakeBotApi,
) -> None:
    done = run_webhook_command(
        WEBHOOK_URL,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_SECRET_TOKEN=SECRET,
        TELEGRAM_API_BASE_URL=fake_api.url,
    )
    assert done.returncode == 0, done.stderr
    assert "Webhook was set" in done.stdout
    expected = {
        "url": WEBHOOK_URL,
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }
    assert ("setWebhook", expected) in fake_api.calls


@pytest.mark.parametrize(
    ("url", "settings", "says"),
    [
        ("http://bot.example.org/hook", {}, "An HTTPS URL"),
        (WEBHOOK_URL, {"TELEGRAM_BOT_TOKEN": "1:wrong"}, "Unauthorized"),
        (WEBHOOK_URL, {"TELEGRAM_SECRET_TOKEN": ""}, "set TELEGRAM_BOT_TOKEN"),
        (WEBHOOK_URL, {"TELEGRAM_API_BASE_URL": "closed port"}, "Cannot connect"),
    ],
)
def test_the_webhook_command_reports_errors_in_one_line_and_exits_1(
    fake_api: FakeBotApi, url: str, settings: dict[str, str], says: str
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_API_BASE_URL": fake_api.url,
        **settings,
    }
    if env["TELEGRAM_API_BASE_URL"] == "closed port":
        env["TELEGRAM_API_BASE_URL"] = f"http://127.0.0.1:{free_port()}"
    done = run_webhook_command(url, **env)
    assert done.returncode == 1
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert TOKEN not in done.stderr + done.stdout
