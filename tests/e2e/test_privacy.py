"""End to end: a question with identifiers in it is answered as typed, stored redacted, and
neither it nor the identifier is written to the servers' logs."""

from __future__ import annotations

import json

import pytest

from bot.ops.serve import BotServers
from tests.support import stored_events


@pytest.mark.parametrize(
    ("question", "identifier", "stored_text", "topic"),
    [
        (
            "what are the side effects of botox for migraine? write to jane.doe@example.com",
            "jane.doe@example.com",
            "what are the side effects of botox for migraine? write to [email]",
            "side_effects",
        ),
        (
            "how much does botox for migraine cost? text 07700 900123",
            "07700 900123",
            "how much does botox for migraine cost? text [phone]",
            "cost",
        ),
    ],
)
def test_a_question_with_an_identifier_is_answered_and_stored_redacted(
    bot: BotServers, question: str, identifier: str, stored_text: str, topic: str
) -> None:
    sender = f"e2e-privacy-{topic}"
    [message] = bot.ask(sender, question)
    assert message["metadata"]["topic"] == topic

    events = stored_events(bot.env["DATABASE_URL"], sender)
    assert events
    assert [event for event in events if identifier in json.dumps(event)] == []
    [said] = [event for event in events if event["event"] == "user"]
    assert said["text"] == said["parse_data"]["text"] == stored_text
    assert said["parse_data"]["intent"]["name"] == "faq"
    for log in bot.workdir.glob("*.log"):
        logged = log.read_text(errors="replace")
        assert identifier not in logged
        assert question.split("?")[0] not in logged
