"""The sentence encoder (bot/nlu/minilm.py, encoder_files.py, encoder.py): BERT's tokenizer, the
safetensors reader, the model's output, and refusal of any files but the pinned ones.

Needs `faqbot build-encoder` (make test-fast builds it)."""

from __future__ import annotations

import json
import re
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from bot.config import ROOT, Settings
from bot.nlu import encoder_files
from bot.nlu.encoder import load_encoder
from bot.nlu.minilm import RowReader, SentenceEncoder, WordPiece, read_safetensors

DIRECTORY = Settings().encoder_dir


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return load_encoder(DIRECTORY)


@pytest.fixture(scope="module")
def tokenizer() -> WordPiece:
    return WordPiece.from_tokenizer_json(DIRECTORY / encoder_files.TOKENIZER_FILE)


def pieces(tokenizer: WordPiece, text: str) -> list[str]:
    names = {i: token for token, i in tokenizer.vocab.items()}
    return [names[i] for i in tokenizer.tokenize(text)]


def test_known_token_ids(tokenizer: WordPiece) -> None:
    # bert-base-uncased's vocabulary: [CLS] 101, [SEP] 102, hello 7592, world 2088, the 1996,
    # "," 1010, "." 1012, "?" 1029, [UNK] 100
    assert tokenizer.encode("Hello, world.") == [101, 7592, 1010, 2088, 1012, 102]
    assert tokenizer.encode("the?") == [101, 1996, 1029, 102]
    assert tokenizer.tokenize("\u2603\u2603\u2603qqqqqqqqqq" * 20) == [100]  # too long: [UNK]


def test_wordpiece_splits_as_bert_does(tokenizer: WordPiece) -> None:
    assert pieces(tokenizer, "unaffable") == ["una", "##ffa", "##ble"]
    assert pieces(tokenizer, "Café BOTOX® injections") == [
        "cafe",
        "bot",
        "##ox",
        "##®",
        "injection",
        "##s",
    ]  # fmt: skip ("®" is a symbol, not punctuation: BERT keeps it in the word)
    assert pieces(tokenizer, "don't\tstop") == ["don", "'", "t", "stop"]
    assert pieces(tokenizer, "a\u200bb \x00c") == ["ab", "c"]  # format and control characters go


def test_sequences_are_cut_to_the_maximum_length(tokenizer: WordPiece) -> None:
    ids = tokenizer.encode("word " * 600, max_length=256)
    assert len(ids) == 256 and ids[0] == 101 and ids[-1] == 102


def test_safetensors_reader_and_row_reader(tmp_path: Path) -> None:
    matrix = np.arange(12, dtype=np.float32).reshape(4, 3)
    vector = np.array([1.5, -2.0], dtype=np.float32)
    header = {
        "__metadata__": {"format": "pt"},
        "m": {"dtype": "F32", "shape": [4, 3], "data_offsets": [0, 48]},
        "v": {"dtype": "F32", "shape": [2], "data_offsets": [48, 56]},
    }
    text = json.dumps(header).encode()
    path = tmp_path / "t.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + matrix.tobytes() + vector.tobytes())
    tensors = read_safetensors(path)
    assert np.array_equal(tensors["m"], matrix) and np.array_equal(tensors["v"], vector)
    assert not tensors["m"].flags.writeable  # a view of the map, not a copy
    rows = RowReader(path, "m")
    assert np.array_equal(rows[np.array([[3, 0]])], matrix[[3, 0]][None])
    with pytest.raises(IndexError):
        rows[np.array([4])]
    header["v"]["data_offsets"] = [48, 60]  # longer than the file
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + matrix.tobytes() + vector.tobytes())
    with pytest.raises(ValueError, match="does not fit"):
        read_safetensors(path)


def test_unit_vectors_and_reference_similarities(encoder: SentenceEncoder) -> None:
    # sentence-transformers' quick-start example for all-MiniLM-L6-v2 gives 0.6660, 0.1046 and
    # 0.1411 (float32); the 8-bit layers agree to 0.01.
    vectors = encoder.encode(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] == pytest.approx(0.6660, abs=0.01)
    assert similarity[0, 2] == pytest.approx(0.1046, abs=0.01)
    assert similarity[1, 2] == pytest.approx(0.1411, abs=0.01)


