"""The urgent replies: short, the action first, the numbers from the one setting."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.safety.replies import KINDS, compose, load_templates

TEMPLATES = load_templates(Settings().safety_dir)
NUMBERS = Settings().emergency_numbers


def test_the_default_numbers() -> None:
    assert NUMBERS == "999, 911 or 112"
    assert Settings.from_env({"EMERGENCY_NUMBERS": "000 or 112"}).emergency_numbers == "000 or 112"


def test_the_emergency_reply_is_short_and_starts_with_the_action() -> None:
    reply = compose("emergency", NUMBERS, TEMPLATES)
    assert reply.text.splitlines()[0] == "Call 999, 911 or 112 now."
    words = [w for w in reply.text.split() if any(c.isalnum() for c in w)]  # not the bullets
    assert len(words) <= 60
    bullets = [line for line in reply.text.splitlines() if line.startswith("- ")]
    assert len(bullets) >= 5
    for sign in ["eyelids", "blurred vision", "hoarse", "bladder", "wheezing", "hives", "faint"]:
        assert sign in reply.text  # review I6
    assert "even if it passes" in reply.text
    assert reply.topic == "emergency"


def test_the_crisis_reply_has_the_crisis_lines_and_the_emergency_number() -> None:
    reply = compose("crisis", NUMBERS, TEMPLATES)
    assert "116 123" in reply.text and "988" in reply.text and NUMBERS in reply.text
    assert reply.topic == "crisis"
    assert len(reply.text.split()) <= 70


@pytest.mark.parametrize("kind", ["urgent_unconfirmed", "personal_advice"])
def test_the_other_safety_replies_carry_the_numbers(kind: str) -> None:
    reply = compose(kind, NUMBERS, TEMPLATES)
    assert NUMBERS in reply.text and "NHS 111" in reply.text
    assert reply.topic == kind


def test_the_refusal_still_says_to_get_urgent_help_and_offers_topics() -> None:
    reply = compose("personal_advice", NUMBERS, TEMPLATES)
    assert "get urgent medical help now" in reply.text
    assert [b["payload"] for b in reply.buttons] == [
        '/faq{"faq_entry":"see_a_doctor_overview"}',
        '/faq{"faq_entry":"eligibility_overview"}',
        '/faq{"faq_entry":"side_effects_overview"}',
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_the_numbers_come_from_the_setting(kind: str) -> None:
    reply = compose(kind, "000 or 112", TEMPLATES)
    assert "000 or 112" in reply.text and "999, 911" not in reply.text


def test_the_c_loader_reads_every_safety_file_as_the_python_one_does() -> None:
    import yaml

    from bot.config import Settings
    from bot.safety.rules import SAFE_LOADER

    for path in sorted(Settings().safety_dir.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=SAFE_LOADER) == yaml.safe_load(text), path.name
