"""Slack events and Telegram updates delivered again: answered once across two Rasa servers and a
restart, with the record in Redis (REDIS_URL set) or in the SQL database (PostgreSQL here)."""

from __future__ import annotations

import contextlib
import urllib.error
from collections.abc import Iterator

import pytest

from bot.ops.serve import BotServers, Ports, free_port
from tests.e2e.test_slack import (
    FAQ_PAYLOAD,
    FakeSlackApi,
    direct_message,
    event_callback,
    send_event,
    settle,
    unique,
)
from tests.e2e.test_slack import (
    SECRET as SLACK_SECRET,
)
from tests.e2e.test_slack import (
    TOKEN as SLACK_TOKEN,
)
from tests.e2e.test_telegram import message_update, post_update
from tests.support import BotFactory, knowledge_database, redis_key_prefix, serving
from tests.telegram_api import SECRET, TOKEN, FakeBotApi

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlackApi]:
    with serving(FakeSlackApi()) as server:
        yield server


@pytest.fixture(scope="module", params=["redis", "sql"])
def two_servers(
    request: pytest.FixtureRequest,
    make_bot: BotFactory,
    fake_slack: FakeSlackApi,
    fake_api: FakeBotApi,
    postgres_admin_url: str,
) -> Iterator[tuple[BotServers, BotServers]]:
    """Rasa servers A and B (one action server) on one PostgreSQL database; with Redis or not."""
    with contextlib.ExitStack() as stack:
        env = {
            "DATABASE_URL": stack.enter_context(knowledge_database(postgres_admin_url)),
            "SLACK_BOT_TOKEN": SLACK_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SECRET,
            "SLACK_API_BASE_URL": fake_slack.url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_SECRET_TOKEN": SECRET,
            "TELEGRAM_API_BASE_URL": fake_api.url,
        }
        if request.param == "redis":
            redis_url = request.getfixturevalue("redis_url")
            env["REDIS_URL"] = redis_url
            env["REDIS_KEY_PREFIX"] = stack.enter_context(redis_key_prefix(redis_url))
        without = ["SLACK_", "TELEGRAM_", "REDIS_"]
        a = make_bot(f"a-{request.param}", env=env, without=without)
        ports = Ports(rasa=free_port(), actions=a.ports.actions, web=free_port())
        b = make_bot(f"b-{request.param}", env=env, without=without, actions=False, ports=ports)
        try:
            yield a, b
        finally:
            b.stop_all()
            a.stop_all()


def test_copies_on_both_servers_and_after_a_restart_are_answered_once(
    two_servers: tuple[BotServers, BotServers], fake_slack: FakeSlackApi, fake_api: FakeBotApi
) -> None:
    a, b = two_servers
    channel, user = unique("D"), unique("U")
    event = event_callback(direct_message(FAQ_PAYLOAD, user, channel))
    chat = 700_000 + len(fake_api.calls)
    update = message_update(chat, text=FAQ_PAYLOAD)

    assert send_event(a, event)[0] == 200
    fake_slack.wait_for_posts(channel)
    status, _, headers = send_event(b, event, **RETRY)  # the retry reaches the other server
    assert (status, headers.get("X-Slack-No-Retry")) == (200, "1")
    assert post_update(a, update) == 200
    assert post_update(b, update) == 200
    assert len(fake_api.sent_to(chat)) == 1

    # Events that arrive while A is down are lost there; Slack and Telegram send them again.
    missed_channel, missed_user = unique("D"), unique("U")
    missed_event = event_callback(direct_message(FAQ_PAYLOAD, missed_user, missed_channel))
    missed_chat = chat + 1
    missed_update = message_update(missed_chat, text=FAQ_PAYLOAD)
    a.stop("rasa")
    with pytest.raises(urllib.error.URLError):
        send_event(a, missed_event)
    with pytest.raises(urllib.error.URLError):
        post_update(a, missed_update)
    a.start_rasa()

    # After the restart, what was answered is not answered again...
    assert send_event(a, event, **{**RETRY, "X-Slack-Retry-Num": "2"})[0] == 200
    assert post_update(a, update) == 200
    assert len(fake_api.sent_to(chat)) == 1
    assert settle(a, fake_slack, channel, user) == ["side_effects", "greet"]

    # ...and what was never answered is answered once, wherever its copies land.
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    assert send_event(a, missed_event, **retry)[0] == 200
    fake_slack.wait_for_posts(missed_channel)
    assert send_event(b, missed_event, **{**retry, "X-Slack-Retry-Num": "2"})[0] == 200
    assert settle(b, fake_slack, missed_channel, missed_user) == ["side_effects", "greet"]
    assert post_update(b, missed_update) == 200
    assert post_update(a, missed_update) == 200
    assert len(fake_api.sent_to(missed_chat)) == 1
