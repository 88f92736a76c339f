"""The codec of a remote judge: a transformers tokenizer held by the client.

A judge served over the network still tokenizes on the client's side: the environment asks
its codec for every move (cutting it to its budget, ``first_n_tokens``...), so a round trip
per call would cost more than the scoring it prepares. Only scoring and generation cross the
network; ``encode``, ``decode`` and ``token_strings`` stay local, with a tokenizer that is
checked to be the server's (:func:`files_digest` over its files).

- :class:`TokenizerCodec`: the three codec methods over a tokenizer, with the judge's checks on
  token ids.
- :func:`load_tokenizer`: a tokenizer by judge name, local folder or Hugging Face id.
- :func:`tokenizer_files` / :func:`tokenizer_from_files`: a tokenizer as the bytes of its files
  (what ``serve-judge`` sends), and back, kept in the user cache under its digest.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xent_envs.errors import JudgeRequestError, ModelNotFoundError
from xent_envs.judge.base import clean_text

__all__ = [
    "TokenizerCodec",
    "files_digest",
    "load_tokenizer",
    "tokenizer_files",
    "tokenizer_from_files",
]


class TokenizerCodec:
    """``encode``/``decode``/``token_strings`` of a transformers tokenizer.

    Args:
        tokenizer: a transformers tokenizer.
        vocab_size: the judge's vocabulary size (its output layer may have more rows than
            the tokenizer has tokens); default ``len(tokenizer)``.
        name: the judge's name, for error messages.

    Example:
        >>> codec = TokenizerCodec(load_tokenizer("tiny-random-gpt2"))
        >>> codec.encode("Hello world"), codec.token_strings([15496, 995])
        ([15496, 995], ['Hello', ' world'])
    """

    def __init__(self, tokenizer: Any, vocab_size: int | None = None, name: str = "") -> None:
        self.tokenizer = tokenizer
        self.vocab_size = int(vocab_size if vocab_size is not None else len(tokenizer))
        self.name = name
        self._token_text: dict[int, str] = {}
        self._lock = threading.Lock()

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no start token)."""
        return list(self.tokenizer(clean_text(text), add_special_tokens=False)["input_ids"])

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``.

        Raises:
            JudgeRequestError: an id that is not an int in ``[0, vocab_size)``.
        """
        return str(self.tokenizer.decode(self.checked_ids(ids)))

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """Readable string of each id (a byte fragment of a longer character shows as U+FFFD).

        Raises:
            JudgeRequestError: an id that is not an int in ``[0, vocab_size)``.
        """
        out = []
        for i in self.checked_ids(ids):
            text = self._token_text.get(i)
            if text is None:
                text = str(self.tokenizer.decode([i]))
                with self._lock:
                    self._token_text[i] = text
            out.append(text)
        return out

    def checked_ids(self, ids: Sequence[int]) -> list[int]:
        """``ids`` as ints, or a ``JudgeRequestError`` naming the first bad ones."""
        bad = [
            i
            for i in ids
            if isinstance(i, bool) or not hasattr(i, "__index__") or not 0 <= i < self.vocab_size
        ]
        if bad:
            raise JudgeRequestError(
                f"token ids must be ints in [0, {self.vocab_size}) for judge {self.name!r}; "
                f"got {bad[:5]!r}"
            )
        return [int(i) for i in ids]


def load_tokenizer(source: str) -> Any:
    """The tokenizer of a judge name (``"smollm2-135m"``: the judge's own, loading it), a local
    folder, or a Hugging Face id (from the local cache when offline).

    Raises:
        ModelNotFoundError: nothing loadable under that name.
    """
    from xent_envs.judge.backends import known_judges

    if source in known_judges():
        from xent_envs.judge.models import load_judge

        lm = getattr(load_judge(source).backend, "lm", None)
        if lm is None:
            raise ModelNotFoundError(f"judge {source!r} has no local tokenizer")
        return lm.tokenizer
    from transformers import AutoTokenizer

    from xent_envs.judge.hub import local_files_only

    local = Path(source).expanduser().is_dir()
    try:
        return AutoTokenizer.from_pretrained(
            source, local_files_only=local or local_files_only(source, None)
        )
    except (OSError, ValueError) as exc:
        raise ModelNotFoundError(f"cannot load a tokenizer from {source!r}: {exc}") from exc


def tokenizer_files(tokenizer: Any) -> dict[str, bytes]:
    """The files ``tokenizer.save_pretrained`` writes, by name."""
    with tempfile.TemporaryDirectory(prefix="xent-tokenizer-") as tmp:
        tokenizer.save_pretrained(tmp)
        return {p.name: p.read_bytes() for p in sorted(Path(tmp).iterdir()) if p.is_file()}


def files_digest(files: Mapping[str, bytes]) -> str:
    """One sha256 over the files' names and contents (in name order).

    >>> files_digest({"a.json": b"{}"})[:12]
    '67034dd476a1'
    """
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def tokenizer_from_files(files: Mapping[str, bytes]) -> Any:
    """A tokenizer rebuilt from its files, kept in the user cache under their digest (the
    next client on this machine loads it from there).

    Raises:
        ModelNotFoundError: the files do not make a tokenizer, or a file name is not a plain
            name (a path could write outside the cache).
    """
    from transformers import AutoTokenizer

    from xent_envs.judge.convert import cached_folder

    for name in files:
        if not name or Path(name).name != name or name.startswith("."):
            raise ModelNotFoundError(f"tokenizer file name {name!r} is not a plain file name")

    def build(tmp: Path) -> dict[str, Any]:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        return {"source": "serve-judge"}

    folder, _ = cached_folder(f"tokenizer-{files_digest(files)[:24]}", build)
    try:
        return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelNotFoundError(f"the tokenizer files do not load ({exc})") from exc
