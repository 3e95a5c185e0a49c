"""Per-message costs in Rasa 3.6 (and scikit-learn 1.1) that profiling found, removed without
changing behaviour. `install_serving_patches` applies those that must be in place before Rasa loads
a model (bot.ops.no_tensorflow, in the servers); the others are applied as components load.

- Under load a third of the Rasa server's CPU went to checking each action-server reply with
  `jsonschema.validate`, which re-checks the schema itself against the meta-schema every time.
  The same check with the schema compiled once costs a fraction (README, "Performance").
- Loading a conversation turns each stored event into its class with `Event.resolve_by_type`,
  which walks every subclass of Event (and checks each for abstract methods) for every event:
  4% of the Rasa server's CPU. `cache_event_types` remembers the classes it found.
- Rasa runs the prediction graph (NLU, then the policies) through dask's scheduler for every
  message, and first works out again which nodes the targets need: 6% of the Rasa server's
  samples for bookkeeping around a chain of a dozen nodes. `SequentialGraphRunner` works out each
  target set's nodes once and calls them one after the other (`run_prediction_graph_sequentially`).
- Rasa's response interpolator reads the `{...}` of a button payload such as
  `/faq{"faq_entry":"cost_overview"}` as a slot name, fails to find it, logs an error with a full
  traceback and returns the text as it was: for every greeting (its buttons), 6% of the samples.
  `log_each_interpolation_error_once` gives the same texts and logs each such error once per
  process.
- scikit-learn 1.1's TfidfTransformer.transform checks that it is fitted by computing its `idf_`
  property, a sum over the whole vocabulary's diagonal matrix, and throws the result away: four
  times a message (the FAQ entry selector and the safety net, words and characters each), a
  quarter of each transform. `remember_tfidf_idf` computes `idf_` once per fitted matrix.
- The same two models join word and character TF-IDF features in a FeatureUnion, which runs its
  two transforms through joblib's machinery even with one job: `transform_feature_unions_in_turn`
  calls them one after the other, as joblib does, without it (a sixth of each union's time).
  scikit-learn also checks every feature matrix for NaN and infinity; counts and TF-IDF weights
  of text are always finite (`assume_finite`).
- At start-up the Rasa server loaded our spaCy pipeline twice, for the NLU and for the channels'
  urgent replies (bot.safety.fallback): `share_spacy_models` loads each pipeline once.
- Rasa opens a new HTTP session, so a new TCP connection, for every call to the action server:
  0.3 ms of the Rasa server's CPU and 0.15 ms of the action server's per call.
  `keep_endpoint_connections` keeps one session per endpoint and event loop."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner


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


class SequentialGraphRunner(DaskGraphRunner):
    """DaskGraphRunner's results without dask: the nodes a set of targets needs, and an order in
    which each comes after the nodes it needs, are worked out once per set of targets; a run calls
    them in that order. A node gets its inputs exactly as dask hands them over: the (name, output)
    pair of each node or input it needs, or the bare name of one that is missing (an input value
    is never read as a node's name, so dask's check for such clashes is not needed). The prediction
    graph's nodes are independent but for what they pass on, so any such order gives the same
    results (tests/unit/nlu/test_rasa_patches.py compares them with dask's)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = {}

    def _plan(self, targets: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
        """(node, the nodes or inputs it needs) for each node the targets need, needs first."""
        plan = self._plans.get(targets)
        if plan is None:
            nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
            plan, seen = [], set()

            def visit(name: str) -> None:
                if name in seen or name not in nodes:
                    return
                seen.add(name)
                needs = tuple(nodes[name].needs.values())
                for need in needs:
                    visit(need)
                plan.append((name, needs))

            for name in nodes:
                visit(name)
            self._plans[targets] = plan
        return plan

    def run(
        self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        run_targets = tuple(targets or self._graph_schema.target_names)
        plan = self._plan(run_targets)
        values = {name: (name, value) for name, value in (inputs or {}).items()}
        try:
            for name, needs in plan:
                values[name] = self._instantiated_nodes[name](*(values.get(n, n) for n in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return {target: values[target][1] for target in run_targets}


def run_prediction_graph_sequentially() -> None:
    """Makes Rasa's MessageProcessor load its models with SequentialGraphRunner (before a model
    is loaded; training keeps dask)."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner


# How many different failed interpolations a process remembers (the domain's responses).
REMEMBERED_INTERPOLATION_ERRORS = 1024


def log_each_interpolation_error_once() -> None:
    """Replaces rasa.core.nlg.interpolator.interpolate_text with Rasa's code that returns the same
    text in every case, and logs Rasa's error (with its traceback) only the first time a
    response fails for a given placeholder (idempotent)."""
    import rasa.core.nlg.interpolator as interpolator

    if getattr(interpolator.interpolate_text, "logs_once", False):
        return
    interpolate_text = interpolator.interpolate_text
    failed: set[tuple[str, str]] = set()

    def interpolate_text_logging_once(response: str, values: dict[str, str]) -> str:
        try:
            text = re.sub(r"{([^\n{}]+?)}", r"{0[\1]}", response).format(values)
            return response.format({}) if "0[" in text else text
        except KeyError as error:
            failure = (response, str(error))
            if failure in failed:
                return response
            if len(failed) < REMEMBERED_INTERPOLATION_ERRORS:
                failed.add(failure)
            return interpolate_text(response, values)  # logs the error, returns `response`

    interpolate_text_logging_once.logs_once = True  # type: ignore[attr-defined]
    interpolator.interpolate_text = interpolate_text_logging_once


def remember_tfidf_idf() -> None:
    """Makes TfidfTransformer.idf_ remember its value (read-only) for as long as the transformer
    keeps the same fitted `_idf_diag` (a new fit sets a new one); idempotent. Transforms use
    `_idf_diag` itself, so their results are unchanged."""
    import weakref

    from sklearn.feature_extraction.text import TfidfTransformer

    computed = TfidfTransformer.idf_
    if getattr(computed.fget, "remembered", False):
        return
    remembered: weakref.WeakKeyDictionary[TfidfTransformer, tuple[Any, Any]] = (
        weakref.WeakKeyDictionary()
    )

    def idf(self: TfidfTransformer) -> Any:
        diagonal = self._idf_diag  # AttributeError when not fitted: hasattr(.., "idf_") is False
        known = remembered.get(self)
        if known is None or known[0] is not diagonal:
            value = computed.fget(self)
            value.setflags(write=False)
            known = remembered[self] = (diagonal, value)
        return known[1]

    idf.remembered = True  # type: ignore[attr-defined]
    TfidfTransformer.idf_ = property(idf, computed.fset, doc=computed.__doc__)


def transform_feature_unions_in_turn() -> None:
    """Makes FeatureUnion.transform, when it runs one job at a time, call its transformers in
    turn as scikit-learn 1.1's joblib.Parallel(n_jobs=None) does, and stack their results the
    same way; with several jobs, or no transformer, it is scikit-learn's (idempotent)."""
    from sklearn.pipeline import FeatureUnion, _transform_one

    transform = FeatureUnion.transform
    if getattr(transform, "in_turn", False):
        return

    def transform_in_turn(self: FeatureUnion, X: Any) -> Any:
        if self.n_jobs not in (None, 1):
            return transform(self, X)
        Xs = [_transform_one(trans, X, None, weight) for _, trans, weight in self._iter()]
        return self._hstack(Xs) if Xs else transform(self, X)

    transform_in_turn.in_turn = True  # type: ignore[attr-defined]
    FeatureUnion.transform = transform_in_turn


def share_spacy_models() -> None:
    """Makes SpacyNLP.load_model load each spaCy pipeline once per process, by its resolved path
    (or name), and hand out that one again (idempotent)."""
    from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP

    if getattr(SpacyNLP.load_model, "one_per_process", False):
        return
    load = SpacyNLP.load_model
    loaded: dict[str, SpacyModel] = {}

    def load_model(spacy_model_name: str) -> SpacyModel:
        path = Path(spacy_model_name)
        key = str(path.resolve()) if path.exists() else spacy_model_name
        if key not in loaded:
            loaded[key] = load(spacy_model_name)
        return SpacyModel(model=loaded[key].model, model_name=spacy_model_name)

    load_model.one_per_process = True  # type: ignore[attr-defined]
    SpacyNLP.load_model = staticmethod(load_model)


# Seconds a kept connection may stay idle before it is closed: less than the 5 s after which the
# action server (Sanic) closes one, so a request is never sent on a connection being closed.
KEEPALIVE_SECONDS = 2.0


class _KeptSession:
    """What `async with endpoint.session() as session` gets: the endpoint's kept session, left
    open at the end of the block."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def keep_endpoint_connections() -> None:
    """Makes EndpointConfig.session hand out one session per endpoint and event loop (each Sanic
    worker has its own loop), made as Rasa makes it (headers, authentication, timeout) with
    connections kept for KEEPALIVE_SECONDS between requests (idempotent)."""
    import aiohttp
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
    from rasa.utils.endpoints import EndpointConfig

    if getattr(EndpointConfig.session, "kept", False):
        return

    def session(self: EndpointConfig) -> Any:
        loop = asyncio.get_running_loop()
        kept = getattr(self, "_kept_session", None)
        if kept is None or kept[0] is not loop or kept[1].closed:
            auth = (
                aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                if self.basic_auth
                else None
            )
            made = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            )
            kept = self._kept_session = (loop, made)
        return _KeptSession(kept[1])

    session.kept = True  # type: ignore[attr-defined]
    EndpointConfig.session = session


def install_serving_patches() -> None:
    """The patches a serving Rasa process needs before it loads its model."""
    import sklearn

    run_prediction_graph_sequentially()
    log_each_interpolation_error_once()
    remember_tfidf_idf()
    transform_feature_unions_in_turn()
    sklearn.set_config(assume_finite=True)
    share_spacy_models()
    keep_endpoint_connections()
