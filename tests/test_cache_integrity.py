"""The cache trusts contents, not names: metadata must match the request, checksums cover metadata and embeddings,
readers need no write access, files respect the umask, leftovers of dead writers are cleaned up."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import time

import h5py
import numpy as np
import pytest

from imagine_bench.data import DatasetError, load_datasets, store
from imagine_bench.imagination import ScriptedImagination
from imagine_bench.language import CachedEmbedder, HashingEmbedder
from imagine_bench.language.embedders import EmbeddingCacheError
from imagine_bench.paths import default_cache_dir
from imagine_bench.storage import atomic_write

SMALL = {"real_episodes_per_task": 2, "imaginary_episodes_per_task": 2, "progress": False}


def _files(cache, domain="toy"):
    return {p.name.split("-n")[0]: p for p in (cache / "datasets" / domain).glob("*.h5")}


def test_imaginary_file_under_the_real_name_is_refused(tmp_path):
    load_datasets("toy", "hard", imagination=ScriptedImagination(), cache_dir=tmp_path, **SMALL)
    files = _files(tmp_path)
    shutil.copyfile(files["imaginary-hard-scripted"], files["real"])
    with pytest.raises(DatasetError) as info:
        load_datasets("toy", "hard", imagination=ScriptedImagination(), cache_dir=tmp_path, **SMALL)
    message = str(info.value)
    assert str(files["real"]) in message and "kind: file has 'imaginary', requested 'real'" in message
    assert "backend.backend" in message


def test_another_domains_file_under_this_domains_name_is_refused(tmp_path):
    load_datasets("toy", "real", cache_dir=tmp_path, **SMALL)
    load_datasets("toy_discrete", "real", cache_dir=tmp_path, **SMALL)
    target = _files(tmp_path)["real"]
    shutil.copyfile(_files(tmp_path, "toy_discrete")["real"], target)
    with pytest.raises(DatasetError, match="domain: file has 'toy_discrete', requested 'toy'") as info:
        load_datasets("toy", "real", cache_dir=tmp_path, **SMALL)
    assert str(target) in str(info.value)


def test_the_checksum_covers_the_metadata(tmp_path):
    load_datasets("toy", "real", cache_dir=tmp_path, **SMALL)
    path = _files(tmp_path)["real"]
    with h5py.File(path, "r+") as f:
        f.attrs["metadata"] = f.attrs["metadata"].replace('"versions"', '"versions_"')
    with pytest.raises(DatasetError, match="checksum"):
        store.load(path)


def test_format_1_files_are_still_read_and_still_compared(tmp_path):
    real, _ = load_datasets("toy", "real", cache_dir=tmp_path, **SMALL)
    path = _files(tmp_path)["real"]
    with h5py.File(path, "r+") as f:  # what format 1 wrote: a checksum over the arrays only
        f.attrs["format"] = "imagine_bench.rollouts/1"
        f.attrs["checksum"] = store.checksum(real)
    again, _ = load_datasets("toy", "real", cache_dir=tmp_path, **SMALL)
    np.testing.assert_array_equal(again.states, real.states)
    with pytest.raises(DatasetError, match="seed: file has 0, requested 1"):
        store.load(path, expected={**real.metadata, "seed": 1})


def test_absurd_or_non_finite_data_is_not_cached(tmp_path):
    real, _ = load_datasets("toy", "real", cache_dir=tmp_path, **SMALL)
    huge = dataclasses.replace(real, states=real.states * np.float32(1e30))
    with pytest.raises(ValueError, match="refusing to write .*states reach"):
        store.save(tmp_path / "huge.h5", huge)
    actions = real.actions.copy()
    actions[0] = np.inf
    with pytest.raises(ValueError, match="actions contain NaN or infinite"):
        store.save(tmp_path / "inf.h5", dataclasses.replace(real, actions=actions))
    assert not list(tmp_path.glob("*huge*")) and not list(tmp_path.glob("*inf.h5*"))


def test_a_complete_cache_is_read_without_taking_the_lock(tmp_path, monkeypatch):
    load_datasets("toy", "hard", imagination=ScriptedImagination(), cache_dir=tmp_path, **SMALL)
    import imagine_bench.data.cache as cache

    def no_write_access(*args, **kwargs):
        raise PermissionError("read-only cache")

    monkeypatch.setattr(cache, "FileLock", no_write_access)
    real, imaginary = load_datasets("toy", "hard", imagination=ScriptedImagination(), cache_dir=tmp_path, **SMALL)
    assert real.n_episodes and imaginary.n_episodes


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_complete_cache_works(tmp_path):
    load_datasets("toy", "hard", imagination=ScriptedImagination(), cache_dir=tmp_path, **SMALL)
    embedder = CachedEmbedder(HashingEmbedder(16), tmp_path)
    embedder.embed(["go left", "go right"])
    modes = {p: p.stat().st_mode for p in tmp_path.rglob("*")}
    try:
        for p in [*modes, tmp_path]:
            p.chmod(0o555 if p.is_dir() else 0o444)
        load_datasets("toy", "hard", imagination=ScriptedImagination(), cache_dir=tmp_path, **SMALL)
        CachedEmbedder(HashingEmbedder(16), tmp_path).embed(["go left"])
    finally:
        tmp_path.chmod(0o755)
        for p, mode in modes.items():
            p.chmod(mode)


def test_zeroed_or_edited_embeddings_are_refused_with_the_file_name(tmp_path):
    CachedEmbedder(HashingEmbedder(16), tmp_path).embed(["pick it up", "put it down"])
    path = CachedEmbedder(HashingEmbedder(16), tmp_path).path
    with np.load(path) as data:
        texts, vectors = data["texts"], data["vectors"].copy()
    vectors[0] = 0.0
    from imagine_bench.language.embedders import embedding_checksum

    for name, checksum in (("edited", "0" * 64), ("zeroed", embedding_checksum(texts, vectors))):
        np.savez(path.with_suffix(".tmp.npz"), texts=texts, vectors=vectors, checksum=np.array(checksum))
        os.replace(path.with_suffix(".tmp.npz"), path)
        with pytest.raises(EmbeddingCacheError) as info:
            CachedEmbedder(HashingEmbedder(16), tmp_path).embed(["pick it up"])
        assert str(path) in str(info.value)
        assert ("checksum" if name == "edited" else "zero or non-finite") in str(info.value)


def test_an_embedder_returning_a_zero_vector_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="zero or non-finite vector for '...'"):
        CachedEmbedder(HashingEmbedder(16), tmp_path).embed(["...", "go"])  # no word: hashes to nothing


def test_written_files_respect_the_umask(tmp_path):
    previous = os.umask(0o002)
    try:
        with atomic_write(tmp_path / "shared.txt") as tmp:
            tmp.write_text("x")
        real, _ = load_datasets("toy", "real", cache_dir=tmp_path, **SMALL)
    finally:
        os.umask(previous)
    assert (tmp_path / "shared.txt").stat().st_mode & 0o777 == 0o664
    assert _files(tmp_path)["real"].stat().st_mode & 0o777 == 0o664


def test_leftover_partial_files_of_dead_writers_are_removed_on_the_next_write(tmp_path):
    target = tmp_path / "data.bin"
    dead = tmp_path / f".data.bin.{socket.gethostname()}-{2 ** 22 + 12345}-abcd.partial"  # no such pid
    old_foreign = tmp_path / ".data.bin.otherhost-1-abcd.partial"
    fresh_foreign = tmp_path / ".data.bin.otherhost-2-abcd.partial"  # maybe still being written elsewhere
    for path in (dead, old_foreign, fresh_foreign):
        path.write_text("half")
    os.utime(old_foreign, (time.time() - 2 * 86400,) * 2)
    with atomic_write(target) as tmp:
        tmp.write_text("whole")
    assert target.read_text() == "whole"
    assert not dead.exists() and not old_foreign.exists() and fresh_foreign.exists()


def test_an_empty_cache_variable_is_an_error(monkeypatch):
    monkeypatch.setenv("IMAGINE_BENCH_CACHE", "")
    with pytest.raises(ValueError, match="IMAGINE_BENCH_CACHE is set but empty"):
        default_cache_dir()
    monkeypatch.setenv("IMAGINE_BENCH_CACHE", "~/somewhere")
    assert default_cache_dir() == default_cache_dir().expanduser() and "~" not in str(default_cache_dir())
