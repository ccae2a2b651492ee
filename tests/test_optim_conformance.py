"""Every optimizer with every constructor flag PyTorch's has, against PyTorch 2.13 when it is
installed: 30 steps from the same starting parameters (three, one of them 0-d, in two groups)
with gradients ``noise + 0.3 * p`` (so that the trajectory feeds back), in float64 and
float32; then the parameters and ``state_dict()`` (state names in PyTorch's order, each
entry's type, dtype, shape and value, the parameter groups' entries in PyTorch's order).

Tolerances (``TOLERANCE``): a trajectory that feeds back amplifies one rounding difference,
so the comparison is relative with an absolute floor for values near zero. Adam, AdamW and SGD
round ``add(alpha=)``, ``lerp_`` and ``addcdiv_`` their own way (kept bit for bit, see
``optim/pointwise.py``); the other optimizers call ``optim.pointwise``, which rounds as
PyTorch's CPU kernels, and ``test_pointwise_steps_round_as_pytorch`` requires their bits.
PyTorch's ``foreach=True`` is its multi-tensor implementation, which rounds otherwise (ASGD's
computes its rate from a float32 step: 1e-5 apart from its own default); tinygrad_bn has one
implementation, PyTorch's default on the CPU."""

import numpy as np
import pytest

import tinygrad_bn as tg

T = np.array  # a hyperparameter given as a 0-d tensor (converted in _trajectory)

CASES = [
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, maximize=True)),
    ("SGD", dict(lr=T(0.1), momentum=0.9, foreach=False)),
    ("SGD", dict(lr=0.1, momentum=0.9, fused=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, differentiable=False, foreach=True)),
    ("Adam", dict(lr=0.01)), ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=T(0.01), betas=(T(0.9), T(0.99)))),
    ("Adam", dict(lr=0.01, foreach=True, capturable=False, differentiable=False)),
    ("Adam", dict(lr=0.01, fused=True)),
    ("AdamW", dict(lr=0.01)), ("AdamW", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01, fused=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, maximize=True, betas=(0.3, 0.9))),
    ("Adamax", dict(lr=T(0.01), foreach=False)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, maximize=True, foreach=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, betas=(0.9, 0.9))),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, maximize=True, foreach=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5,
                     maximize=True)),
    ("Adagrad", dict(foreach=True)), ("Adagrad", dict(fused=True)),
    ("Adadelta", dict()), ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adadelta", dict(foreach=True, capturable=False)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.5, centered=True,
                     maximize=True)),
    ("RMSprop", dict(momentum=0.9, foreach=True)), ("RMSprop", dict(centered=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
    ("Rprop", dict(foreach=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.1, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.1, maximize=True)),
    ("ASGD", dict(foreach=True)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5, weight_decay=0.1,
                       maximize=True)),
    ("Adafactor", dict(lr=T(0.02), foreach=False)), ("Adafactor", dict(eps=(1e-3, 1e-3))),
]

# (rtol, atol) per dtype; PyTorch's own foreach ASGD is further away (see the module docstring)
TOLERANCE = {"float64": (1e-12, 1e-14), "float32": (2e-5, 1e-6)}
FOREACH_ASGD_TOLERANCE = (1e-4, 1e-6)


def _convert(module, value):
    if isinstance(value, np.ndarray):
        return module.tensor(value)
    if isinstance(value, tuple):
        return tuple(_convert(module, v) for v in value)
    return value


def _trajectory(module, name, options, dtype, steps=30, shapes=((3, 4), (5,), ())):
    rng = np.random.default_rng(0)
    starts = [rng.standard_normal(shape) for shape in shapes]
    noise = [[rng.standard_normal(s.shape) for s in starts] for _ in range(steps)]
    dt = getattr(module, dtype)
    params = [module.tensor(s.copy(), dtype=dt, requires_grad=True) for s in starts]
    options = {k: _convert(module, v) for k, v in options.items()}
    groups = [{"params": params[:-1]}, {"params": params[-1:]}]
    optimizer = getattr(module.optim, name)(groups, **options)
    for gradients in noise:
        for p, g in zip(params, gradients):
            value = g + 0.3 * p.detach().numpy().astype(np.float64)
            p.grad = module.tensor(value.astype(dtype), dtype=dt)
        optimizer.step()
    return [p.detach().numpy() for p in params], optimizer.state_dict()


