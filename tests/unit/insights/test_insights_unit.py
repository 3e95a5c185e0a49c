"""Feedback buttons on every channel, the insights page's access rules, training-data lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.channels.slack import answer_blocks
from bot.channels.socketio import as_socketio_message
from bot.channels.telegram import (
    MAX_CALLBACK_DATA_BYTES,
    feedback_data,
    outgoing_messages,
    payload_from_callback,
)
from bot.config import Settings
from bot.content.answers import Reply
from bot.content.knowledge import KnowledgeBase
from bot.insights import web
from bot.insights.feedback import answered_question, feedback_payload
from bot.insights.review import (
    Item,
    LabelError,
    append_example,
    label_intent,
    render_nlu_file,
    to_csv,
    training_example,
)

ANSWER = Reply(text="Answer.", topic="cost", buttons=[], faq="cost_overview")
TOKEN = "s3cret-token-for-unit-tests"


def test_the_feedback_payload_names_the_vote_and_the_entry() -> None:
    assert feedback_payload("up", "cost_overview") == (
        '/feedback{"vote":"up","faq_entry":"cost_overview"}'
    )


def test_widget_slack_and_telegram_offer_yes_and_no_under_an_faq_answer_only() -> None:
    message = as_socketio_message(ANSWER)
    assert message["metadata"]["faq"] == "cost_overview"
    assert message["metadata"]["feedback"]["down"] == feedback_payload("down", "cost_overview")
    assert "feedback" not in as_socketio_message(Reply(text="Hi", topic="greet"))["metadata"]

    blocks = answer_blocks(ANSWER)
    buttons = blocks[-1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Yes", "No"]
    assert [b["value"] for b in buttons] == [
        feedback_payload("up", "cost_overview"), feedback_payload("down", "cost_overview")
    ]  # fmt: skip
    assert len(answer_blocks(Reply(text="Hi", topic="greet"))) == 1

    [body] = outgoing_messages(1, ANSWER)
    [row] = body["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for b in row] == ["fb:up:cost_overview", "fb:down:cost_overview"]
    assert "reply_markup" not in outgoing_messages(1, Reply(text="Hi", topic="greet"))[0]


def test_telegram_feedback_fits_64_bytes_for_every_entry_and_comes_back_whole(
    kb: KnowledgeBase,
) -> None:
    for entry in kb.entry_ids:
        for vote in ("up", "down"):
            data = feedback_data(vote, entry)
            assert len(data.encode()) <= MAX_CALLBACK_DATA_BYTES
            assert payload_from_callback(data) == feedback_payload(vote, entry)
    assert payload_from_callback('/faq{"faq_entry":"x"}') == '/faq{"faq_entry":"x"}'


def test_a_vote_is_stored_with_the_words_that_got_the_answer() -> None:
    events: list[dict[str, Any]] = [
        {"event": "user", "text": "how much is it"},
        {"event": "bot", "metadata": {"topic": "cost", "faq": "cost_overview"}},
        {"event": "user", "text": '/faq{"faq_entry":"side_effects_overview"}'},
        {"event": "bot", "metadata": {"topic": "side_effects", "faq": "side_effects_overview"}},
    ]
    assert answered_question(events, "cost_overview") == ("cost", "how much is it")
    assert answered_question(events, "side_effects_overview") == ("side_effects", None)
    assert answered_question(events, "nowhere") == ("", None)


# --- the page's access rules --------------------------------------------------------------------


class Headers(dict):
    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key, default)


def app(token: str | None = TOKEN) -> web.InsightsApp:
    return web.InsightsApp(Settings.from_env({"INSIGHTS_TOKEN": token or ""}))


def test_without_insights_token_the_page_does_not_exist() -> None:
    off = app(None)
    assert off.get("/insights", "", Headers()).status == 404
    assert (
        off.get("/insights/api/figures", "", Headers({"Authorization": "Bearer x"})).status == 404
    )
    assert off.post("/insights/login", Headers(), b"token=").status == 404
    assert off.get("/index.html", "", Headers()) is None  # the demo page is served as before


def test_without_the_token_nothing_is_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web, "FAILED_LOGIN_DELAY", 0)
    on = app()
    page = on.get("/insights", "", Headers())
    assert page.status == 401 and b"Access token" in page.body
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Cookie": f"faqbot_insights={TOKEN}"}):
        assert on.get("/insights/api/figures", "", Headers(headers)).status == 401
        assert on.post("/insights/api/label", Headers(headers), b"{}").status == 401
    refused = on.post("/insights/login", Headers(), b"token=wrong")
    assert refused.status == 401 and not dict(refused.headers).get("Set-Cookie")


def test_the_login_form_sets_an_httponly_cookie_that_is_not_the_token() -> None:
    on = app()
    answer = on.post("/insights/login", Headers(), f"token={TOKEN}".encode())
    assert answer.status == 303
    cookie = dict(answer.headers)["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    assert on.authorised(Headers({"Cookie": f"other=1; faqbot_insights={value}"}))
    assert on.authorised(Headers({"Authorization": f"Bearer {TOKEN}"}))
    assert not on.authorised(Headers({"Authorization": f"Bearer {TOKEN}x"}))
    assert on.post("/insights/api/label", Headers({"Authorization": f"Bearer {TOKEN}"}),
                   b"key=x").status == 415  # fmt: skip


def test_the_token_is_a_secret_in_the_settings() -> None:
    settings = Settings.from_env({"INSIGHTS_TOKEN": TOKEN})
    assert TOKEN not in repr(settings)
    assert web.CSP.startswith("default-src 'none'") and "connect-src 'self'" in web.CSP


# --- labels as training data --------------------------------------------------------------------


def test_a_label_becomes_one_line_of_training_data_without_entity_markup() -> None:
    assert training_example("email me at a@b.com\nplease") == "email me at [email] please"
    assert "](" not in training_example('[click](here) or [x]{"entity": "y"}')
    assert label_intent("cost_overview", ["cost_overview"]) == "faq/cost_overview"
    assert label_intent("out of scope", []) == "out_of_scope"
    assert label_intent("ignore", []) is None
    with pytest.raises(LabelError):
        label_intent("no_such_entry", ["cost_overview"])


def test_the_reviewed_file_is_valid_empty_and_grows_by_intent(tmp_path: Path) -> None:
    path = tmp_path / "reviewed.yml"
    path.write_text(render_nlu_file([]))
    assert yaml.safe_load(path.read_text())["nlu"] == []
    assert append_example(path, "out_of_scope", "is there parking")
    assert not append_example(path, "out_of_scope", "Is there parking?")  # already there
    assert append_example(path, "faq/cost_overview", "what will I pay")
    with pytest.raises(LabelError):
        append_example(path, "faq/cost_overview", "is there parking")
    document = yaml.safe_load(path.read_text())
    assert document["version"] == "3.1"
    assert document["nlu"] == [
        {"intent": "out_of_scope", "examples": "- is there parking\n"},
        {"intent": "faq/cost_overview", "examples": "- what will I pay\n"},
    ]


def test_the_csv_export_holds_no_formula() -> None:
    text = to_csv([Item(key="k", text="=HYPERLINK(1)", count=2, reasons=["out_of_scope"])])
    assert "'=HYPERLINK(1)" in text
    assert json.dumps(text)
