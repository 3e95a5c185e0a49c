"""Telegram's message splitting and buttons, without servers."""

from __future__ import annotations

from bot.channels.telegram import outgoing_messages, split_text
from bot.content.answers import Reply


def test_text_over_telegrams_limit_is_split_at_line_breaks_and_keeps_every_word() -> None:
    paragraph = "word " * 500 + "\n"  # 2,501 characters
    text = paragraph * 4
    parts = split_text(text)
    assert len(parts) == 3
    assert all(len(part) <= 4096 for part in parts)
    assert parts[0].endswith("word") and parts[1].startswith("word")
    assert " ".join(parts).split() == text.split()


def test_characters_outside_the_bmp_count_twice_as_telegram_counts_them() -> None:
    parts = split_text("\U0001f600" * 2049)  # 4,098 UTF-16 units, no space to cut at
    assert [len(part) for part in parts] == [2048, 1]


def test_buttons_go_under_the_last_part_and_a_payload_over_64_bytes_is_left_out() -> None:
    reply = Reply(
        text="a " * 3000,
        topic="t",
        buttons=[
            {"title": "Side effects", "payload": "/side_effects"},
            {"title": "Too long", "payload": "/" + "x" * 64},
        ],
    )
    first, last = outgoing_messages(42, reply)
    assert "reply_markup" not in first and "parse_mode" not in first
    assert last["reply_markup"] == {
        "inline_keyboard": [[{"text": "Side effects", "callback_data": "/side_effects"}]]
    }
