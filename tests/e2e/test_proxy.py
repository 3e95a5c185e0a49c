"""deploy/nginx/faqbot.conf, run: nginx on loopback with a self-signed certificate in front of the
real servers; a signed Slack event, a Telegram update and a widget conversation go through it.

nginx is Debian's package (`make services` installs it); the configuration is the shipped file with
only its addresses, ports and paths changed to the test's.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import ROOT
from bot.ops.serve import free_port
from tests.e2e.test_slack import (
    FAQ_PAYLOAD,
    FakeSlackApi,
    direct_message,
    event_callback,
    signature_headers,
    unique,
    url_verification,
)
from tests.e2e.test_slack import (
    SECRET as SLACK_SECRET,
)
from tests.e2e.test_slack import (
    TOKEN as SLACK_TOKEN,
)
from tests.e2e.test_telegram import message_update
from tests.support import BotFactory, serving, wait_for
from tests.telegram_api import SECRET, TOKEN, FakeBotApi

NGINX = "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx" / "faqbot.conf"
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def nginx_program() -> str:
    program = shutil.which("nginx") or NGINX
    if not Path(program).exists():
        pytest.fail("the proxy test needs nginx: `make services` or apt-get install nginx", False)
    return program


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def site_for_test(rasa_port: int, https: int, http: int, cert: Path, key: Path, tmp: Path) -> str:
    """The shipped site with the test's ports and paths; every change must find its target."""
    site = SITE.read_text(encoding="utf-8")
    changes = [
        (r"server 127\.0\.0\.1:5005;", f"server 127.0.0.1:{rasa_port};"),
        (r"listen \[::\]:\d+[^;]*;", ""),  # loopback IPv4 only
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        (r"listen 80;", f"listen 127.0.0.1:{http};"),
        (r"ssl_certificate \S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};"),
        (r"root \S+/bot/web;", f"root {ROOT / 'bot' / 'web'};"),
        (r"root \S+html;", f"root {tmp};"),
        (r"https://\$host\$request_uri", f"https://$host:{https}$request_uri"),
    ]
    for pattern, replacement in changes:
        site, count = re.subn(pattern, replacement, site)
        assert count, f"{pattern} not found in {SITE}"
    return site


