"""Serving without TensorFlow: `python -m bot.ops.no_tensorflow <rasa arguments>` is `rasa`
(with bot.ops.known_warnings' filters) in a process where TensorFlow cannot be imported.

No component of ours uses TensorFlow (config.yml: spaCy, count vectors, scikit-learn), yet Rasa
3.6 imports it at start-up: `rasa.core.agent` -> policies -> featurizers -> `rasa.utils.train_utils`
-> `rasa.utils.tensorflow.callback`, and loading a model imports the recipe, whose validator imports
DIET, ResponseSelector and TED; spaCy's thinc imports it too whenever it is installed. That costs
about 380 MB per Rasa process and 4-5 s of start-up (docs/operations/performance.md).

`install()` puts an import hook first on `sys.meta_path` that

- makes TensorFlow and the packages that come with it (BLOCKED) fail to import as if they were not
  installed (ModuleNotFoundError, so thinc and others take their "not installed" path), and
- replaces the Rasa modules that import TensorFlow only for features we do not use
  (PLACEHOLDERS) by placeholder modules: any class taken from one is a placeholder whose use
  (loading, creating, calling, any attribute) raises TensorFlowBlocked, naming what was used.

A model that contains a TensorFlow component therefore fails loudly instead of being served:
`main` checks the model it is given before Rasa starts and exits with status 2 naming the
component, and any later load through Rasa raises TensorFlowBlocked.

Used by the launcher (bot.ops.serve) for the Rasa server and the action server. Training
(`rasa train`), `rasa test`, `rasa shell` and `make bench`'s starter bot run Rasa as installed,
with TensorFlow. A sentence encoder or any other NLU added later must fit this: numpy or
onnxruntime in the server, not TensorFlow or torch.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import os
import sys
import tarfile
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Top-level packages that fail to import (TensorFlow and what only it uses here).
BLOCKED = frozenset(
    {
        "tensorflow",
        "tensorflow_addons",
        "tensorflow_estimator",
        "tensorflow_hub",
        "tensorflow_io_gcs_filesystem",
        "tensorflow_probability",
        "tensorflow_text",
        "tensorboard",
        "keras",
        "tf_keras",
        "jax",
        "jaxlib",
        "torch",
    }
)

# Rasa 3.6 modules that import TensorFlow and are needed at serving time only by name (imports,
# `issubclass` checks in the recipe's validator). Re-check on a Rasa upgrade:
# `python -m bot.ops.no_tensorflow run ...` fails on any other module importing TensorFlow.
PLACEHOLDERS = frozenset(
    {
        # training helpers, imported by rasa.utils.train_utils
        "rasa.utils.tensorflow.callback",
        "rasa.utils.tensorflow.data_generator",
        "rasa.nlu.classifiers.diet_classifier",
        "rasa.nlu.selectors.response_selector",
        "rasa.core.policies.ted_policy",
        "rasa.core.policies.unexpected_intent_policy",
        "rasa.nlu.featurizers.dense_featurizer.convert_featurizer",
        "rasa.nlu.featurizers.dense_featurizer.lm_featurizer",
    }
)


class TensorFlowBlocked(RuntimeError):
    """Something needed TensorFlow in a process that serves without it."""


def _blocked(what: str) -> TensorFlowBlocked:
    return TensorFlowBlocked(
        f"{what} needs TensorFlow, which this process runs without (bot/ops/no_tensorflow.py). "
        "A model with a TensorFlow component cannot be served by `faqbot serve`: remove the "
        "component from config.yml and retrain, or start Rasa as installed (`rasa run`)."
    )


class _PlaceholderMeta(type):
    """Placeholder classes: `issubclass` and `is` work (never true of a real class); anything
    else raises."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        raise _blocked(f"{cls.__module__}.{cls.__qualname__}.{name}")

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise _blocked(f"{cls.__module__}.{cls.__qualname__}")


class PlaceholderModule(types.ModuleType):
    """Stands for a Rasa module that imports TensorFlow: each name taken from it is a
    placeholder class (made on first use)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        placeholder = _PlaceholderMeta(name, (), {"__module__": self.__name__})
        setattr(self, name, placeholder)
        return placeholder


class NoTensorFlowFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The import hook: first on sys.meta_path, so it decides before the normal finders."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (TensorFlow is blocked in this process: "
                "bot/ops/no_tensorflow.py)",
                name=fullname,
            )
        if fullname in PLACEHOLDERS:
            return importlib.machinery.ModuleSpec(fullname, self, origin="placeholder")
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return PlaceholderModule(spec.name, "Placeholder: imports TensorFlow (no_tensorflow.py)")

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the placeholder's names are made on demand."""


def installed() -> bool:
    return any(isinstance(finder, NoTensorFlowFinder) for finder in sys.meta_path)


