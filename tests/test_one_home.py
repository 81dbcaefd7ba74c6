"""Values that live in two places (a config file and a Python default) agree, so either can be read as the truth."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from conftest import CONFIGS
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from imagine_bench.domains import domain_names, get_domain
from imagine_bench.paths import CACHE_ENV, CONFIGS_ENV, configs_dir, default_cache_dir


def _compose(*overrides: str):
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose("config", overrides=list(overrides))


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("env/*.yaml")), ids=lambda p: p.stem)
def test_env_config_horizon_is_the_domains_default_horizon(path):
    env = OmegaConf.load(path)
    domain = get_domain(env.name)
    assert env.name == domain.name == path.stem
    assert env.horizon == domain.default_horizon


def test_every_registered_domain_has_an_env_config():
    shipped = {p.stem for p in CONFIGS.glob("env/*.yaml")}
    assert {name for name in domain_names() if not name.startswith("toy")} == shipped


def test_kalm_config_values_are_the_python_defaults():
    from imagine_bench.imagination.kalm.backend import (
        DEFAULT_GENERATION, DEFAULT_LORA, DEFAULT_MODEL, KALMImagination,
    )
    from imagine_bench.imagination.kalm.training import TrainSettings

    kalm = OmegaConf.to_container(_compose("imagination=kalm").imagination, resolve=True)
    assert kalm["model"] == DEFAULT_MODEL and kalm["lora"] == DEFAULT_LORA and kalm["generation"] == DEFAULT_GENERATION
    train = {f.name: getattr(TrainSettings(), f.name) for f in dataclasses.fields(TrainSettings)}
    assert {k: (list(v) if isinstance(v, tuple) else v) for k, v in train.items()} == kalm["train"]
    defaults = inspect.signature(KALMImagination).parameters
    for name in ("model_path", "precision"):
        assert defaults[name].default == kalm[name], name
    assert set(kalm) - {"_target_", "_convert_"} == set(defaults)  # every constructor argument is in the config


def test_cache_dir_config_is_the_python_default(monkeypatch, tmp_path):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    assert _compose().data.cache_dir == str(default_cache_dir())
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert _compose().data.cache_dir == str(default_cache_dir()) == str(tmp_path)


def test_configs_dir_from_a_checkout_an_installed_package_and_the_environment(monkeypatch, tmp_path):
    import imagine_bench.paths as paths

    monkeypatch.delenv(CONFIGS_ENV, raising=False)
    assert configs_dir() == CONFIGS and (CONFIGS / "config.yaml").is_file()
    installed = tmp_path / "site-packages" / "imagine_bench"
    (installed / "configs").mkdir(parents=True)
    (installed / "configs" / "config.yaml").write_text("{}")
    monkeypatch.setattr(paths, "__file__", str(installed / "paths.py"))
    assert configs_dir() == installed / "configs"
    monkeypatch.setenv(CONFIGS_ENV, str(CONFIGS))
    assert configs_dir() == CONFIGS
    monkeypatch.setenv(CONFIGS_ENV, str(tmp_path / "nowhere"))
    monkeypatch.setattr(paths, "__file__", str(tmp_path / "bare" / "imagine_bench" / "paths.py"))
    with pytest.raises(FileNotFoundError, match=CONFIGS_ENV):
        configs_dir()
