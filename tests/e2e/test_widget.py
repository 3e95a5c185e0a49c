"""The website widget in a real headless Chromium, against the real servers `make run` starts.

Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
import yaml
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from bot.config import ROOT
from bot.content.knowledge import read_knowledge
from bot.ops.serve import BotServers, Ports, free_port
from tests.support import KNOWLEDGE_DIR, BotFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 667}
ANSWER_MS = 30_000

TITLE = "Botox & migraine FAQ"
KB = read_knowledge(KNOWLEDGE_DIR)
# A topic's answer is its overview entry's; a follow-up button is an entry's question.
ANSWERS = {topic.id: topic.answer for topic in KB.topics} | {e.id: e.answer for e in KB.entries}
TOPIC_OF = {topic.id: topic.id for topic in KB.topics} | {e.id: e.topic for e in KB.entries}
ENTRY_OF_BUTTON = {entry.question: entry.id for entry in KB.entries}
SIDE_EFFECTS = "what are the side effects of botox for migraine"
JWT_KEY = "a-test-secret-of-at-least-32-bytes"

# The focused element, looking inside the widget's shadow root.
FOCUSED = """() => {
  let node = document.activeElement;
  while (node && node.shadowRoot && node.shadowRoot.activeElement) {
    node = node.shadowRoot.activeElement;
  }
  return {
    tag: node.tagName, label: node.getAttribute("aria-label") || "", text: node.textContent,
    id: node.id, inChoices: !!node.closest(".choices"),
    outline: getComputedStyle(node).outlineStyle,
  };
}"""


@pytest.fixture(scope="session")
def site(bot: BotServers) -> str:
    """The demo page, served by bot.ops.webserver on the origin the bot's Rasa allows (CORS)."""
    bot.start_web()
    return bot.web_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium: Playwright's own browser download is not available here."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def dialogs() -> list[str]:
    return []


@pytest.fixture
def page(browser: Browser, dialogs: list[str]) -> Iterator[Page]:
    """A fresh tab (fresh sessionStorage) that records any alert() instead of showing it."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


@pytest.fixture(scope="module")
def jwt_rasa(
    bot: BotServers, make_bot: BotFactory, tmp_path_factory: pytest.TempPathFactory
) -> BotServers:
    """A second Rasa (same action server and database) whose socket.io channel wants a JWT."""
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    credentials["bot.channels.socketio.SocketIOInput"].update(jwt_key=JWT_KEY, jwt_method="HS256")
    path = tmp_path_factory.mktemp("jwt-credentials") / "credentials.yml"
    path.write_text(yaml.safe_dump(credentials))
    return make_bot(
        "jwt",
        env=bot.env,
        ports=Ports(rasa=free_port(), actions=bot.ports.actions, web=bot.ports.web),
        credentials=path,
        actions=False,
    )


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name=TITLE).click()
    expect(page.get_by_label("Your question")).to_be_focused()


def bot_messages(page: Page) -> Locator:
    return page.locator(".msg.bot")


def ask(page: Page, text: str) -> Locator:
    """Types `text`, presses Enter and returns the bot message that answers it."""
    before = bot_messages(page).count()
    page.get_by_label("Your question").fill(text)
    page.get_by_label("Your question").press("Enter")
    expect(bot_messages(page)).to_have_count(before + 1, timeout=ANSWER_MS)
    return bot_messages(page).nth(before)


ExpectAnswer = Callable[[Locator, str], None]


@pytest.fixture(scope="session")
def expect_answer(disclaimer: str) -> ExpectAnswer:
    return lambda message, topic_id: _expect_answer(message, topic_id, disclaimer)


def _expect_answer(message: Locator, answered: str, disclaimer: str) -> None:
    """The whole answer of a topic or an entry in one bubble: answer, source line, disclaimer,
    2-3 follow-ups."""
    expect(message).to_have_attribute("data-topic", TOPIC_OF[answered])
    bubble = message.locator(".bubble")
    expect(bubble).to_contain_text(ANSWERS[answered][:60])
    expect(bubble).to_contain_text("Source: ")
    expect(bubble).to_contain_text(disclaimer)
    assert 2 <= message.locator(".choices").get_by_role("button").count() <= 3


def widget_count(page: Page, selector: str) -> int:
    """How many elements match `selector`, in the page and in the widget's shadow root."""
    return int(
        page.evaluate(
            """(selector) => document.querySelectorAll(selector).length +
              document.querySelector("#faqbot-widget").shadowRoot.querySelectorAll(selector).length
            """,
            selector,
        )
    )


def screenshot(page: Page, name: str) -> None:
    """The page with the end of the latest answer in view: source line, disclaimer, follow-ups."""
    page.locator(".log").evaluate("(log) => { log.scrollTop = log.scrollHeight; }")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def stored(page: Page) -> dict[str, Any]:
    return dict(page.evaluate("() => Object.fromEntries(Object.entries(sessionStorage))"))


