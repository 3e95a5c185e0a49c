"""Per-message costs in Rasa 3.6 that profiling found, removed without changing behaviour.

- Under load a third of the Rasa server's CPU went to checking each action-server reply with
  `jsonschema.validate`, which re-checks the schema itself against the meta-schema every time.
  The same check with the schema compiled once costs a fraction (README, "Performance").
- Loading a conversation turns each stored event into its class with `Event.resolve_by_type`,
  which walks every subclass of Event (and checks each for abstract methods) for every event:
  4% of the Rasa server's CPU. `cache_event_types` remembers the classes it found."""

from __future__ import annotations

from typing import Any


def compile_action_response_check() -> None:
    """Replaces RemoteAction._validate_action_result with the same check, compiled once
    (idempotent: a second call installs an equal check)."""
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator = validator_for(schema)(schema)

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error: ValidationError | None = best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                ". Failed to validate Action server response from API, make sure your response "
                f"from the Action endpoint is valid. See {DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    RemoteAction._validate_action_result = validate_action_result


def cache_event_types() -> None:
    """Makes `Event.resolve_by_type` remember the class it found for each event name (idempotent).
    Names it does not know still go through Rasa's walk (a class defined later is found; an
    unknown name still raises or gives the default)."""
    from rasa.shared.core.events import Event

    if getattr(Event.resolve_by_type, "cached", False):
        return
    resolve = Event.resolve_by_type
    found: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        known = found.get(type_name)
        if known is not None:
            return known
        resolved = resolve(type_name, default)
        if resolved is not None and getattr(resolved, "type_name", None) == type_name:
            found[type_name] = resolved
        return resolved

    resolve_by_type.cached = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)
