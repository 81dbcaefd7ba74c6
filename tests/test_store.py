"""The on-disk format: round trip, checksum, clear errors for missing/truncated/corrupt files, atomic writes."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from imagine_bench.data import DatasetError, load_datasets, store
from imagine_bench.data.cache import dataset_path
from imagine_bench.domains import get_domain
from imagine_bench.imagination import ScriptedImagination


@pytest.fixture()
def toy_rollouts(tmp_path):
    real, imaginary = load_datasets("toy", "hard", imagination=ScriptedImagination(), real_episodes_per_task=3, imaginary_episodes_per_task=3,
                                    cache_dir=tmp_path, progress=False)
    return real, imaginary


def test_round_trip_keeps_every_array_and_metadata(toy_rollouts, tmp_path):
    real, _ = toy_rollouts
    path = store.save(tmp_path / "copy.h5", real)
    loaded = store.load(path)
    for name in real.ARRAY_FIELDS:
        np.testing.assert_array_equal(getattr(loaded, name), getattr(real, name))
    assert loaded.tasks == real.tasks and loaded.instructions == real.instructions
    assert loaded.metadata["domain"] == "toy" and loaded.metadata["kind"] == "real"
    assert "versions" in loaded.metadata and "numpy" in loaded.metadata["versions"]


def test_imaginary_metadata_names_backend_and_settings(toy_rollouts):
    _, imaginary = toy_rollouts
    meta = imaginary.metadata
    assert meta["kind"] == "imaginary" and meta["level"] == "hard"
    assert meta["backend"]["backend"] == "scripted" and meta["backend"]["preset"] == "default"
    assert set(imaginary.tasks) == set(get_domain("toy").tasks("hard"))


def test_real_level_has_no_imaginary_data(tmp_path):
    real, imaginary = load_datasets("toy", "real", real_episodes_per_task=2, cache_dir=tmp_path, progress=False)
    assert imaginary is None and set(real.tasks) == {"left", "right"}


def test_second_load_reuses_the_cached_file(tmp_path, monkeypatch):
    load_datasets("toy", "real", real_episodes_per_task=2, cache_dir=tmp_path, progress=False)
    import imagine_bench.data.cache as cache

    monkeypatch.setattr(cache, "collect_expert_rollouts", lambda *a, **k: pytest.fail("regenerated a cached dataset"))
    load_datasets("toy", "real", real_episodes_per_task=2, cache_dir=tmp_path, progress=False)


def _only_file(tmp_path):
    files = list((tmp_path / "datasets" / "toy").glob("*.h5"))
    assert len(files) == 1
    return files[0]


def test_flipped_byte_fails_the_checksum_with_a_clear_message(tmp_path):
    load_datasets("toy", "real", real_episodes_per_task=2, cache_dir=tmp_path, progress=False)
    path = _only_file(tmp_path)
    with h5py.File(path, "r+") as f:
        f["rewards"][0] = f["rewards"][0] + 1.0
    with pytest.raises(DatasetError, match="checksum") as info:
        load_datasets("toy", "real", real_episodes_per_task=2, cache_dir=tmp_path, progress=False)
    assert str(path) in str(info.value) and "regenerate" in str(info.value)


def test_truncated_file_is_reported_not_misread(tmp_path):
    load_datasets("toy", "real", real_episodes_per_task=2, cache_dir=tmp_path, progress=False)
    path = _only_file(tmp_path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DatasetError, match="unreadable or incomplete") as info:
        store.load(path)
    assert str(path) in str(info.value)


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        store.load(tmp_path / "nope.h5")
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(DatasetError, match="not an imagine_bench dataset"):
        store.load(foreign)


def test_interrupted_generation_leaves_no_file(tmp_path, monkeypatch):
    import imagine_bench.data.cache as cache

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache, "collect_expert_rollouts", explode)
    with pytest.raises(KeyboardInterrupt):
        load_datasets("toy", "real", real_episodes_per_task=2, cache_dir=tmp_path, progress=False)
    leftovers = [p.name for p in (tmp_path / "datasets" / "toy").iterdir() if not p.name.endswith(".lock")]
    assert leftovers == []  # neither a dataset nor a .partial file


def test_interrupted_write_leaves_no_file(toy_rollouts, tmp_path, monkeypatch):
    real, _ = toy_rollouts
    target = tmp_path / "half.h5"

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store, "checksum", crash)
    with pytest.raises(OSError):
        store.save(target, real)
    assert not target.exists() and not list(tmp_path.glob(".half.h5*"))


def test_settings_change_the_file_name():
    spec = {"domain": "toy", "kind": "imaginary", "level": "hard", "episodes_per_task": 3, "horizon": 30, "seed": 0,
            "data_version": 1, "backend": {"backend": "scripted", "preset": "default"}}
    other = {**spec, "backend": {"backend": "scripted", "preset": "perfect"}}
    assert dataset_path("/c", spec) != dataset_path("/c", other)


def test_padded_layout_matches_imaginebench(toy_rollouts):
    from imagine_bench.language import HashingEmbedder

    real, _ = toy_rollouts
    padded = real.to_padded(HashingEmbedder(8), horizon=30)
    n = real.n_episodes
    assert padded["observations"].shape == (n, 30, 4 + 8)
    assert padded["actions"].shape == (n, 30, 2) and padded["rewards"].shape == (n, 30, 1)
    assert padded["masks"].sum() == real.n_transitions
    assert padded["terminals"].sum() == real.terminated.sum()
    assert padded["terminals"].sum() + padded["timeouts"].sum() == n


def test_malformed_rollouts_are_rejected(toy_rollouts):
    real, _ = toy_rollouts
    import dataclasses

    with pytest.raises(ValueError, match="states must be"):
        dataclasses.replace(real, states=real.states[:-1])
    with pytest.raises(ValueError, match="finite"):
        bad = real.states.copy()
        bad[0, 0] = np.nan
        dataclasses.replace(real, states=bad)
