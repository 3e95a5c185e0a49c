"""Security checks on the real servers: HTTP API, CORS, listening addresses, secrets in logs."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.ops.serve import BotServers
from tests.support import BotFactory, JsonHandler, serving, wait_for

# Recognisable values, so a leak into a log cannot be missed.
AUTH_TOKEN = "LEAKCHECK-rasa-auth-token-9d4c"
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-LEAKCHECK-slack-bot-token-7c1d",
    "SLACK_SIGNING_SECRET": "LEAKCHECK-slack-signing-secret-52e9",
    "TELEGRAM_BOT_TOKEN": "123456789:LEAKCHECK-telegram-bot-token-a81f",
    "TELEGRAM_SECRET_TOKEN": "LEAKCHECK-telegram-secret-token-0b3e",
}
EVIL_ORIGIN = "http://evil.example"
API_CALLS = [
    ("GET", "/status", None),
    ("GET", "/conversations/someone/tracker", None),
    ("POST", "/conversations/someone/messages", {"text": "hi", "sender": "user"}),
    ("POST", "/model/parse", {"text": "what is botox"}),
]


def request(
    url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str]]:
    """Status and headers, whether the answer is a success or an HTTP error. `body`: JSON-able,
    or bytes sent as they are (a signed body must arrive byte for byte)."""
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    call = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(call, timeout=60) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


class FailingApi(ThreadingHTTPServer):
    """Slack's and Telegram's APIs on loopback, failing every call: the bot's error paths run."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FailingHandler)
        self.paths: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class FailingHandler(JsonHandler):
    server: FailingApi

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.paths.append(self.path)
        self.send_json(500, {"ok": False, "error": "internal_error", "description": "down"})


@pytest.fixture(scope="module")
def failing_api() -> Iterator[FailingApi]:
    with serving(FailingApi()) as api:
        yield api


@pytest.fixture(scope="module")
def guarded(make_bot: BotFactory, failing_api: FailingApi) -> BotServers:
    """Both servers with the HTTP API on behind a token, and Slack and Telegram on."""
    env = {
        **SECRETS,
        "SLACK_API_BASE_URL": f"{failing_api.url}/slack/api/",
        "TELEGRAM_API_BASE_URL": f"{failing_api.url}/telegram",
    }
    return make_bot("security", env=env, rasa_args=("--enable-api", "--auth-token", AUTH_TOKEN))


@pytest.mark.parametrize(("method", "path", "body"), API_CALLS)
def test_the_http_api_is_off_by_default(bot: BotServers, method: str, path: str, body: Any) -> None:
    status, _ = request(f"{bot.url}{path}", method, body)
    assert status == 404


@pytest.mark.parametrize(("method", "path", "body"), API_CALLS)
def test_with_the_api_on_a_call_without_the_right_token_is_refused(
    guarded: BotServers, method: str, path: str, body: Any
) -> None:
    assert request(f"{guarded.url}{path}", method, body)[0] in (401, 403)
    assert request(f"{guarded.url}{path}?token=wrong", method, body)[0] in (401, 403)


@pytest.mark.parametrize(("method", "path", "body"), API_CALLS)
def test_with_the_api_on_the_token_opens_it(
    guarded: BotServers, method: str, path: str, body: Any
) -> None:
    assert request(f"{guarded.url}{path}?token={AUTH_TOKEN}", method, body)[0] == 200


def allow_origin(bot: BotServers, origin: str) -> dict[str, str | None]:
    """Access-Control-Allow-Origin on the REST webhook (preflight, POST) and socket.io polling."""
    webhook = f"{bot.url}/webhooks/rest/webhook"
    preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    answers = {
        "REST preflight": request(webhook, "OPTIONS", headers=preflight),
        "REST POST": request(
            webhook,
            "POST",
            {"sender": f"cors-{uuid.uuid4().hex}", "message": "hi"},
            {"Origin": origin},
        ),  # fmt: skip
        "socket.io polling": request(
            f"{bot.url}/socket.io/?EIO=4&transport=polling&t={uuid.uuid4().hex[:7]}",
            headers={"Origin": origin},
        ),
    }
    return {
        name: headers.get("Access-Control-Allow-Origin") for name, (_, headers) in answers.items()
    }


def test_cors_leaves_other_origins_out(bot: BotServers) -> None:
    assert set(allow_origin(bot, EVIL_ORIGIN).values()) == {None}