def _entry(value):
    """What a state entry is: ("Tensor", dtype, shape) or (type name, value)."""
    if type(value).__name__ == "Tensor":
        return ("Tensor", str(value.dtype).split(".")[-1], tuple(value.shape))
    return (type(value).__name__, value)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, options", CASES)
def test_optimizer_matches_pytorch(name, options, dtype):
    torch = pytest.importorskip("torch")
    ours, our_dict = _trajectory(tg, name, options, dtype)
    theirs, their_dict = _trajectory(torch, name, options, dtype)
    rtol, atol = TOLERANCE[dtype]
    if name == "ASGD" and options.get("foreach"):
        rtol, atol = FOREACH_ASGD_TOLERANCE
    for mine, reference in zip(ours, theirs):
        assert mine.dtype == reference.dtype
        np.testing.assert_allclose(mine, reference, rtol=rtol, atol=atol)
    assert list(our_dict["state"]) == list(their_dict["state"])
    for index, their_state in their_dict["state"].items():
        our_state = our_dict["state"][index]
        assert list(our_state) == list(their_state)
        for key, value in their_state.items():
            assert _entry(our_state[key])[:1 + isinstance(value, torch.Tensor) * 2] == \
                _entry(value)[:1 + isinstance(value, torch.Tensor) * 2], key
            if isinstance(value, torch.Tensor):
                np.testing.assert_allclose(our_state[key].numpy(), value.numpy(), rtol=rtol,
                                           atol=atol, err_msg=key)
            else:
                assert our_state[key] == value
    for our_group, their_group in zip(our_dict["param_groups"], their_dict["param_groups"]):
        assert list(our_group) == list(their_group)
        for key, value in their_group.items():
            if isinstance(value, torch.Tensor) or (
                    isinstance(value, tuple) and any(isinstance(v, torch.Tensor) for v in value)):
                continue
            assert our_group[key] == value, key


