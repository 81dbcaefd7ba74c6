"""Every domain package has the same files with the same roles (docs/adding-a-domain.md), and the expert table CLI
that each ``experts.py`` runs works for any registered domain."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from conftest import CONFIGS

import imagine_bench.domains as domains_package
from imagine_bench.domains import Domain, domain_classes
from imagine_bench.domains.expert_table import main as expert_table

TEMPLATE = {"__init__.py", "domain.py", "simulator.py", "tasks.py", "instructions.py", "experts.py", "layout.py"}
#: Files a domain needs beyond the template, named for what they hold.
EXTRAS = {"halfcheetah": {"train_experts.py"}}  # libero's extra, floor_scene.bddl, is not a module
PACKAGES = sorted(p.name for p in Path(domains_package.__file__).parent.iterdir() if (p / "__init__.py").is_file())


def test_the_shipped_domains_are_packages():
    assert {"babyai", "clevr", "halfcheetah", "meta_world"} <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_domain_package_has_the_template_files(package):
    files = {p.name for p in (Path(domains_package.__file__).parent / package).glob("*.py")}
    assert files == TEMPLATE | EXTRAS.get(package, set())


@pytest.mark.parametrize("package", PACKAGES)
def test_domain_py_registers_the_domain_and_experts_py_is_the_cli(package):
    module = importlib.import_module(f"imagine_bench.domains.{package}.domain")
    registered = [cls for cls in domain_classes().values() if cls.__module__ == module.__name__]
    assert len(registered) == 1 and issubclass(registered[0], Domain)
    assert (CONFIGS / "env" / f"{registered[0].name}.yaml").is_file()
    source = (Path(module.__file__).parent / "experts.py").read_text()
    assert "def main(" in source and 'if __name__ == "__main__":' in source


def test_expert_table_prints_a_row_per_task(capsys):
    expert_table("toy", ["--episodes", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "toy experts: 2 episodes per task, horizon 30"
    rows = [line.split() for line in lines[2:]]
    assert [(r[0], r[1]) for r in rows] == [("real", "left"), ("real", "right"), ("easy", "up"), ("hard", "down")]
    assert all(float(r[3]) == 1.0 and float(r[6]) == 1.0 for r in rows)  # success, agreement
