"""Slack's message format and settings, without servers."""

from __future__ import annotations

import pytest

from bot.channels.slack import MAX_SECTION_CHARS, SlackInput, SlackOff, SlackSettings, answer_blocks
from bot.content.answers import Reply


def test_an_answer_becomes_escaped_mrkdwn_sections_and_payload_buttons() -> None:
    reply = Reply(
        text="Costs <vary> & so on.\n\nSource: NICE.",
        topic="cost",
        buttons=[{"title": "Side effects", "payload": "/side_effects"}],
    )
    assert answer_blocks(reply) == [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Costs &lt;vary&gt; &amp; so on.\n\nSource: NICE."},
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "faqbot_button_0",
                    "text": {"type": "plain_text", "text": "Side effects"},
                    "value": "/side_effects",
                }
            ],
        },
    ]


def test_a_long_text_is_split_into_sections_within_slacks_limit_and_kept_whole() -> None:
    paragraphs = ["a" * 2_000, "&" * 700, "b" * 7_000]
    blocks = answer_blocks(Reply(text="\n\n".join(paragraphs), topic="t"))
    texts = [block["text"]["text"] for block in blocks]
    assert all(len(text) <= MAX_SECTION_CHARS for text in texts)
    assert "".join(texts).replace("&amp;", "&").replace("\n", "") == "".join(paragraphs)
    assert all(not text.endswith(("&", "&a", "&am", "&amp")) for text in texts)


def test_settings_need_both_secrets_and_end_the_api_url_with_a_slash() -> None:
    assert SlackSettings.from_env({"SLACK_BOT_TOKEN": "x"}) is None
    assert SlackSettings.from_env({"SLACK_SIGNING_SECRET": "y"}) is None
    settings = SlackSettings.from_env(
        {"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y", "SLACK_API_BASE_URL": "http://h/api"}
    )
    assert settings == SlackSettings("x", "y", "http://h/api/")
    default = SlackSettings.from_env({"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y"})
    assert default is not None
    assert default.api_base_url == "https://slack.com/api/"


def test_secrets_in_the_credentials_file_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    credentials = {"slack_token": "xoxb-file", "slack_signing_secret": "from-file"}
    assert isinstance(SlackInput.from_credentials(credentials), SlackOff)
