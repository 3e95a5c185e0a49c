"""TokenNormaliser's `letter_frame`: a letter's greeting, polite request and sign-off are not
counted."""

from __future__ import annotations

import re

import pytest
from rasa.nlu.tokenizers.tokenizer import Token

from bot.nlu.faq import TokenNormaliser


def words(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in re.finditer(r"[\w.']+|[^\w\s]", text)]


def kept(text: str) -> str:
    return " ".join(t.text for t in TokenNormaliser._without_letter_frame(words(text), text))


def test_the_greeting_and_the_sign_off_with_its_name_go() -> None:
    text = "Dear Madam, Is it given to children? Yours faithfully, Mrs W. Trelawney"
    assert kept(text) == "Is it given to children ?"


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("Dear Dr. Shah, is it safe? Kind regards, Sam", "is it safe ?"),
        ("Dear team\nhow long does it last?\nBest wishes\nAnn", "how long does it last ?"),
        ("To whom it may concern: what does it cost? Many thanks.", "what does it cost ?"),
        (
            "Dear Sir, I should be most grateful if you could tell me whether it is painful?",
            "whether it is painful ?",
        ),
        (
            "We'd be grateful if someone would let us know what one round costs. Regards, Jo",
            "what one round costs.",
        ),
    ],
)
def test_other_greetings_and_sign_offs_go(text: str, left: str) -> None:
    assert kept(text) == left


@pytest.mark.parametrize(
    "text",
    [
        # "dear" that greets no one, and "regards" inside a sentence
        "dear god my head hurts, what is botox?",
        "With regards to the cost, how much is it",
        # a message that is little more than its frame
        "Dear team, thanks!",
    ],
)
def test_words_that_are_no_frame_stay(text: str) -> None:
    assert kept(text) == " ".join(t.text for t in words(text))
