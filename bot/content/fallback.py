"""What to do with the FAQ entry selector's ranking: answer, ask which of two, or admit it is out
of scope."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

# Chosen on the development set (README, "Evaluation"): at or above this the best entry is
# answered, unless the second is within CLARIFY_MARGIN of it.
ANSWER_MIN_CONFIDENCE = 0.15
# Below this, a second guess is more often wrong than right: no "Did you mean", just say what the
# bot can do.
CLARIFY_MIN_CONFIDENCE = 0.15
# Top two entries closer than this (and both plausible) are offered as a choice, but only when
# the best is itself unsure (below CLARIFY_BELOW): a split between two likely entries is
# otherwise still usually right on the first.
CLARIFY_MARGIN = 0.02
CLARIFY_BELOW = 0.25


@dataclass(frozen=True)
class Decision:
    """`answer` one entry, `clarify` between two, or `none` (the out-of-scope reply)."""

    kind: str
    entries: tuple[str, ...] = ()


def clarify_candidates(
    ranking: Sequence[dict[str, Any]],
    known: Collection[str],
    min_confidence: float = CLARIFY_MIN_CONFIDENCE,
    margin: float = CLARIFY_MARGIN,
    below: float = 1.0,
) -> list[str]:
    """The two entries to offer, or [] when the message should get the out-of-scope reply.
    `ranking` holds {"name": entry id, "confidence": ...}, best first; `below`: offer a choice
    only when the best is under it."""
    candidates = [r for r in ranking if r.get("name") != "nlu_fallback"][:2]
    if len(candidates) < 2 or any(c.get("name") not in known for c in candidates):
        return []
    first, second = (float(c.get("confidence") or 0.0) for c in candidates)
    if second < min_confidence or first - second > margin or first >= below:
        return []
    return [str(c["name"]) for c in candidates]


def decide(
    ranking: Sequence[dict[str, Any]],
    known: Collection[str],
    answer_min: float = ANSWER_MIN_CONFIDENCE,
    margin: float = CLARIFY_MARGIN,
    below: float = CLARIFY_BELOW,
) -> Decision:
    """Answer the best entry when it is confident and clear of the second, else ask between
    the two closest, else nothing to offer."""
    candidates = clarify_candidates(ranking, known, margin=margin, below=below)
    if candidates:
        return Decision("clarify", tuple(candidates))
    best = next(iter(ranking), None)
    if best and best.get("name") in known and float(best.get("confidence") or 0) >= answer_min:
        return Decision("answer", (str(best["name"]),))
    return Decision("none")


def selector_ranking(parse_data: dict[str, Any], retrieval_intent: str) -> list[dict[str, Any]]:
    """The entry selector's ranking in Rasa's `response_selector` output, as
    [{"name": entry id, "confidence": ...}], best first."""
    selector = (parse_data.get("response_selector") or {}).get(retrieval_intent) or {}
    prefix = f"{retrieval_intent}/"
    return [
        {"name": str(r["intent_response_key"])[len(prefix) :], "confidence": r.get("confidence")}
        for r in selector.get("ranking") or []
        if str(r.get("intent_response_key", "")).startswith(prefix)
    ]