def test_a_question_gets_the_whole_answer_and_a_follow_up_click_gets_the_next(
    page: Page, site: str, expect_answer: ExpectAnswer
) -> None:
    open_widget(page, site)
    page.evaluate(
        """() => {
          const widget = document.querySelector("#faqbot-widget").shadowRoot;
          const typing = widget.querySelector(".typing");
          window.typingShown = false;
          new MutationObserver(() => { window.typingShown ||= !typing.hidden; })
            .observe(typing, { attributes: true });
        }"""
    )
    answer = ask(page, SIDE_EFFECTS)
    expect(page.locator(".msg.user .bubble")).to_have_text(SIDE_EFFECTS)
    expect_answer(answer, "side_effects")
    assert page.evaluate("() => window.typingShown")
    expect(page.locator(".typing")).to_be_hidden()
    expect(page.locator("[aria-live=polite]")).to_contain_text("Assistant: Common side effects")
    screenshot(page, "widget-desktop.png")

    button = answer.locator(".choices").get_by_role("button").first
    title = button.inner_text()
    button.click()
    expect(page.locator(".msg.user .bubble").nth(1)).to_have_text(title)
    expect(bot_messages(page)).to_have_count(2, timeout=ANSWER_MS)
    expect_answer(bot_messages(page).nth(1), ENTRY_OF_BUTTON[title])
    expect(answer.locator(".choices button")).to_have_count(0)  # only the latest answer has any


def test_a_reload_in_the_same_tab_shows_the_conversation_and_keeps_the_session(
    page: Page, site: str, expect_answer: ExpectAnswer
) -> None:
    open_widget(page, site)
    ask(page, SIDE_EFFECTS)
    before = stored(page)
    page.reload()
    expect(page.locator(".msg.user .bubble")).to_have_text([SIDE_EFFECTS])
    expect_answer(bot_messages(page).first, "side_effects")
    answer = ask(page, "how much does botox for migraine cost")
    expect_answer(answer, "cost")
    after = stored(page)
    session_keys = [key for key in after if key.endswith(":session")]
    assert len(session_keys) == 1
    assert after[session_keys[0]] == before[session_keys[0]]
    assert page.evaluate("() => localStorage.length") == 0


def test_the_widget_works_with_the_keyboard_alone(
    page: Page, site: str, expect_answer: ExpectAnswer
) -> None:
    page.goto(site)
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED)["text"] == TITLE:
            break
    else:
        pytest.fail("Tab never reached the widget's launcher")
    assert page.evaluate(FOCUSED)["outline"] != "none"
    page.keyboard.press("Enter")
    assert page.evaluate(FOCUSED)["id"] == "question"
    page.keyboard.type(SIDE_EFFECTS)
    page.keyboard.press("Enter")
    expect(bot_messages(page)).to_have_count(1, timeout=ANSWER_MS)

    page.keyboard.press("Shift+Tab")  # from the input back to the answer's follow-ups
    focused = page.evaluate(FOCUSED)
    assert focused["inChoices"]
    assert focused["outline"] != "none"
    page.keyboard.press("Space")
    expect(bot_messages(page)).to_have_count(2, timeout=ANSWER_MS)
    expect_answer(bot_messages(page).nth(1), ENTRY_OF_BUTTON[focused["text"]])

    page.keyboard.press("Shift+Tab")
    focused = page.evaluate(FOCUSED)
    assert focused["inChoices"]
    page.keyboard.press("Enter")
    expect(bot_messages(page)).to_have_count(3, timeout=ANSWER_MS)
    expect_answer(bot_messages(page).nth(2), ENTRY_OF_BUTTON[focused["text"]])

    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name=TITLE)).to_be_focused()


def test_markup_from_the_user_or_the_bot_is_shown_as_text(
    page: Page, site: str, dialogs: list[str]
) -> None:
    attack = "<img src=x onerror=alert(1)>"
    open_widget(page, site)
    ask(page, attack)
    expect(page.locator(".msg.user .bubble")).to_have_text(attack)

    # A bot message carrying markup, as if the server sent one: stored, then rendered on reload.
    key = next(k for k in stored(page) if k.endswith(":transcript"))
    text = "<b>bold</b>\n<img src=y onerror=alert(2)>"
    markup = {
        "from": "bot",
        "text": text,
        "topic": "",
        "buttons": [{"title": "<i>x</i>", "payload": "/greet"}],
    }
    page.evaluate("([k, v]) => sessionStorage.setItem(k, v)", [key, json.dumps([markup])])
    page.reload()
    bubble = bot_messages(page).locator(".bubble")
    expect(bubble).to_have_text(text.replace("\n", ""))
    expect(bubble.locator("br")).to_have_count(1)
    expect(bot_messages(page).get_by_role("button")).to_have_text("<i>x</i>")

    page.wait_for_timeout(500)
    assert dialogs == []
    assert widget_count(page, "img, b, i") == 0


def test_clear_conversation_forgets_it_and_starts_a_new_session(
    page: Page, site: str, expect_answer: ExpectAnswer
) -> None:
    open_widget(page, site)
    ask(page, SIDE_EFFECTS)
    old_session = next(v for k, v in stored(page).items() if k.endswith(":session"))
    page.get_by_role("button", name="Clear conversation").click()
    expect(page.locator(".msg")).to_have_count(0)
    expect(page.locator(".welcome")).to_be_visible()
    assert not any(k.endswith(":transcript") for k in stored(page))

    answer = ask(page, "how much does botox for migraine cost")
    expect_answer(answer, "cost")
    new_session = next(v for k, v in stored(page).items() if k.endswith(":session"))
    assert new_session != old_session
    page.reload()
    expect(page.locator(".msg")).to_have_count(2)


