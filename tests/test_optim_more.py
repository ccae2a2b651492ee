"""The optimizers added after the first five (Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD,
LBFGS): against PyTorch when it is installed (float64, 20 steps, relative tolerance 1e-12:
PyTorch's kernels may fuse ``a + alpha * b`` into one rounding, so bits can differ), and
without it against properties of each method; every argument check's message."""

import re
import types

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim

ELEMENTWISE_CASES = [
    ("Adadelta", {}), ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", {}), ("Adamax", dict(betas=(0.3, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", {}), ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(weight_decay=0.1, momentum_decay=0.01, maximize=True)),
    ("RAdam", {}), ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True,
                                  betas=(0.9, 0.9))),
    ("RAdam", dict(weight_decay=0.1, maximize=True, betas=(0.8, 0.8))),
    ("Rprop", {}), ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2),
                                  maximize=True)),
    ("ASGD", {}), ("ASGD", dict(lr=0.1, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.1)),
]


def _trajectory(module, name, options, steps=20, seed=0):
    """Two parameters (one of them in a second group with its own learning rate) stepped with
    gradients ``g + 0.3 * p`` (so that the trajectory feeds back); the parameters after each
    step and the last state dict's state."""
    rng = np.random.default_rng(seed)
    starts = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    noise = [[rng.standard_normal(s.shape) for s in starts] for _ in range(steps)]
    tensor = module.tensor
    params = [tensor(s.copy(), requires_grad=True) for s in starts]
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}]
    optimizer = getattr(module.optim, name)(groups, **options)
    history = []
    for gradients in noise:
        for p, g in zip(params, gradients):
            p.grad = tensor(g + 0.3 * p.detach().numpy())
        optimizer.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history, optimizer


@pytest.mark.parametrize("name, options", ELEMENTWISE_CASES)
def test_elementwise_optimizers_match_pytorch(name, options):
    torch = pytest.importorskip("torch")
    ours, our_optimizer = _trajectory(tg, name, options)
    theirs, their_optimizer = _trajectory(torch, name, options)
    for mine, reference in zip(ours, theirs):
        for a, b in zip(mine, reference):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    our_state = our_optimizer.state_dict()["state"]
    their_state = their_optimizer.state_dict()["state"]
    for index in their_state:
        assert list(our_state[index]) == list(their_state[index])
        for key, value in their_state[index].items():
            np.testing.assert_allclose(np.asarray(our_state[index][key]), value.numpy(),
                                       rtol=1e-12, atol=1e-14)


# (NAdam's float32 mu_product comes back float64 for these float64 parameters, as PyTorch's
# does, so its continuation differs, as PyTorch's: test_optim_conformance.py compares that)
@pytest.mark.parametrize("name, options", [case for case in ELEMENTWISE_CASES
                                           if case[0] != "NAdam"])
def test_state_dict_round_trip_continues_identically(name, options):
    history, optimizer = _trajectory(tg, name, options, steps=3)
    del history
    copy_params = [tg.tensor(p.detach().numpy().copy(), requires_grad=True)
                   for group in optimizer.param_groups for p in group["params"]]
    clone = getattr(optim, name)([{"params": [copy_params[0]]},
                                  {"params": [copy_params[1]], "lr": 0.05}], **options)
    clone.load_state_dict(optimizer.state_dict())
    originals = [p for group in optimizer.param_groups for p in group["params"]]
    for _ in range(3):
        for p, q in zip(originals, copy_params):
            p.grad = tg.tensor(np.sin(p.detach().numpy()))
            q.grad = tg.tensor(np.sin(q.detach().numpy()))
        optimizer.step()
        clone.step()
    for p, q in zip(originals, copy_params):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())


