"""Shared test setup: the tests directory is importable (for the op table), every test starts
from the same seed and the float32 default dtype, and tests that need a system program say so
with ``@pytest.mark.needs("dot")`` or ``@pytest.mark.needs("chromium")``.

A test whose program is missing is skipped, with the reason and the install command, on a
machine that is not CI; in CI (``CI=true``, which ``.ci/run`` sets) it fails instead, so that a
missing install step cannot turn into quietly skipped tests."""

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "examples"))  # the article's models

import tinygrad_bn as tg  # noqa: E402

# What each ``needs`` marker looks for on PATH, and how to install it.
SYSTEM_PROGRAMS = {
    "dot": (("dot",), "Graphviz's dot: apt-get install graphviz (brew install graphviz), or run "
                      "bash .ci/run, which installs it"),
    "chromium": (("chromium", "chromium-browser", "google-chrome"),
                 "a headless Chromium: apt-get install chromium, or run bash .ci/run, which "
                 "installs it"),
}


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(program): the test runs a system program "
                                       f"({', '.join(SYSTEM_PROGRAMS)}); skipped where it is "
                                       "missing, failed where it is missing in CI")


def in_ci():
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def pytest_runtest_setup(item):
    for mark in item.iter_markers("needs"):
        names, install = SYSTEM_PROGRAMS[mark.args[0]]
        if not any(shutil.which(name) for name in names):
            reason = f"needs {install}"
            if in_ci():
                pytest.fail(f"{reason} (CI=true: a missing program fails instead of skipping)")
            pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_state():
    tg.manual_seed(0)
    tg.set_default_dtype(tg.float32)
    yield
    tg.set_default_dtype(tg.float32)
    assert tg.is_grad_enabled(), "a test left gradient recording switched off"
