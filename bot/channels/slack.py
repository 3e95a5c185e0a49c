"""Slack: Rasa's connector, switched on by its secrets in the environment, answering in Block Kit.

Rasa's `SlackInput` already checks Slack's request signature (and rejects stale timestamps),
turns button clicks (`block_actions`) into user messages and skips messages that carry a `bot_id`.
On top of it this channel takes its secrets from the environment only, stays off without them,
answers Slack's URL verification as Slack documents it (the challenge as text/plain), answers
each event id once across servers and restarts (bot.channels.deliveries: a retry of an event
that was never answered is answered, one that was is not), retries a post Slack refused with 429
after its Retry-After, and posts each answer as one Block Kit message with its topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot as RasaSlackBot
from rasa.core.channels.slack import SlackInput as RasaSlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.common import (
    json_body,
    reply_from_message,
    retry_after_seconds,
    retry_rate_limited,
)
from bot.channels.deliveries import Claim, Deliveries
from bot.config import Settings
from bot.content.answers import Reply
from bot.insights.feedback import QUESTION, feedback_buttons

logger = logging.getLogger(__name__)

OFF_MESSAGE = "Slack channel off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to turn it on"
ANSWER_EVENT_TYPE = "faqbot_answer"
MAX_SECTION_CHARS = 3_000  # Block Kit's limit for a section's text
MAX_BUTTONS_PER_BLOCK = 25  # Block Kit's limit for an actions block's elements
WEBHOOK_PATH = "/webhook"


@dataclass(frozen=True)
class SlackSettings:
    """Secrets come from the environment only, never from credentials.yml (which is committed)."""

    bot_token: str
    signing_secret: str
    api_base_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SlackSettings | None:
        """The settings, or None when a secret is missing (the channel then stays off)."""
        settings = Settings.from_env(env)
        if not settings.slack_bot_token or not settings.slack_signing_secret:
            return None
        base_url = settings.slack_api_base_url
        # slack_sdk joins URLs with urljoin, which drops the last path segment without a slash.
        return cls(
            settings.slack_bot_token.get_secret_value(),
            settings.slack_signing_secret.get_secret_value(),
            base_url if base_url.endswith("/") else f"{base_url}/",
        )


def mrkdwn_escape(text: str) -> str:
    """Slack reads &, < and > as markup (links, mentions), so literal ones must be escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escaped_pieces(paragraph: str) -> Iterator[str]:
    """A paragraph escaped, in pieces that fit one section and never cut an escape in half."""
    piece = ""
    for char in paragraph:
        escaped = mrkdwn_escape(char)
        if len(piece) + len(escaped) > MAX_SECTION_CHARS:
            yield piece
            piece = ""
        piece += escaped
    yield piece


def section_texts(text: str) -> list[str]:
    """The escaped text in as few sections as Slack's size limit allows, cut between paragraphs."""
    sections: list[str] = []
    for paragraph in text.split("\n\n"):
        for piece in _escaped_pieces(paragraph):
            if sections and len(sections[-1]) + 2 + len(piece) <= MAX_SECTION_CHARS:
                sections[-1] += f"\n\n{piece}"
            else:
                sections.append(piece)
    return sections


