"""Project hygiene that CI relies on: the README's test command is the one .ci/run runs, the
packaging metadata (license, version in one place) and ``python -m tinygrad_bn``'s report."""

import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_bn as tg

ROOT = Path(__file__).resolve().parent.parent


def test_readme_test_command_is_the_one_ci_runs():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.+?)\n```", quick_start, flags=re.S)
    assert len(commands) == 2, "the Quick start has exactly two commands"
    assert commands[0] == ("bash setup.sh examples && "
                           ".venv/bin/python examples/batchnorm_comparison.py")
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    steps = commands[1].split(" && ")
    assert steps == ["bash setup.sh test", ".venv/bin/python -m pytest"]
    positions = [ci_lines.index(step) for step in steps]  # each step, in order, in .ci/run
    assert positions == sorted(positions)
    setup_lines = [line.strip() for line in (ROOT / "setup.sh").read_text().splitlines()]
    venv, install = 'python3 -m venv .venv', '.venv/bin/pip install -e ".[$extra]"'
    assert setup_lines.index(venv) < setup_lines.index(install)  # what the README says it is


@pytest.mark.needs("dot")
def test_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files
    blocks = re.findall(r"```python\n(.+?)\n```", (ROOT / "README.md").read_text(), flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme_example"})


def run_module(*args, env=None):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True,
                          env=env, cwd=ROOT)


def test_license_file_and_pyproject_declare_mit_with_the_version_in_one_place():
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License")
    assert "Copyright (c) 2026 tinygrad_bn contributors" in license_text
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"  # an SPDX expression, not the deprecated table
    assert project["project"]["license-files"] == ["LICENSE"]
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "tinygrad_bn.__version__"}
    assert "tqdm>=4.60" in project["project"]["optional-dependencies"]["examples"]
    assert re.search(r'^__version__ = "\d+\.\d+\.\d+"$',
                     (ROOT / "tinygrad_bn" / "__init__.py").read_text(), flags=re.M)


def test_python_m_tinygrad_bn_reports_the_environment():
    printed = run_module("-m", "tinygrad_bn").stdout
    labels = [line.split(":", 1)[0] for line in printed.splitlines()]
    assert labels == ["tinygrad_bn", "Python", "platform", "NumPy", "BLAS threads",
                      "Graphviz dot", "Chromium", "PyTorch"]
    assert f"tinygrad_bn:  {tg.__version__} (" in printed
    assert f"NumPy:        {np.__version__}\n" in printed
    dot = shutil.which("dot")
    if dot is not None:
        assert f"Graphviz dot: {dot} (dot - graphviz version" in printed
    if importlib.util.find_spec("torch") is not None:
        assert f"PyTorch:      {importlib.metadata.version('torch')}\n" in printed


def test_python_m_tinygrad_bn_says_what_is_missing(tmp_path):
    # no dot, no chromium; of the thread settings the caller may have exported, only this one
    env = {name: value for name, value in os.environ.items() if not name.endswith("_NUM_THREADS")}
    env.update(PATH=str(tmp_path), OMP_NUM_THREADS="1")
    printed = run_module("-m", "tinygrad_bn", env=env).stdout
    assert "Graphviz dot: not found on PATH: graphs are written as .dot source only" in printed
    assert "Chromium:     not found on PATH" in printed
    assert "BLAS threads: OMP_NUM_THREADS=1\n" in printed


def test_neither_the_package_nor_its_report_imports_pytorch():
    code = ("import runpy, sys; import tinygrad_bn; assert 'torch' not in sys.modules; "
            "runpy.run_module('tinygrad_bn', run_name='__main__'); "
            "assert 'torch' not in sys.modules, 'python -m tinygrad_bn imported torch'")
    run_module("-c", code)


def test_every_extra_the_readme_names_exists_and_the_reference_folder_is_ignored():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    named = set(re.findall(r'pip install -e "\.\[(\w+)\]"', (ROOT / "README.md").read_text()))
    named.discard("EXTRA")  # setup.sh EXTRA, the placeholder
    assert {"examples", "test", "notebooks", "docs"} <= named
    assert named <= set(extras), f"README names extras pyproject lacks: {named - set(extras)}"
    assert "jupyterlab>=4" in extras["notebooks"] and "pdoc>=14" in extras["docs"]
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "docs/api/" in ignored  # python -m pdoc tinygrad_bn -o docs/api writes 17 MB there
