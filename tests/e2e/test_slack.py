"""Slack: real Rasa + action servers answering signed Slack requests via a fake Web API."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from bot.channels.slack import OFF_MESSAGE, answer_blocks, mrkdwn_escape
from bot.content.answers import Reply
from bot.content.knowledge import read_knowledge
from bot.ops.serve import BotServers
from tests.support import KNOWLEDGE_DIR, BotFactory, JsonHandler, serving, wait_for

ENTRY_TOPICS = {entry.id: entry.topic for entry in read_knowledge(KNOWLEDGE_DIR).entries}

TOKEN = "xoxb-test-token"
SECRET = "test-signing-secret"
BOT_USER = "UFAQBOT"
SIDE_EFFECTS = "what are the side effects of botox for migraine"
# The side-effects answer by its button payload: needs the action server, not the NLU's guess.
FAQ_PAYLOAD = '/faq{"faq_entry":"side_effects_overview"}'
WEBHOOK = "/webhooks/slack/webhook"


class FakeSlackApi(ThreadingHTTPServer):
    """Slack's Web API on loopback: records every call and answers like Slack does on success,
    or with a 429 and Retry-After for the next `rate_limited[channel]` posts to a channel."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeSlackHandler)
        self.calls: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.rate_limited: dict[str, int] = {}
        self.retry_after = 1

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/"

    def posts(self, channel: str, status: int | None = 200) -> list[dict[str, Any]]:
        """The chat.postMessage bodies to `channel` answered with `status` (None: all)."""
        return [call["body"] for call in self.post_calls(channel, status)]

    def post_calls(self, channel: str, status: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                call
                for call in self.calls
                if call["method"] == "chat.postMessage"
                and call["body"].get("channel") == channel
                and status in (None, call["status"])
            ]

    def wait_for_posts(self, channel: str, count: int = 1, timeout: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            posts = self.posts(channel)
            if len(posts) >= count:
                return posts
            time.sleep(0.1)
        raise TimeoutError(f"no chat.postMessage to {channel} within {timeout:.0f} s")


class FakeSlackHandler(JsonHandler):
    server: FakeSlackApi

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Type", "").startswith("application/json"):
            body = json.loads(raw or b"{}")
        else:
            body = dict(urllib.parse.parse_qsl(raw.decode()))
        method = self.path.rsplit("/", 1)[-1]
        channel = body.get("channel") if method == "chat.postMessage" else None
        with self.server.lock:
            limited = self.server.rate_limited.get(channel or "", 0) > 0
            if limited:
                self.server.rate_limited[channel] -= 1
            self.server.calls.append(
                {
                    "method": method,
                    "auth": self.headers.get("Authorization"),
                    "body": body,
                    "status": 429 if limited else 200,
                    "at": time.monotonic(),
                }
            )
        if limited:  # as Slack answers when a method's rate limit is exceeded
            data = json.dumps({"ok": False, "error": "ratelimited"}).encode()
            self.send_response(429)
            self.send_header("Content-Type", "application/json")
            self.send_header("Retry-After", str(self.server.retry_after))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        answer: dict[str, Any] = {"ok": True}
        if method == "chat.postMessage":
            answer.update(channel=body.get("channel"), ts=f"{time.time():.6f}")
        elif method == "auth.test":
            answer.update(user_id=BOT_USER, bot_id="BFAQBOT")
        self.send_json(200, answer)


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlackApi]:
    with serving(FakeSlackApi()) as server:
        yield server


@pytest.fixture(scope="module")
def slack_bot(make_bot: BotFactory, fake_slack: FakeSlackApi) -> BotServers:
    """Both servers with the Slack channel on, posting to the fake Web API."""
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_BASE_URL": fake_slack.url,
    }
    return make_bot("slack", env=env, without=["SLACK_"])


def signature_headers(body: bytes, secret: str = SECRET, age: float = 0) -> dict[str, str]:
    """Slack's v0 signature: HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret."""
    timestamp = str(int(time.time() - age))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def post(
    bot: BotServers, body: bytes, content_type: str, headers: dict[str, str]
) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(
        f"{bot.url}{WEBHOOK}", data=body, headers={"Content-Type": content_type, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def event_callback(event: dict[str, Any], event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "token": "unused-verification-token",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10]}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0001", "user_id": BOT_USER, "is_bot": True}],
            "event": {"ts": f"{time.time():.6f}", **event},
        }
    ).encode()


