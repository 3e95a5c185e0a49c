"""Reads Rasa NLU YAML files as plain data, for validation, evaluation and overlap checks."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from unicodedata import category

import yaml


def read_examples(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(text, intent) pairs of every NLU YAML file in `paths` (files or folders)."""
    pairs: list[tuple[str, str]] = []
    for path in paths:
        files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
        for file in files:
            document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            for block in document.get("nlu") or []:
                if "intent" not in block:
                    continue
                for line in str(block.get("examples", "")).splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        pairs.append((line[2:].strip(), block["intent"]))
    return pairs


def count_by_intent(pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, intent in pairs:
        counts[intent] = counts.get(intent, 0) + 1
    return counts


def normalise(text: str) -> str:
    """The form two examples are compared in when checking train/test overlap: lower case,
    punctuation dropped; letters, digits and symbols (emoji included) kept."""
    kept = (c for c in text.lower() if c.isalnum() or c.isspace() or category(c).startswith("S"))
    return " ".join("".join(kept).split())
