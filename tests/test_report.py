"""The report tool on any sweep directory: one row per experiment, sample std and bootstrap CIs, four formats,
readable per-task headers, learning-curve PNGs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from imagine_bench.report import main, success_table

LONG_TASK = "pick-the-red-block-then-place-it-on-the-shelf"


def fake_run(seed: int, hard: float, algo: str = "bc", preset: str = "default", steps: int = 200,
             status: str = "completed", **config: object) -> dict:
    """A results.json as the runner writes it, reduced to what the report reads."""
    history = [{"step": step, "eval/real/success": 1.0, "eval/hard/success": hard * step / steps}
               for step in (steps // 2, steps)]
    return {
        "status": status, "run": f"toy-hard-{algo}-{seed}", "env": "toy", "level": "hard", "algo": algo, "seed": seed,
        "success": {"real": 1.0, "hard": hard}, "history": history,
        "final": {"eval/real/success": 1.0, "eval/hard/success": hard, "eval/real/left/success": 1.0,
                  f"eval/hard/{LONG_TASK}/success": hard},
        "config": {"seed": seed, "steps": steps, "data": {"cache_dir": f"/cache/{seed}"},
                   "eval": {"workers": "auto" if seed % 2 else 0},
                   "imagination": {"_target_": "imagine_bench.imagination.ScriptedImagination", "preset": preset},
                   **config},
    }


def write_sweep(root: Path, runs: list[dict]) -> Path:
    for i, run in enumerate(runs):
        (root / f"{i}_job").mkdir(parents=True)
        (root / f"{i}_job" / "results.json").write_text(json.dumps(run))
    return root


def test_seeds_of_one_experiment_share_a_row(tmp_path):
    runs = [fake_run(0, 0.5), fake_run(1, 0.7)]  # differ in seed, cache dir and eval workers only
    table = success_table(runs)
    [row] = [line for line in table.splitlines() if line.startswith("toy")]
    # mean 0.6, sample std sqrt(0.02) = 0.14, bootstrap means 0.5 / 0.6 / 0.7 so the 95% CI is [0.50, 0.70]
    assert row.split() == ["toy", "hard", "bc", "scripted", "2", "1.000", "±", "0.00", "[1.00,", "1.00]",
                           "0.600", "±", "0.14", "[0.50,", "0.70]"]
    assert "sample standard deviation (ddof=1)" in table and "95% percentile-bootstrap CI" in table


def test_experiments_that_differ_get_their_own_rows(tmp_path):
    runs = [fake_run(0, 0.5), fake_run(1, 0.7), fake_run(0, 0.9, preset="perfect"), fake_run(0, 0.2, algo="cql"),
            fake_run(0, 0.1, steps=400), {**fake_run(1, 0.0, status="failed"), "error": "RuntimeError: boom"}]
    rows = [line.split() for line in success_table(runs).splitlines() if line.startswith("toy")]
    labels = [(r[2], r[3], r[4]) for r in rows]  # algo, imagination, settings
    assert labels == [("bc", "scripted", "steps=200"), ("bc", "scripted", "steps=400"),
                      ("bc", "scripted-perfect", "steps=200"), ("cql", "scripted", "steps=200")]
    assert "FAILED toy-hard-bc-1: RuntimeError: boom" in success_table(runs)


def test_per_task_headers_are_whole(tmp_path):
    lines = success_table([fake_run(0, 0.5), fake_run(1, 0.7)], per_task=True).splitlines()
    levels, tasks = lines[0].split(), lines[1].split()
    assert levels == ["real", "hard"]
    assert tasks[-2:] == ["left", LONG_TASK]  # never cut
    assert lines[0].index("hard") == lines[1].index(LONG_TASK)  # the level stands above its first task


def test_markdown_csv_and_latex(tmp_path):
    sweep = write_sweep(tmp_path / "sweep", [fake_run(0, 0.5), fake_run(1, 0.7, algo="td3_plus_bc"),
                                             fake_run(2, 0.9, algo="td3_plus_bc")])
    markdown = success_table([json.loads(p.read_text()) for p in sorted(sweep.rglob("results.json"))], fmt="markdown")
    assert markdown.splitlines()[0] == "| env | level | algo | imagination | seeds | real | hard |"
    assert "| toy | hard | td3_plus_bc | scripted | 2 | 1.000 ± 0.00 [1.00, 1.00] | 0.800 ± 0.14 [0.70, 0.90] |" \
        in markdown
    assert "| toy | hard | bc | scripted | 1 | 1.000 | 0.500 |" in markdown  # one seed: no spread, no interval

    out = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(out):
        assert main([str(sweep), "--format", "csv", "--per-task"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    cell = next(r for r in rows if r["algo"] == "td3_plus_bc" and r["evaluated"] == f"hard/{LONG_TASK}")
    assert (cell["seeds"], float(cell["mean"]), float(cell["std_ddof1"])) == ("2", 0.8, pytest.approx(0.1414, 1e-3))
    assert (float(cell["ci95_low"]), float(cell["ci95_high"])) == (0.7, 0.9)

    latex = success_table([fake_run(0, 0.5, algo="td3_plus_bc"), fake_run(1, 0.7, algo="td3_plus_bc")],
                          per_task=True, fmt="latex")
    assert r"\begin{tabular}" in latex and r"td3\_plus\_bc" in latex and r"0.600 $\pm$ 0.14 [0.50, 0.70]" in latex
    assert r"\multicolumn{1}{c}{real} & \multicolumn{1}{c}{hard}" in latex and "ddof=1" in latex


def test_plot_writes_learning_curves(tmp_path, capsys):
    sweep = write_sweep(tmp_path / "sweep", [fake_run(0, 0.5), fake_run(1, 0.7), fake_run(0, 0.2, algo="cql")])
    assert main([str(sweep), "--plot"]) == 0
    written = sorted((sweep / "plots").iterdir())
    assert [p.name for p in written] == ["toy-hard.png", "toy-real.png"]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    assert f"wrote {sweep / 'plots' / 'toy-hard.png'}" in capsys.readouterr().err


def test_no_results_is_an_error(tmp_path, capsys):
    assert main([str(tmp_path)]) == 1
    assert "no results.json found" in capsys.readouterr().err
