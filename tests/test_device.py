"""Devices: PyTorch scripts that pick a device run on the CPU unchanged; asking for a GPU says
clearly that tinygrad_bn runs on the CPU only."""

import re

import numpy as np
import pytest

import tinygrad_bn as tg

CPU_ONLY = "tinygrad_bn runs on the CPU only: it cannot put a tensor on 'cuda'."


def device_script(torch):
    """The usual device boilerplate of a training script, then one training step."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.deterministic = True
    torch.cuda.manual_seed_all(0)
    model = torch.nn.Linear(3, 2).double().to(device)
    with torch.no_grad():
        model.weight.copy_(torch.tensor(np.arange(6.0).reshape(2, 3) / 10, device=device))
        model.bias.zero_()
    x = torch.ones(4, 3, dtype=torch.float64, device=device)
    y = torch.zeros(4, 2, device=device).to(device, torch.float64)
    loss = ((model(x.to(device)) - y) ** 2).mean()
    loss.backward()
    return [str(device), repr(device), str(x.device), x.device == "cpu", loss.item(),
            model.weight.grad.cpu().numpy().tolist(), torch.backends.mps.is_available()]


def test_a_script_that_picks_its_device_runs_on_the_cpu():
    result = device_script(tg)
    assert result[:4] == ["cpu", "device(type='cpu')", "cpu", False]  # a device is no string
    assert result[-1] is False


def test_the_device_script_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert device_script(tg) == device_script(torch)


def test_devices_compare_and_print_like_pytorchs():
    assert tg.device("cpu") == tg.device(tg.device("cpu")) and tg.device("cpu").type == "cpu"
    assert repr(tg.device("cuda", 1)) == "device(type='cuda', index=1)"
    assert str(tg.device("cuda:1")) == "cuda:1" and tg.device("cuda:1").index == 1
    assert tg.device("cpu") != "cuda" and hash(tg.device("cpu")) == hash(tg.device("cpu"))
    assert tg.ones(2).to(copy=True) is not None and not tg.ones(1).is_cuda
    x = tg.ones(2)
    assert x.to("cpu") is x and x.cpu() is x and x.to(x) is x
    tg.set_default_device("cpu")
    assert tg.get_default_device() == tg.device("cpu")


@pytest.mark.parametrize("action", [
    lambda: tg.zeros(2, device="cuda"),
    lambda: tg.tensor([1.0], device=tg.device("cuda")),
    lambda: tg.randn(2, device="cuda:0"),
    lambda: tg.ones(2).to("cuda"),
    lambda: tg.ones(2).cuda(),
    lambda: tg.nn.Linear(2, 2).cuda(),
    lambda: tg.nn.Linear(2, 2).to(tg.device("mps")),
    lambda: tg.set_default_device("cuda"),
])
def test_asking_for_a_gpu_says_this_runs_on_the_cpu(action):
    with pytest.raises(RuntimeError, match=re.escape("tinygrad_bn runs on the CPU only")):
        action()


@pytest.mark.parametrize("action, error, message", [
    (lambda: tg.device("tpu"), RuntimeError,
     "Expected one of cpu, cuda, mps, xpu, meta device type at start of device string: tpu"),
    (lambda: tg.device("cuda:x"), RuntimeError, "Invalid device string: 'cuda:x'"),
    (lambda: tg.device("cuda:0", 1), RuntimeError,
     "type (string) must not include an index because index was passed explicitly: cuda:0"),
    (lambda: tg.device(3), TypeError, "device() expects a string like 'cpu', got 3"),
])
def test_device_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()