POINTWISE = [
    ("Adamax", dict(weight_decay=0.1, betas=(0.3, 0.9))),
    ("NAdam", dict(weight_decay=0.1)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(weight_decay=0.1, betas=(0.9, 0.9))),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
    ("Adadelta", dict(weight_decay=0.1)),
    ("RMSprop", dict(weight_decay=0.1)), ("RMSprop", dict(momentum=0.5, centered=True)),
    ("ASGD", dict(lr=0.1, lambd=0.01, alpha=0.5, t0=2, weight_decay=0.1)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, options", POINTWISE)
def test_pointwise_steps_round_as_pytorch(name, options, dtype):
    """Four steps over parameters of 64 elements (whole vectors of PyTorch's kernels, no
    scalar tail) give PyTorch's bits: ``lerp_``, ``addcmul_`` and ``add(alpha=)`` rounded once,
    ``addcdiv_`` as ``a + (value * b) / c``. Rounded twice, about 20% of the elements differed
    after one such op; now at most one of the 128 differs, by a few ulps: PyTorch's CPU
    ``sqrt`` (MKL's vector sqrt) is not correctly rounded, and rounds about one element in a
    hundred one ulp away from NumPy's (RMSprop's first step, element 13 of the 8 x 8
    parameter: sqrt(0.001130672147179919) is 0.03362546872803291 correctly rounded,
    0.0336254687280329 in PyTorch)."""
    torch = pytest.importorskip("torch")
    ours, _ = _trajectory(tg, name, options, dtype, steps=4, shapes=((8, 8), (64,)))
    theirs, _ = _trajectory(torch, name, options, dtype, steps=4, shapes=((8, 8), (64,)))
    mine, reference = np.concatenate(ours, axis=None), np.concatenate(theirs, axis=None)
    assert np.count_nonzero(mine != reference) <= 1
    ulps = np.abs(mine - reference) / np.spacing(np.abs(reference))
    assert ulps.max() <= 8


@pytest.mark.parametrize("name, flag, message", [
    ("Adam", "capturable", "If capturable=True, params and state_steps must be on supported "
                           "devices: ['cuda', 'xpu', 'hpu', 'privateuseone', 'xla']."),
    ("NAdam", "capturable", "If capturable=True, params, mu_products and state_steps must be on "
                            "supported devices: ['cuda', 'xpu', 'hpu', 'privateuseone', 'xla']."),
    ("ASGD", "capturable", "If capturable=True, params, mus, etas, and state_steps must be on "
                           "supported devices: ['cuda', 'xpu', 'hpu', 'privateuseone', 'xla']."),
    ("Adadelta", "capturable", "If capturable=True, params and state_steps must be on supported "
                               "devices: ['cuda', 'xpu', 'hpu', 'privateuseone']."),
    ("SGD", "differentiable", "a leaf Variable that requires grad is being used in an in-place "
                              "operation."),
    ("RMSprop", "differentiable", "a leaf Variable that requires grad is being used in an "
                                  "in-place operation."),
])
def test_flags_pytorch_cannot_honour_on_the_cpu_fail_at_step(name, flag, message):
    p = tg.zeros(3, requires_grad=True)
    p.grad = tg.ones(3)
    optimizer = getattr(tg.optim, name)([p], **{flag: True})
    error = AssertionError if flag == "capturable" else RuntimeError
    with pytest.raises(error) as info:
        optimizer.step()
    assert str(info.value) == message


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_flag_errors(name):
    p = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="^`fused` does not support `differentiable`$"):
        getattr(tg.optim, name)([p], fused=True, differentiable=True)
    with pytest.raises(RuntimeError, match="^`fused` and `foreach` cannot be `True` together.$"):
        getattr(tg.optim, name)([p], fused=True, foreach=True)


def test_state_dict_step_round_trips():
    """``step`` is saved as PyTorch saves it (a 0-d float32 tensor, float64 under a float64
    default dtype unless the group is fused) and loaded back into the count the optimizer
    keeps."""
    p = tg.zeros(3, requires_grad=True)
    optimizer = tg.optim.Adam([p])
    for _ in range(3):
        p.grad = tg.ones(3)
        optimizer.step()
    saved = optimizer.state_dict()["state"][0]["step"]
    assert isinstance(saved, tg.Tensor) and saved.dtype == tg.float32 and saved.shape == ()
    other = tg.optim.Adam([tg.zeros(3, requires_grad=True)])
    other.load_state_dict(optimizer.state_dict())
    assert other.state[other.param_groups[0]["params"][0]]["step"] == 3
    fused = tg.optim.Adam([p], fused=True)
    p.grad = tg.ones(3)
    fused.step()
    previous = tg.get_default_dtype()
    tg.set_default_dtype(tg.float64)
    try:
        assert optimizer.state_dict()["state"][0]["step"].dtype == tg.float64
        assert fused.state_dict()["state"][0]["step"].dtype == tg.float32  # (fused: always)
    finally:
        tg.set_default_dtype(previous)


def test_rprop_steps_a_0d_parameter():
    """A 0-d parameter (NumPy makes scalars of 0-d results): Rprop stepped it into a
    TypeError before."""
    p = tg.tensor(1.0, requires_grad=True)
    optimizer = tg.optim.Rprop([p], lr=0.1, maximize=True)
    for g in (1.0, 2.0, -1.0):
        p.grad = tg.tensor(g)
        optimizer.step()
    assert p.item() == pytest.approx(1.0 + 0.1 + 0.12 + 0.0)


def _lbfgs_run(module, options):
    """Five ``step(closure)`` calls of LBFGS on a convex quadratic plus quartic in two
    parameters (float64)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((6, 6))
    a = module.tensor(a @ a.T + np.eye(6))
    b = module.tensor(rng.standard_normal(6))
    x = module.tensor(rng.standard_normal(6), requires_grad=True)
    y = module.tensor(rng.standard_normal(3), requires_grad=True)
    optimizer = module.optim.LBFGS([x, y], **{k: _convert(module, v) for k, v in options.items()})

    def closure():
        optimizer.zero_grad()
        loss = (0.5 * (x * (a @ x)).sum() - (b * x).sum() + ((y - 1) ** 4).sum()
                + 0.01 * (y.sum() * x.sum()) ** 2)
        loss.backward()
        return loss
    losses = [optimizer.step(closure).item() for _ in range(5)]
    return losses, [x.detach().numpy(), y.detach().numpy()], optimizer.state_dict()


def _structure(value):
    """A state entry's kind, recursively: tensors by dtype and shape, lists by their items."""
    if isinstance(value, list):
        return [_structure(v) for v in value]
    if type(value).__name__ == "Tensor":
        return ("Tensor", str(value.dtype).split(".")[-1], tuple(value.shape))
    return type(value).__name__


@pytest.mark.parametrize("options", [
    {}, dict(line_search_fn="strong_wolfe"), dict(lr=0.5, max_iter=4, history_size=3),
    dict(line_search_fn="strong_wolfe", max_iter=7, max_eval=9, history_size=2),
    dict(lr=T(0.5)), dict(lr=T(0.8), line_search_fn="strong_wolfe", tolerance_grad=1e-5,
                          tolerance_change=1e-6),
])
def test_lbfgs_matches_pytorch(options):
    """float64, a tensor ``lr`` too (it raised a TypeError before). (In float32 both stop near
    the optimum on decisions taken at the loss's rounding noise, where the two frameworks'
    losses differ by an ulp: the iterates agree to ~1e-4 there, as float32's resolution of
    the loss allows.)"""
    torch = pytest.importorskip("torch")
    our_losses, ours, our_dict = _lbfgs_run(tg, options)
    their_losses, theirs, their_dict = _lbfgs_run(torch, options)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-10, atol=1e-12)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)
    assert list(our_dict["param_groups"][0]) == list(their_dict["param_groups"][0])
    our_state, their_state = our_dict["state"][0], their_dict["state"][0]
    assert list(our_state) == list(their_state)
    for key in ("d", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "func_evals",
                "n_iter"):
        assert _structure(our_state[key]) == _structure(their_state[key]), key


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_adafactor_batched_matrices_match_pytorch(dtype):
    """A 3-d parameter: the factored moments over its last two dims, one pair per matrix."""
    torch = pytest.importorskip("torch")
    shapes = ((2, 3, 4), (4, 1), (6,))
    ours, our_dict = _trajectory(tg, "Adafactor", dict(lr=0.05), dtype, shapes=shapes)
    theirs, their_dict = _trajectory(torch, "Adafactor", dict(lr=0.05), dtype, shapes=shapes)
    rtol, atol = TOLERANCE[dtype]
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=rtol, atol=atol)
    for index, state in their_dict["state"].items():
        assert {k: tuple(v.shape) for k, v in our_dict["state"][index].items()} == \
            {k: tuple(v.shape) for k, v in state.items()}


