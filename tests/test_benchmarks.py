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
from gpt import (  # noqa: E402
    W4_CONFIG, gpt_model, gpt_optimizer, gpt_training_step, make_words,
)
from numpy_floor import NumpyMLP  # noqa: E402
from numpy_gpt import NumpyGPT  # noqa: E402
from numpy_plain import PlainNumpyMLP  # noqa: E402
from replay_ceiling import CeilingMLP  # noqa: E402


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


def _eager_and_ceiling_steps(sizes, dtype, batch_sizes, **arithmetic):
    """tinygrad_bn eager (``run._model``, CrossEntropyLoss, Adam lr 0.01) and a ``CeilingMLP``
    started from its parameters, trained side by side on fresh batches of ``batch_sizes``;
    yields both after each step with the two losses."""
    tg.manual_seed(0)
    model = run._model(tg.nn, dict(sizes=sizes, batchnorm=True))
    if dtype == np.float64:
        model = model.double()
    ceiling = CeilingMLP(sizes, params=[p.detach().numpy() for p in model.parameters()],
                         dtype=dtype, **arithmetic)
    optimizer = tg.optim.Adam(model.parameters(), lr=0.01)
    criterion = tg.nn.CrossEntropyLoss()
    rng = np.random.default_rng(1)
    for n in batch_sizes:
        x = rng.standard_normal((n, sizes[0])).astype(dtype)
        y = rng.integers(0, sizes[-1], n)
        optimizer.zero_grad()
        loss = criterion(model(tg.tensor(x)), tg.tensor(y))
        loss.backward()
        optimizer.step()
        yield model, ceiling, loss.item(), ceiling.step(x, y)


def _arrays(model, ceiling):
    """Each pair compared: (name, eager's array, the ceiling's)."""
    pairs = []
    for i, (p, value, grad) in enumerate(zip(model.parameters(), ceiling.params, ceiling.grads)):
        pairs += [(f"parameter {i}", p.detach().numpy(), value),
                  (f"gradient {i}", p.grad.numpy(), grad)]
    batchnorms = [m for m in model.modules() if isinstance(m, tg.nn.BatchNorm1d)]
    for i, (bn, (mean, var)) in enumerate(zip(batchnorms, ceiling.running)):
        pairs += [(f"running_mean {i}", bn.running_mean.numpy(), mean),
                  (f"running_var {i}", bn.running_var.numpy(), var)]
    return pairs


@pytest.mark.parametrize("preallocated", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sizes, batch_sizes", [
    ((20, 64, 64, 5), (32, 32, 8, 32, 17, 32, 32)),  # W1, batches of other sizes between
    ((20, 300, 300, 70), (64, 40, 64))])  # Adam in chunks; over 64 classes: another row max
def test_replay_ceiling_trains_bit_for_bit_like_tinygrad_bn_eager(dtype, sizes, batch_sizes,
                                                                  preallocated):
    """The ceiling makes eager's NumPy calls on the same values (into its own buffers, or
    allocating as eager does): every loss, gradient, parameter and running statistic equals
    eager's bitwise, step after step."""
    for model, ceiling, loss, ceiling_loss in _eager_and_ceiling_steps(
            sizes, dtype, batch_sizes, preallocated=preallocated):
        assert ceiling_loss == loss
        for name, eager, ceiling_array in _arrays(model, ceiling):
            assert eager.dtype == ceiling_array.dtype, name
            assert eager.tobytes() == ceiling_array.tobytes(), name  # bitwise, -0.0 included
        for bn in [m for m in model.modules() if isinstance(m, tg.nn.BatchNorm1d)]:
            assert int(bn.num_batches_tracked.item()) == ceiling.num_batches_tracked


@pytest.mark.parametrize("arithmetic", [dict(floor_batchnorm=True), dict(floor_adam=True)])
def test_replay_ceiling_with_the_floors_arithmetic_agrees_to_rounding_only(arithmetic):
    """The variants with the floor's BatchNorm or Adam train the same model (equal to
    rounding) but not bit for bit: the bitwise check above tells a reordered formula apart."""
    differing = set()
    for model, ceiling, loss, ceiling_loss in _eager_and_ceiling_steps(
            (20, 64, 64, 5), np.float32, (32, 32, 32), **arithmetic):
        assert ceiling_loss == pytest.approx(loss, rel=1e-5)
        for name, eager, ceiling_array in _arrays(model, ceiling):
            np.testing.assert_allclose(ceiling_array, eager, rtol=1e-4, atol=1e-6, err_msg=name)
            if eager.tobytes() != ceiling_array.tobytes():
                differing.add(name.split()[0])
    assert "parameter" in differing


def test_replay_ceiling_timing_and_profile_run():
    script = str(ROOT / "benchmarks" / "replay_ceiling.py")
    result = subprocess.run(
        [sys.executable, script, "--steps", "2", "--repeats", "1", "--implementations",
         "numpy", "ceiling", "ceiling (floor arithmetic)", "tinygrad_bn (jit)"],
        capture_output=True, text=True, check=True)
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0] for row in rows[1:]] == [
        "| NumPy floor", "| ceiling", "| ceiling (floor arithmetic)", "| tinygrad_bn (jit)"]
    result = subprocess.run([sys.executable, script, "--steps", "2", "--profile"],
                            capture_output=True, text=True, check=True)
    assert "| BLAS (dot) |" in result.stdout and "| elementwise ufuncs |" in result.stdout


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


@pytest.mark.parametrize("block_size, T", [(16, 16), (8, 5)])
def test_w4_jit_replay_is_bit_identical_to_eager(block_size, T):
    """makemore's step under jit, replayed on new batches each call, leaves the very bits eager
    mode leaves: the losses, every gradient and every parameter after each AdamW step."""
    import warnings

    config = dict(W4_CONFIG, block_size=block_size)
    X, Y = make_words(160, block_size, config["vocab_size"], seed=2)
    runs = []
    for jitted in (False, True):
        tg.manual_seed(0)
        model = gpt_model(tg, **config)
        train = gpt_training_step(model, gpt_optimizer(tg, model))
        step = tg.jit(train) if jitted else train
        losses, states = [], []
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for number in range(5):
                rows = slice(32 * number, 32 * (number + 1))
                loss = step(tg.tensor(X[rows, :T]), tg.tensor(Y[rows, :T]))
                losses.append(loss.detach().numpy().tobytes())
                states.append([(p.detach().numpy().tobytes(), p.grad.numpy().tobytes())
                               for p in model.parameters()])
        if jitted:
            assert step.replays == 3
        runs.append((losses, states))
    assert runs[0][0] == runs[1][0]
    for number, (eager, replayed) in enumerate(zip(runs[0][1], runs[1][1])):
        assert eager == replayed, f"step {number}"


def test_graph_drawing_scaling_lines_run():
    assert run.draw_chain_seconds(500) > 0
    assert run.draw_module_calls_seconds(20) > 0
