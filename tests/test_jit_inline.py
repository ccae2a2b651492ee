"""The jit's inline templates (``tracing/inline.py``): Linear, ReLU and training BatchNorm
written into a plan's code give eager's bits exactly, in every case a template covers or leaves
to the op's methods, and they are in use (their fingerprints match the ops' code)."""

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim
from tinygrad_bn.nn.normalization import _count_batch
from tinygrad_bn.ops.elementwise import ReLU
from tinygrad_bn.ops.linalg import Linear
from tinygrad_bn.ops.loss import CrossEntropy
from tinygrad_bn.ops.normalization import BatchNorm
from tinygrad_bn.tracing import inline

from test_jit_soundness import run_both, snapshot


@pytest.mark.parametrize("op_type", [Linear, ReLU, BatchNorm, _count_batch, CrossEntropy])
def test_the_templates_transcribe_the_ops_as_they_are(op_type):
    """Fails when the op's code (or a helper it calls) changed since its template was written:
    read the template against the new code, fix it, and record the new fingerprint in
    ``inline.EXPECTED``. (Until then plans call the op's methods: slower, never wrong.)"""
    assert inline.fingerprint(op_type) == inline.EXPECTED[op_type], (
        f"{op_type.__name__}'s code changed: its inline template in tracing/inline.py is not "
        f"used until it is checked against the new code (fingerprint now "
        f"{inline.fingerprint(op_type)})")
    assert inline.transcribed(op_type)


def _mlp(dtype, bias, batchnorm, track, affine, first_grad):
    layers = [nn.Linear(6, 8, bias=bias)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(8, track_running_stats=track, affine=affine))
    layers += [nn.ReLU(), nn.Linear(8, 8, bias=not bias), nn.ReLU(), nn.Linear(8, 3)]
    model = nn.Sequential(*layers).to(dtype)
    if not first_grad:
        model[0].weight.requires_grad_(False)
    return model


def _training_build(seed, make_model, make_optimizer, return_x_grad=False):
    """A build (``run_both``'s) whose step is zero_grad, cross-entropy of ``model(x)``,
    backward and the optimizer's step, returning the loss (and ``x.grad``)."""
    def build():
        tg.manual_seed(seed)
        model = make_model()
        optimizer = make_optimizer(model)

        def step(x, y):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            return (loss, x.grad) if return_x_grad else loss
        return step, {"state": lambda: snapshot(model, optimizer), "model": model}
    return build


CASES = [  # dtype, bias, batchnorm, track_running_stats, affine, first weight requires grad
    (tg.float32, False, True, True, True, True),
    (tg.float64, True, True, True, True, True),
    (tg.float32, True, True, False, True, True),
    (tg.float64, False, True, True, False, True),
    (tg.float32, True, False, True, True, False),
    (tg.float64, False, True, True, True, False),
    (tg.float16, True, True, True, True, True),  # float16 (ops.opmath): the methods
]


@pytest.mark.parametrize("case", CASES)
def test_inlined_replays_equal_eager_bitwise(case):
    dtype = case[0]
    rng = np.random.default_rng(7)
    calls = []
    for n in (16, 16, 16, 16, 5, 5, 5, 16):  # the data changes every call; a second signature
        x = tg.tensor(rng.standard_normal((n, 6))).to(dtype)
        x.requires_grad_(n == 5)  # inputs that need a gradient: Linear's grad_x, arg .grad
        calls.append((x, tg.tensor(rng.integers(0, 3, n))))

    build = _training_build(
        3, lambda: _mlp(*case),
        lambda model: optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.05),
        return_x_grad=True)
    step, texts = run_both(build, calls)
    assert texts == [] and step.replays >= 4
    if dtype == tg.float16:  # computed in float32 by the methods (ops.opmath)
        assert "Linear, inline" not in step.plan.source
        assert "BatchNorm (training), inline" not in step.plan.source
        return
    assert "inline" in step.plan.source  # the templates ran, not the methods
    assert ("_count_batch, inline" in step.plan.source) is (case[2] and case[3])


@pytest.mark.parametrize("training", [True, False])
def test_inlined_forward_without_grad_and_in_eval_mode(training):
    """Under no_grad only forwards are inlined; in eval mode BatchNorm is left to its methods
    (its template covers training), Linear and ReLU still inlined."""
    rng = np.random.default_rng(1)
    calls = [(tg.tensor(rng.standard_normal((10, 6))),) for _ in range(5)]

    def build():
        tg.manual_seed(0)
        model = _mlp(tg.float64, True, True, True, True, True).train(training)
        return (lambda x: model(x) * 2), {"state": lambda: snapshot(model)}

    with tg.no_grad():
        step, texts = run_both(build, calls)
    assert texts == [] and step.replays == 3
    assert ("BatchNorm (training), inline" in step.plan.source) is training
    assert "Linear, inline" in step.plan.source and "ReLU, inline" in step.plan.source


