"""Programs that try to reach Python: every one is refused with an XentError, and nothing
they ask for happens."""

from __future__ import annotations

from pathlib import Path

import pytest

from xent_envs.errors import XentError
from xent_envs.lang import load

HOSTILE = [
    'assign(s=__import__("os").system("touch {marker}"))',
    'assign(s=open("{marker}", "w"))',
    "assign(s=exec(\"open('{marker}', 'w')\"))",
    'assign(s=eval("1"))',
    "assign(s=s.__class__)",
    "assign(s=s.join(l))",
    "assign(s=x.upper())",
    "import os",
    "from os import system",
    "assign(s=(lambda: 1)())",
    "assign(l=[w for w in l])",
    "assign(l=[w for w in (open('{marker}', 'w'),)])",
    "assign(s={{}})",
    "assign(s=globals())",
    "assign(s=getattr(s, 'upper'))",
    "assign(s=breakpoint())",
    "assign(s=s[0])",
    "assign(s=s[::-1])",
    'assign(s=f"{{s}}")',
    "assign(s=b'x')",
    "assign(s=x if y else s)",
    "assign(s=s and x)",
    "assign(s=not s)",
    "assign(s=s @ x)",
    "assign(s=s ** 2)",
    "assign(s=~s)",
    "assign(s=print)",
    "assign(s=len)",
    "reward(xent(s)); import os",
    "@decorator",
    "assign(s=XString('a'))",
    "assign(s=story(**{{}}))",
    "assign(s=story(*l))",
    "assign(s=(yield))",
    "assign(s=await x)",
    "assign(s:=x)",
    "def f(): pass",
    "class A: pass",
    "assign(s=\\\n x)",
    "assign(s='\\N{{BULLET}}')",
    "assign(s=type(s))",
    "assign(s=_)",
    "elicit(x, 10)\nensure(__builtins__)",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_program_is_refused_without_side_effects(template: str, tmp_path: Path) -> None:
    marker = tmp_path / "reached_python"
    with pytest.raises(XentError):
        load(template.format(marker=marker))
    assert not marker.exists()


def test_huge_line_count_is_refused() -> None:
    with pytest.raises(XentError, match="at most 64 are allowed"):
        load("elicit(x, 1)\n" * 10_000)