@pytest.mark.parametrize("options, message", [
    (dict(lr=-1.0), "Learning rate should be >= 0 but is: -1.0"),
    (dict(beta2_decay=0.5), "beta2_decay should be <= 0 but is: 0.5"),
    (dict(eps=(-1.0, 1e-3)), "epsilon1 should be >= 0 but is: -1.0"),
    (dict(eps=(None, -1.0)), "epsilon2 should be >= 0 but is: -1.0"),
    (dict(d=0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
    (dict(weight_decay=-0.1), "weight_decay should be >= 0 but is: -0.1"),
])
def test_adafactor_argument_errors(options, message):
    with pytest.raises(ValueError) as info:
        tg.optim.Adafactor([tg.zeros(2, requires_grad=True)], **options)
    assert str(info.value) == message


BAD_ARGUMENTS = [
    ("SGD", dict(lr=-1)), ("SGD", dict(momentum=-0.1)), ("SGD", dict(weight_decay=-1)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1)),
    ("SGD", dict(lr="2 elements")),
    ("Adam", dict(lr=-1)), ("Adam", dict(eps=-1)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, 1.5))), ("Adam", dict(weight_decay=-1)),
    ("Adam", dict(betas=(0.9, "tensor"))), ("Adam", dict(betas=(0, 0.9))),
    ("Adam", dict(lr="tensor", foreach=True)), ("Adam", dict(lr="2 elements")),
    ("Adam", dict(betas=("tensor", "tensor"), foreach=True)),
    ("AdamW", dict(lr=-1)), ("AdamW", dict(eps=-1)), ("AdamW", dict(betas=(-0.1, 0.9))),
    ("AdamW", dict(weight_decay=-1)),
    ("Adamax", dict(lr=-1)), ("Adamax", dict(eps=-1)), ("Adamax", dict(betas=(1.0, 0.9))),
    ("Adamax", dict(weight_decay=-1)), ("Adamax", dict(lr="2 elements")),
    ("NAdam", dict(lr=-1)), ("NAdam", dict(eps=-1)), ("NAdam", dict(betas=(1.0, 0.9))),
    ("NAdam", dict(weight_decay=-1)), ("NAdam", dict(momentum_decay=-1)),
    ("RAdam", dict(lr=-1)), ("RAdam", dict(eps=-1)), ("RAdam", dict(betas=(1.0, 0.9))),
    ("RAdam", dict(weight_decay=-1)),
    ("Adagrad", dict(lr=-1)), ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(weight_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adagrad", dict(eps=-1)),
    ("Adagrad", dict(lr="2 elements")),
    ("Adadelta", dict(lr=-1)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1)),
    ("Adadelta", dict(weight_decay=-1)),
    ("RMSprop", dict(lr=-1)), ("RMSprop", dict(eps=-1)), ("RMSprop", dict(momentum=-1)),
    ("RMSprop", dict(weight_decay=-1)), ("RMSprop", dict(alpha=-1)),
    ("Rprop", dict(lr=-1)), ("Rprop", dict(etas=(1.5, 1.2))), ("Rprop", dict(etas=(0.5, 0.9))),
    ("ASGD", dict(lr=-1)), ("ASGD", dict(weight_decay=-1)), ("ASGD", dict(lr="2 elements")),
    ("LBFGS", dict(lr=-1)), ("LBFGS", dict(line_search_fn="armijo")),
    ("LBFGS", dict(lr="2 elements")),
    ("Adafactor", dict(lr=-1)), ("Adafactor", dict(lr="2 elements")), ("Muon", dict(lr=-1)),
]


