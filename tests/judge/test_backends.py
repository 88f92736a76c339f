"""The table of backends, option checks, the CachedJudge wrapper and load_judge's reuse."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from xent_envs.errors import ConfigError, JudgeError, JudgeRequestError, UnknownNameError
from xent_envs.judge import (
    Backend,
    CachedJudge,
    Judge,
    Option,
    ScoringBackend,
    TransformersJudge,
    build_judge,
    known_judges,
    load_judge,
    register_backend,
    unregister_backend,
)
from xent_envs.judge.backends import backend_for, int_at_least, positive_number
from xent_envs.score import Score


class ByteBackend:
    """A scoring backend over bytes: a token is a byte, worth ``1 + byte % 7`` bits, plus
    ``offset``. It stands for the second backend (an HTTP client) in tests of the table."""

    vocab_size = 256

    def __init__(self, name: str, offset: float = 0.0, log: list | None = None) -> None:
        self.name = name
        self.offset = offset
        self.log = log if log is not None else []

    @property
    def fingerprint(self) -> dict[str, Any]:
        return {"model": self.name, "offset": self.offset}

    def encode(self, text: str) -> list[int]:
        return list(text.encode())

    def decode(self, ids: Sequence[int]) -> str:
        return bytes(ids).decode(errors="replace")

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return [self.decode([i]) for i in ids]

    def score(self, requests: Sequence[tuple[str, str]]) -> list[Score]:
        self.log.append(list(requests))
        return [
            Score(
                tuple(self.token_strings(self.encode(text))),
                tuple(1 + b % 7 + self.offset for b in self.encode(text)),
            )
            for text, _ in requests
        ]

    def generate(self, prompt: str, max_new_tokens: int, seed: int, **options: Any) -> str:
        return prompt[:max_new_tokens]


@pytest.fixture
def byte_backend():
    """A registered backend serving ``bytes-judge`` and names starting with ``bytes://``."""
    built: list[str] = []

    def factory(name: str, *, offset: float) -> ByteBackend:
        built.append(name)
        return ByteBackend(name, offset)

    register_backend(
        Backend(
            name="bytes",
            factory=factory,
            options={"offset": Option(0.0, lambda key, v: float(v), "bits added per token")},
            names={"bytes-judge": "a judge over bytes (tests)"},
            prefixes=("bytes://",),
        )
    )
    try:
        yield built
    finally:
        unregister_backend("bytes")


def test_built_in_names_route_to_their_backends():
    assert backend_for("smollm2-135m").name == "smollm2"
    assert backend_for("tiny-random-gpt2").name == "tiny"
    assert backend_for("gpt2").name == "transformers"
    assert backend_for("Qwen/Qwen2.5-0.5B").name == "transformers"
    assert backend_for("./my-model").name == "transformers"
    assert backend_for("http://127.0.0.1:8000").name == "http"
    assert backend_for("openai+http://gpu:8000/v1").name == "openai-completions"
    assert set(known_judges()) >= {"smollm2-135m", "tiny-random-gpt2"}


def test_a_name_no_backend_serves_lists_the_known_ones():
    with pytest.raises(UnknownNameError) as info:
        backend_for("grpc://127.0.0.1:8000")
    message = str(info.value)
    assert "unknown judge 'grpc://127.0.0.1:8000'" in message
    assert "smollm2-135m" in message and "tiny-random-gpt2" in message


def test_a_registered_prefix_routes_urls(byte_backend):
    judge = load_judge("bytes://127.0.0.1:8000", offset=0.5)
    assert isinstance(judge, CachedJudge) and isinstance(judge.backend, ByteBackend)
    assert judge.xent("ab").bits == (1 + 97 % 7 + 0.5, 1 + 98 % 7 + 0.5)
    assert byte_backend == ["bytes://127.0.0.1:8000"]
    with pytest.raises(UnknownNameError, match="or a name starting with http://, .*, bytes://"):
        backend_for("ftp://x")


def test_the_longest_prefix_wins(byte_backend):
    register_backend(
        Backend(name="bytes-tls", factory=lambda name: ByteBackend(name), prefixes=("bytes://s",))
    )
    try:
        assert backend_for("bytes://secure").name == "bytes-tls"
        assert backend_for("bytes://plain").name == "bytes"
    finally:
        unregister_backend("bytes-tls")


def test_registering_twice_is_refused(byte_backend):
    again = Backend(name="bytes", factory=lambda name: ByteBackend(name))
    with pytest.raises(ConfigError, match="already registered"):
        register_backend(again)
    clash = Backend(name="other", factory=lambda name: ByteBackend(name), names={"bytes-judge": ""})
    with pytest.raises(ConfigError, match="already served by the 'bytes' backend"):
        register_backend(clash)


