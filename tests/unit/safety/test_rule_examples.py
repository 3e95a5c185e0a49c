"""Every rule's own examples (data/safety/*.yml must_match / must_not_match), one test each, and
the review's wordings (content-2026-11.md C1, C2, I9)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.safety.rules import CompiledRules, RuleBookError, load_rules
from tests.unit.safety.conftest import BOOK, fired_ids

MUST_MATCH = [
    pytest.param(f.decision, r.id, text, id=f"{r.id}: {text}")
    for f, r in BOOK.rules
    for text in r.must_match
]
MUST_NOT_MATCH = [
    pytest.param(f.decision, r.id, text, id=f"{r.id}: {text}")
    for f, r in BOOK.rules
    for text in r.must_not_match
]


@pytest.mark.parametrize(("decision", "rule", "text"), MUST_MATCH)
def test_must_match(compiled_rules: CompiledRules, decision: str, rule: str, text: str) -> None:
    assert rule in fired_ids(compiled_rules, text, decision)


@pytest.mark.parametrize(("decision", "rule", "text"), MUST_NOT_MATCH)
def test_must_not_match(compiled_rules: CompiledRules, decision: str, rule: str, text: str) -> None:
    """No rule of the same decision fires (not only this one)."""
    assert fired_ids(compiled_rules, text, decision) == set()


# Review C1: each of these got no emergency reply.
C1 = [
    "I'm having an allergic reaction to my botox",
    "hives all over",
    "my throat feels tight",
    "neck stiffness and a fever",
    "I have a high temperature and a rash",
    "my child has purple spots and a fever",
    "voice has gone hoarse and I'm drooling",
    "can't control my bladder",
    "vision is blurry and both eyelids are drooping",
    "I'm breathless",
    "struggling for breath",
    "I cannot hold my head up",
    "I can't raise my arm",
    "he can't smile",
    "mouth has dropped on one side",
    "pins and needles down one side",
    "peaked within a minute",
    "hit me out of nowhere, worst I have ever had",
    "concussion",
    "knocked out",
    "banged head on the floor",
]
# The further wordings.
MORE = [
    "my son has a fever and a stiff neck",
    "she has a purple rash that doesn't fade when you press a glass on it",
    "blurred vision since my botox yesterday",
    "double vision after the injections",
    "his speech is slurred",
    "I just had a fit",
    "I suddenly lost the vision in my left eye",
    "my whole body feels weak and my breathing is shallow",
    "my toddler has a high fever and a rash",
    "my lips and tongue are swelling",
]


@pytest.mark.parametrize("text", C1 + MORE)
def test_the_reviews_wordings_get_the_emergency_reply(
    compiled_rules: CompiledRules, text: str
) -> None:
    assert fired_ids(compiled_rules, text, "emergency")


@pytest.mark.parametrize(
    "text",
    [
        "can Botox cause trouble swallowing?",
        "what side effects need urgent attention?",
        "what are the signs of an allergic reaction to botox",
        "my migraine came on slowly this afternoon like it always does",
        "having a bad migraine week, the usual throbbing and nausea",
        "my head hurts, but its my normal chronic migraine",
        "I get the flashing lights before my migraines, same as always",
    ],
)
def test_general_questions_and_everyday_migraine_do_not_alarm(
    compiled_rules: CompiledRules, text: str
) -> None:
    assert fired_ids(compiled_rules, text, "emergency") == set()
    assert fired_ids(compiled_rules, text, "crisis") == set()


def test_ids_are_unique_and_every_rule_is_described_and_sourced() -> None:
    ids = [r.id for _, r in BOOK.rules]
    assert len(ids) == len(set(ids))
    for _, rule in BOOK.rules:
        assert rule.description and rule.source.url and rule.must_match


def test_the_files_come_in_router_order() -> None:
    assert [f.decision for f in BOOK.files] == [
        "emergency",
        "crisis",
        "personal_advice",
        "out_of_scope",
    ]


def _write_rule_files(directory: Path, rule: dict) -> None:
    for name, decision in [
        ("red_flags.yml", "emergency"),
        ("crisis.yml", "crisis"),
        ("personal_advice.yml", "personal_advice"),
        ("off_topic.yml", "out_of_scope"),
    ]:
        rules = [rule] if decision == "emergency" else []
        document = {"version": 1, "decision": decision, "description": "x", "safety_rules": rules}
        (directory / name).write_text(yaml.safe_dump(document))


GOOD_RULE = {
    "id": "x",
    "category": "c",
    "description": "d",
    "phrases": ["a b"],
    "source": {"name": "n", "url": "https://example.org"},
    "must_match": ["a b"],
}


@pytest.mark.parametrize(
    "change",
    [
        {"phrases": [], "patterns": []},  # matches nothing
        {"must_match": []},  # no example
        {"source": {"name": "n"}},  # no address
        {"only_with": ["@nowhere"]},  # a word list the file does not have
        {"phrases": ["a b", "A b"]},  # a phrase twice
        {"except_phrases": ["a b c", "a b c"]},  # an exception twice
        {"except_phrases": ["so confused", "is"]},  # a comma split "so confused, is"
        {"general_questions": "exempt"},  # needs the question word lists
        {"typo_field": 1},  # unknown field
    ],
)
def test_a_broken_rule_file_is_refused(tmp_path: Path, change: dict) -> None:
    _write_rule_files(tmp_path, {**GOOD_RULE, **change})
    with pytest.raises(RuleBookError):
        load_rules(tmp_path)


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    """A lost `- id:` line while editing merges two rules into one mapping."""
    _write_rule_files(tmp_path, GOOD_RULE)
    path = tmp_path / "red_flags.yml"
    twice = "  description: d\n  description: e\n"
    path.write_text(path.read_text().replace("  description: d\n", twice))
    with pytest.raises(RuleBookError, match="given twice"):
        load_rules(tmp_path)


def test_a_good_rule_file_loads(tmp_path: Path) -> None:
    _write_rule_files(tmp_path, GOOD_RULE)
    assert [r.id for _, r in load_rules(tmp_path).rules] == ["x"]