def test_rprop_steps_by_the_sign_with_adapted_step_sizes():
    """Each weight moves by its step size against the gradient's sign; the size grows by
    etaplus while the sign holds, shrinks by etaminus when it flips (and that step is skipped),
    within step_sizes."""
    p = nn.Parameter(tg.tensor([0.0, 0.0, 0.0], dtype=tg.float64))
    opt = optim.Rprop([p], lr=0.1, etas=(0.5, 2.0), step_sizes=(0.01, 0.3))
    signs = [[1.0, 1.0, -3.0], [2.0, -1.0, -1.0], [5.0, 1.0, -0.5], [1.0, 1.0, -1.0]]
    expected_sizes = [[0.1, 0.1, 0.1], [0.2, 0.05, 0.2], [0.3, 0.05, 0.3], [0.3, 0.1, 0.3]]
    expected_moves = [[-0.1, -0.1, 0.1], [-0.2, 0.0, 0.2], [-0.3, -0.05, 0.3],
                      [-0.3, -0.1, 0.3]]
    for g, size, move in zip(signs, expected_sizes, expected_moves):
        before = p.detach().numpy().copy()
        p.grad = tg.tensor(g, dtype=tg.float64)
        opt.step()
        np.testing.assert_allclose(opt.state[p]["step_size"], size, rtol=1e-15)
        np.testing.assert_allclose(p.detach().numpy() - before, move, rtol=1e-12)


def test_asgd_averages_the_weights_after_t0():
    """Until mu drops below 1 the average is the iterate itself; then the running mean of the
    iterates (mu, set after step t to 1 / max(1, t - t0), first averages at step t0 + 3, so
    the mean runs over the iterates from step t0 + 2 on)."""
    p = nn.Parameter(tg.tensor([1.0, -2.0], dtype=tg.float64))
    opt = optim.ASGD([p], lr=0.1, lambd=0.0, t0=2)
    iterates = []
    for _ in range(6):
        p.grad = tg.tensor(p.detach().numpy() * 2)
        opt.step()
        iterates.append(p.detach().numpy().copy())
    np.testing.assert_allclose(opt.state[p]["ax"], np.mean(iterates[3:], axis=0),
                               rtol=1e-7)  # (mu = 1/3 is kept in float32, as PyTorch does)


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])
def test_each_descends_a_quadratic(name):
    rng = np.random.default_rng(1)
    p = nn.Parameter(tg.tensor(rng.standard_normal(10)))
    opt = getattr(optim, name)([p], lr=50.0 if name == "Adadelta" else 0.05)
    start = float((p.detach().numpy() ** 2).sum())
    for _ in range(60):
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        opt.step()
    assert float((p.detach().numpy() ** 2).sum()) < 0.5 * start


def test_defaults_are_pytorchs():
    p = nn.Parameter(tg.zeros(2))
    assert optim.Adadelta([p]).defaults == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0,
                                                maximize=False, capturable=False, foreach=None,
                                                differentiable=False)
    assert optim.Adamax([p]).defaults["lr"] == 2e-3
    nadam = optim.NAdam([p]).defaults
    assert (nadam["lr"], nadam["momentum_decay"], nadam["decoupled_weight_decay"]) == \
        (2e-3, 4e-3, False)
    assert optim.RAdam([p]).defaults["lr"] == 1e-3
    assert optim.Rprop([p]).defaults == dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50),
                                             foreach=None, maximize=False, differentiable=False,
                                             capturable=False)
    assert optim.ASGD([p]).defaults == dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6,
                                            weight_decay=0, foreach=None, maximize=False,
                                            differentiable=False, capturable=False)


