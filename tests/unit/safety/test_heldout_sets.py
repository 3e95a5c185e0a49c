"""The rules on the repository's held-out sets (development figures, not the blind sets): every
emergency and crisis message caught, no alarm on FAQ, warning-sign, near-domain or
personal-advice questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ROOT
from bot.nlu.data import read_examples
from bot.safety.rules import CompiledRules
from tests.unit.safety.conftest import fired_ids

HELDOUT = ROOT / "tests" / "data" / "heldout"
QUIET = ["faq.yml", "warning_sign_questions.yml", "near_domain_oos.yml", "personal_advice.yml"]


@pytest.mark.parametrize(
    ("name", "decision"), [("emergency.yml", "emergency"), ("crisis.yml", "crisis")]
)
def test_every_held_out_alarm_is_caught_by_a_rule(
    compiled_rules: CompiledRules, name: str, decision: str
) -> None:
    texts = [text for text, _ in read_examples([HELDOUT / name])]
    missed = [text for text in texts if not fired_ids(compiled_rules, text, decision)]
    assert len(texts) >= 20 and missed == []


@pytest.mark.parametrize("name", QUIET)
def test_no_emergency_or_crisis_rule_fires_on_questions(
    compiled_rules: CompiledRules, name: str
) -> None:
    texts = [text for text, _ in read_examples([Path(HELDOUT / name)])]
    alarms = [
        text
        for text in texts
        if fired_ids(compiled_rules, text, "emergency") or fired_ids(compiled_rules, text, "crisis")
    ]
    assert alarms == []