def _construction_error(module, name, options):
    """What making the optimizer (and for LBFGS one step) raises: (type name, message)."""
    def value(v):
        if v == "tensor":
            return module.tensor(0.9)
        if v == "2 elements":
            return module.tensor([0.1, 0.2])
        return tuple(map(value, v)) if isinstance(v, tuple) else v
    p = module.nn.Parameter(module.ones(2, 2))
    try:
        optimizer = getattr(module.optim, name)([p], **{k: value(v) for k, v in options.items()})
        if name == "LBFGS":
            optimizer.step(lambda: (p * p).sum())
    except Exception as error:  # noqa: BLE001 - the comparison is the point
        return type(error).__name__, str(error)
    return None


@pytest.mark.parametrize("name, options", BAD_ARGUMENTS)
def test_bad_arguments_raise_pytorchs_errors(name, options):
    """Each error's type and message, against PyTorch's (Adam's tensor lr and betas checks, and
    every optimizer's 1-element check of a tensor lr, were missing)."""
    torch = pytest.importorskip("torch")
    assert _construction_error(tg, name, options) == _construction_error(torch, name, options)


@pytest.mark.parametrize("name", ["NAdam", "ASGD", "Adam", "RMSprop"])
def test_loaded_state_takes_the_parameters_dtype_as_pytorchs(name):
    """float64 parameters under the float32 default dtype: NAdam's ``mu_product`` and ASGD's
    ``eta`` and ``mu`` are float32 scalars; ``load_state_dict`` gives every floating entry but
    ``step`` the parameter's dtype, 0-d ones included (they stayed float32 before, and the
    steps after a load then rounded otherwise), so a run saved and loaded halfway continues
    as PyTorch's does."""
    torch = pytest.importorskip("torch")

    def run(module):
        rng = np.random.default_rng(0)
        p = module.nn.Parameter(module.tensor(rng.standard_normal(5)))
        optimizer = getattr(module.optim, name)([p], lr=0.05)
        for i in range(20):
            p.grad = module.tensor(rng.standard_normal(5) + 0.3 * p.detach().numpy())
            optimizer.step()
            if i == 9:
                optimizer.load_state_dict(optimizer.state_dict())
        kinds = {k: str(v.dtype).split(".")[-1] for k, v in optimizer.state_dict()["state"][0].items()}
        return p.detach().numpy(), kinds
    ours, our_kinds = run(tg)
    theirs, their_kinds = run(torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)
    assert our_kinds == their_kinds
