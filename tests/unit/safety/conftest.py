"""The safety rules compiled once on the project's spaCy pipeline (the `spacy_pipeline` fixture)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Settings
from bot.safety.rules import CompiledRules, RuleBook, load_rules

BOOK: RuleBook = load_rules(Settings().safety_dir)


@pytest.fixture(scope="session")
def compiled_rules(spacy_pipeline: Any) -> CompiledRules:
    return CompiledRules(BOOK, spacy_pipeline)


def fired_ids(
    rules: CompiledRules, text: str, decision: str, intent: str | None = None
) -> set[str]:
    return {
        m.rule_id
        for m in rules.check(rules.parse(text), intent)
        if m.fired and m.decision == decision
    }