ERRORS = [
    (lambda p: optim.Adadelta([p], lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.Adadelta([p], rho=1.5), "Invalid rho value: 1.5"),
    (lambda p: optim.Adadelta([p], eps=-1e-6), "Invalid epsilon value: -1e-06"),
    (lambda p: optim.Adadelta([p], weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.Adamax([p], lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.Adamax([p], eps=-1), "Invalid epsilon value: -1"),
    (lambda p: optim.Adamax([p], betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.Adamax([p], betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: optim.Adamax([p], weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.NAdam([p], lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.NAdam([p], momentum_decay=-1), "Invalid momentum_decay value: -1"),
    (lambda p: optim.NAdam([p], betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    (lambda p: optim.RAdam([p], lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.RAdam([p], eps=-1), "Invalid epsilon value: -1"),
    (lambda p: optim.RAdam([p], weight_decay=-0.5), "Invalid weight_decay value: -0.5"),
    (lambda p: optim.Rprop([p], lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.Rprop([p], etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
    (lambda p: optim.Rprop([p], etas=(0.5, 0.9)), "Invalid eta values: 0.5, 0.9"),
    (lambda p: optim.ASGD([p], lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.ASGD([p], weight_decay=-1), "Invalid weight_decay value: -1"),
]


@pytest.mark.parametrize("make, message", ERRORS)
def test_argument_errors(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make(nn.Parameter(tg.zeros(2)))


@pytest.mark.parametrize("make, message", ERRORS)
def test_argument_errors_are_pytorchs(make, message):
    torch = pytest.importorskip("torch")
    with_torch = types.FunctionType(make.__code__, {"optim": torch.optim})  # the same lambda
    with pytest.raises(ValueError, match=re.escape(message)):
        with_torch(torch.zeros(2, requires_grad=True))


# --------------------------------------------------------------------------- LBFGS


def _lbfgs_problem(module, **options):
    """A least-squares fit plus quartic and coupling terms (not a quadratic, so that the line
    search and the curvature pairs matter), over two parameters of different shapes."""
    rng = np.random.default_rng(0)
    A, b = module.tensor(rng.standard_normal((20, 6))), module.tensor(rng.standard_normal(20))
    w = module.tensor(rng.standard_normal(6), requires_grad=True)
    v = module.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    optimizer = module.optim.LBFGS([w, v], **options)

    def closure():
        optimizer.zero_grad()
        residual = A @ w - b
        loss = ((residual * residual).sum() + ((v - w[:3].reshape(1, 3)) ** 2).sum()
                + 0.1 * (w**4).sum() + ((1 - v) ** 2 * (v * v)).sum())
        loss.backward()
        return loss
    return optimizer, closure, (w, v)


LBFGS_CASES = [{}, dict(line_search_fn="strong_wolfe"), dict(history_size=3, max_iter=7, lr=0.5),
               dict(history_size=2, line_search_fn="strong_wolfe", max_iter=10),
               dict(max_iter=4, max_eval=6, tolerance_change=1e-3)]


@pytest.mark.parametrize("options", LBFGS_CASES)
def test_lbfgs_matches_pytorch(options):
    """Same losses, evaluation and iteration counts, weights and state keys as PyTorch over 5
    steps; the weights within 1e-10 relative (6e-13 measured: the iterations amplify the last
    bits, which PyTorch's dot products round differently)."""
    torch = pytest.importorskip("torch")
    results = []
    for module in (tg, torch):
        optimizer, closure, params = _lbfgs_problem(module, **options)
        losses = [optimizer.step(closure).item() for _ in range(5)]
        state = optimizer.state_dict()["state"][0]
        results.append((losses, [p.detach().numpy().copy() for p in params],
                        (state["func_evals"], state["n_iter"]), list(state)))
    (ours, our_params, our_counts, our_keys), (theirs, their_params, their_counts, their_keys) = \
        results
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    for a, b in zip(our_params, their_params):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert our_counts == their_counts and our_keys == their_keys


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_reaches_the_minimum_of_a_quadratic(line_search_fn):
    """On a convex quadratic ``0.5 x'Hx - b'x`` L-BFGS reaches ``H^-1 b`` within 50 iterations
    (it stops on the gradient's size alone: ``tolerance_change=0``)."""
    rng = np.random.default_rng(3)
    M = rng.standard_normal((8, 8))
    H, b = M @ M.T + 8 * np.eye(8), rng.standard_normal(8)
    x = nn.Parameter(tg.zeros(8, dtype=tg.float64))
    optimizer = optim.LBFGS([x], line_search_fn=line_search_fn, max_iter=50,
                            tolerance_grad=1e-12, tolerance_change=0)
    Ht, bt = tg.tensor(H), tg.tensor(b)

    def closure():
        optimizer.zero_grad()
        loss = 0.5 * (x @ (Ht @ x)) - bt @ x
        loss.backward()
        return loss
    optimizer.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), np.linalg.solve(H, b), atol=1e-8)


def test_lbfgs_state_dict_round_trip_continues_identically():
    optimizer, closure, params = _lbfgs_problem(tg, history_size=4, max_iter=5)
    optimizer.step(closure)
    saved = optimizer.state_dict()
    clone, clone_closure, clone_params = _lbfgs_problem(tg, history_size=4, max_iter=5)
    for p, q in zip(params, clone_params):
        q.data = p.detach().clone()
    optimizer.step(closure)  # the saved state must not follow the optimizer
    clone.load_state_dict(saved)
    clone.step(clone_closure)
    for p, q in zip(params, clone_params):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())


def test_lbfgs_errors():
    p = nn.Parameter(tg.zeros(2))
    with pytest.raises(ValueError, match=re.escape("Invalid learning rate: -1")):
        optim.LBFGS([p], lr=-1)
    with pytest.raises(ValueError, match=re.escape(
            "LBFGS doesn't support per-parameter options (parameter groups)")):
        optim.LBFGS([{"params": [p]}, {"params": [nn.Parameter(tg.zeros(2))]}])
    optimizer = optim.LBFGS([p], line_search_fn="backtracking")

    def closure():
        optimizer.zero_grad()
        loss = ((p - 1) ** 2).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match=re.escape("only 'strong_wolfe' is supported")):
        optimizer.step(closure)
    assert optim.LBFGS([p]).defaults["max_eval"] == 25


# --------------------------------------------------------------------------- under the jit


JIT_CASES = [("Adadelta", dict(weight_decay=0.01)), ("Adamax", {}),
             ("NAdam", dict(decoupled_weight_decay=True, weight_decay=0.1)),
             ("RAdam", dict(lr=0.05)), ("Rprop", {}), ("ASGD", dict(t0=3))]


@pytest.mark.parametrize("name, options", JIT_CASES)
def test_a_jitted_training_step_replays_as_eager(name, options):
    """Bitwise the same results, weights, gradients and optimizer state as eager over 8 calls
    with new data each call and the learning rate changed between calls (a replay reads it
    afresh), without a TracerWarning."""
    from test_jit_soundness import assert_replayed, batches, model_and_optimizer, run_both, \
        snapshot
    from tinygrad_bn.nn import functional as F

    def build():
        model, _ = model_and_optimizer()
        optimizer = getattr(optim, name)(model.parameters(), **options)

        def step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            return loss
        return step, {"state": lambda: snapshot(model, optimizer), "optimizer": optimizer}

    def change(env):
        for group in env["optimizer"].param_groups:
            group["lr"] *= 0.5

    calls = batches(8)
    calls.insert(5, change)
    step, texts = run_both(build, calls)
    assert_replayed(step, texts, 8)


def test_a_jitted_lbfgs_step_replays_as_eager():
    """``LBFGS.step(closure)`` inside a jitted function, with a closure made afresh each call
    (over that call's data): the jit sees the call's argument change between captures and runs
    the function eagerly, with a warning naming ``LBFGS.step``; the results are eager's bit for
    bit."""
    from test_jit_soundness import batches, model_and_optimizer, run_both, snapshot
    from tinygrad_bn.nn import functional as F

    def build():
        model, _ = model_and_optimizer(batchnorm=False)
        optimizer = optim.LBFGS(model.parameters(), max_iter=3, history_size=4,
                                line_search_fn="strong_wolfe")

        def step(x, y):
            def closure():
                optimizer.zero_grad()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                return loss
            return optimizer.step(closure).detach()
        return step, {"state": lambda: snapshot(model), "optimizer": optimizer}

    step, texts = run_both(build, batches(6))
    assert texts and all("LBFGS.step" in text for text in texts), texts
