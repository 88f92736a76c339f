"""Which seats move "at the same time": the phases of a program, read from its text.

A game is played one ``elicit`` at a time, but two moves are simultaneous when the later
seat cannot see the earlier move before writing its own. The program says when that holds,
so no list of games is kept anywhere:

- a **phase** is a run of consecutive ``elicit`` lines: nothing runs between them (no
  ``reveal``, ``reward``, ``ensure`` or ``assign``), so no seat is shown or paid anything
  inside a phase;
- a phase is **blind** when no seat in it can read a move written before it in the same
  phase: the later seat is not omniscient (``black``, ``white`` and ``env`` see every
  register) and the earlier move's register is not public (``a``, ``b``, ``p``). A reveal
  made before the phase shows the value of that time, not the new move.

A game can be played as a PettingZoo **parallel** env when every phase is blind and holds
each seat exactly once (one step: every seat moves), and no ``ensure`` can send one seat
back alone (a parallel step cannot ask one seat again). Of the built-in games only
Schelling qualifies: black, alice and bob pick in one blind phase. Debate does not: white
writes after black and, omniscient, reads black's case first.
"""

from __future__ import annotations

from dataclasses import dataclass

from xent_envs.envs.match import elicit_line
from xent_envs.lang import Program
from xent_envs.lang.names import OMNISCIENT_PLAYERS, PUBLIC_REGISTERS

__all__ = ["Move", "Phase", "move_phases", "parallel_problem"]


@dataclass(frozen=True)
class Move:
    """One move a program asks for: the seat, the register it writes, the source line."""

    seat: str
    register: str
    line: int


@dataclass(frozen=True)
class Phase:
    """Moves asked one after another with nothing run between them."""

    moves: tuple[Move, ...]

    @property
    def seats(self) -> tuple[str, ...]:
        """The seats asked in this phase, in order (a seat may appear twice)."""
        return tuple(m.seat for m in self.moves)

    def leak(self) -> str | None:
        """How a seat of this phase could read an earlier move of it (``None``: blind)."""
        for j, later in enumerate(self.moves):
            for earlier in self.moves[:j]:
                if later.seat == earlier.seat:
                    return f"{later.seat} moves twice (lines {earlier.line} and {later.line})"
                if later.seat in OMNISCIENT_PLAYERS:
                    why = f"{later.seat} sees every register"
                elif earlier.register in PUBLIC_REGISTERS:
                    why = f"{earlier.register} is a public register"
                else:
                    continue
                return (
                    f"{later.seat} (line {later.line}) reads {earlier.seat}'s move "
                    f"{earlier.register} before writing its own ({why})"
                )
        return None


def move_phases(program: Program) -> tuple[Phase, ...]:
    """The phases of ``program`` in source order (each ``elicit`` of several registers asks
    its seat once per register)."""
    phases: list[list[Move]] = []
    previous_was_elicit = False
    for ins in program.instructions:
        asked = elicit_line(ins)
        if asked is None:
            previous_was_elicit = False
            continue
        if not previous_was_elicit:
            phases.append([])
        phases[-1] += [Move(asked.seat, r, asked.line) for r in asked.registers]
        previous_was_elicit = True
    return tuple(Phase(tuple(moves)) for moves in phases)


def parallel_problem(program: Program) -> str | None:
    """Why ``program`` cannot be played as a parallel env (``None`` when it can).

    >>> from xent_envs.lang import load
    >>> blind = "elicit(alice, x, 3)\\nelicit(bob, y, 3)\\nreward(alice, xent(x | y))"
    >>> parallel_problem(load(blind))
    >>> parallel_problem(load("elicit(x, 3)\\nelicit(white, y, 3)\\nreward(xent(x | y))"))
    "white (line 2) reads black's move x before writing its own (white sees every register)"
    """
    phases = move_phases(program)
    seats = tuple(dict.fromkeys(s for phase in phases for s in phase.seats))
    if len(seats) < 2:
        return f"it has one seat ({', '.join(seats) or 'none'}); a parallel env needs two or more"
    for ins in program.instructions:
        if ins.name == "ensure":
            return (
                f"line {ins.line} ({ins.to_source()}) can refuse a move and ask that seat "
                "again alone, which a parallel step (every seat moves) cannot express"
            )
    for phase in phases:
        leak = phase.leak()
        if leak is not None:
            return leak
        if sorted(phase.seats) != sorted(seats):
            moving = ", ".join(phase.seats)
            return (
                f"line {phase.moves[0].line}: {moving} move{'s' if len(phase.moves) == 1 else ''}"
                f" without the other seats (every phase must move {', '.join(seats)} together)"
            )
    return None
