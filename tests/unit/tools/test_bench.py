"""`make bench`'s parts that must be right for its figures to mean anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tools.bench import LoadResult, problem, summarise_profile
from tools.scoring import percentile


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, [{"text": "Hello"}], None),
        (200, [{"image": "https://i.example/cat.jpg"}], None),
        (500, None, "HTTP 500"),
        (200, [], "no reply"),
        (200, [{"text": ""}], "empty message"),
        (200, [{"text": "Sorry", "metadata": {"topic": "unavailable"}}], "unavailable"),
    ],
)
def test_what_counts_as_an_error(status: int, body: Any, error: str | None) -> None:
    assert problem(status, body) == error


def test_percentiles_are_the_shared_interpolated_definition() -> None:
    latencies = [i / 1000 for i in range(1, 101)]
    result = LoadResult(users=1, latencies=latencies)
    assert [result.percentile_ms(q) for q in (50, 95, 99)] == pytest.approx([50.5, 95.05, 99.01])
    assert result.percentile_ms(95) == pytest.approx(1000 * percentile(latencies, 95))


def test_the_profile_summary_leaves_idle_time_out_of_the_cost_centres(tmp_path: Path) -> None:
    site = "/x/.venv/lib/python3.10/site-packages"
    handle = f"handle_message ({site}/rasa/core/processor.py:10)"
    raw = tmp_path / "profile.txt"
    raw.write_text(
        f"thread (0x1);serve ({site}/sanic/server/runners.py:155) 60\n"
        f"thread (0x1);{handle};_validate_action_result ({site}/rasa/core/actions/action.py:9) 30\n"
        f"thread (0x1);{handle};do_commit ({site}/sqlalchemy/engine/default.py:686) 10\n"
    )
    lines = summarise_profile(raw)
    assert lines[0].startswith("  busy 40% of 100 samples")
    assert "     40.0%  handling a message in total" in lines
    assert "     30.0%      JSON-schema check of its answer" in lines
    assert "     75.0%  rasa" in lines  # of the busy samples, by innermost frame
