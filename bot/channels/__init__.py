"""Channels: REST, socket.io (website widget), Slack and Telegram."""
