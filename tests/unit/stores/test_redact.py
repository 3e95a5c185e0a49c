"""Identifiers are redacted from stored text; the numbers a migraine question is made of are not."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import yaml

from bot.config import ROOT
from bot.content.knowledge import KnowledgeBase
from bot.stores.redact import _RULES, _whole, redact, redact_event


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at jane.doe+migraine@example.co.uk please", "mail me at [email] please"),
        ("JANE_DOE@EXAMPLE.ORG", "[email]"),
        ("my mobile is 07700 900123", "my mobile is [phone]"),
        ("07700900123", "[phone]"),
        ("call 020 7946 0018 or (020) 7946 0018", "call [phone] or [phone]"),
        ("+44 7700 900123", "[phone]"),
        ("+44 (0)20 7946 0018", "[phone]"),
        ("0044 7700 900123", "[phone]"),
        ("+33 1 23 45 67 89", "[phone]"),
        ("(555) 123-4567", "[phone]"),
        ("555-123-4567", "[phone]"),
        ("555.123.4567", "[phone]"),
        ("+1 (555) 123-4567", "[phone]"),
        ("1-555-123-4567", "[phone]"),
        ("5551234567", "[phone]"),
        ("07700 900123 07700 900124", "[phone] [phone]"),
        ("my NHS number is 943 476 5919.", "my NHS number is [nhs-number]."),
        ("943-476-5919", "[nhs-number]"),
        ("9434765919", "[nhs-number]"),
        ("SSN 123-45-6789", "SSN [ssn]"),
        ("card 4111 1111 1111 1111 ok", "card [card] ok"),
        ("4111111111111111", "[card]"),
        ("3782 822463 10005", "[card]"),
        ("from 192.168.1.20.", "from [ip]."),
        ("from 2001:db8::1 and ::1", "from [ip] and [ip]"),
        ("ZIP 12345-6789", "ZIP [postcode]"),
        ("I live at SW1A 1AA, near M1 1AE", "I live at [postcode], near [postcode]"),
    ],
)
def test_identifiers_are_replaced_by_tokens(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_numbers_around_a_phone_number_are_kept() -> None:
    assert redact("12 times I rang 07700 900123 in 2010") == "12 times I rang [phone] in 2010"


@pytest.mark.parametrize(
    "text",
    [
        "I get 15 headache days a month",
        "is 155 units every 12 weeks normal",
        "they gave me 195 units in 39 sites, 0.1 ml each",
        "should I call 999, 911 or 112?",
        "approved in 2010, I started in October 2010",
        "between 2010 and 2012 I had 3 rounds",
        "my appointment is 2024-05-12 at 10:30, or 12/05/2024",
        "dose 155-195 units, 50% fewer days, 1 in 4000 people",
        "NICE TA260 (2012), PREEMPT 1 and 2, ICHD-3",
        "I'm 45, weigh 70 kg and take vitamin b12 3mg",
        "100,000 people",
        "scores of 00 12 34 56",
    ],
)
def test_medically_meaningful_numbers_are_not_redacted(text: str) -> None:
    assert redact(text) == text


def test_no_answer_nor_training_example_is_changed(
    kb: KnowledgeBase, domain: dict[str, Any]
) -> None:
    """Bot messages are stored redacted too: the curated text must come through whole."""
    texts = [topic.answer for topic in kb.topics]
    texts += [text for r in domain["responses"].values() for text in (v["text"] for v in r)]
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for item in yaml.safe_load(path.read_text())["nlu"]:
            texts += [line[2:] for line in item.get("examples", "").splitlines()]
    assert len(texts) > 1000
    assert [text for text in texts if redact(text) != text] == []


def test_every_string_in_an_event_is_redacted_and_the_rest_kept() -> None:
    message_id = uuid.uuid4().hex
    event: dict[str, Any] = {
        "event": "user",
        "timestamp": 1700000000.5,
        "text": "I'm jane@example.com",
        "parse_data": {
            "text": "I'm jane@example.com",
            "intent": {"name": "greet", "confidence": 0.9},
            "entities": [{"entity": "email", "value": "jane@example.com", "start": 4, "end": 20}],
            "message_id": message_id,
        },
        "metadata": {"from": {"phone": "+44 7700 900123"}},
        "input_channel": "rest",
    }
    assert redact_event(event) == {
        **event,
        "text": "I'm [email]",
        "parse_data": {
            **event["parse_data"],
            "text": "I'm [email]",
            "entities": [{"entity": "email", "value": "[email]", "start": 4, "end": 20}],
        },
        "metadata": {"from": {"phone": "[phone]"}},
    }
    assert event["text"] == "I'm jane@example.com"  # a copy: the bot's own tracker is untouched


def test_ids_are_never_mistaken_for_identifiers() -> None:
    ids = [uuid.uuid4().hex for _ in range(2000)]
    assert [i for i in ids if redact(i) != i] == []


def _every_rule(text: str) -> str:
    """`redact` without its shortcut for text that holds no digit, "@" or ":"."""
    for pattern, replace in _RULES:
        text = pattern.sub(_whole(replace), text)
    return text


@pytest.mark.parametrize(
    "text",
    [
        "fe80::1", "a::b", "::", "ab:cd:ef", "jane@example.com", "+44 7700 900123", "SW1A 1AA",
        "what is botox", "action_listen", "faq/side_effects", "", "٣٤٥ ٦٧٨ ٩٠١٢",
    ],
)  # fmt: skip
def test_the_shortcut_changes_nothing(text: str) -> None:
    assert redact(text) == _every_rule(text)


def test_bot_answers_are_redacted_like_user_messages() -> None:
    said = "Call 07700 900123 or write to jane@example.com"
    user = redact_event({"event": "user", "text": said})
    bot = redact_event({"event": "bot", "text": said})
    assert bot["text"] == user["text"] == "Call [phone] or write to [email]"