def install() -> None:
    """Blocks TensorFlow in this process from now on; idempotent. Raises if it is already
    imported (then it is too late: call this before importing Rasa or spaCy)."""
    if installed():
        return
    already = sorted(
        name for name in sys.modules if name.partition(".")[0] in BLOCKED or name in PLACEHOLDERS
    )
    if already:
        raise RuntimeError(f"too late to block TensorFlow: {', '.join(already[:5])} imported")
    sys.meta_path.insert(0, NoTensorFlowFinder())


def tensorflow_modules() -> list[str]:
    """The modules of BLOCKED packages in sys.modules: none while the guard is installed."""
    return sorted(name for name in sys.modules if name.partition(".")[0] in BLOCKED)


# --- the model check before Rasa starts ---------------------------------------------------------


def _model_archive(model: Path) -> Path | None:
    """The archive `rasa run --model` serves: Rasa's own choice (the newest in a folder)."""
    from rasa.exceptions import ModelNotFound
    from rasa.model import get_local_model

    try:
        return Path(get_local_model(str(model)))
    except ModelNotFound:
        return None


def tensorflow_components(archive: Path) -> list[str]:
    """The components of a Rasa 3 model archive (its metadata.json) that need TensorFlow: those
    from a placeholder module (DIET, ResponseSelector, TED, ...)."""
    with tarfile.open(archive, "r:gz") as tar:
        member = next((m for m in tar.getmembers() if m.name.endswith("metadata.json")), None)
        if member is None:
            return []
        file = tar.extractfile(member)
        metadata = json.load(file) if file else {}
    found = set()
    for schema in ("train_schema", "predict_schema"):
        for node in (metadata.get(schema) or {}).get("nodes", {}).values():
            module, _, _ = str(node.get("uses", "")).rpartition(".")
            if module in PLACEHOLDERS:
                found.add(node["uses"])
    return sorted(found)


def served_archive(rasa_args: Sequence[str]) -> Path | None:
    """The model archive `rasa <rasa_args>` serves, for `rasa run` (not `run actions`) with a
    model."""
    args = list(rasa_args)
    if not args or args[0] != "run" or (len(args) > 1 and args[1] == "actions"):
        return None
    model = Path("models")
    for flag in ("--model", "-m"):
        if flag in args and args.index(flag) + 1 < len(args):
            model = Path(args[args.index(flag) + 1])
    return _model_archive(model)


def check_model(rasa_args: Sequence[str]) -> str | None:
    """Why `rasa <rasa_args>` must not start without TensorFlow, if it must not: `rasa run`
    (not `run actions`) given a model with a TensorFlow component."""
    archive = served_archive(rasa_args)
    if archive is None:
        return None  # not `rasa run`, or Rasa says itself that there is no model
    components = tensorflow_components(archive)
    if not components:
        return None
    return str(_blocked(f"The model {archive} uses {', '.join(components)}: it"))


# What each worker would import (or read) on its own and loading the model does not: imported once
# in the main process before the fork instead, so the workers share it.
PRELOAD = (
    "symspellpy",
    "bot.stores.tracker_store",
    "bot.stores.lock_store",
)


def preload_for_workers(archive: Path | None) -> None:
    """Loads the model `archive` (share_model_with_workers), imports PRELOAD and reads the
    spelling corrector's English word list (bot.nlu.spelling)."""
    import importlib

    if archive is not None:
        share_model_with_workers(archive)
    for name in PRELOAD:
        importlib.import_module(name)
    from bot.nlu.spelling import english_words

    english_words()


# The model loaded before the fork (share_model_with_workers), until the workers have their copies.
_SHARED_MODEL: dict[tuple[Any, ...], Any] = {}


def release_model_after_forks(workers: int) -> None:
    """Once `workers` processes are forked, the main process drops its copy of the model and of
    the sentence encoder: it only supervises the workers, which keep theirs (shared pages stay
    until no process maps them). About 45 + 16 MB less resident memory in the main process. A
    worker Sanic starts later loads them itself."""
    from bot.nlu.encoder import drop_loaded_encoders

    forked = 0

    def after_fork_in_parent() -> None:
        nonlocal forked
        forked += 1
        if forked == workers and _SHARED_MODEL:
            # Freed by reference counts; no garbage collection here, which would write to (and so
            # copy) every frozen page the workers share with this process.
            _SHARED_MODEL.clear()
            drop_loaded_encoders()
            return_freed_memory()

    os.register_at_fork(after_in_parent=after_fork_in_parent)


