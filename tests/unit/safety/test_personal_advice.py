"""The personal-decision phrase list (data/safety/personal_advice.yml), checked on the project's
own spaCy pipeline and data."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.config import ROOT, Settings
from bot.nlu.data import read_examples
from bot.safety.rules import CompiledRules, load_rules


class PersonalAdviceDetector:
    """The personal-advice rules of the rule book, as the old detector's interface."""

    def __init__(self, nlp: Any) -> None:
        self.rules = CompiledRules(load_rules(Settings().safety_dir), nlp)

    def kinds_in(self, text: str) -> tuple[str, ...]:
        matches = self.rules.check(self.rules.parse(text))
        return tuple(
            sorted({m.rule_id for m in matches if m.fired and m.decision == "personal_advice"})
        )


@pytest.fixture(scope="module")
def detector(spacy_pipeline: Any) -> PersonalAdviceDetector:
    return PersonalAdviceDetector(spacy_pipeline)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("is it ok for me to go skiing the day after my injections", "about_me"),
        ("I have diabetes, is botox safe for me?", "about_me"),
        ("is botox a good idea for someone like me with 16 headache days", "people_like_me"),
        ("what would you do in my position, botox or tablets", "asks_for_a_decision"),
        ("how many units should I ask my neurologist for", "asks_for_a_decision"),
        ("do i need to stop my amitriptyline before botox", "changes_my_medicines"),
        ("can i skip my preventer tablets on injection day", "changes_my_medicines"),
        ("I'm pregnant, can I keep my appointment next week", "pregnancy_now"),
    ],
)
def test_each_kind_of_phrase_is_found(
    detector: PersonalAdviceDetector, text: str, kind: str
) -> None:
    assert kind in detector.kinds_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "is it safe for me to visit malawi",  # not about treatment
        "is botox safe in pregnancy",  # a general question: the FAQ answers it
        "what should I ask my doctor about botox",
        "how many units are used in a treatment",
        "how does it stop my migraines",  # what Botox is for, not a change of medicine
    ],
)
def test_general_questions_are_not_personal_advice(
    detector: PersonalAdviceDetector, text: str
) -> None:
    assert detector.kinds_in(text) == ()


def test_no_message_of_another_intent_in_our_data_or_clinc150_is_caught(
    detector: PersonalAdviceDetector,
) -> None:
    ours = read_examples(sorted((ROOT / "data/nlu").glob("*.yml")))
    ours += read_examples(sorted((ROOT / "tests/data/heldout").glob("*.yml")))
    clinc = json.loads(Settings.from_env().clinc_path.read_text(encoding="utf-8"))
    others = [text for text, intent in ours if intent != "personal_advice"]
    others += [text for rows in clinc.values() for text, _ in rows]
    caught = [text for text in others if detector.kinds_in(text)]
    assert len(others) > 25_000 and caught == []
