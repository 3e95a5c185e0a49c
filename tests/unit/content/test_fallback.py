from __future__ import annotations

from bot.content.fallback import clarify_candidates

TOPICS = {"cost", "schedule", "procedure"}


def ranking(*pairs: tuple[str, float]) -> list[dict[str, object]]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def test_two_close_topics_are_offered() -> None:
    close = ranking(("nlu_fallback", 1.0), ("schedule", 0.39), ("procedure", 0.38))
    assert clarify_candidates(close, TOPICS) == ["schedule", "procedure"]


def test_a_clear_winner_is_not_a_question() -> None:
    clear = ranking(("schedule", 0.7), ("procedure", 0.2))
    assert clarify_candidates(clear, TOPICS) == []


def test_weak_guesses_get_the_out_of_scope_reply_instead() -> None:
    weak = ranking(("schedule", 0.15), ("procedure", 0.12))
    assert clarify_candidates(weak, TOPICS) == []


def test_a_non_topic_among_the_two_means_no_question() -> None:
    mixed = ranking(("out_of_scope", 0.4), ("procedure", 0.38))
    assert clarify_candidates(mixed, TOPICS) == []
