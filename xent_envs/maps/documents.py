"""The user's own texts as a map source: a folder (one document per text file) or a JSONL file
(one document per line, in a ``"text"`` field).

Each document falls on the train or eval side of the split by a hash of its (normalised) text,
so a map never mixes them and an eval story never comes from a train document, whatever the
seed. A story is a seeded window of a document, starting at a sentence and cut to the story
length in judge tokens, so a long document gives many stories (all on its side). Lists come
from the catalogues, as for the default source.

Bad input is refused at load time, naming the file (and line): an empty folder or file, a
binary file, a document that is empty or larger than ``MAX_DOCUMENT_BYTES``, more than
``MAX_DOCUMENTS`` documents.

Example:
    >>> source = DocumentSource(["The tide came in. The gulls left.", "Rain fell all day."])
    >>> source.kind, len(source.documents)
    ('docs', 2)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xent_envs.errors import TextSourceError
from xent_envs.judge.base import Judge
from xent_envs.maps.catalogues import catalogues_digest
from xent_envs.maps.split import Split, content_side, normalise
from xent_envs.maps.texts import StoryTexts, end_at_sentence
from xent_envs.seeding import derive_seed

__all__ = [
    "DOCUMENTS_FORMAT",
    "MAX_DOCUMENTS",
    "MAX_DOCUMENT_BYTES",
    "Document",
    "DocumentSource",
    "DocumentTexts",
]

#: version of the code that cuts stories out of documents
DOCUMENTS_FORMAT = 1
MAX_DOCUMENTS = 100_000
MAX_DOCUMENT_BYTES = 1_000_000
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?\s+")


@dataclass(frozen=True)
class Document:
    """One text, where it came from (for messages), and its side of the split."""

    text: str
    origin: str
    side: Split


class DocumentSource:
    """Map texts cut from the user's documents (a ``MapSource`` of kind ``"docs"``).

    Args:
        documents: the texts (or ``Document`` objects); identical texts (after
            normalising case and spaces) count once.
        origin: where they came from, for messages.
        item_tokens, prefix_min_tokens, mask: as for ``JudgeTextSource``.

    Raises:
        TextSourceError: no document, or an empty one.
    """

    def __init__(
        self,
        documents: Sequence[str | Document],
        *,
        origin: str = "the documents",
        item_tokens: int = 12,
        prefix_min_tokens: int = 8,
        mask: str = "___",
    ) -> None:
        kept: dict[str, Document] = {}
        for i, doc in enumerate(documents):
            if not isinstance(doc, Document):
                doc = _document(doc, f"document {i} of {origin}")
            kept.setdefault(normalise(doc.text), doc)
        if not kept:
            raise TextSourceError(f"{origin} holds no document; a map needs at least one text")
        self.documents: tuple[Document, ...] = tuple(kept.values())
        self.origin = origin
        self.options: dict[str, Any] = {
            "item_tokens": item_tokens,
            "prefix_min_tokens": prefix_min_tokens,
            "mask": mask,
        }
        h = hashlib.sha256()
        for key in sorted(kept):
            h.update(hashlib.sha256(key.encode("utf-8")).digest())
        self._digest = h.hexdigest()[:16]

    @classmethod
    def open(cls, path: str | Path, **options: Any) -> DocumentSource:
        """The documents at ``path``: a ``.jsonl`` file or a folder of text files."""
        path = Path(path)
        if path.is_dir():
            return cls.from_folder(path, **options)
        if path.is_file() and path.suffix == ".jsonl":
            return cls.from_jsonl(path, **options)
        if path.is_file():
            raise TextSourceError(
                f"{path} is a file, not a .jsonl file or a folder: put one document per text "
                "file in a folder, or one JSON object with a 'text' field per line of a .jsonl"
            )
        raise TextSourceError(f"no folder or .jsonl file at {path}")

    @classmethod
    def from_folder(cls, folder: str | Path, **options: Any) -> DocumentSource:
        """One document per file under ``folder`` (sub-folders included; names starting with
        ``.`` skipped), each UTF-8 text.

        Raises:
            TextSourceError: no file, a binary, empty or too large file (named), or more than
                ``MAX_DOCUMENTS`` files.
        """
        root = Path(folder)
        docs: list[Document] = []
        for path in sorted(root.rglob("*")):
            if any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            if not path.is_file():
                continue
            if len(docs) == MAX_DOCUMENTS:
                raise TextSourceError(f"{root} holds more than {MAX_DOCUMENTS} files")
            size = path.stat().st_size
            if size > MAX_DOCUMENT_BYTES:
                raise TextSourceError(
                    f"{path} has {size} bytes; a document has at most {MAX_DOCUMENT_BYTES} "
                    "(split it into several files)"
                )
            docs.append(_document(_decode(path.read_bytes(), str(path)), str(path)))
        if not docs:
            raise TextSourceError(
                f"{root} holds no text file: put one document per UTF-8 text file in it"
            )
        return cls(docs, origin=str(root), **options)

    @classmethod
    def from_jsonl(cls, path: str | Path, *, field: str = "text", **options: Any) -> DocumentSource:
        """One document per non-blank line of ``path``: a JSON object whose ``field`` is a
        string.

        Raises:
            TextSourceError: a line that is not such an object, not UTF-8, empty or too
                large (named by its number), no document, or more than ``MAX_DOCUMENTS``.
        """
        path = Path(path)
        docs: list[Document] = []
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                where = f"{path}, line {number}"
                if len(raw) > MAX_DOCUMENT_BYTES:
                    raise TextSourceError(f"{where}: more than {MAX_DOCUMENT_BYTES} bytes")
                line = _decode(raw, where).strip()
                if not line:
                    continue
                if len(docs) == MAX_DOCUMENTS:
                    raise TextSourceError(f"{path} holds more than {MAX_DOCUMENTS} documents")
                try:
                    data = json.loads(line)
                except ValueError as exc:
                    raise TextSourceError(f"{where}: not JSON ({exc})") from None
                if not isinstance(data, dict) or not isinstance(data.get(field), str):
                    raise TextSourceError(
                        f"{where}: expected a JSON object with a string {field!r} field, got "
                        f"{line[:80]!r}"
                    )
                docs.append(_document(data[field], where))
        if not docs:
            raise TextSourceError(f"{path} holds no document (one JSON object per line)")
        return cls(docs, origin=str(path), **options)

    # -- the MapSource protocol ----------------------------------------------------------------

    @property
    def kind(self) -> str:
        return "docs"

    @property
    def fingerprint(self) -> dict[str, Any]:
        """The documents' content (not where they are: a moved folder makes the same maps),
        the catalogues and the options."""
        return {
            "kind": self.kind,
            "format": DOCUMENTS_FORMAT,
            "documents": self._digest,
            "count": len(self.documents),
            "catalogues": catalogues_digest(),
            **self.options,
        }

    def texts(
        self, judge: Judge, *, side: Split | None, story_tokens: int, map_seed: int
    ) -> DocumentTexts:
        """Texts cut from the documents on ``side``.

        Raises:
            TextSourceError: no document on ``side``.
        """
        return DocumentTexts(self, judge, story_tokens=story_tokens, side=side)

    def on(self, side: Split | None) -> tuple[Document, ...]:
        """The documents a draw on ``side`` uses (all of them for ``None``)."""
        return tuple(d for d in self.documents if side is None or d.side == side)

    def __repr__(self) -> str:
        return f"DocumentSource({self.origin!r}, {len(self.documents)} documents)"


class DocumentTexts(StoryTexts):
    """The ``TextSource`` of a ``DocumentSource``: stories are windows of its documents."""

    def __init__(
        self, source: DocumentSource, judge: Judge, *, story_tokens: int, side: Split | None
    ) -> None:
        super().__init__(judge, side=side, **source.options)
        self.story_tokens = story_tokens
        self.documents = source.on(side)
        if not self.documents:
            raise TextSourceError(
                f"{source.origin} has no document on the {side} side of the split "
                f"({len(source.documents)} documents; each falls on the eval side with "
                "probability 0.1 by a hash of its text): add documents, or draw the other side"
            )

    def story(self, seed: int) -> str:
        """A window of a seeded document: from a seeded sentence start (one that leaves a
        story's worth of text when the document has it), cut to ``story_tokens`` tokens and
        ended at a sentence when that keeps more than half."""
        doc = self.documents[derive_seed(seed, "document") % len(self.documents)].text
        need = min(len(doc), 4 * self.story_tokens)  # about 4 characters a token
        starts = [0] + [m.end() for m in _SENTENCE_END.finditer(doc) if len(doc) - m.end() >= need]
        start = starts[derive_seed(seed, "window") % len(starts)]
        window = " ".join(doc[start : start + 16 * self.story_tokens].split())
        return end_at_sentence(self._clip(window, self.story_tokens))


def _decode(data: bytes, where: str) -> str:
    if b"\x00" in data:
        raise TextSourceError(
            f"{where} is binary (it holds NUL bytes at byte {data.index(0)}), not a text file"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TextSourceError(
            f"{where} is not UTF-8 text (undecodable byte at position {exc.start})"
        ) from None


def _document(text: Any, where: str) -> Document:
    if not isinstance(text, str):
        raise TextSourceError(f"{where}: a document must be a str, got {type(text).__name__}")
    if not text.strip():
        raise TextSourceError(f"{where} is empty: every document needs some text")
    return Document(text.strip(), where, content_side("document", text))
