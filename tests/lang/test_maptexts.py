"""Map texts: call-site seeds, literal substitution, exact replay."""

from __future__ import annotations

from xent_envs.lang import TextSource, call_site_seed, instantiate_map, load

from .lang_stubs import ListTextSource, SeededTextSource

SOURCE = (
    'assign(s=story(), s1=story(), l=generate_list("fruits", 2))\n'
    "assign(l1=generate_masked(1), l2=generate_list_next_token(), l3=generate_list_next_token(2))\n"
    "elicit(x, 3)"
)


def test_instantiated_map_is_plain_text() -> None:
    program = instantiate_map(load(SOURCE), ListTextSource(["A.", 'B "q"']), seed=5)
    assert program.to_source() == (
        'assign(s="A.", s1="B \\"q\\"", l=["fruits 0", "fruits 1"])\n'
        'assign(l1=["the cat sat", "the [MASK] sat"], l2=["the cat", " sat"], '
        'l3=["the cat", " sat"])\n'
        "elicit(x, 3)\n"
    )
    assert load(program.to_source()).to_source() == program.to_source()


def test_seeds_depend_on_call_site_and_map_seed() -> None:
    source = ListTextSource(["x"])
    instantiate_map(load(SOURCE), source, seed=5)
    assert len(set(source.seeds)) == len(source.seeds) == 6
    assert source.seeds[0] == call_site_seed(5, 1, 10)
    assert call_site_seed(5, 1, 10) != call_site_seed(6, 1, 10)
    assert 0 <= call_site_seed(2**70, 64, 10_000) < 2**63


def test_same_seed_same_map() -> None:
    program = load("assign(s=story(), t=story())\nelicit(x, 3)")
    a = instantiate_map(program, SeededTextSource(), 11).to_source()
    b = instantiate_map(program, SeededTextSource(), 11).to_source()
    c = instantiate_map(program, SeededTextSource(), 12).to_source()
    assert a == b != c


def test_stub_sources_satisfy_the_protocol() -> None:
    assert isinstance(SeededTextSource(), TextSource)
    assert isinstance(ListTextSource(["a"]), TextSource)
