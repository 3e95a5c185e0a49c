"""What to do with a message the classifier is unsure about: ask, or admit it is out of scope."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

# Measured on the held-out set (README, "Choosing the pipeline"): below this, a topic guess is
# more often wrong than right, so the bot says what it can do instead of asking.
CLARIFY_MIN_CONFIDENCE = 0.2
# Top two topics closer than this are offered as a choice.
CLARIFY_MARGIN = 0.1


def clarify_candidates(
    ranking: Sequence[dict[str, Any]],
    topics: Collection[str],
    min_confidence: float = CLARIFY_MIN_CONFIDENCE,
    margin: float = CLARIFY_MARGIN,
) -> list[str]:
    """The two topics to offer, or [] when the message should get the out-of-scope reply."""
    candidates = [r for r in ranking if r.get("name") != "nlu_fallback"][:2]
    if len(candidates) < 2 or any(c.get("name") not in topics for c in candidates):
        return []
    first, second = (float(c.get("confidence") or 0.0) for c in candidates)
    if second < min_confidence or first - second > margin:
        return []
    return [str(c["name"]) for c in candidates]
