"""`faqbot safety show` and `faqbot safety explain`."""

from __future__ import annotations

import pytest

from bot.ops.cli import main


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_show_prints_every_rule(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    assert main(["safety", "show", "--format", fmt]) == 0
    out = capsys.readouterr().out
    for rule in ["thunderclap_headache", "suicide_direct", "about_me", "cosmetic"]:
        assert rule in out
    order = "emergency rule > crisis rule > second net > personal-advice rule"
    assert order in out.replace("&gt;", ">")
    assert "scores on its own" in out and "drowsy" in out


def test_explain_lists_the_sentences_the_net_would_score_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = "Parking question first. Two years ago she was drowsy. Since lunch she is very confused."
    assert main(["safety", "explain", text]) == 0
    out = capsys.readouterr().out
    assert "scored alone in a long message: ['since lunch she is very confused.']" in out


def test_explain_says_which_threshold_of_the_second_net_applies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["safety", "explain", "she has been very sleepy and vague since lunch"]) == 0
    assert "a short message needs only the sign threshold" in capsys.readouterr().out
    assert main(["safety", "explain", "my laptop crashed, did my booking save?"]) == 0
    assert "no sign told as now: the second net needs its no-sign threshold" in (
        capsys.readouterr().out
    )


def test_explain_says_which_phrase_and_which_condition(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["safety", "explain", "my neck is stiff and I have a fever"]) == 0
    out = capsys.readouterr().out
    assert "fever_stiff_neck" in out and "'neck is stiff'" in out and "fever" in out
    assert "decision (rules only" in out and "emergency by rule" in out


def test_explain_says_why_a_rule_did_not_fire(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["safety", "explain", "can Botox cause trouble swallowing?"]) == 0
    out = capsys.readouterr().out
    assert "blocked: a general question" in out and "classifier by classifier" in out
