"""The red-flag list (data/safety/red_flags.yml), checked on the project's own spaCy pipeline."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bot.config import Settings
from bot.safety.rules import CompiledRules, load_rules

BOOK = load_rules(Settings().safety_dir)


class RedFlagDetector:
    """The emergency rules of the rule book, as the old detector's interface."""

    def __init__(self, nlp: Any) -> None:
        self.rules = CompiledRules(BOOK, nlp)

    def detect(self, text: str) -> Any:
        matches = [m for m in self.rules.check(self.rules.parse(text)) if m.decision == "emergency"]
        flags = tuple(sorted({m.rule_id for m in matches if m.fired}))
        general = tuple(
            sorted({m.rule_id for m in matches if "general question" in m.why} - set(flags))
        )
        return SimpleNamespace(flags=flags, general_questions=general)


@pytest.fixture(scope="module")
def detector(spacy_pipeline: Any) -> RedFlagDetector:
    return RedFlagDetector(spacy_pipeline)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("I suddenly have the worst headache of my life", "thunderclap_headache"),
        ("my head feels like it exploded a minute ago", "thunderclap_headache"),
        ("my wife's speech is slurred and she has a headache", "stroke_signs"),
        ("his face is drooping on one side", "stroke_signs"),
        ("i cant lift my left arm and my head is pounding", "stroke_signs"),
        ("i'm seeing double with this migraine", "vision_loss"),
        ("my dad is suddenly confused and has a headache", "confusion_drowsiness_fainting"),
        ("I passed out and woke up with a headache", "confusion_drowsiness_fainting"),
        ("high temperature and my neck is really stiff", "fever_stiff_neck"),
        ("she has a rash that doesn't fade under a glass", "non_blanching_rash"),
        ("I banged my head this morning and it's getting worse", "head_injury"),
        ("my brother just had a seizure", "seizure"),
        ("had botox yesterday and now I can't swallow", "swallowing_speaking_breathing"),
        ("im struggling to breathe since the injections", "swallowing_speaking_breathing"),
        ("the weakness is spreading down my arms", "spreading_weakness"),
        ("my lips are swelling up after the botox", "allergic_reaction"),
        ("I'm wheezing after my appointment", "allergic_reaction"),
    ],
)
def test_each_red_flag_is_found(detector: RedFlagDetector, text: str, flag: str) -> None:
    assert flag in detector.detect(text).flags


def test_a_red_flag_inside_a_longer_message_is_found(detector: RedFlagDetector) -> None:
    detection = detector.detect("what is botox? also I suddenly have the worst headache of my life")
    assert detection.flags == ("thunderclap_headache",)


@pytest.mark.parametrize(
    "text",
    [
        "can Botox cause trouble swallowing?",
        "is swelling of the face a possible reaction",
        "can botox make your speech slurred",
        "what are the side effects of botox",
        "I'm confused about the cost",
        "I have a bad headache most days, would botox help?",
        "does a stiff neck after the injections go away",
    ],
)
def test_general_questions_and_ordinary_words_are_not_alarms(
    detector: RedFlagDetector, text: str
) -> None:
    assert detector.detect(text).flags == ()


def test_a_general_question_is_still_reported_as_touching_a_flag(
    detector: RedFlagDetector,
) -> None:
    detection = detector.detect("can Botox cause trouble swallowing?")
    assert detection.general_questions == ("swallowing_speaking_breathing",)


def test_a_stiff_neck_alone_is_a_side_effect_but_with_fever_an_emergency(
    detector: RedFlagDetector,
) -> None:
    assert detector.detect("my neck is stiff after my botox").flags == ()
    assert detector.detect("my neck is stiff and I have a fever").flags == ("fever_stiff_neck",)


def test_every_flag_is_described_for_review() -> None:
    flags = [rule for file, rule in BOOK.rules if file.decision == "emergency"]
    assert len({flag.id for flag in flags}) == len(flags)
    for flag in flags:
        assert flag.description.endswith(".") and (flag.phrases or flag.patterns)
