"""The third-party deprecation warnings `rasa run` and `rasa run actions` print at start-up, and
only those, silenced: bot.ops.serve starts both servers through `python -m bot.ops.known_warnings
<rasa arguments>` (`make run`, `make shell`, the tests).

They come from libraries Rasa 3.6 pins or imports and name nothing an operator can change. Each
entry is exact: the start of the message, its category and the module it is reported from; any
other warning still shows. PYTHONWARNINGS cannot do this: Sanic and Rasa put their own filters
in front of any set at start (see `main`). Re-check
the list on a Rasa upgrade: start the servers and read what they print before they are up.
"""

from __future__ import annotations

import re
import sys
import warnings
from typing import Any

# (start of the message, category, modules it is reported from)
KNOWN_WARNINGS: list[tuple[str, type[Warning], tuple[str, ...]]] = [
    ("pkg_resources is deprecated as an API", DeprecationWarning,
     ("rasa.shared.utils.validation", "apscheduler")),
    ("Deprecated call to `pkg_resources.declare_namespace", DeprecationWarning,
     ("pkg_resources",)),
    ("distutils Version classes are deprecated", DeprecationWarning, ("sanic_cors.extension",)),
    ("jax.xla_computation is deprecated", DeprecationWarning, ("tensorflow.lite.python.util",)),
    # pyparsing 3's camelCase names, used by matplotlib's and packaging's parsers
    ("'setParseAction' deprecated", DeprecationWarning,
     ("matplotlib.fontconfig_pattern", "packaging.markers", "packaging.requirements")),
    ("'parseString' deprecated", DeprecationWarning,
     ("matplotlib.fontconfig_pattern", "packaging.requirements")),
    ("'resetCache' deprecated", DeprecationWarning, ("matplotlib.fontconfig_pattern",)),
    ("'originalTextFor' deprecated", DeprecationWarning, ("packaging.requirements",)),
    # Click 8.2 names typer 0.x and spaCy's CLI still import
    ("'click.utils.get_binary_stream' is deprecated", DeprecationWarning, ("typer",)),
    ("'click.utils.get_text_stream' is deprecated", DeprecationWarning, ("typer",)),
    ("'BaseCommand' is deprecated", DeprecationWarning, ("typer.completion",)),
    ("Importing 'parser.split_arg_string' is deprecated", DeprecationWarning,
     ("spacy.cli._util",)),
]  # fmt: skip


def ignore_known_warnings() -> None:
    """Puts one `ignore` filter per known warning in front of the current filters."""
    for message, category, modules in KNOWN_WARNINGS:
        for module in modules:
            warnings.filterwarnings(
                "ignore",
                message=re.escape(message),
                category=category,
                module=re.escape(module) + r"\Z",
            )


def main() -> None:
    """`rasa <arguments>` with the known warnings silenced.

    Two libraries put filters in front of ours: Sanic's import ("once" for every
    DeprecationWarning) and Rasa's start-up (`rasa.utils.common._filter_warnings`: "once" for every
    UserWarning, which pyparsing's deprecation warnings also are). So ours go in front again
    after each: after importing Sanic here, and after Rasa's filters by wrapping that function
    (Rasa is pinned to 3.6, where it is called once, from configure_logging_and_warnings)."""
    ignore_known_warnings()
    import sanic  # noqa: F401

    ignore_known_warnings()
    import rasa.utils.common
    from rasa.__main__ import main as rasa_main

    rasa_filters = rasa.utils.common._filter_warnings

    def rasa_filters_then_ours(*args: Any, **kwargs: Any) -> None:
        rasa_filters(*args, **kwargs)
        ignore_known_warnings()

    rasa.utils.common._filter_warnings = rasa_filters_then_ours
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
