"""The servers' start-up warning filter silences exactly the listed warnings."""

from __future__ import annotations

import warnings

import pytest

from bot.ops.known_warnings import KNOWN_WARNINGS, ignore_known_warnings


def shown(message: str, category: type[Warning], module: str) -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ignore_known_warnings()
        warnings.warn_explicit(message, category, f"{module.replace('.', '/')}.py", 1, module)
    return bool(caught)


@pytest.mark.parametrize(
    ("message", "category", "module"),
    [(m, c, module) for m, c, modules in KNOWN_WARNINGS for module in modules],
)
def test_each_known_warning_is_silenced(message: str, category: type[Warning], module: str) -> None:
    assert not shown(message + " and the rest of it", category, module)


def test_other_warnings_even_from_the_same_modules_still_show() -> None:
    message, category, (module, *_) = KNOWN_WARNINGS[0]
    assert shown("something else is deprecated", category, module)
    assert shown(message, category, "bot.something_of_ours")
    assert shown(message, RuntimeWarning, module)