def direct_message(text: str, user: str, channel: str) -> dict[str, Any]:
    return {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": text}


def send_event(bot: BotServers, body: bytes, **headers: str) -> tuple[int, str, dict[str, str]]:
    return post(bot, body, "application/json", {**signature_headers(body), **headers})


def click(bot: BotServers, value: str, user: str, channel: str) -> tuple[int, str, dict[str, str]]:
    """A Block Kit button click as Slack's Interactivity sends it: a form field `payload`."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "patient", "team_id": "T0001"},
        "channel": {"id": channel, "name": "directmessage"},
        "message": {"type": "message", "ts": f"{time.time():.6f}", "bot_id": "BFAQBOT"},
        "actions": [
            {
                "type": "button",
                "action_id": "faqbot_button_0",
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "a topic"},
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    return post(bot, body, "application/x-www-form-urlencoded", signature_headers(body))


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8].upper()}"


def topics(posts: list[dict[str, Any]]) -> list[str]:
    return [post["metadata"]["event_payload"]["topic"] for post in posts]


def settle(bot: BotServers, fake_slack: FakeSlackApi, channel: str, user: str) -> list[str]:
    """Says hello in the same conversation and waits for the greeting. Rasa handles a
    conversation's messages one at a time, in order, so by then anything wrongly accepted
    earlier has been answered too. The topics posted to `channel`, in order."""
    send_event(bot, event_callback(direct_message("hello", user, channel)))
    greeted = wait_for(lambda: "greet" in topics(fake_slack.posts(channel)), 60)
    assert greeted, f"the greeting in {channel} was not answered"
    return topics(fake_slack.posts(channel))


def button_values(post: dict[str, Any]) -> list[str]:
    return [
        element["value"]
        for block in post["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


# With the servers: signed requests in, chat.postMessage out.


def test_a_direct_message_gets_the_rest_answer_as_block_kit_with_its_topic(
    slack_bot: BotServers, fake_slack: FakeSlackApi, disclaimer: str
) -> None:
    channel, user = unique("D"), unique("U")
    status, _, _ = send_event(
        slack_bot, event_callback(direct_message(SIDE_EFFECTS, user, channel))
    )
    assert status == 200
    [answer] = fake_slack.wait_for_posts(channel)
    assert disclaimer in answer["text"]
    [rest] = slack_bot.ask(unique("rest-"), SIDE_EFFECTS)
    assert rest["metadata"]["topic"] == "side_effects"
    assert answer["metadata"] == {
        "event_type": "faqbot_answer",
        "event_payload": {"topic": rest["metadata"]["topic"]},
    }
    related = [b["payload"] for b in rest["buttons"]]
    assert related and button_values(answer)[: len(related)] == related
    assert answer["text"] == mrkdwn_escape(rest["text"])
    assert answer["blocks"] == answer_blocks(
        Reply(rest["text"], rest["metadata"]["topic"], rest["buttons"], rest["metadata"]["faq"])
    )
    call = next(c for c in fake_slack.calls if c["body"] is answer)
    assert call["auth"] == f"Bearer {TOKEN}"


def test_a_mention_in_a_channel_is_answered_in_that_channel(
    slack_bot: BotServers, fake_slack: FakeSlackApi, disclaimer: str
) -> None:
    channel = unique("C")
    event = {
        "type": "app_mention",
        "channel": channel,
        "user": unique("U"),
        "text": f"<@{BOT_USER}> how much does botox for migraine cost",
    }
    send_event(slack_bot, event_callback(event))
    [answer] = fake_slack.wait_for_posts(channel)
    assert answer["metadata"]["event_payload"] == {"topic": "cost"}
    assert disclaimer in answer["text"]


def test_clicking_a_button_answers_the_topic_of_its_value(
    slack_bot: BotServers, fake_slack: FakeSlackApi, disclaimer: str
) -> None:
    channel, user = unique("D"), unique("U")
    send_event(slack_bot, event_callback(direct_message(SIDE_EFFECTS, user, channel)))
    [answer] = fake_slack.wait_for_posts(channel)
    value = button_values(answer)[0]
    status, _, _ = click(slack_bot, value, user, channel)
    assert status == 200
    followup = fake_slack.wait_for_posts(channel, count=2)[1]
    clicked = json.loads(value[4:])["faq_entry"]
    assert followup["metadata"]["event_payload"] == {"topic": ENTRY_TOPICS[clicked]}
    assert disclaimer in followup["text"]


def _unsigned(body: bytes) -> dict[str, str]:
    return {}


def _wrong_secret(body: bytes) -> dict[str, str]:
    return signature_headers(body, secret="not-the-secret")


def _stale(body: bytes) -> dict[str, str]:
    return signature_headers(body, age=6 * 60)


def _other_body(body: bytes) -> dict[str, str]:
    return signature_headers(body + b" ")


def _signature_only(body: bytes) -> dict[str, str]:
    return {"X-Slack-Signature": signature_headers(body)["X-Slack-Signature"]}


@pytest.mark.parametrize(
    "headers_for", [_unsigned, _wrong_secret, _stale, _other_body, _signature_only]
)
def test_a_request_without_a_valid_fresh_signature_is_rejected_and_not_answered(
    slack_bot: BotServers, fake_slack: FakeSlackApi, headers_for: Callable[[bytes], dict[str, str]]
) -> None:
    channel, user = unique("D"), unique("U")
    body = event_callback(direct_message(SIDE_EFFECTS, user, channel))
    status, _, _ = post(slack_bot, body, "application/json", headers_for(body))
    assert 400 <= status < 500
    assert settle(slack_bot, fake_slack, channel, user) == ["greet"]


def test_a_retried_or_repeated_event_is_answered_once(
    slack_bot: BotServers, fake_slack: FakeSlackApi
) -> None:
    channel, user = unique("D"), unique("U")
    body = event_callback(direct_message(FAQ_PAYLOAD, user, channel))
    send_event(slack_bot, body)
    fake_slack.wait_for_posts(channel)
    for reason in ("http_timeout", "http_error"):
        status, _, headers = send_event(
            slack_bot, body, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": reason}
        )
        assert status == 200
        assert headers.get("X-Slack-No-Retry") == "1"
    assert send_event(slack_bot, body)[0] == 200  # the same event_id without a retry header
    assert settle(slack_bot, fake_slack, channel, user) == ["side_effects", "greet"]


@pytest.mark.parametrize(
    "extra",
    [
        {"bot_id": "BFAQBOT"},
        {"subtype": "bot_message"},
        {"channel_type": "channel"},  # a channel message without a mention is not for the bot
    ],
)
def test_bot_messages_and_unaddressed_channel_messages_are_not_answered(
    slack_bot: BotServers, fake_slack: FakeSlackApi, extra: dict[str, str]
) -> None:
    channel, user = unique("D"), unique("U")
    status, _, _ = send_event(
        slack_bot, event_callback({**direct_message(SIDE_EFFECTS, user, channel), **extra})
    )
    assert status == 200
    assert settle(slack_bot, fake_slack, channel, user) == ["greet"]


def raw_post(bot: BotServers, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
    """Status, Content-Type and the body's bytes, exactly as sent."""
    request = urllib.request.Request(f"{bot.url}{WEBHOOK}", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def url_verification(challenge: str) -> bytes:
    """Slack's request when a request URL is entered in the app's settings."""
    return json.dumps(
        {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": challenge, "type": "url_verification"}
    ).encode()


def test_the_url_verification_challenge_is_answered_as_slack_documents_it(
    slack_bot: BotServers,
) -> None:
    """Slack's first documented form: HTTP 200, Content-type: text/plain, the bare value."""
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = url_verification(challenge)
    headers = {"Content-Type": "application/json", **signature_headers(body)}
    assert raw_post(slack_bot, body, headers) == (200, "text/plain", challenge.encode())


def test_a_url_verification_without_a_valid_signature_gets_no_challenge_back(
    slack_bot: BotServers,
) -> None:
    body = url_verification("c-123")
    headers = {"Content-Type": "application/json", **signature_headers(body, secret="wrong")}
    status, _, answer = raw_post(slack_bot, body, headers)
    assert status == 400
    assert b"c-123" not in answer


def test_a_retry_of_an_event_that_never_reached_the_bot_is_answered_once(
    slack_bot: BotServers, fake_slack: FakeSlackApi
) -> None:
    """The first delivery was lost (the bot was down): Slack's retries carry the header."""
    channel, user = unique("D"), unique("U")
    body = event_callback(direct_message(FAQ_PAYLOAD, user, channel))
    status, _, headers = send_event(
        slack_bot, body, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    )
    assert status == 200
    assert "X-Slack-No-Retry" not in headers
    fake_slack.wait_for_posts(channel)
    retry = {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}
    assert send_event(slack_bot, body, **retry)[0] == 200
    assert settle(slack_bot, fake_slack, channel, user) == ["side_effects", "greet"]


def test_a_rate_limited_answer_is_posted_once_after_retry_after_and_others_go_on(
    slack_bot: BotServers, fake_slack: FakeSlackApi
) -> None:
    slow, fast = unique("D"), unique("D")
    fake_slack.rate_limited[slow] = 2  # two 429s (Retry-After: 1), then accepted
    started = time.monotonic()
    send_event(slack_bot, event_callback(direct_message(FAQ_PAYLOAD, unique("U"), slow)))
    send_event(slack_bot, event_callback(direct_message(FAQ_PAYLOAD, unique("U"), fast)))
    [answer] = fake_slack.wait_for_posts(slow)
    attempts = fake_slack.post_calls(slow)
    assert [call["status"] for call in attempts] == [429, 429, 200]
    waits = [b["at"] - a["at"] for a, b in zip(attempts, attempts[1:], strict=False)]
    assert all(wait >= 0.95 for wait in waits), waits  # not before the time Slack asked for
    [other] = fake_slack.post_calls(fast, status=200)
    assert other["at"] < attempts[-1]["at"]  # the other conversation did not wait
    assert other["at"] - started < 3
    assert answer["metadata"]["event_payload"] == {"topic": "side_effects"}


def test_rate_limit_retries_are_bounded(slack_bot: BotServers, fake_slack: FakeSlackApi) -> None:
    channel = unique("D")
    fake_slack.rate_limited[channel] = 100
    send_event(slack_bot, event_callback(direct_message(FAQ_PAYLOAD, unique("U"), channel)))
    assert wait_for(
        lambda: "giving up after 3 retries" in (slack_bot.workdir / "rasa.log").read_text(), 30
    )
    time.sleep(1.5)
    assert [call["status"] for call in fake_slack.post_calls(channel)] == [429] * 4
    fake_slack.rate_limited[channel] = 0


def test_without_secrets_the_channel_is_off_with_one_log_line(make_bot: BotFactory) -> None:
    """Only Rasa is started: the action server is not needed to see that the route is missing."""
    servers = make_bot("slack-off", actions=False, without=["SLACK_"])
    try:
        body = event_callback(direct_message("hello", unique("U"), unique("D")))
        assert send_event(servers, body)[0] == 404
    finally:
        servers.stop_all()
    log = (servers.workdir / "rasa.log").read_text()
    assert log.count(OFF_MESSAGE) == 1


# The app manifest against the running bot.

# Bot scopes each Web API method the bot calls needs (auth.test needs none).
SCOPES_OF_METHODS = {"chat.postMessage": {"chat:write"}, "auth.test": set()}
# Events API subscription names and the events the channel answers.
EVENTS = {"app_mention": "app_mention", "message.im": "message"}


def test_the_slack_manifest_matches_the_routes_and_events_the_bot_serves(
    slack_bot: BotServers, fake_slack: FakeSlackApi
) -> None:
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    from bot.config import ROOT

    faqbot = Path(sys.executable).parent / "faqbot"
    printed = subprocess.run(
        [str(faqbot), "slack-manifest", "--url", "https://faqbot.example.org"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    manifest = yaml.safe_load(printed)
    settings = manifest["settings"]
    urls = {
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    }
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("https", "faqbot.example.org")
        assert parts.path == WEBHOOK  # the route the tests reach the real bot at
        body = url_verification("from-the-manifest")
        headers = {"Content-Type": "application/json", **signature_headers(body)}
        assert raw_post(slack_bot, body, headers) == (200, "text/plain", b"from-the-manifest")

    # Every subscribed event is one the bot answers, and the scopes cover what it calls.
    channel, user = unique("D"), unique("U")
    events = settings["event_subscriptions"]["bot_events"]
    assert sorted(events) == sorted(EVENTS)
    send_event(slack_bot, event_callback(direct_message(FAQ_PAYLOAD, user, channel)))
    mention = {"type": "app_mention", "channel": unique("C"), "user": user, "text": FAQ_PAYLOAD}
    send_event(slack_bot, event_callback(mention))
    fake_slack.wait_for_posts(channel)
    fake_slack.wait_for_posts(mention["channel"])
    assert click(slack_bot, FAQ_PAYLOAD, user, channel)[0] == 200  # interactivity at the same URL
    fake_slack.wait_for_posts(channel, count=2)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    with fake_slack.lock:
        called = {call["method"] for call in fake_slack.calls}
    assert called <= set(SCOPES_OF_METHODS)
    assert set().union(*(SCOPES_OF_METHODS[m] for m in called)) <= scopes
    assert scopes == {"app_mentions:read", "chat:write", "im:history"}  # nothing more
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
