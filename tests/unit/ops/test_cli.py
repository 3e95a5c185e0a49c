"""`faqbot`'s argument checks (no database is opened)."""

from __future__ import annotations

import pytest

from bot.ops.cli import main


@pytest.mark.parametrize("days", ["0", "-3", "1.5", "thirty", ""])
def test_days_must_be_a_positive_whole_number(
    days: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["purge", "--older-than", days])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert f"--older-than: must be a positive whole number of days, not {days!r}" in error
    assert "Traceback" not in error
