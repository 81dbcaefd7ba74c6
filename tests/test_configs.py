"""Every option of every config group composes and instantiates (Hydra compose API, no training)."""

from __future__ import annotations

import pytest
from conftest import CONFIGS
from hydra.utils import instantiate
from omegaconf import OmegaConf

from algos.build import ACTION_KINDS, algo_variant, build_algo
from imagine_bench.runner import fill_runtime_fields



def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))


@pytest.mark.parametrize("algo", options("algo"))
@pytest.mark.parametrize("encoder", options("encoder"))
def test_every_algo_variant_builds_a_d3rlpy_algorithm(compose_cfg, algo, encoder):
    cfg = compose_cfg(f"algo={algo}", f"encoder={encoder}")
    fill_runtime_fields(cfg, state_dim=10)
    built = 0
    for kind in ACTION_KINDS:
        if cfg.algo.get(kind) is None:
            continue
        algorithm = build_algo(cfg.algo, kind, "cpu")
        assert type(algorithm).__name__.lower().startswith("discrete") == (kind == "discrete")
        assert algorithm.config.gamma == 0.99 and algorithm.config.batch_size > 0
        built += 1
    assert built >= 1


def test_continuous_only_algorithms_refuse_discrete_domains(compose_cfg):
    cfg = compose_cfg("algo=iql")
    with pytest.raises(ValueError, match="no discrete-action variant"):
        algo_variant(cfg.algo, "discrete")


@pytest.mark.parametrize("imagination", options("imagination"))
def test_imagination_backends(compose_cfg, imagination):
    backend = instantiate(compose_cfg(f"imagination={imagination}").imagination)
    settings = backend.settings()
    assert settings["backend"] and settings == backend.settings()
    if imagination == "perfect":
        assert settings["preset"] == "perfect" and settings["state_drift"] == 0 == settings["action_noise"]


def test_imagination_knob_override(compose_cfg):
    backend = instantiate(compose_cfg("imagination.state_drift=0.3", "imagination.preset=noisy").imagination)
    assert backend.settings()["state_drift"] == 0.3 and backend.settings()["preset"] == "noisy"


def test_unknown_preset_is_explained(compose_cfg):
    with pytest.raises(Exception, match="imagination.preset='wild' is invalid"):
        instantiate(compose_cfg("imagination.preset=wild").imagination)


@pytest.mark.parametrize("logger", options("logger"))
def test_loggers(compose_cfg, logger):
    tracker = instantiate(compose_cfg(f"logger={logger}").logger)
    assert hasattr(tracker, "start") and hasattr(tracker, "finish")


@pytest.mark.parametrize("embedder", options("embedder"))
def test_embedders(compose_cfg, embedder):
    model = instantiate(compose_cfg(f"embedder={embedder}").embedder)
    assert model.dim > 0 and model.name


@pytest.mark.parametrize("env", options("env"))
def test_every_env_config_names_a_registered_domain(compose_cfg, env):
    from imagine_bench.domains import get_domain

    cfg = compose_cfg(f"env={env}")
    assert get_domain(cfg.env.name).name == env and cfg.env.horizon > 0


def test_experiment_files_hold_only_deltas(compose_cfg):
    base = OmegaConf.to_container(compose_cfg(), resolve=False)
    quick = OmegaConf.to_container(compose_cfg("experiment=quickstart"), resolve=False)
    assert quick["level"]["name"] == "hard" and quick["steps"] < base["steps"]
    assert quick["algo"] == base["algo"] and quick["encoder"] == base["encoder"]


def test_scripted_default_is_the_domains_calibrated_error_model(compose_cfg):
    from imagine_bench.imagination.scripted import PRESETS, ScriptedImagination

    cheetah = instantiate(compose_cfg("env=halfcheetah", "level=hard").imagination).settings()
    assert cheetah["preset"] == "default" and cheetah["action_noise"] == PRESETS["noisy"].action_noise
    metaworld = instantiate(compose_cfg("env=metaworld", "level=hard").imagination).settings()
    assert metaworld["action_noise"] == PRESETS["default"].action_noise
    # a domain may give the knobs themselves: CLEVR's default lies between the `default` and `noisy` presets
    clevr = instantiate(compose_cfg("env=clevr", "level=hard").imagination).settings()
    assert PRESETS["default"].action_noise < clevr["action_noise"] < PRESETS["noisy"].action_noise
    assert ScriptedImagination("perfect", domain_default="noisy").settings()["action_noise"] == 0
    with pytest.raises(ValueError, match="unknown scripted imagination preset 'wild'"):
        ScriptedImagination("default", domain_default="wild")
    with pytest.raises(ValueError, match=r"env.scripted_default has unknown knobs \['action_nosie'\]"):
        ScriptedImagination("default", domain_default={"action_nosie": 0.2})
    with pytest.raises(ValueError, match="env.scripted_default=.* is invalid: imagination.action_noise=-1.0"):
        ScriptedImagination("default", domain_default={"action_noise": -1})


def test_gymnasium_env_uses_the_same_calibrated_scripted_default_as_launch():
    from imagine_bench.env import calibrated_scripted_default

    assert calibrated_scripted_default("halfcheetah") == "noisy"
    assert calibrated_scripted_default("metaworld") is None and calibrated_scripted_default("toy") is None
    assert calibrated_scripted_default("clevr")["action_noise"] == 0.2
