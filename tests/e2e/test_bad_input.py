"""Bad input through the real REST channel: a clear answer or a clear 4xx, nothing broken after."""

from __future__ import annotations

import asyncio
import json

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import EventVerbosity

from bot.ops.serve import BotServers
from bot.stores.tracker_store import UrlSQLTrackerStore
from tools.fuzz import fuzz


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe botox",
        # Found by `make fuzz`: Sanic's JSON loader accepted these and built a broken string.
        b"\xf6\xf1\xda\xce\x1d3",
    ],
)
def test_invalid_utf8_gets_a_400(bot: BotServers, raw: bytes) -> None:
    status, answer = bot.post(b'{"sender": "bad-utf8", "message": "' + raw + b'"}')
    assert status == 400 and "error" in answer


def test_a_script_tag_is_answered_as_text_and_never_echoed(bot: BotServers) -> None:
    [message] = bot.ask("bad-script", "<script>alert(1)</script>")
    assert message["metadata"]["topic"] == "out_of_scope"
    assert "<script>" not in message["text"]


# Markup, control characters, a flood of emoji, a right-to-left override, a JSON-looking text.
HOSTILE = ["\x00\x1b[31m", "<img src=x onerror=alert(1)>", "🤯" * 500, "a\u202eb", "{}"]


def test_after_hostile_messages_the_conversation_still_loads_and_continues(
    bot: BotServers, rasa_domain: Domain
) -> None:
    sender = "bad-then-good"
    for text in HOSTILE:  # each gets one polite, plain-text answer, never an echo or an FAQ
        [message] = bot.ask(sender, text)
        assert message["text"].strip()
        assert not set(message["text"]) & {"<", "\x00", "\x1b", "\u202e"}, message["text"]
        assert message["metadata"]["topic"] in {"empty", "out_of_scope", "clarify"}, text
    [message] = bot.ask(sender, "how much does botox for migraine cost")
    assert message["metadata"]["topic"] == "cost"
    store = UrlSQLTrackerStore(rasa_domain, host=bot.env["DATABASE_URL"])
    tracker = asyncio.run(store.retrieve(sender))
    assert tracker is not None
    state = json.loads(json.dumps(tracker.current_state(EventVerbosity.ALL)))  # all of it
    said = [event["text"] for event in state["events"] if event["event"] == "user"]
    assert said[-1] == "how much does botox for migraine cost"
    assert len(said) >= len(HOSTILE)  # the hostile ones are in it too (an empty one may not be)


def test_a_short_fuzz_run_finds_no_failure(bot: BotServers) -> None:
    report = fuzz(bot.url, seconds=15)
    assert sum(report.tried.values()) > 20
    assert report.failures == []