@pytest.mark.parametrize(
    "options,message",
    [
        (
            {"temperature": 2},
            "judge 'tiny-random-gpt2' (tiny backend) takes no option 'temperature'",
        ),
        ({"dtyp": "float32"}, "did you mean 'dtype'?"),
        ({"cache_sise": 3}, "did you mean 'cache_size'?"),
        ({"dtype": "float8"}, "dtype must be one of ['auto', 'float32', 'bfloat16', 'float16']"),
        ({"device": "gpu"}, "device must be 'auto' or a torch device like 'cpu', got 'gpu'"),
        ({"device": "cuda"}, "CUDA is not available here"),
        ({"max_tokens_per_batch": 0}, "max_tokens_per_batch must be an int >= 1, got 0"),
        ({"max_tokens_per_batch": 2.5}, "max_tokens_per_batch must be an int >= 1, got 2.5"),
        ({"cache_size": -1}, "cache_size must be an int >= 0, got -1"),
        ({"score_first_token": "no"}, "score_first_token must be True or False, got 'no'"),
        ({"verify": True}, "takes no option 'verify'"),
    ],
)
def test_options_are_checked_per_backend(options, message):
    pytest.importorskip("torch")
    import torch

    if options.get("device") == "cuda" and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ConfigError) as info:
        load_judge("tiny-random-gpt2", **options)
    assert message in str(info.value)


def test_the_default_judge_takes_verify_but_not_temperature():
    from xent_envs.judge.backends import backend_for

    smollm2 = backend_for("smollm2-135m")
    assert smollm2.check_options("smollm2-135m", {"verify": True})["verify"] is True
    with pytest.raises(ConfigError, match="takes no option 'temperature'"):
        smollm2.check_options("smollm2-135m", {"temperature": 1})


def test_number_checks():
    assert int_at_least(1)("n", 3) == 3
    for bad in (0, True, "3", 2.0):
        with pytest.raises(ConfigError):
            int_at_least(1)("n", bad)
    assert positive_number("t", 2) == 2.0
    for bad in (0, -1, math.nan, math.inf, "1", False):
        with pytest.raises(ConfigError):
            positive_number("t", bad)


def test_a_judge_name_must_be_a_string():
    for bad in ("", 123, None):
        with pytest.raises(ConfigError, match="a judge name must be a non-empty str"):
            load_judge(bad)  # type: ignore[arg-type]


def test_load_judge_reuses_per_name_and_checked_options(tiny_judge):
    assert load_judge("tiny-random-gpt2") is tiny_judge
    # defaults filled in: the same judge whether an option is given at its default or not
    assert load_judge("tiny-random-gpt2", dtype="auto", cache_size=4096) is tiny_judge
    assert load_judge("tiny-random-gpt2", dtype="float32") is not tiny_judge
    assert build_judge("tiny-random-gpt2") is not tiny_judge


def test_concurrent_loads_build_once(byte_backend):
    results: list[Any] = []
    slow = Backend(
        name="slow-bytes",
        factory=lambda name: (byte_backend.append(name), time.sleep(0.2), ByteBackend(name))[2],
        names={"slow-bytes-judge": "slow to build (tests)"},
    )
    register_backend(slow)
    try:
        threads = [
            threading.Thread(target=lambda: results.append(load_judge("slow-bytes-judge")))
            for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        unregister_backend("slow-bytes")
    assert len(results) == 6 and all(judge is results[0] for judge in results)
    assert byte_backend == ["slow-bytes-judge"]


def test_loaded_judges_satisfy_the_protocols(tiny_judge, byte_backend):
    assert isinstance(tiny_judge, Judge) and isinstance(tiny_judge.backend, TransformersJudge)
    assert isinstance(tiny_judge.backend, ScoringBackend)
    assert isinstance(load_judge("bytes-judge"), Judge)


def test_wrapper_deduplicates_and_caches_for_any_backend():
    backend = ByteBackend("b")
    judge = CachedJudge(backend, cache_size=2)
    first = judge.score_batch([("ab", ""), ("ab", ""), ("", "x"), ("cd", "p")])
    assert backend.log == [[("ab", ""), ("cd", "p")]]  # one call, distinct non-empty requests
    assert first[0] == first[1] and first[2] == Score()
    assert judge.score_batch([("cd", "p"), ("ab", "")]) == [first[3], first[0]]
    assert len(backend.log) == 1 and judge.cache_info()["hits"] == 2
    judge.clear_cache()
    judge.xent("ab")
    assert len(backend.log) == 2


class BrokenBackend(ByteBackend):
    def __init__(self, answer: list[Score]) -> None:
        super().__init__("broken")
        self.answer = answer

    def score(self, requests: Sequence[tuple[str, str]]) -> list[Score]:
        return self.answer


def test_wrapper_refuses_non_finite_scores_and_wrong_counts():
    nan = CachedJudge(BrokenBackend([Score(("a",), (math.nan,))]))
    with pytest.raises(JudgeError, match="returned a non-finite score for text 'a'"):
        nan.xent("a")
    assert nan.cache_info()["size"] == 0  # nothing wrong is kept
    with pytest.raises(JudgeError, match="answered 0 scores for 1 requests"):
        CachedJudge(BrokenBackend([])).xent("a")


def test_wrapper_refuses_texts_that_are_not_strings(tiny_judge):
    with pytest.raises(JudgeRequestError, match="a judge scores str"):
        tiny_judge.score_batch([(3, "")])  # type: ignore[list-item]


def test_a_judge_whose_canary_is_nan_does_not_load(byte_backend):
    register_backend(
        Backend(
            name="nan-bytes",
            factory=lambda name: BrokenBackend([Score(("x",), (math.nan,))]),
            names={"nan-judge": "answers nan (tests)"},
        )
    )
    try:
        with pytest.raises(JudgeError, match="judge 'broken' failed its load check"):
            load_judge("nan-judge")
    finally:
        unregister_backend("nan-bytes")
