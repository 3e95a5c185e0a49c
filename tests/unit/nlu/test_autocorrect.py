"""The autocorrect table (bot/nlu/autocorrect.yml) that TokenNormaliser reads."""

from __future__ import annotations

from bot.nlu.faq import autocorrect


def test_each_entry_is_one_token_read_as_one_word() -> None:
    table = autocorrect()
    assert table["Box"] == "botox" and table["migrant"] == "migraine"
    for typed, meant in table.items():
        assert typed.isalpha() and meant.isalpha() and meant == meant.lower(), typed


def test_a_lower_case_box_stays_a_box() -> None:
    """Only autocorrect's capital "Box" stands for Botox: "tick the box" and "the boxed
    warning" keep their own sense."""
    assert "box" not in autocorrect()
