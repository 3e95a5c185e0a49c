"""The insights loop end to end, in headless Chromium, on SQLite and on PostgreSQL: a person asks in
the widget and votes; staff sign in to /insights, find the vote, label an unanswered message, and
`faqbot report --json` agrees. Screenshots go to tests/artifacts/ (docs/images/ holds copies).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.config import ROOT
from bot.ops.serve import BotServers
from tests.support import BotFactory, knowledge_database, knowledge_sqlite

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ARTIFACTS = ROOT / "tests" / "artifacts"
ANSWER_MS = 30_000
TOKEN = "a-long-random-insights-token-for-the-tests"
TITLE = "Botox & migraine FAQ"
QUESTION = "what are the side effects of botox for migraine"
UNANSWERED = "what's the weather like in london tomorrow"
REPORT_KEYS = {
    "conversations", "messages", "per_topic", "per_entry", "answered_rate", "out_of_scope_rate",
    "clarify_rate", "emergencies", "feedback", "unanswered",
}  # fmt: skip


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database with the knowledge base, per module run: SQLite, then PostgreSQL."""
    with ExitStack() as stack:
        if request.param == "postgres":
            admin = request.getfixturevalue("postgres_admin_url")
            yield stack.enter_context(knowledge_database(admin))
        else:
            yield knowledge_sqlite(tmp_path_factory.mktemp("insights-sqlite"))


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Path:
    """A copy of data/nlu/reviewed.yml: the test must not change the repository's."""
    path = tmp_path_factory.mktemp("reviewed") / "reviewed.yml"
    shutil.copy(ROOT / "data" / "nlu" / "reviewed.yml", path)
    return path


@pytest.fixture(scope="module")
def servers(make_bot: BotFactory, database_url: str, reviewed: Path) -> Iterator[BotServers]:
    env = {
        "DATABASE_URL": database_url,
        "INSIGHTS_TOKEN": TOKEN,
        "REVIEWED_NLU_PATH": str(reviewed),
    }
    bot = make_bot("insights", env=env)
    bot.ask("warm-up", "hello")  # the first turn loads the models: not the widget's deadline
    bot.ask("warm-up", "what is botox")
    bot.start_web()
    yield bot
    bot.stop_all()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def report(bot: BotServers) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": bot.env["DATABASE_URL"]}
    done = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "report", "--since", "1", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return dict(json.loads(done.stdout))


def ask(page: Page, text: str) -> Any:
    messages = page.locator(".msg.bot")
    before = messages.count()
    page.get_by_label("Your question").fill(text)
    page.get_by_label("Your question").press("Enter")
    expect(messages).to_have_count(before + 1, timeout=ANSWER_MS)
    return messages.nth(before)


def test_without_the_token_the_insights_are_refused(servers: BotServers) -> None:
    status, body = get(f"{servers.web_url}/insights")
    assert status == 401 and b'name="token"' in body  # the sign-in form, nothing else
    for path in ("/insights/api/figures", "/insights/api/review", "/insights/review.csv"):
        assert get(f"{servers.web_url}{path}")[0] == 401
        assert get(f"{servers.web_url}{path}", {"Authorization": "Bearer wrong"})[0] == 401
    cookie = {"Cookie": f"faqbot_insights={TOKEN}"}  # the token itself is not the session
    assert get(f"{servers.web_url}/insights/api/figures", cookie)[0] == 401
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert get(f"{servers.web_url}/insights/api/figures?days=1", bearer)[0] == 200
    data = urllib.parse.urlencode({"token": "wrong"}).encode()
    request = urllib.request.Request(f"{servers.web_url}/insights/login", data=data)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401 and "Set-Cookie" not in refused.value.headers


def test_a_vote_in_the_widget_shows_on_the_page_and_in_the_report_and_a_label_is_training_data(
    servers: BotServers, browser: Browser, reviewed: Path, database_url: str
) -> None:
    kind = "postgres" if database_url.startswith("postgresql") else "sqlite"
    # A person: a question answered, a vote changed from No to Yes, a question not answered.
    widget = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    widget.goto(servers.web_url)
    widget.get_by_role("button", name=TITLE).click()
    answer = ask(widget, QUESTION)
    entry = answer.get_attribute("data-faq")
    assert entry, "an FAQ answer names its entry"
    no, yes = (
        answer.locator(".feedback [data-vote=down]"),
        answer.locator(".feedback [data-vote=up]"),
    )
    no.click()
    expect(widget.locator(".msg.bot")).to_have_count(2, timeout=ANSWER_MS)  # the thanks
    yes.click()
    expect(widget.locator(".msg.bot")).to_have_count(3, timeout=ANSWER_MS)
    expect(yes).to_have_attribute("aria-pressed", "true")
    expect(no).to_have_attribute("aria-pressed", "false")
    expect(widget.locator(".msg.user")).to_have_count(1)  # a vote is not shown as a question
    unanswered = ask(widget, UNANSWERED)
    expect(unanswered).to_have_attribute("data-topic", "out_of_scope")
    expect(unanswered.locator(".feedback")).to_have_count(0)

    # Staff: sign in, find the vote and the unanswered message; no request leaves this server.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{servers.web_url}/insights")
    page.get_by_label("Access token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Period").select_option("1")
    expect(page.locator("body[data-loaded=true]")).to_have_count(1, timeout=30_000)
    row = page.locator(f"#entries-table tr[data-entry='{entry}']")
    expect(row.locator("[data-vote=up]")).to_have_text("1")
    expect(row.locator("[data-vote=down]")).to_have_text("0")
    expect(page.locator("#unanswered-table")).to_contain_text(UNANSWERED)
    cookies = context.cookies()
    assert [c["httpOnly"] for c in cookies if c["name"] == "faqbot_insights"] == [True]
    assert all(c["value"] != TOKEN for c in cookies)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"insights-desktop-{kind}.png"), full_page=True)
    phone = context.new_page()
    phone.on("request", lambda request: requests.append(request.url))
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{servers.web_url}/insights")
    phone.get_by_label("Period").select_option("1")
    expect(phone.locator("body[data-loaded=true]")).to_have_count(1, timeout=30_000)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways
    phone.screenshot(path=str(ARTIFACTS / f"insights-phone-{kind}.png"), full_page=True)
    phone.close()

    # The report says the same.
    figures = report(servers)
    assert set(figures) == REPORT_KEYS
    assert figures["feedback"] == {"up": 1, "down": 0}
    assert figures["per_entry"].get(entry) == 1
    assert {"text": UNANSWERED, "count": 1} in figures["unanswered"]
    assert figures["messages"] == 4 and figures["conversations"] == 2  # with the warm-up

    # Label the unanswered message "out of scope": it becomes training data, and leaves the queue.
    item = page.locator("#review-list li", has_text=UNANSWERED)
    item.get_by_label("Label").select_option("out_of_scope")
    item.get_by_role("button", name="Save label").click()
    expect(item).to_have_attribute("data-labelled", "out_of_scope")
    document = yaml.safe_load(reviewed.read_text())
    assert {"intent": "out_of_scope", "examples": f"- {UNANSWERED}\n"} in document["nlu"]
    page.reload()
    expect(page.locator("body[data-loaded=true]")).to_have_count(1, timeout=30_000)
    expect(page.locator("#review-list")).not_to_contain_text(UNANSWERED)

    origin = servers.web_url
    assert requests and all(url.startswith(f"{origin}/") for url in requests), requests
    context.close()
    widget.context.close()