def main_config(tmp: Path) -> str:
    """What Debian's main nginx.conf provides around a site, inside the temp dir."""
    user = "user root root;" if os.geteuid() == 0 else ""
    temp = " ".join(
        f"{kind}_temp_path {tmp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
{user}
daemon off;
worker_processes 1;
pid {tmp / 'nginx.pid'};
error_log {tmp / 'error.log'} info;
events {{ worker_connections 256; }}
http {{
    types {{ text/html html; application/javascript js; application/json map; }}
    default_type application/octet-stream;
    access_log {tmp / 'access.log'};
    {temp}
    include {tmp / 'faqbot.conf'};
}}
"""


class Proxy:
    def __init__(self, https: int, http: int) -> None:
        self.https, self.http = https, http
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https}"

    def request(
        self, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, bytes]:
        request = urllib.request.Request(f"{self.url}{path}", data=body, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30, context=self.context) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlackApi]:
    with serving(FakeSlackApi()) as server:
        yield server


@pytest.fixture(scope="module")
def proxy(
    make_bot: BotFactory,
    fake_slack: FakeSlackApi,
    fake_api: FakeBotApi,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Proxy]:
    program = nginx_program()
    tmp = tmp_path_factory.mktemp("nginx")
    https, http = free_port(), free_port()
    servers = make_bot(
        "proxied",
        env={
            "SLACK_BOT_TOKEN": SLACK_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SECRET,
            "SLACK_API_BASE_URL": fake_slack.url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_SECRET_TOKEN": SECRET,
            "TELEGRAM_API_BASE_URL": fake_api.url,
            "CORS_ORIGINS": f"https://127.0.0.1:{https}",
        },
        without=["SLACK_", "TELEGRAM_", "CORS_"],
    )
    cert, key = self_signed_certificate(tmp)
    (tmp / "faqbot.conf").write_text(site_for_test(servers.ports.rasa, https, http, cert, key, tmp))
    (tmp / "nginx.conf").write_text(main_config(tmp))
    command = [program, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(tmp / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    with (tmp / "nginx.out").open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    proxy = Proxy(https, http)
    try:
        assert wait_for(lambda: _answers(proxy), 20), (tmp / "error.log").read_text()
        proxy.bot = servers  # type: ignore[attr-defined]
        yield proxy
    finally:
        process.terminate()
        process.wait(15)


def _answers(proxy: Proxy) -> bool:
    try:
        return proxy.request("/faqbot-widget.js")[0] == 200
    except OSError:
        return False


def test_a_signed_slack_event_reaches_the_bot_with_its_body_intact(
    proxy: Proxy, fake_slack: FakeSlackApi
) -> None:
    channel = unique("D")
    body = event_callback(direct_message(FAQ_PAYLOAD, unique("U"), channel))
    headers = {"Content-Type": "application/json", **signature_headers(body)}
    status, answer_headers, _ = proxy.request("/webhooks/slack/webhook", body, headers)
    assert status == 200
    [answer] = fake_slack.wait_for_posts(channel)
    assert answer["metadata"]["event_payload"] == {"topic": "side_effects"}
    assert answer_headers["Strict-Transport-Security"] == "max-age=31536000"
    # The challenge, byte for byte through the proxy too
    body = url_verification("challenge-through-the-proxy")
    headers = {"Content-Type": "application/json", **signature_headers(body)}
    status, answer_headers, raw = proxy.request("/webhooks/slack/webhook", body, headers)
    assert (status, answer_headers["Content-Type"], raw) == (
        200, "text/plain", b"challenge-through-the-proxy",
    )  # fmt: skip


def test_a_telegram_update_reaches_the_bot(proxy: Proxy, fake_api: FakeBotApi) -> None:
    update = message_update(4242, text=FAQ_PAYLOAD)
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    status, _, _ = proxy.request("/webhooks/telegram/webhook", json.dumps(update).encode(), headers)
    assert status == 200
    [sent] = fake_api.sent_to(4242)
    assert "side effects" in sent["text"].lower()


def test_the_widget_page_and_script_are_served_with_security_headers(proxy: Proxy) -> None:
    status, headers, page = proxy.request("/")
    assert status == 200
    assert f'data-server-url="https://127.0.0.1:{proxy.https}"' in page.decode()
    assert "http://localhost:5005" not in page.decode()
    for name, value in {**SECURITY_HEADERS, "Cache-Control": "no-store"}.items():
        assert headers[name] == value
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    status, headers, script = proxy.request("/faqbot-widget.js")
    assert status == 200 and b"FaqbotWidget" in script
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert proxy.request("/vendor/socket.io.min.js")[0] == 200


@pytest.mark.parametrize(
    "path", ["/status", "/webhooks/rest/", "/package.json", "/node_modules/", "/version"]
)
def test_nothing_else_is_public(proxy: Proxy, path: str) -> None:
    status, headers, _ = proxy.request(path)
    assert status == 404
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_plain_http_is_sent_to_https(proxy: Proxy) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{proxy.http}/webhooks/rest/webhook")
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(request, timeout=10)
    assert redirect.value.code == 301
    assert redirect.value.headers["Location"].startswith(f"https://127.0.0.1:{proxy.https}/")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_rest_goes_through(proxy: Proxy) -> None:
    body = json.dumps({"sender": unique("rest-"), "message": FAQ_PAYLOAD}).encode()
    origin = proxy.url
    headers = {"Content-Type": "application/json", "Origin": origin}
    status, headers, raw = proxy.request("/webhooks/rest/webhook", body, headers)
    assert status == 200
    assert json.loads(raw)[0]["metadata"]["topic"] == "side_effects"
    assert headers["Access-Control-Allow-Origin"] == origin


def test_a_widget_conversation_goes_through_over_a_websocket(proxy: Proxy) -> None:
    """socket.io as the widget's client talks (Engine.IO 4): a long-polling handshake, then the
    websocket upgrade through the proxy, then the conversation on the websocket."""

    async def conversation() -> list[Any]:
        base = f"{proxy.url}/socket.io/?EIO=4"
        async with aiohttp.ClientSession(headers={"Origin": proxy.url}) as http:
            async with http.get(f"{base}&transport=polling", ssl=False) as handshake:
                assert handshake.status == 200
                opened = await handshake.text()
            assert opened.startswith("0")
            sid = json.loads(opened[1:])["sid"]
            url = f"{base}&transport=websocket&sid={sid}"
            async with http.ws_connect(url, ssl=False) as ws:
                await ws.send_str("2probe")
                assert await ws.receive_str(timeout=10) == "3probe"
                await ws.send_str("5")  # upgrade done: polling is over
                await ws.send_str("40")  # socket.io connect
                events = []

                async def event() -> Any:
                    while True:
                        packet = await ws.receive_str(timeout=30)
                        if packet == "2":  # Engine.IO ping
                            await ws.send_str("3")
                        elif packet.startswith("42"):
                            return json.loads(packet[2:])

                session = unique("widget-")
                await ws.send_str("42" + json.dumps(["session_request", {"session_id": session}]))
                events.append(await event())
                message = {"message": FAQ_PAYLOAD, "session_id": session}
                await ws.send_str("42" + json.dumps(["user_uttered", message]))
                events.append(await event())
                return events

    (confirm, session), (name, answer) = asyncio.run(conversation())
    assert confirm == "session_confirm" and session.startswith("widget-")
    assert name == "bot_uttered"
    assert answer["metadata"]["topic"] == "side_effects"
    assert answer["buttons"]
