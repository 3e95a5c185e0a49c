"""Training data and held-out data: enough examples, and no overlap between them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.config import ROOT, Settings
from bot.content.knowledge import MIN_NLU_EXAMPLES, KnowledgeBase
from bot.nlu.data import count_by_intent, normalise, read_examples
from tools.clinc import EVALUATION_SPLITS, HANDLED_HERE

TRAINING = read_examples([ROOT / "data" / "nlu"])
HELDOUT_DIR = ROOT / "tests" / "data" / "heldout"


def test_every_faq_entry_has_enough_training_examples(kb: KnowledgeBase) -> None:
    counts = count_by_intent(TRAINING)
    assert all(counts.get(f"faq/{e}", 0) >= MIN_NLU_EXAMPLES for e in kb.entry_ids), counts


def test_each_entry_s_own_question_trains_its_entry(kb: KnowledgeBase) -> None:
    """The FAQ's question is the plainest wording of its entry (a few are also test messages,
    held-out or blind, which must stay out of training)."""
    trained = {(normalise(text), intent) for text, intent in TRAINING}
    tests = {normalise(t) for t, _ in read_examples(sorted(HELDOUT_DIR.glob("*.yml")))}
    for path in (ROOT / "tests" / "data" / "blind").rglob("*.yml"):
        tests |= {normalise(str(item["text"])) for item in yaml.safe_load(path.read_text("utf-8"))}
    missing = [
        e.id
        for e in kb.entries
        if (normalise(e.question), f"faq/{e.id}") not in trained
        and normalise(e.question) not in tests
    ]
    assert missing == []


def test_no_blind_set_message_is_trained_on() -> None:
    """Blind sets measure wordings the model has not seen: none of their messages is an NLU
    example or a second-net message (short search queries can coincide by chance)."""
    from bot.safety.net import net_examples

    trained = {normalise(t) for t, _ in TRAINING}
    trained |= {normalise(t) for t, _ in net_examples(Settings().safety_dir / "net")}
    seen = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "tests" / "data" / "blind").rglob("*.yml"))
        for item in yaml.safe_load(path.read_text("utf-8"))
        if normalise(str(item["text"])) in trained
    ]
    assert seen == []


def test_no_training_example_is_labelled_twice() -> None:
    labels: dict[str, set[str]] = {}
    for text, intent in TRAINING:
        labels.setdefault(normalise(text), set()).add(intent)
    assert {text: i for text, i in labels.items() if len(i) > 1} == {}


@pytest.mark.parametrize("heldout", sorted(HELDOUT_DIR.glob("*.yml")), ids=lambda p: p.name)
def test_heldout_examples_never_appear_in_training(heldout: Path) -> None:
    training = {normalise(text) for text, _ in TRAINING}
    overlap = [text for text, _ in read_examples([heldout]) if normalise(text) in training]
    assert overlap == []


def test_clinc_evaluation_queries_are_not_trained_on() -> None:
    """CLINC intents this bot handles itself (greetings, ...) are not out-of-scope evaluation."""
    data = json.loads(Settings.from_env().clinc_path.read_text())
    training = {normalise(text) for text, _ in TRAINING}
    evaluation = {
        normalise(text)
        for split in EVALUATION_SPLITS
        for text, intent in data[split]
        if intent not in HANDLED_HERE
    }
    assert training & evaluation == set()
