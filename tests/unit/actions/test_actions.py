"""The custom actions and the domain agree (no server, no database)."""

from __future__ import annotations

import inspect
from typing import Any

from rasa_sdk import Action

import actions.actions as actions_module
from bot.content.answers import disclaimer_from_domain


def test_every_action_class_is_declared_in_the_domain_and_every_declared_one_exists(
    domain: dict[str, Any],
) -> None:
    classes = [
        obj
        for obj in vars(actions_module).values()
        if inspect.isclass(obj) and issubclass(obj, Action) and obj is not Action
    ]
    assert classes
    assert {cls().name() for cls in classes} == set(domain["actions"])


def test_the_disclaimer_the_actions_append_is_written_in_the_domain(domain: dict[str, Any]) -> None:
    assert len(disclaimer_from_domain(domain)) > 20
