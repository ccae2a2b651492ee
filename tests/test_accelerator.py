"""``tinygrad_bn.accelerator``, the ``torch.accelerator`` calls PyTorch's examples open with,
answering as PyTorch does on a CPU-only machine."""

import subprocess
import sys

import pytest

import tinygrad_bn.accelerator as accelerator

NEEDS_A_DEVICE = ["current_device_index", "current_device_idx", "set_device_index",
                  "set_device_idx", "synchronize", "current_stream",
                  "empty_cache", "memory_allocated", "max_memory_allocated", "memory_reserved",
                  "max_memory_reserved", "memory_stats", "reset_peak_memory_stats"]


def test_no_accelerator_answers():
    assert accelerator.is_available() is False
    assert accelerator.current_accelerator() is None
    assert accelerator.current_accelerator(check_available=True) is None
    assert accelerator.device_count() == 0


def test_the_examples_device_line_picks_the_cpu():
    import tinygrad_bn as torch
    use_accel = torch.accelerator.is_available()
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
    assert torch.ones(2).to(device).device.type == "cpu"


@pytest.mark.parametrize("name", NEEDS_A_DEVICE)
def test_calls_needing_a_device_raise_pytorchs_error(name):
    torch = pytest.importorskip("torch")
    args = {"set_device_index": (0,), "set_device_idx": (0,)}.get(name, ())
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch.accelerator, name)(*args)
    with pytest.raises(RuntimeError) as ours:
        getattr(accelerator, name)(*args)
    assert str(ours.value) == str(theirs.value)


def test_device_index_is_a_context_manager_raising_on_entry_for_an_index():
    torch = pytest.importorskip("torch")
    for lib in (torch.accelerator, accelerator):
        with lib.device_index(None):
            pass
        manager = lib.device_index(0)
        with pytest.raises(RuntimeError, match="^Cannot access accelerator device when none is "
                                               "available.$"):
            with manager:
                pass


def test_reachable_as_an_attribute_without_importing_it():
    code = "import tinygrad_bn as torch; print(torch.accelerator.is_available())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr
