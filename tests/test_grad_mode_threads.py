"""Grad mode is per thread, as in PyTorch: two threads training two models at once, and an
inference thread in ``no_grad`` beside a training thread, give exactly what running them one
after the other gives."""

import sys
import threading

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn as nn


@pytest.fixture(autouse=True)
def frequent_thread_switches():
    """Switch threads every few microseconds rather than every 5 ms, so that the threads'
    no_grad blocks really interleave with the other thread's forward passes."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def _train(seed, steps=40, record=None):
    """Train a small MLP with BatchNorm and Adam (whose step runs under ``no_grad``); return its
    losses and final parameters. Data and initial weights come from ``seed`` alone."""
    rng = np.random.default_rng(seed)
    x = tg.tensor(rng.standard_normal((64, 5)))
    y = tg.tensor(rng.integers(0, 3, 64))
    model = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
    model.double()
    with tg.no_grad():
        for p in model.parameters():
            p.copy_(tg.tensor(rng.standard_normal(p.shape) * 0.3))
    optimizer = tg.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if record is not None:
            record.append(tg.is_grad_enabled())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def _infer(seed, repeats=200):
    """Evaluate under no_grad again and again; return whether any result required grad."""
    rng = np.random.default_rng(seed)
    layer = nn.Linear(5, 3).double()
    x = tg.tensor(rng.standard_normal((8, 5)))
    leaked = False
    for _ in range(repeats):
        with tg.no_grad():
            out = layer(x)
            leaked |= out.requires_grad
    return leaked


def _run_in_threads(*jobs):
    results, errors = [None] * len(jobs), []
    start = threading.Barrier(len(jobs))

    def run(index, job):
        try:
            start.wait()
            results[index] = job()
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def test_two_threads_train_two_models_exactly_as_one_after_the_other():
    sequential = [_train(1), _train(2)]
    concurrent = _run_in_threads(lambda: _train(1), lambda: _train(2))
    for (losses_a, params_a), (losses_b, params_b) in zip(sequential, concurrent):
        assert losses_a == losses_b
        for a, b in zip(params_a, params_b):
            np.testing.assert_array_equal(a, b)


def test_an_inference_thread_in_no_grad_does_not_switch_off_a_training_thread():
    modes = []
    (losses, params), leaked = _run_in_threads(lambda: _train(3, record=modes),
                                               lambda: _infer(4))
    assert all(modes) and not leaked
    expected_losses, expected_params = _train(3)
    assert losses == expected_losses
    for a, b in zip(params, expected_params):
        np.testing.assert_array_equal(a, b)


def test_a_new_thread_starts_with_grad_enabled_whatever_the_parent_does():
    seen = []
    with tg.no_grad():
        thread = threading.Thread(target=lambda: seen.append(tg.is_grad_enabled()))
        thread.start()
        thread.join()
        assert not tg.is_grad_enabled()
    assert seen == [True] and tg.is_grad_enabled()


def test_one_decorated_function_runs_in_several_threads_at_once():
    barrier = threading.Barrier(2)

    @tg.no_grad()
    def evaluate():
        barrier.wait()  # both threads are inside the decorated call together
        return tg.is_grad_enabled()

    assert _run_in_threads(evaluate, evaluate) == [False, False]
    assert tg.is_grad_enabled()


def test_inference_mode_and_its_decorator():
    x = tg.ones(2, requires_grad=True)
    with tg.inference_mode():
        assert tg.is_inference_mode_enabled() and not tg.is_grad_enabled()
        assert not (x * 2).requires_grad
    with tg.inference_mode(False):
        assert (x * 2).requires_grad
    assert not tg.is_inference_mode_enabled()

    @tg.inference_mode
    def predict():
        return (x * 2).requires_grad

    assert predict() is False and tg.is_grad_enabled()


def test_set_grad_enabled_as_a_decorator_changes_nothing_until_called():
    @tg.set_grad_enabled(False)
    def predict(x):
        return (x * 2).requires_grad

    assert tg.is_grad_enabled()
    assert predict(tg.ones(1, requires_grad=True)) is False
    assert tg.is_grad_enabled()
    with pytest.raises(TypeError, match="set_grad_enabled expects a bool mode, got 'no'"):
        tg.set_grad_enabled("no")
