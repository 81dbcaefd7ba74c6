"""Metric names are defined once (imagine_bench.metrics) and the level is a validated type (imagine_bench.levels)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

from imagine_bench.evaluation import EpisodeResult, summarize
from imagine_bench.levels import LEVELS, Level
from imagine_bench.metrics import EPISODE_STATS, EvalKey, eval_key, final_key, parse_eval_key, train_key


def test_keys_round_trip():
    assert eval_key("hard") == "eval/hard/success"
    assert eval_key("hard", "length", "soccer") == "eval/hard/soccer/length"
    assert parse_eval_key("eval/hard/soccer/length") == EvalKey("hard", "soccer", "length")
    assert parse_eval_key("eval/real/return") == EvalKey("real", None, "return")
    assert parse_eval_key("eval/seconds") is None and parse_eval_key("train/loss") is None
    assert train_key("loss") == "train/loss" and final_key(eval_key("real")) == "final/eval/real/success"


def test_summarize_writes_only_named_keys():
    results = [EpisodeResult(Level.real, task, 0, 1, "go", success, 1.0, 5)
               for task, success in (("left", True), ("right", False))]
    metrics = summarize(results)
    assert {parse_eval_key(k) for k in metrics} == {EvalKey("real", task, stat) for task in (None, "left", "right")
                                                    for stat in EPISODE_STATS}
    assert metrics[eval_key("real")] == 0.5


def test_no_metric_name_is_spelled_outside_the_metrics_module():
    spelled = re.compile(r"""["'](eval|train|final|video|eval_tasks)/""")
    offenders = [str(path.relative_to(ROOT)) for folder in ("imagine_bench", "algos", "encoders")
                 for path in (ROOT / folder).rglob("*.py")
                 if path.name != "metrics.py" and spelled.search(path.read_text())]
    assert offenders == []


def test_level_is_a_string_everywhere_it_meets_one():
    assert LEVELS == ("real", "rephrase", "easy", "hard")
    assert Level("hard") is Level.hard and str(Level.hard) == f"{Level.hard}" == "hard"
    assert {"real": 1}[Level.real] == 1 and {Level.easy: 2}["easy"] == 2
    assert json.dumps({"level": Level.rephrase}) == '{"level": "rephrase"}'
    assert Level.rephrase.task_level is Level.real and not Level.real.uses_imaginary_data
    assert Level.real.evaluation_levels() == LEVELS and Level.easy.evaluation_levels() == ("real", "easy")
    with pytest.raises(ValueError, match="unknown level 'medium'; expected one of real, rephrase, easy, hard"):
        Level("medium")