def answer_blocks(reply: Reply) -> list[dict[str, Any]]:
    """The whole text as mrkdwn sections, then the follow-up topics as buttons (value = payload)."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        for text in section_texts(reply.text)
    ]
    for start in range(0, len(reply.buttons), MAX_BUTTONS_PER_BLOCK):
        elements = [
            {
                "type": "button",
                "action_id": f"faqbot_button_{index}",
                "text": {"type": "plain_text", "text": button["title"]},
                "value": button["payload"],
            }
            for index, button in enumerate(
                reply.buttons[start : start + MAX_BUTTONS_PER_BLOCK], start=start
            )
        ]
        blocks.append({"type": "actions", "elements": elements})
    if reply.faq:
        blocks.extend(feedback_blocks(reply.faq))
    return blocks


def slack_retry_after(error: Exception) -> float | None:
    """The Retry-After of a 429 from the Web API, None for any other error."""
    if not isinstance(error, SlackApiError) or getattr(error.response, "status_code", 0) != 429:
        return None
    headers = {str(k).lower(): v for k, v in (getattr(error.response, "headers", {}) or {}).items()}
    value = headers.get("retry-after")
    if isinstance(value, list):  # slack_sdk keeps a header's values in a list
        value = value[0] if value else None
    return retry_after_seconds(value) or 1.0


def feedback_blocks(entry_id: str) -> list[dict[str, Any]]:
    """ "Helpful?" and its Yes / No buttons: a click comes back as its payload, like any button."""
    return [
        {"type": "context", "elements": [{"type": "plain_text", "text": QUESTION}]},
        {
            "type": "actions",
            "block_id": f"faqbot_feedback_{entry_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": f"faqbot_feedback_{button['vote']}",
                    "text": {"type": "plain_text", "text": button["title"]},
                    "value": button["payload"],
                }
                for button in feedback_buttons(entry_id)
            ],
        },
    ]


class SlackBot(RasaSlackBot):
    """Rasa's Slack output, talking to the configured Web API and posting one message per answer.

    Rasa's own splits the text at blank lines and drops every button beyond five; an answer's source
    line and disclaimer must stay with it, and the topic menus have eleven buttons.
    """

    def __init__(
        self,
        token: str,
        api_base_url: str,
        slack_channel: str | None = None,
        thread_id: str | None = None,
        proxy: str | None = None,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = AsyncWebClient(token, base_url=api_base_url, proxy=proxy)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        reply = reply_from_message(message)
        channel = self.slack_channel or recipient_id
        await retry_rate_limited(
            lambda: self._post_message(
                channel=channel,
                text=mrkdwn_escape(reply.text),  # notifications and clients without Block Kit
                blocks=answer_blocks(reply),
                metadata={
                    "event_type": ANSWER_EVENT_TYPE,
                    "event_payload": {"topic": reply.topic},
                },
            ),
            slack_retry_after,
            f"slack: chat.postMessage to {channel}",
        )


class SlackOff(InputChannel):
    """Stands in for the Slack channel when its secrets are not set: it serves no routes at all."""

    @classmethod
    def name(cls) -> str:
        return "slack"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return Blueprint("faqbot_slack_off", __name__)


class SlackInput(RasaSlackInput):
    """`POST /webhooks/slack/webhook`: Slack's Events API and Interactivity requests."""

    def __init__(self, settings: SlackSettings, deliveries: Deliveries | None = None) -> None:
        # Rasa's constructor requires the signing secret, so signatures are always checked. The
        # retry header names default to None there (only from_credentials fills them in).
        super().__init__(
            settings.bot_token,
            slack_retry_reason_header="x-slack-retry-reason",
            slack_retry_number_header="x-slack-retry-num",
            slack_signing_secret=settings.signing_secret,
        )
        self.api_base_url = settings.api_base_url
        # Event ids answered, shared by every server (bot.channels.deliveries).
        self.deliveries = deliveries or Deliveries.from_settings()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Ignores the file's entry: a secret there would end up in version control."""
        settings = SlackSettings.from_env()
        if settings is None:
            logger.warning(OFF_MESSAGE)
            return SlackOff()
        return cls(settings)

    @staticmethod
    def _is_user_message(slack_event: dict[str, Any]) -> bool:
        """Rasa's check (text, no `bot_id`), also skipping `bot_message` posts without a bot id."""
        return bool(
            RasaSlackInput._is_user_message(slack_event)
            and slack_event["event"].get("subtype") != "bot_message"
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's routes, with Slack's URL verification answered before Rasa's handler, which
        would send the challenge as a JSON string (a form Slack does not document)."""
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def url_verification(request: Request) -> HTTPResponse | None:
            challenge = self._verification_challenge(request)
            if challenge is None or not self.is_request_from_slack_authentic(request):
                return None  # Rasa's handler: a 400 for a bad signature, else the usual
            return response.text(challenge, content_type="text/plain")

        return webhook

    @staticmethod
    def _verification_challenge(request: Request) -> str | None:
        """The challenge of a `url_verification` request to the webhook, else None."""
        if request.method != "POST" or not request.path.endswith(WEBHOOK_PATH):
            return None
        if request.headers.get("content-type") != "application/json":
            return None
        body = json_body(request)
        if not isinstance(body, dict) or body.get("type") != "url_verification":
            return None
        challenge = body.get("challenge")
        return challenge if isinstance(challenge, str) else None

    @staticmethod
    def _delivery_key(request: Request) -> str | None:
        """`slack:<event_id>` for an Events API request; None for a button click (Slack does not
        retry those, and they carry no event id)."""
        if request.headers.get("content-type") != "application/json":
            return None
        body = json_body(request)
        event_id = body.get("event_id") if isinstance(body, dict) else None
        return f"slack:{event_id}" if isinstance(event_id, str) and event_id else None

    async def process_message(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        sender_id: str | None,
        metadata: dict[str, Any] | None,
    ) -> HTTPResponse:
        """Claims the event id, answers in the background (Slack wants a 200 within 3 s), and
        marks the event answered once the answer is posted, or frees it if that failed.

        A copy of an event already answered gets a 200 with `X-Slack-No-Retry: 1` and nothing
        is posted. A copy of one being answered elsewhere gets a 503, so Slack asks again later
        (by then answered, or free again if that server died). A retry of an event no server
        received (the bot was down) is answered like a first delivery.
        """
        key = self._delivery_key(request)
        retry = request.headers.get(self.retry_num_header)
        if key is not None:
            claim = await self.deliveries.claim(key)
            if claim is Claim.DONE:
                logger.info("slack: %s already answered (retry %s): not again", key, retry)
                return response.text("", headers={"X-Slack-No-Retry": "1"})
            if claim is Claim.BUSY:
                logger.info("slack: %s is being answered elsewhere (retry %s)", key, retry)
                return response.text("being answered; try again later", status=503)
            if retry:
                reason = request.headers.get(self.retry_reason_header)
                logger.info("slack: answering %s on retry %s (%s)", key, retry, reason)
        metadata = metadata or {}
        thread_id = metadata.get("thread_id") if self.use_threads else None
        message = UserMessage(
            text,
            self.get_output_channel(metadata.get("out_channel"), thread_id),
            sender_id,
            input_channel=self.name(),
            metadata=metadata,
        )
        task: asyncio.Future = asyncio.ensure_future(on_new_message(message))
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)
        if key is not None:
            task.add_done_callback(lambda done: self._finish(key, done))
        return response.text("")

    def _finish(self, key: str, task: asyncio.Future) -> None:
        failed = task.cancelled() or task.exception() is not None
        if failed:
            error = "cancelled" if task.cancelled() else repr(task.exception())
            logger.error("slack: answering %s failed (%s); a retry may answer it", key, error)
        follow_up = asyncio.ensure_future(
            self.deliveries.release(key) if failed else self.deliveries.done(key)
        )
        self._background_tasks.add(follow_up)
        follow_up.add_done_callback(self._background_tasks.discard)

    def get_output_channel(
        self, channel: str | None = None, thread_id: str | None = None
    ) -> OutputChannel:
        channel = channel or self.slack_channel
        return SlackBot(self.slack_token, self.api_base_url, channel, thread_id, self.proxy)