def test_on_a_phone_the_panel_fills_the_screen(
    browser: Browser, site: str, disclaimer: str
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_widget(page, site)
        answer = ask(page, "does botox for migraine hurt")
        expect(answer.locator(".bubble")).to_contain_text(disclaimer)
        box = page.locator(".panel").bounding_box()
        assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "widget-phone.png")
    finally:
        context.close()


def test_the_socketio_channel_sends_each_message_whole_with_buttons_and_topic(
    page: Page, site: str, bot: BotServers, disclaimer: str
) -> None:
    page.goto(site)
    page.wait_for_function("() => !!window.io")
    events = page.evaluate(
        """async ([url, questions]) => {
          const socket = io(url, { transports: ["websocket"] });
          const sessionId = await new Promise((resolve) => {
            socket.on("connect", () => socket.emit("session_request", { session_id: null }));
            socket.on("session_confirm", resolve);
          });
          const received = [];
          socket.on("bot_uttered", (message) => received.push(message));
          for (const message of questions) {
            socket.emit("user_uttered", { message, session_id: sessionId });
            const count = received.length;
            const started = Date.now();
            while (received.length === count && Date.now() - started < 30000) {
              await new Promise((r) => setTimeout(r, 50));
            }
            await new Promise((r) => setTimeout(r, 1000));  // time for any extra event
          }
          socket.disconnect();
          return received;
        }""",
        [bot.url, [SIDE_EFFECTS, "a" * 2001, "\u0000\u0001"]],
    )
    side_effects, too_long, empty = events
    assert side_effects["metadata"]["topic"] == "side_effects"
    assert "\n\nSource: " in side_effects["text"]
    assert side_effects["text"].endswith(disclaimer)
    assert 2 <= len(side_effects["buttons"]) <= 3
    assert all(set(b) == {"title", "payload"} for b in side_effects["buttons"])
    assert too_long["metadata"]["topic"] == "too_long"
    assert empty["metadata"]["topic"] == "empty"


def test_the_web_server_serves_the_demo_page_and_widget_and_nothing_else(
    site: str, bot: BotServers
) -> None:
    def get(path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"{site}{path}", timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, ""

    status, page = get("/")
    assert status == 200
    assert f'data-server-url="http://localhost:{bot.ports.rasa}"' in page
    assert get("/faqbot-widget.js")[0] == 200
    assert "Socket.IO v4." in get("/vendor/socket.io.min.js")[1]
    for path in ("/package.json", "/node_modules/ms/package.json", "/../../README.md"):
        assert get(path)[0] == 404


def test_rasa_allows_the_demo_page_origin_and_no_other(bot: BotServers) -> None:
    def allowed_origin(origin: str) -> str | None:
        request = urllib.request.Request(
            f"{bot.url}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers.get("Access-Control-Allow-Origin")

    for origin in (f"http://localhost:{bot.ports.web}", f"http://127.0.0.1:{bot.ports.web}"):
        assert allowed_origin(origin) == origin
    assert allowed_origin("http://evil.example") is None


def jwt_widget(page: Page, site: str, rasa: BotServers, token: str) -> None:
    """The demo page with its widget swapped for one, made by `FaqbotWidget.init`, that talks to
    `rasa` with `token`. (A page Playwright made up would not be on the loopback address space,
    and Chromium would block its requests to Rasa.)"""
    page.goto(site)
    page.evaluate(
        """([serverUrl, token]) => {
          document.querySelector("#faqbot-widget").remove();
          window.FaqbotWidget.init({ serverUrl, token });
        }""",
        [rasa.url, token],
    )
    page.get_by_role("button", name=TITLE).click()


def test_with_a_jwt_key_a_widget_with_a_signed_token_is_answered(
    page: Page, site: str, jwt_rasa: BotServers, expect_answer: ExpectAnswer
) -> None:
    jwt_widget(page, site, jwt_rasa, jwt.encode({"user": "widget-test"}, JWT_KEY, "HS256"))
    expect_answer(ask(page, SIDE_EFFECTS), "side_effects")


@pytest.mark.parametrize("key", ["another-secret-of-at-least-32-bytes", None])
def test_with_a_jwt_key_a_widget_with_a_wrong_or_no_token_is_refused(
    page: Page, site: str, jwt_rasa: BotServers, key: str | None
) -> None:
    token = jwt.encode({"user": "widget-test"}, key, "HS256") if key else ""
    jwt_widget(page, site, jwt_rasa, token)
    expect(page.get_by_role("status")).to_contain_text("refused the connection")
    page.get_by_label("Your question").fill(SIDE_EFFECTS)
    page.get_by_label("Your question").press("Enter")
    page.wait_for_timeout(2000)
    expect(bot_messages(page)).to_have_count(0)
