"""The autocorrect table (bot/nlu/autocorrect.yml) that TokenNormaliser reads."""

from __future__ import annotations

from bot.nlu.faq import autocorrect


def test_each_entry_is_one_or_two_tokens_read_as_one_word() -> None:
    table = autocorrect()
    assert table["Box"] == "botox" and table["migrant"] == "migraine"
    assert table["bo tox"] == "botox" and table["my grains"] == "migraines"
    for typed, meant in table.items():
        assert all(part.isalpha() for part in typed.split(" ")) and len(typed.split(" ")) <= 2
        assert meant.isalpha() and meant == meant.lower(), typed


def test_dictated_pairs_become_one_token() -> None:
    """Voice-to-text writes "bo tox" and "my grains": each pair is counted as our one word,
    and a word that only starts a pair ("my head") stays as it is."""
    from rasa.nlu.tokenizers.tokenizer import Token

    from bot.nlu.faq import TokenNormaliser

    words = "can bo tox help my grains and my head".split()
    tokens, at = [], 0
    for word in words:
        tokens.append(Token(word, at, at + len(word)))
        at += len(word) + 1
    joined = TokenNormaliser._joined(tokens)
    assert [t.text for t in joined] == ["can", "botox", "help", "migraines", "and", "my", "head"]
    assert (joined[1].start, joined[1].end) == (4, 10)


def test_a_lower_case_box_stays_a_box() -> None:
    """Only autocorrect's capital "Box" stands for Botox: "tick the box" and "the boxed
    warning" keep their own sense."""
    assert "box" not in autocorrect()


def test_the_normaliser_reads_the_token_as_typed() -> None:
    """SpacyNLP lower-cases the text the tokenizer sees, so the case comes from the message."""
    from rasa.nlu.tokenizers.tokenizer import Token

    from bot.nlu.faq import TokenNormaliser

    normaliser = TokenNormaliser({}, None, None)  # type: ignore[arg-type]
    text = "is Box safe in a box"
    typed_box, lower_box = Token("box", 3, 6), Token("box", 17, 20)
    assert normaliser._word_meant(typed_box, text) == "botox"
    assert normaliser._word_meant(lower_box, text) is None
    assert normaliser._word_meant(Token("migrant", 0, 7), "Migrant days") == "migraine"
    assert normaliser._word_meant(Token("u", 0, 1), "u ok") == "you"
