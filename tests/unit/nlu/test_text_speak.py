"""The text-speak table (bot/nlu/text_speak.yml) that TokenNormaliser reads."""

from __future__ import annotations

from bot.nlu.faq import text_speak


def test_each_shorthand_is_one_lower_case_token_read_as_one_word() -> None:
    table = text_speak()
    assert table["wen"] == "when" and table["u"] == "you"
    assert table["lang"] == "long" and table["jags"] == "injections"  # Scots
    assert table["divvent"] == "not" and table["yow"] == "you"  # Tyneside, Black Country
    for short, word in table.items():
        assert short == short.lower() and short.isalnum(), short
        assert word.isalpha() and " " not in word, word


def test_no_shorthand_is_a_word_questions_use_or_a_yaml_boolean() -> None:
    """ "on", "no" or "can" must stay words, and so must Scots "wee" and "dear" (English words
    too); YAML 1.1 reads bare `on`, `no`, `yes` as booleans, which would show as "true"."""
    words = {"on", "no", "yes", "can", "do", "is", "it", "in", "to", "true", "false", "wee", "dear"}
    assert not words & set(text_speak())
