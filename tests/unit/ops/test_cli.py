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


def test_slack_manifest_fills_in_the_request_url_only(capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    from bot.ops.deploy import PLACEHOLDER, SLACK_MANIFEST

    assert PLACEHOLDER == "REQUEST_URL"
    raw = yaml.safe_load(SLACK_MANIFEST.read_text())
    assert raw["settings"]["event_subscriptions"]["request_url"] == PLACEHOLDER
    for url in ("https://bot.example.org", "https://bot.example.org/webhooks/slack/webhook"):
        assert main(["slack-manifest", "--url", url]) == 0
        printed = capsys.readouterr().out
        manifest = yaml.safe_load(printed)
        expected = "https://bot.example.org/webhooks/slack/webhook"
        assert manifest["settings"]["event_subscriptions"]["request_url"] == expected
        assert manifest["settings"]["interactivity"]["request_url"] == expected
        assert PLACEHOLDER not in printed.replace("# REQUEST_URL below", "")
        assert {k: v for k, v in manifest.items() if k != "settings"} == {
            k: v for k, v in raw.items() if k != "settings"
        }


@pytest.mark.parametrize("url", ["http://bot.example.org", "bot.example.org", "https://", ""])
def test_slack_manifest_wants_an_https_url(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack-manifest", "--url", url]) == 2
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1 and "https://" in error
