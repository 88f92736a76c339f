"""Programs that try to reach Python: every one is refused with an XentError, and nothing
they ask for happens. Python carried as text (in a string, a map text or a move) is played to
the end on the tiny judge and stays text: stored verbatim, scored as text, never run."""

from __future__ import annotations

from pathlib import Path

import pytest

from xent_envs.errors import XentError
from xent_envs.lang import GameOver, Machine, ScoreRequest, check, instantiate_map, load, parse
from xent_envs.lang.nodes import quote

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
    source = template.format(marker=marker)
    with pytest.raises(XentError):
        load(source)
    # Without load's parameter binding, the parser or the checker refuses it all the same.
    with pytest.raises(XentError):
        check(parse(source))
    assert not marker.exists()


PAYLOADS = [
    '__import__("os").system("touch {marker}")',
    "open('{marker}', 'w').write('x')",
    '"); open("{marker}", "w"); ("',
    "exec(\"open('{marker}', 'w')\")",
    "().__class__.__mro__[1].__subclasses__()",
    "\x1b]0;{marker}\x07\u202e",
]
GAME = (
    "assign(s={story})\n"
    "elicit(x, 64)\n"
    "assign(x1=remove_common_words(x, s), t=s + x)\n"
    "ensure(x != s + s)\n"
    "reveal(x1, t)\n"
    "reward(xed(s | x))"
)


class PayloadTexts:
    """A text source whose every text is the payload."""

    def __init__(self, payload: str) -> None:
        self.payload = payload

    def story(self, seed: int) -> str:
        return self.payload

    def generate_list(self, prompt: str, n: int, seed: int) -> list[str]:
        return [self.payload] * n

    def generate_masked(self, n: int, seed: int) -> list[str]:
        return [self.payload, self.payload]

    def generate_list_next_token(self, n: int, seed: int) -> list[str]:
        return [self.payload, self.payload]


@pytest.mark.parametrize("template", PAYLOADS)
@pytest.mark.parametrize("where", ["literal", "map text"])
def test_python_as_text_is_played_as_text(
    template: str, where: str, tmp_path: Path, tiny_judge
) -> None:
    marker = tmp_path / "reached_python"
    payload = template.format(marker=marker)
    if where == "literal":
        program = load(GAME.format(story=quote(payload)))
    else:
        program = instantiate_map(load(GAME.format(story="story()")), PayloadTexts(payload), 3)
        # The map is plain text that reads back to the same program.
        assert load(program.to_source()).to_source() == program.to_source()
    machine = Machine(program, tiny_judge, rounds=2)
    answered: list[tuple[str, str]] = []
    while not isinstance(request := machine.advance(), GameOver):
        if isinstance(request, ScoreRequest):
            answered += request.items
            machine.provide_scores(tiny_judge.score_batch(request.items))
        else:
            machine.provide_move(payload)
    assert not marker.exists()
    # Every payload fits the 64-token budget: the move is stored exactly as written.
    assert [e.text for e in machine.events if e.kind == "move"] == [payload, payload]
    reveal = next(e for e in machine.events if e.kind == "reveal")
    assert reveal.values["t"] == payload + payload
    expected = tiny_judge.xent(payload).total - tiny_judge.xent(payload, payload).total
    assert machine.scores[0]["black"] == pytest.approx(expected, abs=1e-9)
    assert machine.scores[1] == machine.scores[0]
    assert set(answered) == {(payload, ""), (payload, payload)}


def test_huge_line_count_is_refused() -> None:
    with pytest.raises(XentError, match="at most 64 are allowed"):
        load("elicit(x, 1)\n" * 10_000)
