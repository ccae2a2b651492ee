"""The benchmark's pieces, checked without timing anything: the hand-written NumPy floor computes
the same training steps as tinygrad_bn (so the ratios compare equal work), and the runner runs."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_bn as tg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import run  # noqa: E402
from gpt import W4_CONFIG, gpt_model, gpt_optimizer, make_words  # noqa: E402
from numpy_floor import NumpyMLP  # noqa: E402
from numpy_gpt import NumpyGPT  # noqa: E402
from numpy_plain import PlainNumpyMLP  # noqa: E402


@pytest.mark.parametrize("floor_class", [NumpyMLP, PlainNumpyMLP])
@pytest.mark.parametrize("batchnorm, batch, width", [(True, 32, 16), (False, 32, 16),
                                                     (True, 512, 64)])  # 512 x 64: large path
def test_numpy_floors_train_exactly_like_tinygrad_bn(floor_class, batchnorm, batch, width):
    spec = dict(sizes=(20, width, width, 5), batchnorm=batchnorm)
    floor = floor_class(spec["sizes"], batchnorm, np.random.default_rng(0))
    model = run._model(tg.nn, spec)
    for param, value in zip(model.parameters(), floor.params):
        param.data[...] = value
    optimizer = tg.optim.Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(1)
    # Adam divides by sqrt(v): rounding differences of tiny gradients (more of them in larger
    # layers) become updates of order lr, so the large case compares two steps, not five
    for _ in range(5 if batch == 32 else 2):
        x = rng.standard_normal((batch, 20)).astype(np.float32)
        y = rng.integers(0, 5, batch)
        floor_loss = floor.step(x, y)
        optimizer.zero_grad()
        loss = tg.nn.CrossEntropyLoss()(model(tg.tensor(x)), tg.tensor(y))
        loss.backward()
        optimizer.step()
        assert loss.item() == pytest.approx(floor_loss, rel=1e-5)
    for param, value in zip(model.parameters(), floor.params):
        np.testing.assert_allclose(param.detach().numpy(), value, rtol=1e-4, atol=1e-5)
    if batchnorm:
        np.testing.assert_allclose(model[1].running_var.detach().numpy(), floor.running[0][1], rtol=1e-5)


# AdamW moves each weight by about lr = 5e-4 whatever its gradient's size, so a gradient that
# is rounding noise in one implementation moves it differently: a few percent of lr, no more.
ATOL_STEP = 2.5e-5


@pytest.mark.parametrize("block_size, T", [(16, 16), (8, 5)])  # T < block: wpe rows unused
def test_w4_numpy_floor_computes_tinygrad_bns_loss_gradients_and_steps(block_size, T):
    config = dict(W4_CONFIG, block_size=block_size)
    tg.manual_seed(0)
    model = gpt_model(tg, **config)
    floor = NumpyGPT(**config, rng=np.random.default_rng(0))
    named = list(model.named_parameters())
    assert [tuple(p.shape) for _, p in named] == [value.shape for value in floor.params]
    for (_, param), value in zip(named, floor.params):
        value[...] = param.detach().numpy()  # the floor starts from the model's values
    optimizer = gpt_optimizer(tg, model)
    X, Y = make_words(64, block_size, config["vocab_size"], seed=1)
    X, Y = X[:, :T], Y[:, :T]
    for step in range(3):
        x, y = X[32 * (step % 2):32 * (step % 2 + 1)], Y[32 * (step % 2):32 * (step % 2 + 1)]
        _, loss = model(tg.tensor(x), tg.tensor(y))
        model.zero_grad(set_to_none=True)
        loss.backward()
        floor_loss = floor.loss_and_grads(x, y)
        assert loss.item() == pytest.approx(floor_loss, rel=1e-5)
        for (name, param), grad in zip(named, floor.grads):
            scale = np.abs(grad).max()
            np.testing.assert_allclose(param.grad.numpy(), grad, rtol=0,
                                       atol=1e-5 * scale + 1e-9, err_msg=name)
        optimizer.step()
        floor._adamw()
        for (name, param), value in zip(named, floor.params):
            np.testing.assert_allclose(param.detach().numpy(), value, rtol=0, atol=ATOL_STEP,
                                       err_msg=name)


def test_runner_runs_a_tiny_configuration():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--workload", "W1", "--steps", "3",
         "--repeats", "1", "--skip-article", "--skip-scaling"],
        capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert lines[2].startswith("| workload | NumPy floor | NumPy (plain) | tinygrad_bn | "
                               "tinygrad_bn (jit) |")
    assert lines[4].startswith("| W1 |") and lines[4].count("x |") >= 2
    assert any(line.startswith("| W1 | tinygrad_bn |") for line in lines)  # memory table
    assert any(line.startswith("| W1 | tinygrad_bn (jit) |") for line in lines)


def test_jit_step_of_the_runner_trains_like_eager():
    """The benchmark's jitted step replays (no warning, a plan exists) and gives eager's
    losses: both implementations start from the same seed and batches."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = []
        for implementation in ("tinygrad_bn", "tinygrad_bn (jit)"):  # one after the other: the
            step = run.make_step(implementation, run.WORKLOADS["W1"])  # loaders share the seed
            losses.append([step() for _ in range(6)])
    assert losses[0] == losses[1]


def test_graph_drawing_scaling_lines_run():
    assert run.draw_chain_seconds(500) > 0
    assert run.draw_module_calls_seconds(20) > 0