def test_paraphrases_are_closer_than_an_unrelated_question(encoder: SentenceEncoder) -> None:
    cost, price, driving = encoder.encode(
        [
            "how much does botox for migraine cost",
            "what is the price of the injections for headaches",
            "can i drive home after the appointment",
        ]
    )
    assert cost @ price > cost @ driving + 0.2
    assert cost @ price > price @ driving + 0.2


def test_batches_give_the_vectors_one_at_a_time_gives(encoder: SentenceEncoder) -> None:
    texts = ["hi", "does it hurt", "how many injections do they give you at each session", "cost"]
    one_by_one = encoder.encode(texts)
    assert np.allclose(encoder.encode(texts, batch_size=3), one_by_one, atol=1e-5)


def test_the_onnx_layers_match_the_numpy_reference(encoder: SentenceEncoder) -> None:
    texts = ["does it hurt", "My GP mentioned Botox for chronic migraine. What is it, exactly?"]
    reference = SentenceEncoder.from_directory(DIRECTORY)  # float32 numpy layers
    cosine = np.sum(encoder.encode(texts) * reference.encode(texts), axis=1)
    assert cosine.min() > 0.998, cosine


def copy_sources(target: Path) -> Path:
    target.mkdir()
    for name in encoder_files.FILES:
        (target / name).symlink_to(DIRECTORY / name)
    return target


def test_the_pinned_files_pass() -> None:
    encoder_files.verify(DIRECTORY)
    assert encoder_files.verify_built(DIRECTORY) == DIRECTORY / encoder_files.ONNX_FILE


def test_other_weights_are_refused(tmp_path: Path) -> None:
    directory = copy_sources(tmp_path / "m")
    (directory / encoder_files.MODEL_FILE).unlink()
    shutil.copyfile(DIRECTORY / encoder_files.MODEL_FILE, directory / encoder_files.MODEL_FILE)
    with (directory / encoder_files.MODEL_FILE).open("r+b") as handle:
        handle.seek(50_000_000)
        byte = handle.read(1)
        handle.seek(50_000_000)
        handle.write(bytes([byte[0] ^ 1]))  # one bit, same size
    with pytest.raises(encoder_files.EncoderFilesError, match="not the pinned"):
        encoder_files.verify(directory)


def test_another_vocabulary_is_refused(tmp_path: Path) -> None:
    directory = copy_sources(tmp_path / "m")
    spec = json.loads((DIRECTORY / encoder_files.TOKENIZER_FILE).read_text("utf-8"))
    vocab = spec["model"]["vocab"]
    vocab["hello"], vocab["world"] = vocab["world"], vocab["hello"]
    (directory / encoder_files.TOKENIZER_FILE).unlink()
    (directory / encoder_files.TOKENIZER_FILE).write_text(json.dumps(spec), "utf-8")
    with pytest.raises(encoder_files.EncoderFilesError, match="vocabulary"):
        encoder_files.verify(directory)


def test_a_graph_not_built_here_is_refused(tmp_path: Path) -> None:
    directory = copy_sources(tmp_path / "m")
    shutil.copyfile(
        DIRECTORY / encoder_files.MANIFEST_FILE, directory / encoder_files.MANIFEST_FILE
    )
    (directory / encoder_files.ONNX_FILE).write_bytes(b"not the graph")
    with pytest.raises(encoder_files.EncoderFilesError, match="not the graph built here"):
        encoder_files.verify_built(directory)


def test_a_wrong_archive_builds_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(encoder_files.MODEL_FILE, b"\0" * 64)
        zipped.write(DIRECTORY / encoder_files.TOKENIZER_FILE, encoder_files.TOKENIZER_FILE)
        zipped.write(DIRECTORY / encoder_files.CONFIG_FILE, encoder_files.CONFIG_FILE)
    target = tmp_path / "built"
    with pytest.raises(encoder_files.EncoderFilesError, match="not the pinned"):
        encoder_files.build(target, archive=archive)
    assert not target.exists()


def test_the_wheel_pin_is_the_one_in_pyproject() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^model-files = \["([^"]+)"\]$', pyproject, re.MULTILINE)
    assert match and match.group(1) == encoder_files.WHEEL
