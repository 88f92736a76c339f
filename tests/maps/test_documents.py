"""The user's own texts as a map source: a folder or a JSONL file, split by document."""

import json

import gymnasium as gym
import pytest

from xent_envs.errors import TextSourceError
from xent_envs.maps import DocumentSource, content_side, resolve_text_source, source_token
from xent_envs.maps.documents import MAX_DOCUMENT_BYTES

DOCS = [
    f"Document {i}. The {w} number {i} crossed the river at dawn. Nobody saw {w} {i} go. By "
    f"noon {w} {i} had reached the hills, and the village forgot it. Years later a child "
    f"found the tracks of {w} {i}."
    for i, w in enumerate(["fox", "cart", "bear", "pilgrim", "storm"] * 8)
]


@pytest.fixture()
def folder(tmp_path):
    root = tmp_path / "texts"
    (root / "more").mkdir(parents=True)
    for i, text in enumerate(DOCS):
        (root / ("more" if i % 2 else "") / f"doc{i:02d}.txt").write_text(text, encoding="utf-8")
    (root / ".hidden").write_bytes(b"\x00\x01 ignored: names starting with a dot are skipped")
    return root


def test_a_folder_and_a_jsonl_of_the_same_texts_are_the_same_source(folder, tmp_path):
    jsonl = tmp_path / "texts.jsonl"
    jsonl.write_text(
        "\n".join(json.dumps({"text": t, "id": i}) for i, t in enumerate(DOCS)) + "\n\n"
    )
    a, b = DocumentSource.open(folder), resolve_text_source(f"docs:{jsonl}")
    assert len(a.documents) == len(DOCS) == 40
    assert source_token(a) == source_token(b) and source_token(a).startswith("docs-")
    # where the folder is does not matter; what it holds does
    (folder / "doc00.txt").write_text(DOCS[0] + " One more sentence.", encoding="utf-8")
    assert source_token(DocumentSource.open(folder)) != source_token(a)


def test_documents_split_by_their_own_hash(folder):
    source = DocumentSource.open(folder)
    sides = {d.side for d in source.documents}
    assert sides == {"train", "eval"}
    for doc in source.documents:
        assert doc.side == content_side("document", doc.text)
    assert len(source.on("train")) + len(source.on("eval")) == 40


def test_stories_are_windows_of_documents_on_their_side(folder, tiny_judge):
    source = DocumentSource.open(folder)
    for side in ("train", "eval"):
        texts = source.texts(tiny_judge, side=side, story_tokens=24, map_seed=0)
        allowed = [" ".join(d.text.split()) for d in source.on(side)]
        stories = [texts.story(seed) for seed in range(30)]
        assert stories == [texts.story(seed) for seed in range(30)]
        for story in stories:
            assert any(story in doc for doc in allowed)
            assert 0 < len(tiny_judge.encode(story)) <= 24
        assert len(set(stories)) > (10 if side == "train" else 2)  # windows of documents
    assert texts.generate_list("Animals", 2, seed=1)  # lists come from the catalogues


def test_an_env_plays_the_users_texts(folder, tiny_judge):
    source = DocumentSource.open(folder)
    env = gym.make("xent/Condense-v0", judge=tiny_judge, text_source=source, story_tokens=24)
    obs, info = env.reset(seed=3)
    assert info["instance_id"].endswith(f";texts={source_token(source)}")
    numbers = {side: [DOCS.index(d.text) for d in source.on(side)] for side in ("train", "eval")}
    assert any(_quotes(obs, i) for i in numbers["train"])  # a window of a train document
    assert not any(_quotes(obs, i) for i in numbers["eval"])
    by_name = gym.make(
        "xent/Condense-v0", judge=tiny_judge, text_source=f"docs:{folder}", story_tokens=24
    )
    assert by_name.reset(seed=3) == (obs, info)


def _quotes(obs, i):
    """Whether ``obs`` holds a sentence of document ``i`` that names it."""
    return any(s in obs for s in DOCS[i].split(". ") if f" {i}" in s)


def test_an_empty_folder_is_refused(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(TextSourceError, match=r"empty holds no text file: put one document"):
        DocumentSource.open(tmp_path / "empty")


def test_a_binary_file_is_refused_by_name(folder):
    (folder / "more" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    with pytest.raises(TextSourceError, match=r"photo\.jpg is binary \(it holds NUL bytes"):
        DocumentSource.open(folder)
    (folder / "more" / "photo.jpg").write_bytes(b"caf\xe9 latin-1, not UTF-8")
    with pytest.raises(TextSourceError, match=r"photo\.jpg is not UTF-8 text"):
        DocumentSource.open(folder)


def test_empty_and_oversized_documents_are_refused_by_name(folder):
    (folder / "blank.txt").write_text("  \n\t\n")
    with pytest.raises(TextSourceError, match=r"blank\.txt is empty"):
        DocumentSource.open(folder)
    (folder / "blank.txt").write_text("x" * (MAX_DOCUMENT_BYTES + 1))
    with pytest.raises(TextSourceError, match=r"blank\.txt has 1000001 bytes; a document has at"):
        DocumentSource.open(folder)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", r"line 2: not JSON"),
        ('["a list"]', r"line 2: expected a JSON object with a string 'text' field"),
        ('{"body": "no text field"}', r"line 2: expected a JSON object"),
        ('{"text": "   "}', r"line 2 is empty"),
    ],
)
def test_bad_jsonl_lines_are_refused_by_number(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": DOCS[0]}) + "\n" + line + "\n")
    with pytest.raises(TextSourceError, match=message):
        DocumentSource.open(path)


def test_other_paths_are_refused(tmp_path):
    with pytest.raises(TextSourceError, match="no folder or .jsonl file at"):
        DocumentSource.open(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(TextSourceError, match="is a file, not a .jsonl file or a folder"):
        DocumentSource.open(tmp_path / "notes.txt")
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(TextSourceError, match="holds no document"):
        DocumentSource.open(tmp_path / "empty.jsonl")


def test_a_side_with_no_document_is_a_clear_error(tiny_judge):
    train_only = [d for d in DOCS if content_side("document", d) == "train"][:3]
    source = DocumentSource(train_only, origin="three texts")
    with pytest.raises(TextSourceError, match="three texts has no document on the eval side"):
        source.texts(tiny_judge, side="eval", story_tokens=24, map_seed=0)