def test_running_statistics_of_another_dtype_between_calls():
    """Running statistics converted to another dtype between calls make eager raise (batch
    norm's check of its inputs' dtypes, Python that a replay does not run): the replay must
    raise too. The op's running-statistics tensors are guarded like any state, so the call
    captures again and raises as eager does; the same conversion back replays again."""
    rng = np.random.default_rng(2)
    calls = [(tg.tensor(rng.standard_normal((12, 6))), tg.tensor(rng.integers(0, 3, 12)))
             for _ in range(7)]

    def to_float32(env):
        norm = env["model"][1]
        norm.running_mean.data = norm.running_mean.data.float()
        norm.running_var.data = norm.running_var.data.float()

    build = _training_build(4, lambda: _mlp(tg.float64, True, True, True, True, True),
                            lambda model: optim.SGD(model.parameters(), lr=0.1))

    def to_float64(env):
        norm = env["model"][1]
        norm.running_mean.data = norm.running_mean.data.double()
        norm.running_var.data = norm.running_var.data.double()

    step, texts = run_both(build, calls[:4] + [to_float32] + calls[4:6] + [to_float64]
                           + calls[4:])
    assert texts == [] and step.replays >= 3


def test_cross_entropy_inline_with_ignored_and_bad_labels():
    """The inline cross-entropy takes the plain path only when every label is in range; a
    batch with ignored labels (-100) runs the op's own methods inside the same plan, and a
    label out of range raises eager's IndexError."""
    rng = np.random.default_rng(5)

    def labels(kind):
        y = rng.integers(0, 4, 9)
        if kind == "ignored":
            y[[1, 4]] = -100
        elif kind == "bad":
            y[2] = 7
        return tg.tensor(y)

    kinds = ["plain", "plain", "plain", "ignored", "plain", "bad", "ignored", "plain"]
    calls = [(tg.tensor(rng.standard_normal((9, 6))), labels(kind)) for kind in kinds]

    build = _training_build(
        6, lambda: nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4)).double(),
        lambda model: optim.Adam(model.parameters(), lr=0.05))

    step, texts = run_both(build, calls)
    assert texts == [] and step.replays >= 4
    assert "CrossEntropy (labels, mean), inline" in step.plan.source


class _SharedAndBranching(nn.Module):
    """A weight used by two Linear calls (a leaf that gets two gradients), a hidden value read
    by two branches (a value that gets two), and a bias of shape (1,) that the forward
    broadcasts (its gradient must be summed down to (1,) by the engine's fitting)."""

    def __init__(self):
        super().__init__()
        self.shared = nn.Linear(6, 6)
        self.norm = nn.BatchNorm1d(6)
        self.head = nn.Linear(6, 3, bias=False)
        self.narrow_bias = nn.Parameter(tg.zeros(1, dtype=tg.float64))

    def forward(self, x):
        hidden = nn.functional.relu(self.norm(self.shared(x)))
        again = nn.functional.relu(self.shared(hidden))      # the shared weight's second use
        both = hidden + again                                # hidden: read by two branches
        return nn.functional.linear(both, self.head.weight, self.narrow_bias)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_gradients_the_templates_hand_on_untested(set_to_none):
    """The plan leaves out the engine's fitting and its freshness test for gradients a
    template is known to give of the input's shape and dtype as arrays of its own
    (``Inlined.exact``/``fresh``), and keeps both where it is not known: a bias broadcast
    from (1,), a weight that gets two gradients, a value that gets two, ``.grad`` kept
    between calls (``zero_grad(set_to_none=False)``) and an input's gradient (a view of the
    template's product). Eager's bits, every call."""
    rng = np.random.default_rng(11)
    calls = []
    for _ in range(6):
        x = tg.tensor(rng.standard_normal((8, 6)), requires_grad=True)
        calls.append((x, tg.tensor(rng.integers(0, 3, 8))))

    def build():
        tg.manual_seed(12)
        model = _SharedAndBranching().double()
        optimizer = optim.Adam(model.parameters(), lr=0.05)

        def step(x, y):
            optimizer.zero_grad(set_to_none=set_to_none)
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            return loss, x.grad, model.shared.weight.grad, model.narrow_bias.grad
        return step, {"state": lambda: snapshot(model, optimizer), "model": model}

    step, texts = run_both(build, calls)
    assert texts == [] and step.replays >= 3
    source = step.plan.source
    assert "Linear, inline" in source and "BatchNorm backward, inline" in source
    assert "_fit(" in source  # the broadcast bias's gradient (and the loss's) are fitted
    assert source.count("_fit(") < source.count("r[")  # and the templates' others are not
