"""Shared test setup: the tests directory is importable (for the op table), and every test
starts from the same seed and the float32 default dtype."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "examples"))  # the article's models

import tinygrad_bn as tg  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_state():
    tg.manual_seed(0)
    tg.set_default_dtype(tg.float32)
    yield
    tg.set_default_dtype(tg.float32)
    assert tg.is_grad_enabled(), "a test left gradient recording switched off"