def test_cors_lets_the_configured_origins_in(bot: BotServers) -> None:
    for origin in (f"http://localhost:{bot.ports.web}", f"http://127.0.0.1:{bot.ports.web}"):
        assert set(allow_origin(bot, origin).values()) == {origin}


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port`, from the kernel's TCP tables."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    addresses.add(".".join(str(b) for b in reversed(raw)))
                else:  # IPv6: four 32-bit words, each in host (little-endian) order
                    words = [raw[i : i + 4][::-1].hex() for i in range(0, 16, 4)]
                    addresses.add(":".join(w[j : j + 4] for w in words for j in (0, 4)))
    return addresses


def test_both_servers_listen_on_loopback_only(bot: BotServers) -> None:
    assert listening_addresses(bot.ports.actions) == {"127.0.0.1"}
    assert listening_addresses(bot.ports.rasa) == {"127.0.0.1"}


def slack_event(text: str) -> tuple[bytes, dict[str, str]]:
    """A direct message as Slack's Events API sends it, signed with the signing secret."""
    event = {"type": "message", "channel_type": "im", "channel": "D0LEAK", "user": "U0LEAK"}
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10]}",
            "event_time": int(time.time()),
            "event": {**event, "text": text, "ts": f"{time.time():.6f}"},
        }
    ).encode()
    timestamp = str(int(time.time()))
    signed = f"v0:{timestamp}:".encode() + body
    digest = hmac.new(SECRETS["SLACK_SIGNING_SECRET"].encode(), signed, hashlib.sha256)
    headers = {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }
    return body, headers


def telegram_message(update_id: int, text: str) -> dict[str, Any]:
    """A typed message in a private chat, as Telegram sends it."""
    sender = {"id": 4242, "is_bot": False, "first_name": "Pat"}
    chat = {"id": 4242, "first_name": "Pat", "type": "private"}
    message = {
        "message_id": 1,
        "from": sender,
        "chat": chat,
        "date": int(time.time()),
        "text": text,
    }
    return {"update_id": update_id, "message": message}


def telegram_click(update_id: int, data: str) -> dict[str, Any]:
    """A click on a button under an earlier answer (the bot then calls answerCallbackQuery)."""
    earlier = telegram_message(0, "an earlier answer")["message"]
    callback = {"id": f"cb{update_id}", "from": earlier["from"], "message": earlier, "data": data}
    return {"update_id": update_id, "callback_query": callback}


def test_no_secret_or_token_reaches_the_logs(guarded: BotServers, failing_api: FailingApi) -> None:
    """Every path that holds a secret runs: REST, the API with right and wrong tokens, Slack and
    Telegram requests with right and wrong signatures, and their failing calls to the APIs."""
    assert guarded.ask("leak-check", "what is botox")
    for token in (AUTH_TOKEN, "wrong"):
        request(f"{guarded.url}/status?token={token}")
        request(f"{guarded.url}/model/parse?token={token}", "POST", {"text": "hello"})
    slack = f"{guarded.url}/webhooks/slack/webhook"
    body, signed = slack_event("what are the side effects")
    assert request(slack, "POST", body, signed)[0] == 200
    forged_body, forged = slack_event("hello")
    forged["X-Slack-Signature"] = "v0=" + "0" * 64
    assert request(slack, "POST", forged_body, forged)[0] == 400
    telegram = f"{guarded.url}/webhooks/telegram/webhook"
    secret = {"X-Telegram-Bot-Api-Secret-Token": SECRETS["TELEGRAM_SECRET_TOKEN"]}
    for update in (telegram_message(1001, "what is botox"), telegram_click(1002, "/cost")):
        assert request(telegram, "POST", update, secret)[0] == 200
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
    assert request(telegram, "POST", telegram_message(1003, "hi"), wrong)[0] == 403

    called_slack = wait_for(  # Slack is answered in the background
        lambda: any(path.startswith("/slack/") for path in failing_api.paths), 60
    )
    assert called_slack, f"the bot never called Slack: {failing_api.paths}"
    assert any(path.startswith("/telegram/") for path in failing_api.paths)
    guarded.stop_all()  # the logs are complete and flushed
    logs = {log.name: log.read_text(errors="replace") for log in guarded.workdir.glob("*.log")}
    assert {"rasa.log", "actions.log"} <= set(logs)
    for name, text in logs.items():
        for secret_value in (AUTH_TOKEN, *SECRETS.values()):
            assert secret_value not in text, f"{name} holds a secret"
