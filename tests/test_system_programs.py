"""Tests that need a system program (``@pytest.mark.needs("dot")``) skip where it is missing,
naming what to install, and fail instead in CI (``CI=true``), where a missing program is a
missing install step (tests/conftest.py)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

NEEDS_DOT = '''
import pytest

@pytest.mark.needs("dot")
def test_draws():
    pass
'''


def run_pytest(tmp_path, path, ci):
    shutil.copy(TESTS / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_needs_dot.py").write_text(NEEDS_DOT)
    env = {name: value for name, value in os.environ.items() if name != "CI"}
    env["PATH"] = path
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider",
                           str(tmp_path)], capture_output=True, text=True, env=env,
                          cwd=tmp_path)


def test_a_missing_program_skips_with_the_install_command(tmp_path):
    result = run_pytest(tmp_path, path=str(tmp_path), ci=False)  # nothing on PATH
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "needs Graphviz's dot: apt-get install graphviz" in result.stdout


def test_a_missing_program_fails_in_ci(tmp_path):
    result = run_pytest(tmp_path, path=str(tmp_path), ci=True)
    assert result.returncode != 0
    assert "CI=true: a missing program fails instead of skipping" in result.stdout


def test_a_program_on_path_runs_the_test(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dot").write_text("#!/bin/sh\n")
    (fake / "dot").chmod(0o755)
    result = run_pytest(tmp_path, path=str(fake), ci=True)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout
