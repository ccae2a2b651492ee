"""Higher-order and functional autodiff against PyTorch (float64): ``create_graph=True`` through
each op's ``tensor_backward``, ``autograd.functional`` (jacobian, hessian, vjp, jvp, vhp, hvp),
``tinygrad_bn.func`` (grad, vjp, jvp, jacrev, jacfwd, hessian, vmap, functional_call) and
``utils.checkpoint``; and their error messages, which must be PyTorch's."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

rng = np.random.default_rng(0)


def _numpy(result):
    """Tensors (nested in tuples/lists/dicts) as arrays, keeping the nesting's types."""
    if result is None:
        return None
    if isinstance(result, dict):
        return {k: _numpy(v) for k, v in result.items()}
    if isinstance(result, (tuple, list)):
        return type(result)(_numpy(r) for r in result)
    if getattr(result, "_is_zerotensor", lambda: False)():  # PyTorch's lazily zero gradient
        return result.detach().numpy(force=True)
    return result.detach().numpy()


def assert_same(ours, theirs, atol=1e-10):
    """The same nesting (tuple vs list vs Tensor) and the same values."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys()
        for key in theirs:
            assert_same(ours[key], theirs[key], atol)
        return
    if isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs), (type(ours), type(theirs))
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b, atol)
        return
    if theirs is None:
        assert ours is None
        return
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, atol=atol, rtol=1e-9)


def both(build):
    """``build(lib)`` run with torch and tinygrad_bn, results compared."""
    torch = pytest.importorskip("torch")
    assert_same(_numpy(build(tg)), _numpy(build(torch)))


def _functional(lib):
    return lib.nn.functional


# --------------------------------------------------------------------------- double backward

X = rng.standard_normal((3, 4))
DIRECTION = np.linspace(-1, 1, 12).reshape(3, 4)

SECOND_ORDER = {
    "mul": lambda L, x: (x * x * x).sum(),
    "div": lambda L, x: (1 / (x * x + 1)).sum() + (x / (x * x + 2)).sum(),
    "pow": lambda L, x: (x ** 3).sum() + (x.abs() + 1).pow(2.5).sum() + (2 ** x).sum(),
    "exp_log": lambda L, x: (x.exp() + (x * x + 1).log()).sum(),
    "tanh_sigmoid": lambda L, x: (x.tanh() * x.sigmoid()).sum(),
    "sin_cos": lambda L, x: (x.sin() * x.cos()).sum(),
    "sqrt_rsqrt": lambda L, x: ((x * x + 1).sqrt() + (x * x + 1).rsqrt()).sum(),
    "relu": lambda L, x: (L.relu(x) ** 2).sum(),
    "abs_clamp": lambda L, x: (x.abs() * x.clamp(-0.5, 0.5) * x).sum(),
    "maximum": lambda L, x: (L.maximum(x, x * 0.5) ** 2).sum() + (L.minimum(x, -x) ** 3).sum(),
    "matmul": lambda L, x: ((x @ x.T) ** 2).sum() + (x[0] @ x.T).pow(2).sum()
    + (x @ x[0]).pow(2).sum() + (x[0] @ x[0]) ** 2,
    "batched_matmul": lambda L, x: ((x.reshape(2, 2, 3) @ x.reshape(2, 3, 2)) ** 2).sum(),
    "sum_mean": lambda L, x: (x.sum(0) ** 2).mean() + (x.mean(1, keepdim=True) ** 3).sum(),
    "softmax": lambda L, x: (x.softmax(-1) * x).sum() + (x.softmax(0) ** 2).sum(),
    "log_softmax": lambda L, x: (x.log_softmax(-1) ** 2).sum(),
    "logsumexp": lambda L, x: (x.logsumexp(1) ** 2).sum(),
    "var_std": lambda L, x: x.var(1).sum() * x.std() + x.var() + x.std(0, keepdim=True).sum(),
    "max_min": lambda L, x: (x.max(1).values ** 2).sum() + x.amax() ** 2 + x.min() ** 3,
    "norm": lambda L, x: x.norm() ** 3 + x.norm(dim=1).sum() ** 2 + x.norm(p=3) ** 2,
    "index": lambda L, x: (x[1:, ::2] ** 3).sum() + (x[[0, 2]] ** 2).sum(),
    "cat_stack": lambda L, x: (L.cat([x, x * x]) ** 2).sum() + (L.stack([x, x.exp()]) ** 2).sum(),
    "reshape_permute_expand": lambda L, x: (x.reshape(4, 3).T ** 3).sum()
    + (x.unsqueeze(0).expand(2, 3, 4) ** 3).sum(),
    "where": lambda L, x: L.where(x > 0, x ** 3, x ** 2).sum(),
    "gelu": lambda L, x: (_functional(L).gelu(x) ** 2).sum()
    + (_functional(L).gelu(x, approximate="tanh") ** 2).sum(),
    "softplus_silu": lambda L, x: (_functional(L).softplus(x) ** 2).sum()
    + (_functional(L).silu(x) ** 2).sum(),
    "elu_leaky_relu": lambda L, x: (_functional(L).elu(x) ** 2).sum()
    + (_functional(L).leaky_relu(x) ** 2).sum(),
    "layer_norm": lambda L, x: (_functional(L).layer_norm(x, (4,))
                                * L.arange(4.0, dtype=L.float64)).pow(2).sum(),
    "cross_entropy": lambda L, x: _functional(L).cross_entropy(x, L.tensor([0, 3, 1])),
    "cross_entropy_weighted_smoothed": lambda L, x: _functional(L).cross_entropy(
        x, L.tensor([0, 3, -100]), weight=L.tensor([1., 2, 3, 4], dtype=L.float64),
        label_smoothing=0.1),
    "cross_entropy_probabilities": lambda L, x: _functional(L).cross_entropy(
        x, (x * 0 + 1).softmax(1) * 0.5 + x.detach().softmax(1) * 0.5, reduction="sum"),
    "mse": lambda L, x: _functional(L).mse_loss(x, L.ones(3, 4, dtype=L.float64)) ** 2,
    "erf_atan": lambda L, x: (x.erf() * x.atan()).sum(),
    "linear": lambda L, x: (_functional(L).linear(x, x[:2] * 2, x[0, :2]) ** 2).sum(),
    "pad": lambda L, x: (_functional(L).pad(x, (1, 2), value=3.0) ** 3).sum(),
    "binary_cross_entropy": lambda L, x: _functional(L).binary_cross_entropy(
        x.sigmoid(), L.full((3, 4), 0.3, dtype=L.float64)),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_derivatives_match_torch(name):
    """The gradient with ``create_graph=True``, then the gradient of ``<grad, v>``: a
    Hessian-vector product through every op's ``tensor_backward``."""
    def build(lib):
        x = lib.tensor(X, requires_grad=True)
        (grad,) = lib.autograd.grad(SECOND_ORDER[name](lib, x), x, create_graph=True)
        (hessian_v,) = lib.autograd.grad((grad * lib.tensor(DIRECTION)).sum(), x,
                                         allow_unused=True)
        return grad, hessian_v
    both(build)


def test_third_derivative_and_backward_create_graph():
    """d3/dx3 of sin(x) x^2 elementwise, through grads of grads, and ``backward(create_graph=
    True)`` leaving a ``.grad`` with a history."""
    def build(lib):
        x = lib.tensor(X, requires_grad=True)
        y = (x.sin() * x * x).sum()
        (g1,) = lib.autograd.grad(y, x, create_graph=True)
        (g2,) = lib.autograd.grad(g1.sum(), x, create_graph=True)
        (g3,) = lib.autograd.grad(g2.sum(), x)
        z = lib.tensor(X, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's warning of a reference cycle
            (z.exp() * z).sum().backward(create_graph=True)
        first = z.grad
        assert first.requires_grad
        (second,) = lib.autograd.grad(first.sum(), z)
        return g1, g2, g3, first, second
    both(build)


def test_create_graph_through_custom_function():
    """A custom Function whose backward uses Tensor ops is differentiable again."""
    def build(lib):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad_output):
                (x,) = ctx.saved_tensors
                return 3 * x ** 2 * grad_output

        x = lib.tensor(X, requires_grad=True)
        (g,) = lib.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        return g, h
    both(build)


def test_pinn_second_derivative():
    """A PINN residual: u(t) an MLP, u'' by two grads with create_graph, a loss on the
    residual u'' + u, and the parameters' gradient of that loss."""
    def build(lib):
        lib.manual_seed(0)
        weights = [rng_weights[i] for i in range(4)]
        w1, b1, w2, b2 = (lib.tensor(w, requires_grad=True) for w in weights)
        t = lib.tensor(np.linspace(0, 1, 7).reshape(7, 1), requires_grad=True)
        u = lib.tanh(t @ w1 + b1) @ w2 + b2
        (du,) = lib.autograd.grad(u, t, lib.ones_like(u), create_graph=True)
        (d2u,) = lib.autograd.grad(du, t, lib.ones_like(du), create_graph=True)
        loss = ((d2u + u) ** 2).mean()
        grads = lib.autograd.grad(loss, (w1, b1, w2, b2))
        return (u, du, d2u, loss) + tuple(grads)
    both(build)


rng_weights = [rng.standard_normal((1, 8)), rng.standard_normal(8), rng.standard_normal((8, 1)),
               rng.standard_normal(1)]



IMAGE = rng.standard_normal((2, 2, 5, 5))
KERNEL = rng.standard_normal((4, 2, 3, 3))
KERNEL_T = rng.standard_normal((2, 3, 3, 3))
BIAS = rng.standard_normal(4)
TABLE = rng.standard_normal((6, 3))


def _conv(L, x, w):
    F = _functional(L)
    return F.conv2d(x, w, L.tensor(BIAS), stride=2, padding=1) + F.conv2d(x, w[:, :1], groups=2)


SECOND_ORDER_WITH_WEIGHTS = {  # name: (f(lib, x, w), x, w): derivatives in both
    "conv2d": (_conv, IMAGE, KERNEL),
    "conv_transpose2d": (lambda L, x, w: _functional(L).conv_transpose2d(
        x, w, stride=2, padding=1, output_padding=1), IMAGE, KERNEL_T),
    "conv1d": (lambda L, x, w: _functional(L).conv1d(x, w, padding=2, dilation=2),
               IMAGE[:, :, 0], KERNEL[:, :, 0]),
    "einsum": (lambda L, x, w: L.einsum("nchw,ocij,nc->no", x, w, x[:, :, 0, 0]), IMAGE, KERNEL),
    "cross": (lambda L, x, w: L.linalg.cross(x[:, :, :3, 0], w[:2, :, 0, :]), IMAGE, KERNEL),
    "embedding": (lambda L, x, w: _functional(L).embedding(L.tensor([[0, 2, 2], [5, 0, 1]]), w,
                                                           padding_idx=1) * x[0, 0, :3, :3],
                  IMAGE, TABLE),
    "embedding_scaled": (lambda L, x, w: _functional(L).embedding(
        L.tensor([[0, 2, 2], [5, 0, 1]]), w, scale_grad_by_freq=True) * x[0, 0, :3, :3],
        IMAGE, TABLE),
    "batch_norm_train": (lambda L, x, w: _functional(L).batch_norm(
        x, None, None, w[:2, 0, 0, 0], w[:2, 0, 0, 1], training=True), IMAGE, KERNEL),
    "batch_norm_eval": (lambda L, x, w: _functional(L).batch_norm(
        x, L.tensor([0.1, -0.2], dtype=L.float64), L.tensor([1.5, 0.5], dtype=L.float64),
        w[:2, 0, 0, 0], w[:2, 0, 0, 1],
        training=False), IMAGE, KERNEL),
    "pooling": (lambda L, x, w: _functional(L).avg_pool2d(x * w[0, 0, 0, 0], 2, padding=1)
                .sum() + _functional(L).adaptive_avg_pool2d(x.exp() * w[0, 0, 0, 1], 2).pow(2),
                IMAGE, KERNEL),
    "max_pools": (lambda L, x, w: _functional(L).max_pool2d(x * w[0, 0], 3, stride=2, padding=1,
                                                          dilation=1) ** 2
                  + _functional(L).max_pool2d(x * w[0, 1], 2, stride=1, dilation=2).sum()
                  + _functional(L).adaptive_max_pool2d(x.exp() * w[1, 0], 2).pow(2).sum(),
                  IMAGE, rng.standard_normal((2, 2, 5, 5))),
    "prod": (lambda L, x, w: (x * w).prod(1).sum() + (x * w).prod(), IMAGE[:, :, :2, :2],
             np.abs(IMAGE[:, :, :2, :2]) + 0.5),
    "logaddexp_logit_erfinv": (lambda L, x, w: L.logaddexp(x, w[:2, :2, :3, :3].sum() * x)
                               + L.logaddexp2(x * 2, w[0, 0, 0, 0] * x)
                               + L.logit(x.sigmoid() * w[0, 0, 0, 1], eps=0.3)
                               + (x.tanh() * 0.9).erfinv(), IMAGE, KERNEL),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER_WITH_WEIGHTS))
def test_second_derivatives_with_weights_match_torch(name):
    """Ops with two differentiable operands (multilinear ones: convolutions, einsum, cross):
    the gradients with create_graph, then the gradients of their weighted sum for both."""
    function, x_value, w_value = SECOND_ORDER_WITH_WEIGHTS[name]

    def build(lib):
        x = lib.tensor(x_value, requires_grad=True)
        w = lib.tensor(w_value, requires_grad=True)
        out = function(lib, x, w)
        weights = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        gx, gw = lib.autograd.grad((out * weights).sum(), (x, w), create_graph=True)
        second = lib.autograd.grad((gx * gx).sum() + (gw.sin()).sum(), (x, w),
                                   allow_unused=True)
        return gx, gw, second
    both(build)


def test_dropout_second_derivative_uses_the_same_mask():
    tg.manual_seed(0)
    x = tg.tensor(X, requires_grad=True)
    out = tg.nn.functional.dropout(x * x, 0.5)
    (g,) = tg.autograd.grad(out.sum(), x, create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), x)
    kept = out.detach().numpy() != 0
    np.testing.assert_allclose(g.detach().numpy(), np.where(kept, 4 * X, 0))
    np.testing.assert_allclose(h.numpy(), np.where(kept, 4.0, 0))


def test_grad_batched_dict_inputs_and_only_inputs():
    """autograd.grad's is_grads_batched (a Jacobian in one call), dict inputs, and the
    deprecated only_inputs (ignored, with PyTorch's warning)."""
    def build(lib):
        x = lib.tensor(X[0], requires_grad=True)
        w = lib.tensor(X[1], requires_grad=True)
        y = x.sin() * w
        (jacobian,) = lib.autograd.grad(y, x, lib.eye(4, dtype=lib.float64),
                                        is_grads_batched=True, retain_graph=True)
        with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
            (plain,) = lib.autograd.grad(y.sum(), x, only_inputs=False, retain_graph=True)
        both_inputs = lib.autograd.grad((y * y).sum(), {"x": x, "w": w}, create_graph=True)
        (second,) = lib.autograd.grad(both_inputs["x"].sum(), w)
        return jacobian, both_inputs, second, plain
    both(build)


ZERO_SECOND_DERIVATIVE = {  # first derivative piecewise constant: does it require grad?
    "relu": lambda L, x: L.relu(x),
    "abs": lambda L, x: x.abs(),
    "clamp": lambda L, x: x.clamp(-0.5, 0.5),
    "maximum": lambda L, x: L.maximum(x, L.zeros_like(x)),
    "amax": lambda L, x: x.amax(1),
    "norm_1_and_inf_at_zero": lambda L, x: L.linalg.vector_norm(x * 0, 1)
    + L.linalg.vector_norm(x * 0, float("inf")),
    "max_pool": lambda L, x: _functional(L).max_pool1d(x.unsqueeze(0), 2),
    "avg_pool": lambda L, x: _functional(L).avg_pool1d(x.unsqueeze(0), 2),
    "floor": lambda L, x: x.floor(),
    "sum": lambda L, x: x.sum(0),
}


@pytest.mark.parametrize("name", list(ZERO_SECOND_DERIVATIVE))
def test_piecewise_linear_gradients_require_grad_as_torch(name):
    """Where PyTorch's backward formula reads the input (relu's threshold_backward(grad,
    self), pooling's), the gradient requires grad and differentiates to zeros; where it does
    not (floor, sum, clamp, maximum, amax), it does not require grad."""
    def build(lib):
        x = lib.tensor(X, requires_grad=True)
        out = ZERO_SECOND_DERIVATIVE[name](lib, x)
        (g,) = lib.autograd.grad(out, x, lib.ones_like(out), create_graph=True)
        second = lib.autograd.grad(g.sum(), x) if g.requires_grad else None
        return g, lib.tensor(g.requires_grad), second
    both(build)


def test_cumprod_and_scatter_reduce_second_derivatives():
    """cumprod; scatter_reduce's sum and mean (linear) and amax/amin with ties (routed)."""
    def build(lib):
        x = lib.tensor(np.abs(X) + 0.5, requires_grad=True)
        (g,) = lib.autograd.grad((x.cumprod(1) ** 2).sum(), x, create_graph=True)
        index = lib.tensor([[0, 1, 0, 2], [2, 2, 1, 0], [1, 0, 0, 1]])
        scattered = [x.scatter_reduce(0, index, x * x, reduce=r, include_self=s)
                     for r in ("sum", "mean") for s in (True, False)]
        (gs,) = lib.autograd.grad(sum(((t * t).sum() for t in scattered[1:]),
                                      (scattered[0] ** 2).sum()), x, create_graph=True)
        ties = lib.tensor(np.arange(12.0).reshape(3, 4) % 5, requires_grad=True)
        source = lib.tensor(np.arange(12.0).reshape(3, 4)[::-1] % 4, requires_grad=True)
        extremes = [ties.scatter_reduce(0, index, source * source, reduce=r, include_self=s)
                    for r in ("amax", "amin") for s in (True, False)]
        ge = lib.autograd.grad(sum((t * t).sum() for t in extremes), (ties, source),
                               create_graph=True)
        return (g, lib.autograd.grad((g * g).sum(), x), gs, lib.autograd.grad((gs * gs).sum(), x),
                ge, lib.autograd.grad(sum((t * t).sum() for t in ge), (ties, source)))
    both(build)


RECURRENT = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}),
             ("LSTM", {"proj_size": 2}), ("GRU", {"bidirectional": True, "num_layers": 2}),
             ("LSTMCell", {}), ("GRUCell", {})]


@pytest.mark.parametrize("kind, options", RECURRENT, ids=[f"{k}{o}" for k, o in RECURRENT])
def test_recurrent_layers_second_derivatives(kind, options):
    """The fused recurrent ops differentiate again through their composite loops."""
    sequence = np.random.default_rng(5).standard_normal((5, 2, 3))

    def build(lib):
        weights = np.random.default_rng(1)
        cell = kind.endswith("Cell")
        module = getattr(lib.nn, kind)(3, 4, **options).double()
        with lib.no_grad():
            for parameter in module.parameters():
                parameter.copy_(lib.tensor(weights.standard_normal(tuple(parameter.shape)) * 0.5))
        x = lib.tensor(sequence[0] if cell else sequence, requires_grad=True)
        out = module(x)
        out = out[0] if isinstance(out, tuple) else out
        wrt = [x] + list(module.parameters())
        first = lib.autograd.grad((out ** 2).sum(), wrt, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in first), wrt)
        return first, second
    both(build)


def test_backward_with_inputs():
    """backward(inputs=...) accumulates into the given tensors only (a non-leaf too), with
    create_graph as well; an input nothing reaches keeps .grad None."""
    def build(lib):
        x = lib.tensor(X[0], requires_grad=True)
        w = lib.tensor(X[1], requires_grad=True)
        y = x.sin() * w
        z = (y * y).sum()
        z.backward(inputs=[x, y], retain_graph=True)
        z.backward(inputs=x, retain_graph=True)
        unused = lib.tensor(X[2], requires_grad=True)
        z.backward(inputs=[unused], retain_graph=True)
        v = lib.tensor(X[2], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (v.exp() * v).sum().backward(inputs=[v], create_graph=True)
        (second,) = lib.autograd.grad(v.grad.sum(), v)
        return x.grad, y.grad, lib.tensor(w.grad is None and unused.grad is None), v.grad, second
    both(build)


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0, float("inf")])
def test_cdist_second_derivative_by_finite_differences(p):
    """PyTorch has no double backward for cdist: ours is held against finite differences of
    the first derivative (gradcheck of the create_graph gradient)."""
    x1 = tg.tensor(X[:, :3], requires_grad=True)
    x2 = tg.tensor(X[1:, 1:] * 1.5, requires_grad=True)

    def first_derivative(a, b):
        with tg.enable_grad():  # gradcheck's perturbed evaluations run without recording
            if not a.requires_grad:
                a, b = a.detach().requires_grad_(), b.detach().requires_grad_()
            return tg.autograd.grad((tg.cdist(a, b, p=p) ** 2).sum(), (a, b),
                                    create_graph=True)
    plain = tg.autograd.grad((tg.cdist(x1, x2, p=p) ** 2).sum(), (x1, x2))
    for recorded, first_order in zip(first_derivative(x1, x2), plain):  # the same gradient
        np.testing.assert_allclose(recorded.detach().numpy(), first_order.numpy(), atol=1e-12)
    assert tg.autograd.gradcheck(first_derivative, (x1, x2))


# Ops whose backward is not recorded yet (create_graph=True raises, naming the op): svdvals and
# matrix_norm(ord=2 / "nuc"), the LU factorization and its solves, grid_sample, linalg.eig, and
# CrossMapLRN2d (PyTorch's legacy formula, not the exact gradient). StandardGamma's
# concentration gradient has no derivative in PyTorch either (_standard_gamma_grad).
NOT_TWICE_DIFFERENTIABLE = {"SingularValues", "LU", "LUFactor", "LUSolve", "GridSample",
                            "StandardGamma", "Eigen", "CrossMapLRN2d"}


def test_every_op_differentiates_again():
    """Each differentiable op has a way to run under create_graph=True (a tensor_backward, a
    flag or a composite: autograd/higher_order.py), but those listed: a new op must get one."""
    import importlib
    import pkgutil

    import tinygrad_bn.ops as ops
    from tinygrad_bn.autograd.graph import Op
    for module in pkgutil.iter_modules(ops.__path__):
        importlib.import_module(f"tinygrad_bn.ops.{module.name}")

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    lacking = set()
    for cls in subclasses(Op):
        if not cls.differentiable or cls.__name__.startswith("_") or \
                not cls.__module__.startswith("tinygrad_bn.ops"):  # not ops other tests made
            continue
        has_route = (cls.tensor_backward is not Op.tensor_backward or cls.is_linear
                     or cls.is_piecewise_linear or hasattr(cls, "composite")
                     or isinstance(cls.multilinear_inputs, property) or cls.multilinear_inputs)
        if not has_route:
            lacking.add(cls.__name__)
    assert lacking == NOT_TWICE_DIFFERENTIABLE


def test_gradient_penalty_and_maml():
    """Two canonical uses of create_graph: WGAN-GP's gradient penalty on a conv critic (conv,
    leaky relu, layer norm, linear; the penalty's gradient reaches every weight), and a MAML
    step (one inner SGD step with create_graph, the outer loss through functional_call)."""
    real, fake = rng_images

    def build(lib):
        weights = np.random.default_rng(1)
        critic = lib.nn.Sequential(
            lib.nn.Conv2d(1, 4, 3, stride=2, padding=1), lib.nn.LeakyReLU(0.2),
            lib.nn.Conv2d(4, 8, 3, stride=2, padding=1), lib.nn.LayerNorm([8, 2, 2]),
            lib.nn.LeakyReLU(0.2), lib.nn.Flatten(), lib.nn.Linear(32, 1)).double()
        net = lib.nn.Sequential(lib.nn.Linear(3, 8), lib.nn.Tanh(), lib.nn.Linear(8, 1)).double()
        with lib.no_grad():
            for parameter in list(critic.parameters()) + list(net.parameters()):
                parameter.copy_(lib.tensor(weights.standard_normal(tuple(parameter.shape)) * 0.3))
        alpha = lib.tensor(weights.random((4, 1, 1, 1)))
        mixed = (alpha * lib.tensor(real) + (1 - alpha) * lib.tensor(fake)).requires_grad_(True)
        score = critic(mixed)
        (g,) = lib.autograd.grad(score, mixed, lib.ones_like(score), create_graph=True)
        penalty = ((g.reshape(4, -1).norm(2, dim=1) - 1) ** 2).mean()
        (score.mean() + 10 * penalty).backward()
        xs, ys = lib.tensor(weights.standard_normal((5, 3))), lib.tensor(
            weights.standard_normal((5, 1)))
        params = dict(net.named_parameters())
        inner = ((lib.func.functional_call(net, params, (xs,)) - ys) ** 2).mean()
        grads = lib.autograd.grad(inner, list(params.values()), create_graph=True)
        adapted = {k: v - 0.1 * g for (k, v), g in zip(params.items(), grads)}
        outer = ((lib.func.functional_call(net, adapted, (xs * 2,)) - ys) ** 2).mean()
        outer.backward()
        return penalty, [p.grad for p in critic.parameters()], outer, \
            [p.grad for p in net.parameters()]
    both(build)


rng_images = rng.standard_normal((2, 4, 1, 8, 8))

# --------------------------------------------------------------------------- autograd.functional

A = rng.standard_normal(3)
B = rng.standard_normal((2, 3))
VA = rng.standard_normal(3)
VB = rng.standard_normal((2, 3))

FUNCTIONS = {  # name: (function, inputs)
    "one_in_scalar_out": (lambda a: (a.exp() * a).sum(), lambda L: L.tensor(A)),
    "one_in_vector_out": (lambda a: a.sin() * a ** 2, lambda L: L.tensor(A)),
    "tuple_in": (lambda a, b: (b @ a).tanh(), lambda L: (L.tensor(A), L.tensor(B))),
    "tuple_in_tuple_out": (lambda a, b: (a.exp() * b.sum(), (b * b).sum(1) * a.sum(),
                                         b.sum() + a.sum()),
                           lambda L: (L.tensor(A), L.tensor(B))),
    "one_in_tuple_out": (lambda a: (a.exp(), a.sum()), lambda L: L.tensor(A)),
    "one_element_tuple_in": (lambda a: a.cos() * 2, lambda L: (L.tensor(A),)),
}
JACOBIAN_OPTIONS = [{}, {"create_graph": True}, {"vectorize": True}, {"strict": True},
                    {"strategy": "forward-mode", "vectorize": True}]


@pytest.mark.parametrize("options", JACOBIAN_OPTIONS, ids=str)
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_jacobian_matches_torch(name, options):
    function, inputs = FUNCTIONS[name]
    both(lambda lib: lib.autograd.functional.jacobian(function, inputs(lib), **options))


def _scalar(a, b):
    return ((b @ a).tanh() ** 2).sum() + (a ** 3).sum() * b.sum()


HESSIAN_OPTIONS = [{}, {"create_graph": True}, {"vectorize": True}, {"strict": True},
                   {"outer_jacobian_strategy": "forward-mode", "vectorize": True}]


@pytest.mark.parametrize("options", HESSIAN_OPTIONS, ids=str)
def test_hessian_matches_torch(options):
    both(lambda lib: lib.autograd.functional.hessian(
        _scalar, (lib.tensor(A), lib.tensor(B)), **options))
    both(lambda lib: lib.autograd.functional.hessian(
        lambda a: (a.exp() * a.sin()).sum() * (a * a).sum(), lib.tensor(A), **options))


def test_hessian_of_mlp_loss():
    """The Hessian of a small MLP's loss with respect to its flat parameters."""
    def build(lib):
        x = lib.tensor(rng_x)
        y = lib.tensor(rng_y)

        def loss(flat):
            w1 = flat[:12].reshape(4, 3)
            b1 = flat[12:16]
            w2 = flat[16:20].reshape(1, 4)
            hidden = lib.tanh(x @ w1.T + b1)
            return ((hidden @ w2.T - y) ** 2).mean()
        return lib.autograd.functional.hessian(loss, lib.tensor(rng_flat))
    both(build)


rng_x, rng_y, rng_flat = rng.standard_normal((5, 3)), rng.standard_normal((5, 1)), \
    rng.standard_normal(20)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("which", ["vjp", "jvp", "vhp", "hvp"])
def test_products_match_torch(which, create_graph):
    def build(lib):
        product = getattr(lib.autograd.functional, which)
        a, b, va, vb = (lib.tensor(v) for v in (A, B, VA, VB))
        if which == "vjp":
            return (product(lambda a, b: (b @ a).tanh(), (a, b), va[:2], create_graph=create_graph),
                    product(lambda a: (a.exp(), a.sum()), a, (va, lib.tensor(2.0)),
                            create_graph=create_graph),
                    product(lambda a: (a * a).sum(), a, create_graph=create_graph))
        if which == "jvp":
            return (product(lambda a, b: (b @ a).tanh(), (a, b), (va, vb),
                            create_graph=create_graph),
                    product(lambda a: (a.exp(), a.sum()), a, va, create_graph=create_graph))
        return (product(_scalar, (a, b), (va, vb), create_graph=create_graph),
                product(lambda a: (a.exp() * a).sum(), a, va, create_graph=create_graph))
    both(build)


def test_create_graph_results_stay_differentiable():
    """With create_graph=True the Jacobian of an input that requires grad can be
    differentiated again (the gradient of its trace)."""
    def build(lib):
        a = lib.tensor(A, requires_grad=True)
        jac = lib.autograd.functional.jacobian(lambda a: a.sin() * a.exp(), a, create_graph=True)
        assert jac.requires_grad
        (grad,) = lib.autograd.grad(jac.diagonal().sum(), a)
        return jac, grad
    both(build)


def _functional_call(name, *args, **kwargs):
    return lambda lib: getattr(lib.autograd.functional, name)(*args, **kwargs)


FUNCTIONAL_ERRORS = [
    ("grads_batched_shape", lambda L: L.autograd.grad(
        L.ones(3, requires_grad=True) * 2, L.ones(3, requires_grad=True), L.ones(3),
        is_grads_batched=True), RuntimeError,
     "If `is_grads_batched=True`, we interpret the first dimension of each grad_output as the "
     "batch dimension. The sizes of the remaining dimensions are expected to match the shape of "
     "corresponding output, but a mismatch was detected: grad_output[0] has a shape of "
     "torch.Size([]) and output[0] has a shape of torch.Size([3]). If you only want some "
     "tensors in `grad_output` to be considered batched, consider using vmap."),
    ("strict_output_no_grad", lambda L: L.autograd.functional.jacobian(
        lambda a: L.ones(2, dtype=L.float64), L.tensor(A), strict=True), RuntimeError,
     "Output 0 of the user-provided function does not require gradients. The outputs must be "
     "computed in a differentiable manner from the input when running in strict mode."),
    ("strict_independent", lambda L: L.autograd.functional.jacobian(
        lambda a, b: a * 2, (L.tensor(A), L.tensor(B)), strict=True), RuntimeError,
     "Output 0 of the user-provided function is independent of input 1. This is not allowed in "
     "strict mode."),
    ("strict_vectorize", lambda L: L.autograd.functional.jacobian(
        lambda a: a * a, L.tensor(A), strict=True, vectorize=True), RuntimeError,
     "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported "
     "together. Please either set `strict=False` or `vectorize=False`."),
    ("forward_mode_needs_vectorize", lambda L: L.autograd.functional.jacobian(
        lambda a: a * a, L.tensor(A), strategy="forward-mode"), NotImplementedError,
     "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly implemented for "
     "`vectorize=True`."),
    ("forward_mode_create_graph", lambda L: L.autograd.functional.jacobian(
        lambda a: a * a, L.tensor(A), strategy="forward-mode", create_graph=True),
     NotImplementedError,
     "torch.autograd.functional.jacobian: `create_graph=True` and `strategy=\"forward-mode\"` "
     "are not supported together (yet). Please either set `create_graph=False` or "
     "`strategy=\"reverse-mode\"`."),
    ("forward_mode_strict", lambda L: L.autograd.functional.jacobian(
        lambda a: a * a, L.tensor(A), strategy="forward-mode", strict=True, vectorize=True),
     RuntimeError,
     "torch.autograd.functional.jacobian: `strict=True` and `strategy=\"forward-mode\"` are not "
     "supported together (yet). Please either set `strict=False` or "
     "`strategy=\"reverse-mode\"`."),
    ("bad_strategy", lambda L: L.autograd.functional.jacobian(
        lambda a: a * a, L.tensor(A), strategy="sideways"), AssertionError,
     "Expected strategy to be either \"forward-mode\" or \"reverse-mode\". Hint: If your "
     "function has more outputs than inputs, \"forward-mode\" tends to be more performant. "
     "Otherwise, prefer to use \"reverse-mode\"."),
    ("inputs_not_tensor", lambda L: L.autograd.functional.jacobian(lambda a: a, [1.0]),
     TypeError, "The inputs given to jacobian must be either a Tensor or a tuple of Tensors but "
     "the given inputs has type <class 'list'>."),
    ("inputs_tuple_not_tensor", lambda L: L.autograd.functional.vjp(
        lambda a, b: a, (L.tensor(A), 2.0)), TypeError,
     "The inputs given to vjp must be either a Tensor or a tuple of Tensors but the value at "
     "index 1 has type <class 'float'>."),
    ("hessian_tuple_output", lambda L: L.autograd.functional.hessian(
        lambda a: (a.sum(), a.sum()), L.tensor(A)), RuntimeError,
     "The function given to hessian should return a single Tensor"),
    ("hessian_not_scalar", lambda L: L.autograd.functional.hessian(lambda a: a * a, L.tensor(A)),
     RuntimeError, "The Tensor returned by the function given to hessian should contain a single "
     "element"),
    ("vjp_v_none", lambda L: L.autograd.functional.vjp(lambda a: a * a, L.tensor(A)),
     RuntimeError, "The vector v can only be None if the user-provided function returns a single "
     "Tensor with a single element."),
    ("jvp_v_none", lambda L: L.autograd.functional.jvp(lambda a: a * a, L.tensor(A)),
     RuntimeError, "The vector v can only be None if the input to the user-provided function is "
     "a single Tensor with a single element."),
    ("v_size", lambda L: L.autograd.functional.vjp(lambda a: a * a, L.tensor(A), L.ones(2)),
     RuntimeError, "v has invalid size: should be torch.Size([3]) but got torch.Size([2])."),
    ("v_entry_size", lambda L: L.autograd.functional.jvp(
        lambda a, b: a, (L.tensor(A), L.tensor(B)), (L.ones(3), L.ones(3))),
     RuntimeError,
     "Entry 1 in v has invalid size: should be torch.Size([2, 3]) but got torch.Size([3])."),
    ("v_length", lambda L: L.autograd.functional.jvp(
        lambda a, b: a, (L.tensor(A), L.tensor(B)), (L.ones(3),)), RuntimeError,
     "v is a tuple of invalid length: should be 2 but got 1."),
    ("v_single", lambda L: L.autograd.functional.vjp(
        lambda a: a * a, L.tensor(A), (L.ones(3), L.ones(3))), RuntimeError,
     "The given v should contain a single Tensor."),
    ("hvp_not_scalar", lambda L: L.autograd.functional.hvp(
        lambda a: a * a, L.tensor(A), L.tensor(VA)), RuntimeError,
     "The Tensor returned by the function given to hvp should contain a single element"),
    ("vhp_tuple", lambda L: L.autograd.functional.vhp(
        lambda a: (a.sum(),), L.tensor(A), L.tensor(VA)), RuntimeError,
     "The function given to vhp should return a single Tensor"),
    ("strict_linear_hessian", lambda L: L.autograd.functional.hessian(
        lambda a: (a * 2).sum(), L.tensor(A), strict=True), RuntimeError,
     "While computing the hessian, found that the jacobian of the user-provided function with "
     "respect to input 0 is independent of the input. This is not allowed in strict mode. You "
     "should ensure that your function is twice differentiable and that the jacobian depends on "
     "the inputs (this would be violated by a linear function for example)."),
    ("strict_vjp_unused", lambda L: L.autograd.functional.vjp(
        lambda a, b: a * 2, (L.tensor(A), L.tensor(B)), L.tensor(VA), strict=True),
     RuntimeError, "The output of the user-provided function is independent of input 1. This is "
     "not allowed in strict mode."),
    ("strict_jvp_unused", lambda L: L.autograd.functional.jvp(
        lambda a, b: b * 2, (L.tensor(A), L.tensor(B)), (L.tensor(VA), L.tensor(VB)),
        strict=True), RuntimeError,
     "The output of the user-provided function is independent of input 0. This is not allowed "
     "in strict mode."),
]

test_functional_errors_are_pytorchs, test_pytorch_raises_the_same_functional = \
    error_tests(FUNCTIONAL_ERRORS)


# --------------------------------------------------------------------------- tinygrad_bn.func

MLP_WEIGHTS = [rng.standard_normal((8, 3)), rng.standard_normal(8), rng.standard_normal((2, 8)),
               rng.standard_normal(2)]
SAMPLES, TARGETS = rng.standard_normal((6, 3)), np.array([0, 1, 1, 0, 1, 0])


def _mlp(lib):
    model = lib.nn.Sequential(lib.nn.Linear(3, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2)).double()
    with lib.no_grad():
        for parameter, value in zip(model.parameters(), MLP_WEIGHTS):
            parameter.copy_(lib.tensor(value))
    return model


def test_per_sample_gradients_tutorial():
    """torch.func's tutorial: vmap(grad(loss), in_dims=(None, None, 0, 0)) over a batch, with
    functional_call on detached parameters; each row equals that sample's own gradient."""
    def build(lib):
        func = lib.func
        model = _mlp(lib)
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def compute_loss(params, buffers, sample, target):
            predictions = func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
            return lib.nn.functional.cross_entropy(predictions, target.unsqueeze(0))

        per_sample = func.vmap(func.grad(compute_loss), in_dims=(None, None, 0, 0))(
            params, buffers, lib.tensor(SAMPLES), lib.tensor(TARGETS))
        assert all(not g.requires_grad for g in per_sample.values())
        return per_sample
    both(build)
    ours = _numpy(build(tg))
    model = _mlp(tg)
    for i in range(len(SAMPLES)):  # against one backward per sample
        model.zero_grad()
        tg.nn.functional.cross_entropy(model(tg.tensor(SAMPLES[i:i + 1])),
                                       tg.tensor(TARGETS[i:i + 1])).backward()
        for name, parameter in model.named_parameters():
            np.testing.assert_allclose(ours[name][i], parameter.grad.numpy(), atol=1e-12)


def test_grad_transforms_match_torch():
    x = lambda lib: lib.tensor(SAMPLES)  # noqa: E731
    both(lambda lib: lib.func.grad(lambda a: (a.sin() * a.exp()).sum())(x(lib)))
    both(lambda lib: lib.func.grad(lambda a: lib.func.grad(lambda b: (b ** 3).sin())(a))(
        lib.tensor(0.7, dtype=lib.float64)))
    both(lambda lib: lib.func.grad_and_value(
        lambda a, b: ((a * b).sum(), a.mean()), argnums=(0, 1), has_aux=True)(x(lib), x(lib) + 1))
    both(lambda lib: lib.func.grad(lambda p, c: (p["w"] * c).sum() * p["b"], has_aux=False)(
        {"w": x(lib), "b": lib.tensor(2.0, dtype=lib.float64)}, x(lib)))
    both(lambda lib: lib.func.grad(lambda a, b: (a * b).sum(), argnums=-1)(x(lib), x(lib) * 3))


def test_vjp_jvp_match_torch():
    x = lambda lib: lib.tensor(SAMPLES)  # noqa: E731

    def vjp(lib):
        output, vjp_fn = lib.func.vjp(lambda a, b: a.tanh() * b, x(lib), x(lib) * 2)
        return output, vjp_fn(lib.ones_like(output)), vjp_fn(output)
    both(vjp)
    both(lambda lib: lib.func.vjp(lambda a: (a.exp(), a.sum()), x(lib), has_aux=False)[1](
        (x(lib), lib.tensor(2.0, dtype=lib.float64))))
    both(lambda lib: lib.func.jvp(lambda a, b: (a.tanh() * b, a.sum()), (x(lib), x(lib) * 2),
                                  (x(lib) * 0.5, x(lib) - 1)))
    both(lambda lib: lib.func.jvp(lambda a: (a.sin(), a.cos().sum()), (x(lib),), (x(lib),),
                                  has_aux=True))


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
def test_jacobians_match_torch(transform):
    def build(lib):
        jac = getattr(lib.func, transform)
        a, b = lib.tensor(SAMPLES[:2]), lib.tensor(SAMPLES[:2] * 2)
        return (jac(lambda a, b: (a.tanh() * b).sum(0), argnums=(0, 1))(a, b),
                jac(lambda a: {"s": a.sin(), "t": a.sum()})(a[0]),
                jac(lambda a: (a.exp(), a * a.sum()), has_aux=False)(a[0]),
                jac(lambda a, b: (a * b, a.sum()), has_aux=True)(a[0], b[0]))
    both(build)


def test_hessians_match_torch():
    both(lambda lib: lib.func.hessian(lambda a: (a.sin() * a.exp()).sum() * a.sum())(
        lib.tensor(SAMPLES[0])))
    models = {}

    def mlp_hessian(lib):
        model = models.setdefault(lib.__name__, _mlp(lib))
        params = {k: v.detach() for k, v in model.named_parameters()}
        return lib.func.hessian(lambda p: lib.func.functional_call(
            model, p, (lib.tensor(SAMPLES),)).pow(2).mean())(params)
    pytest.importorskip("torch")
    import torch
    models["torch"], models["tinygrad_bn"] = _mlp(torch), _mlp(tg)
    both(mlp_hessian)


def test_vmap_matches_torch():
    x = lambda lib: lib.tensor(SAMPLES)  # noqa: E731
    both(lambda lib: lib.func.vmap(lambda a, b: (a * b, a.sum()), in_dims=(1, None),
                                   out_dims=(1, 0))(x(lib), x(lib)[:, 0]))
    both(lambda lib: lib.func.vmap(lib.func.vmap(lambda a, b: a @ b, in_dims=(0, None)),
                                   in_dims=(None, 1))(x(lib), x(lib).T))
    both(lambda lib: lib.func.vmap(lambda d: d["a"] * d["b"], in_dims=({"a": 0, "b": None},))(
        {"a": x(lib), "b": x(lib)[0]}))
    both(lambda lib: lib.func.vmap(lambda a: a.sum(-1), in_dims=-1, chunk_size=2)(x(lib)))
    both(lambda lib: lib.func.jacrev(lib.func.vmap(lambda a: a.sin() * a.sum()))(x(lib)[:2]))


def test_vmap_randomness():
    """"same" draws one stream for every element, "different" fresh draws per element; an
    outer "error" vmap refuses a draw inside an inner "different" one (as PyTorch), and a
    thread outside any vmap draws freely while one runs in another thread."""
    import threading
    inner = tg.func.vmap(lambda a: a + tg.rand(()), randomness="different")
    with pytest.raises(RuntimeError, match="randomness error mode"):
        tg.func.vmap(inner)(tg.ones(2, 3))
    started, release, drawn = threading.Event(), threading.Event(), []

    def waits(a):
        started.set()
        release.wait(10)
        return a

    worker = threading.Thread(target=lambda: tg.func.vmap(waits)(tg.ones(1, 2)))
    worker.start()
    started.wait(10)
    drawn.append(tg.rand(2))  # this thread runs no vmap: no error
    release.set()
    worker.join()
    assert len(drawn) == 1
    x = tg.zeros(4, 3, dtype=tg.float64)
    same = tg.func.vmap(lambda a: a + tg.rand(3, dtype=tg.float64), randomness="same")(x)
    assert (same.numpy() == same.numpy()[0]).all()
    different = tg.func.vmap(lambda a: a + tg.rand(3, dtype=tg.float64),
                             randomness="different")(x)
    assert len({tuple(row) for row in different.numpy()}) == 4


def test_outer_gradient_through_vmap_of_grad():
    """A loss of per-sample gradients differentiated with respect to a closed-over weight."""
    def build(lib):
        w = lib.tensor(MLP_WEIGHTS[0][:, :3].T.copy(), requires_grad=True)
        per_sample = lib.func.vmap(lib.func.grad(lambda x: ((x @ w).tanh() ** 2).sum()))(
            lib.tensor(SAMPLES))
        return per_sample, lib.autograd.grad((per_sample ** 2).sum(), w)
    both(build)


def test_functional_call_and_stack_module_state():
    def build(lib):
        model = _mlp(lib)
        replaced = {"0.weight": lib.tensor(MLP_WEIGHTS[0] * 2)}
        out = lib.func.functional_call(model, replaced, lib.tensor(SAMPLES))
        after = model(lib.tensor(SAMPLES))  # the module's own weights are back
        models = [_mlp(lib), _mlp(lib)]
        params, buffers = lib.func.stack_module_state(models)
        assert all(p.requires_grad and p.grad_fn is None for p in params.values())
        ensemble = lib.func.vmap(
            lambda p, b, x: lib.func.functional_call(models[0], (p, b), (x,)),
            in_dims=(0, 0, None))(params, buffers, lib.tensor(SAMPLES))
        grads = lib.autograd.grad(ensemble.sum(), list(params.values()))
        return out, after, params, ensemble, grads
    both(build)


def test_functional_call_ties_weights():
    model = tg.nn.Sequential(tg.nn.Linear(3, 3, bias=False), tg.nn.Linear(3, 3, bias=False))
    model[1].weight = model[0].weight
    x = tg.ones(1, 3)
    new = tg.eye(3)
    assert np.array_equal(tg.func.functional_call(model, {"0.weight": new}, (x,)).numpy(),
                          x.numpy())
    untied = tg.func.functional_call(model, {"0.weight": new}, (x,), tie_weights=False)
    assert np.array_equal(untied.detach().numpy(), (x @ model[1].weight.T).detach().numpy())


def test_stateless_functional_call_is_deprecated_alias():
    model = _mlp(tg)
    with pytest.warns(FutureWarning, match="torch.func.functional_call"):
        out = tg.nn.utils.stateless.functional_call(
            model, {"2.bias": tg.zeros(2, dtype=tg.float64)}, (tg.tensor(SAMPLES),))
    expected = tg.func.functional_call(model, {"2.bias": tg.zeros(2, dtype=tg.float64)},
                                       (tg.tensor(SAMPLES),))
    assert np.array_equal(out.detach().numpy(), expected.detach().numpy())


def test_linearize_functionalize_and_batch_norm_replacement():
    def build(lib):
        x = lib.tensor(SAMPLES[0])
        output, jvp_fn = lib.func.linearize(lambda a: a.sin() * a.sum(), x)
        model = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.BatchNorm1d(3)).double()
        lib.func.replace_all_batch_norm_modules_(model)
        batch_norm = model[1]
        assert batch_norm.running_mean is None and not batch_norm.track_running_stats
        functional = lib.func.functionalize(lambda a: a.clone().add_(1) * 2)
        return output, jvp_fn(lib.tensor(SAMPLES[1])), functional(x)
    both(build)


def _linear_module(lib):
    return lib.nn.Linear(2, 2)


FUNC_ERRORS = [
    ("grad_not_scalar", lambda L: L.func.grad(lambda a: a * 2)(L.ones(3)), RuntimeError,
     "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with 1 "
     "dims. Maybe you wanted to use the vjp or jacrev APIs instead?"),
    ("grad_not_tensor", lambda L: L.func.grad(lambda a: 2.0)(L.ones(3)), RuntimeError,
     "grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got <class 'float'>"),
    ("grad_bad_aux", lambda L: L.func.grad(lambda a: a.sum(), has_aux=True)(L.ones(3)),
     RuntimeError, "grad_and_value(f)(*args): output of function f should be a tuple: (output, "
     "aux) if has_aux is True"),
    ("grad_argnum_range", lambda L: L.func.grad(lambda a: a.sum(), argnums=2)(L.ones(3)),
     RuntimeError, "Got argnum=2, but only 1 positional inputs"),
    ("grad_argnum_type", lambda L: L.func.grad(lambda a: a.sum(), argnums=1.0)(L.ones(3)),
     RuntimeError, "argnums must be int or Tuple[int, ...], got: <class 'float'>"),
    ("grad_non_tensor_input", lambda L: L.func.grad(lambda a: a.sum())(3.0), ValueError,
     "Thing passed to transform API must be Tensor, got <class 'float'>"),
    ("vjp_non_tensor_input", lambda L: L.func.vjp(lambda a: a, 3.0), ValueError,
     "Thing passed to transform API must be Tensor, got <class 'float'>"),
    ("vmap_sizes", lambda L: L.func.vmap(lambda a, b: a + b)(L.ones(2, 3), L.ones(3, 3)),
     ValueError, "vmap: Expected all tensors to have the same size in the mapped dimension, got "
     "sizes [2, 3] for the mapped dimension"),
    ("vmap_random", lambda L: L.func.vmap(lambda a: a + L.rand(3))(L.ones(2, 3)), RuntimeError,
     "vmap: called random operation while in randomness error mode. Please either use the "
     "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
     "of vmap"),
    ("vmap_randomness_value", lambda L: L.func.vmap(lambda a: a, randomness="foo")(L.ones(2)),
     RuntimeError, "Only allowed values for randomness are 'error', 'different', or 'same'. Got "
     "foo"),
    ("vmap_non_tensor", lambda L: L.func.vmap(lambda a: a)(3.0), ValueError,
     "vmap(<lambda>, in_dims=0, ...)(<inputs>): Got in_dim=0 for an input but the input is of "
     "type <class 'float'>. We cannot vmap over non-Tensor arguments, please use None as the "
     "respective in_dim"),
    ("vmap_dim_range", lambda L: L.func.vmap(lambda a: a, in_dims=2)(L.ones(2, 3)), ValueError,
     "vmap(<lambda>, in_dims=2, ...)(<inputs>): Got in_dim=2 for some input, but that input is "
     "a Tensor of dimensionality 2 so expected in_dim to satisfy -2 <= in_dim < 2."),
    ("vmap_in_dims_structure", lambda L: L.func.vmap(lambda a, b: a + b, in_dims=(0,))(
        L.ones(2, 3), L.ones(2, 3)), ValueError,
     "vmap(<lambda>, in_dims=(0,), ...)(<inputs>): in_dims is not compatible with the structure "
     "of `inputs`. in_dims has structure TreeSpec(tuple, None, [*]) but inputs has structure "
     "TreeSpec(tuple, None, [*,\n  *])."),
    ("vmap_out_not_tensor", lambda L: L.func.vmap(lambda a: 3.0)(L.ones(2, 3)), ValueError,
     "vmap(<lambda>, ...): `<lambda>` must only return Tensors, got type <class 'float'>. Did "
     "you mean to set out_dims= to None for output?"),
    ("jvp_primals_tuple", lambda L: L.func.jvp(lambda a: a, L.ones(3), L.ones(3)), RuntimeError,
     "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to call "
     "f(*primals)."),
    ("jvp_structure", lambda L: L.func.jvp(lambda a: a, (L.ones(3),), L.ones(3)), RuntimeError,
     "jvp(f, primals, tangents): Expected primals and tangents to have the same python "
     "structure. For example, if primals is a tuple of 3 tensors, tangents also must be. Got "
     "primals with structure TreeSpec(tuple, None, [*]) and tangents with structure *"),
    ("jvp_size", lambda L: L.func.jvp(lambda a: a, (L.ones(3),), (L.ones(2),)), RuntimeError,
     "Trying to set a forward gradient that has a different size than that of the original "
     "Tensor, this is not supported. Tensor is of size [3] while the given forward gradient is "
     "of size [2]."),
    ("jvp_strict", lambda L: L.func.jvp(lambda a: L.ones(2), (L.ones(3),), (L.ones(3),),
                                        strict=True), RuntimeError,
     "jvp(f, primals, tangents, strict=True): The output of f is independent of the inputs. "
     "This is not allowed with strict=True."),
    ("jvp_not_tensor", lambda L: L.func.jvp(lambda a: 2.0, (L.ones(3),), (L.ones(3),)),
     RuntimeError, "jvp(f, primals, tangents): expected f(*primals) to return only tensors, "
     "got unsupported type <class 'float'>"),
    ("vjp_cotangent_structure", lambda L: L.func.vjp(lambda a: (a * 2, a.sum()), L.ones(3))[1](
        L.ones(3)), RuntimeError,
     "Expected pytree structure of cotangents to be the same as pytree structure of outputs to "
     "the function. cotangents: *, primal output: (*, *)"),
    ("vmap_chunk_size", lambda L: L.func.vmap(lambda a: a, chunk_size=0)(L.ones(3)), ValueError,
     "vmap: chunk_size should be None or greater than 0. (got 0)"),
    ("grad_empty_argnums", lambda L: L.func.grad(lambda a: a.sum(), argnums=())(L.ones(3)),
     RuntimeError, "argnums must be non-empty"),
    ("jacrev_not_tensor", lambda L: L.func.jacrev(lambda a: 1.0)(L.ones(3)), RuntimeError,
     "vjp(f, *primals): expected f(*primals) to return only tensors, got unsupported type "
     "<class 'float'>"),
    ("functional_call_repeated", lambda L: L.func.functional_call(
        _linear_module(L), ({"weight": L.ones(2, 2)}, {"weight": L.ones(2, 2)}), (L.ones(2),)),
     ValueError, "['weight'] appeared in multiple dictionaries; behavior of functional call is "
     "ambiguous"),
    ("functional_call_strict", lambda L: L.func.functional_call(
        _linear_module(L), {"weight": L.ones(2, 2), "extra": L.ones(1)}, (L.ones(2),),
        strict=True), RuntimeError,
     "Error(s) in reparametrizing for Linear:\n\tUnexpected key(s): 'extra'.\n\tMissing key(s): "
     "'bias'."),
    ("functional_call_type", lambda L: L.func.functional_call(_linear_module(L), 3, (L.ones(2),)),
     ValueError, "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but "
     "got <class 'int'>"),
    ("functionalize_remove", lambda L: L.func.functionalize(lambda x: x, remove="foo"),
     RuntimeError, "functionalize(f, remove='mutations'): received invalid argument for "
     "remove=foo. Valid options are:\n     remove='mutations': all inplace and out= operators "
     "will be removed from the program, and replaced with their out-of-place equivalents.\n"
     "     remove='mutations_and_views': In addition to the above, all aliasing operators {view} "
     "will be replaced with their non-aliasing counterparts, {view}_copy.\n"),
    ("stack_module_state_empty", lambda L: L.func.stack_module_state([]), RuntimeError,
     "stack_module_state: Expected at least one model, got 0."),
    ("stack_module_state_classes", lambda L: L.func.stack_module_state(
        [_linear_module(L), L.nn.Tanh()]), RuntimeError,
     "stack_module_state: Expected all models to be of the same class."),
]

test_func_errors_are_pytorchs, test_pytorch_raises_the_same_func = error_tests(FUNC_ERRORS)


# --------------------------------------------------------------------------- checkpoint


def _checkpointed_run(lib, mode, dropout=0.0):
    """Loss, input gradient and parameter gradients of a small network, run plain or with a
    checkpoint variant (the random state reset first, so dropout draws the same masks)."""
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(3, 8), lib.nn.Tanh(), lib.nn.Dropout(dropout),
                              lib.nn.Linear(8, 2), lib.nn.Sigmoid()).double()
    with lib.no_grad():
        for parameter, value in zip(model.parameters(), MLP_WEIGHTS):
            parameter.copy_(lib.tensor(value))
    x = lib.tensor(SAMPLES, requires_grad=True)
    checkpoint = lib.utils.checkpoint
    if mode == "plain":
        out = model(x)
    elif mode == "sequential":
        out = checkpoint.checkpoint_sequential(model, 2, x, use_reentrant=False)
    elif mode == "sequential_reentrant":
        out = checkpoint.checkpoint_sequential(model, 2, x, use_reentrant=True)
    else:
        out = checkpoint.checkpoint(model, x, use_reentrant=mode == "reentrant")
    (out ** 2).sum().backward()
    return [out.detach().numpy(), x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]


CHECKPOINT_MODES = ["reentrant", "non_reentrant", "sequential", "sequential_reentrant"]


@pytest.mark.parametrize("mode", CHECKPOINT_MODES)
def test_checkpoint_gradients_equal_unchecked(mode):
    """Bit for bit the gradients without checkpointing, with dropout too (its masks replayed),
    and PyTorch's values."""
    for dropout in (0.0, 0.5):
        plain = _checkpointed_run(tg, "plain", dropout)
        for ours, expected in zip(_checkpointed_run(tg, mode, dropout), plain):
            assert np.array_equal(ours, expected)
    torch = pytest.importorskip("torch")
    for ours, theirs in zip(_checkpointed_run(tg, mode), _checkpointed_run(torch, mode)):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_non_reentrant_checkpoint_with_grad_kwargs_and_create_graph():
    def build(lib):
        lib.manual_seed(0)
        layer = lib.nn.Linear(3, 2).double()
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(MLP_WEIGHTS[2][:, :3]))
            layer.bias.copy_(lib.tensor(MLP_WEIGHTS[3]))
        x = lib.tensor(SAMPLES, requires_grad=True)
        out = lib.utils.checkpoint.checkpoint(lambda t, scale: layer(t).tanh() * scale, x,
                                              use_reentrant=False, scale=2.0)
        first = lib.autograd.grad(out.sum(), [x, layer.weight])
        y = lib.tensor(SAMPLES, requires_grad=True)
        cubed = lib.utils.checkpoint.checkpoint(lambda t: (t ** 3).sin(), y, use_reentrant=False)
        (gy,) = lib.autograd.grad(cubed.sum(), y, create_graph=True)
        (hy,) = lib.autograd.grad(gy.sum(), y)
        return first, gy, hy
    both(build)


def test_checkpoint_warns_without_use_reentrant():
    x = tg.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed "
                                         "explicitly"):
        out = tg.utils.checkpoint.checkpoint(lambda t: t * 2, x)
    out.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        tg.utils.checkpoint.checkpoint(lambda t: t * 2, tg.ones(2), use_reentrant=True)


def _reentrant_grad(lib):
    x = lib.ones(2, requires_grad=True)
    out = lib.utils.checkpoint.checkpoint(lambda t: t * 2, x, use_reentrant=True)
    return lib.autograd.grad(out.sum(), x)


CHECKPOINT_ERRORS = [
    ("reentrant_with_grad", lambda L: _reentrant_grad(L), RuntimeError,
     "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or passing an "
     "`inputs` parameter to .backward(). To resolve this error, you can either set "
     "use_reentrant=False, or call .backward() without passing the `inputs` argument."),
    ("reentrant_kwargs", lambda L: L.utils.checkpoint.checkpoint(
        lambda t, s: t * s, L.ones(2), use_reentrant=True, s=2), ValueError,
     "Unexpected keyword arguments: s"),
    ("reentrant_context_fn", lambda L: L.utils.checkpoint.checkpoint(
        lambda t: t, L.ones(2), use_reentrant=True, debug=True), ValueError,
     "Passing `context_fn` or `debug` is only supported when use_reentrant=False."),
    ("detach_variable_list", lambda L: L.utils.checkpoint.detach_variable([L.ones(2)]),
     RuntimeError, "Only tuple of tensors is supported. Got Unsupported input type: list"),
    ("sequential_kwargs", lambda L: L.utils.checkpoint.checkpoint_sequential(
        [lambda t: t], 1, L.ones(2), use_reentrant=False, other=1), ValueError,
     "Unexpected keyword arguments: other"),
]

test_checkpoint_errors_are_pytorchs, test_pytorch_raises_the_same_checkpoint = \
    error_tests(CHECKPOINT_ERRORS)
