"""The deployment files in deploy/ that need filling in: the Slack app manifest."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.config import ROOT

DEPLOY_DIR = ROOT / "deploy"
SLACK_MANIFEST = DEPLOY_DIR / "slack-app-manifest.yml"
SLACK_ROUTE = "/webhooks/slack/webhook"  # Rasa serves channel NAME at /webhooks/NAME/webhook
PLACEHOLDER = "REQUEST_URL"


class ManifestError(ValueError):
    """The URL given cannot be Slack's request URL."""


def slack_request_url(url: str) -> str:
    """The Slack request URL for `url`: the bot's public base URL (https://host[/prefix]) or the
    full request URL. Slack accepts only HTTPS with a host name."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ManifestError(f"the URL must start with https:// and name a host, not {url!r}")
    if parts.query or parts.fragment:
        raise ManifestError(f"the URL must have no query or fragment: {url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith(SLACK_ROUTE):
        path += SLACK_ROUTE
    return f"https://{parts.netloc}{path}"


def slack_manifest(url: str) -> str:
    """deploy/slack-app-manifest.yml with its placeholder replaced by the request URL."""
    text = SLACK_MANIFEST.read_text(encoding="utf-8")
    request_url = slack_request_url(url)
    lines = [
        line.replace(f": {PLACEHOLDER}", f": {request_url}") if not line.startswith("#") else line
        for line in text.splitlines()
    ]
    return "\n".join(lines) + "\n"
