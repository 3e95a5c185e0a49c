"""Editing a safety rule file must retrain the safety step: Rasa's cache keys on this addon."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import ROOT
from bot.nlu.components import SafetyRouter


def test_an_edited_rule_file_changes_the_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    safety = tmp_path / "safety"
    shutil.copytree(ROOT / "data" / "safety", safety)
    monkeypatch.setenv("SAFETY_DIR", str(safety))
    before = SafetyRouter.fingerprint_addon({})
    assert SafetyRouter.fingerprint_addon({}) == before
    rules = safety / "red_flags.yml"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert SafetyRouter.fingerprint_addon({}) != before
