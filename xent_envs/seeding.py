"""One way to derive seeds: a stable hash of the parts that identify what is being seeded.

Every seed of the suite (map seeds of an eval run, map-text call sites, the interpreter's
``sample``/``shuffle``, the judge's story generator, the train/eval split) comes from
:func:`derive_seed`, so a seed is the same on every machine and Python version (``hash()`` is
salted per process), and two purposes never share a seed by accident (their tags differ).
"""

from __future__ import annotations

import hashlib

__all__ = ["derive_seed", "unit_interval"]


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from ``parts`` (joined with ``:``), stable across runs and platforms.

    >>> derive_seed("xent-eval", 0, "Condense", 0) == derive_seed("xent-eval", 0, "Condense", 0)
    True
    >>> 0 <= derive_seed(2**70, "story") < 2**63
    True
    """
    text = ":".join(str(part) for part in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def unit_interval(*parts: object) -> float:
    """A number in ``[0, 1)`` fixed by ``parts``: ``derive_seed(*parts) / 2**63``."""
    return derive_seed(*parts) / 2**63