def share_model_with_workers(archive: Path) -> None:
    """Loads `archive` as Rasa does (MessageProcessor._load_model) and keeps it: a later load of
    the same file, unchanged, in this process or in a worker forked from it, gets this one. Each
    worker otherwise unpacked the archive and loaded every component itself (4 s each, side by
    side on two cores); now they share the main process's, as they share its other memory."""
    import rasa.engine.loader
    from rasa.core.processor import MessageProcessor

    load = rasa.engine.loader.load_predict_graph_runner
    shared = _SHARED_MODEL

    def identity(archive: Path, *classes: type) -> tuple[Any, ...]:
        status = archive.stat()
        return (archive.resolve(), status.st_mtime_ns, status.st_size, *classes)

    def load_predict_graph_runner(
        storage_path: Path, model_archive_path: Path, *classes: type
    ) -> Any:
        key = identity(model_archive_path, *classes)
        if key not in shared:
            loaded = load(storage_path, model_archive_path, *classes)
            if shared:  # only the model loaded before the fork is kept
                return loaded
            shared[key] = loaded
        return shared[key]

    rasa.engine.loader.load_predict_graph_runner = load_predict_graph_runner
    MessageProcessor._load_model(str(archive))


def return_freed_memory() -> None:
    """Gives the memory freed after loading (the model's unpacking and parsing) back to the
    system, where the C library allows it (glibc's malloc_trim): about 10 MB less resident in the
    main process and in each worker forked from it."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    if trim is not None:
        trim(0)


def freeze_before_forking_workers(archive: Path | None) -> None:
    """With SANIC_WORKERS > 1, Sanic forks the workers from the main process after Rasa's
    imports: they share its memory until they write to it. Python's garbage collector writes to
    every object it examines, so each worker soon had its own copy of everything. `gc.freeze()`
    just before the fork leaves the objects made so far out of collection: they stay shared.
    Before that, the model and what every worker would load anyway is loaded once
    (preload_for_workers)."""
    import gc

    import sanic.app

    serve_multiple = sanic.app.serve_multiple

    def freeze_then_serve_multiple(*args: Any, **kwargs: Any) -> Any:
        preload_for_workers(archive)
        gc.collect()
        gc.freeze()
        return_freed_memory()
        release_model_after_forks(int(kwargs.get("workers", args[1] if len(args) > 1 else 1)))
        return serve_multiple(*args, **kwargs)

    sanic.app.serve_multiple = freeze_then_serve_multiple


def report_after_model_load() -> None:
    """Says on stderr, in each Rasa process once its model is loaded, whether any TensorFlow
    module is in its sys.modules (tests/e2e/test_no_tensorflow.py reads the line). Written, not
    logged: Rasa's log configuration drops INFO lines once the model has loaded. One write per
    line, because print's two writes (text, then newline) from two workers can interleave."""
    import rasa.core.agent

    load_agent = rasa.core.agent.load_agent  # rasa.core.run calls it through the module

    async def load_agent_then_report(*args: Any, **kwargs: Any) -> Any:
        agent = await load_agent(*args, **kwargs)
        found = ", ".join(tensorflow_modules()[:10]) or "none"
        line = f"no_tensorflow: pid {os.getpid()} TensorFlow modules in sys.modules: {found}\n"
        sys.stderr.flush()
        os.write(sys.stderr.fileno(), line.encode())  # one write: workers share the log file
        return agent

    rasa.core.agent.load_agent = load_agent_then_report


def run_action_server(args: Sequence[str]) -> None:
    """`rasa run actions <args>` as Rasa runs it (rasa_sdk's main, the same options), without
    importing Rasa: the action server needs rasa_sdk only (about 80 MB less memory). LOG_LEVEL
    applies as with `rasa`."""
    from bot.config import Settings
    from bot.ops.known_warnings import ignore_known_warnings

    ignore_known_warnings()
    import sanic  # noqa: F401 (its import puts filters in front of ours)

    ignore_known_warnings()
    from rasa_sdk.__main__ import main_from_args
    from rasa_sdk.endpoint import create_argument_parser

    parser = create_argument_parser()
    parser.set_defaults(loglevel=None)  # rasa_sdk's default is INFO; Rasa's, LOG_LEVEL
    parsed = parser.parse_args(list(args))
    parsed.loglevel = parsed.loglevel or Settings.from_env().log_level.upper()
    main_from_args(parsed)


def main() -> None:
    """`rasa <arguments>` with TensorFlow blocked and the known warnings silenced."""
    install()
    if sys.argv[1:3] == ["run", "actions"]:
        run_action_server(sys.argv[3:])
        return
    # The model check reads the whole archive, mostly in zlib, which lets other threads run: it
    # runs while skops.io is imported. skops.io looks up the module of every numpy and scipy ufunc
    # in sys.modules when imported: 0.4 s now, 2 s once Rasa's imports have filled sys.modules.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        checked = pool.submit(check_model, sys.argv[1:])
        import skops.io  # noqa: F401

        problem = checked.result()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(2)
    from bot.ops.known_warnings import ignore_known_warnings
    from bot.ops.known_warnings import main as rasa_main

    ignore_known_warnings()
    import sanic  # noqa: F401 (its import puts filters in front of ours: bot.ops.known_warnings)

    ignore_known_warnings()
    freeze_before_forking_workers(served_archive(sys.argv[1:]))
    report_after_model_load()
    from bot.nlu.rasa_patches import install_serving_patches

    install_serving_patches()

    rasa_main()


if __name__ == "__main__":
    main()
