"""The language stands on its own: it imports no judge and no model library (DESIGN.md,
"Layout"), and the judge's codec and truth helpers are the language's, re-exported."""

from __future__ import annotations

import json
import subprocess
import sys

# ``xent_envs/__init__.py`` registers the games (and so loads the judge's names); the test
# puts a bare parent package in its place, so that only what the language imports is loaded.
IMPORT_LANGUAGE_ALONE = """
import importlib.util, json, sys, types
spec = importlib.util.find_spec("xent_envs")
parent = types.ModuleType("xent_envs")
parent.__path__ = list(spec.submodule_search_locations)
sys.modules["xent_envs"] = parent
import xent_envs.lang
prefixes = ("xent_envs.judge", "xent_envs.envs", "xent_envs.registration", "torch", "transformers")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(prefixes))))
"""


def test_importing_the_language_loads_no_judge_and_no_model_library() -> None:
    code = IMPORT_LANGUAGE_ALONE
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(out.stdout) == []


def test_the_judge_re_exports_the_language_codec_and_truth_helpers() -> None:
    from xent_envs import judge
    from xent_envs.judge import base, truth
    from xent_envs.lang import codec
    from xent_envs.lang import truth as lang_truth

    assert judge.Codec is base.Codec is codec.Codec
    assert base.first_n_tokens is codec.first_n_tokens
    assert base.last_n_tokens is codec.last_n_tokens
    assert issubclass(base.Judge, codec.Codec)
    assert truth.truth_requests is lang_truth.truth_requests is judge.truth_requests
    assert truth.truth_verdict is lang_truth.truth_verdict
