"""``torch.autograd.forward_ad`` (dual tensors, tangents by double backward),
``gradgradcheck``, the ``anomaly_mode`` module path and the multithreading flag, against
PyTorch."""

import threading

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import forward_ad as fwAD

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3))
V = RNG.standard_normal((4, 3))
W = RNG.standard_normal((3, 5))
U = RNG.standard_normal((3, 5))


def error_of(function):
    try:
        function()
    except Exception as error:  # noqa: BLE001 - the test compares the error itself
        return type(error).__name__, str(error)
    return None


FUNCTIONS = {
    "sin_of_square": lambda m, x, w: (x * x).sin(),
    "tanh_matmul": lambda m, x, w: (x @ w).tanh(),
    "softmax_log": lambda m, x, w: (x @ w).log_softmax(dim=1),
    "reductions": lambda m, x, w: (x.exp().sum(dim=0) / (w.abs() + 1).mean()),
    "mlp": lambda m, x, w: m.nn.functional.gelu(x @ w) @ w.t() + x.sigmoid(),
    "norm_and_indexing": lambda m, x, w: m.nn.functional.layer_norm(x @ w, (5,))[1:, ::2],
}


def jvp_of(module, name, dual_w, dtype="float64"):
    """The tangent of ``FUNCTIONS[name]`` at (X, W) along V (and U when ``dual_w``)."""
    fw = module.autograd.forward_ad
    x, v = module.tensor(X).to(getattr(module, dtype)), module.tensor(V).to(getattr(module, dtype))
    w, u = module.tensor(W).to(getattr(module, dtype)), module.tensor(U).to(getattr(module, dtype))
    with fw.dual_level():
        dx = fw.make_dual(x, v)
        dw = fw.make_dual(w, u) if dual_w else w
        out = FUNCTIONS[name](module, dx, dw)
        primal, tangent = fw.unpack_dual(out)
        return primal.detach().numpy(), tangent.numpy()


@pytest.mark.parametrize("dual_w", [False, True])
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_tangents_as_pytorchs(name, dual_w):
    torch = pytest.importorskip("torch")
    ours, theirs = jvp_of(tg, name, dual_w), jvp_of(torch, name, dual_w)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12)


def test_tangents_in_float32_as_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = jvp_of(tg, "tanh_matmul", True, "float32"), \
        jvp_of(torch, "tanh_matmul", True, "float32")
    assert ours[1].dtype == theirs[1].dtype == np.float32
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)


def test_dual_tensor_behaviour_as_pytorchs():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        fw = module.autograd.forward_ad
        x, t = module.tensor(X), module.tensor(V)
        with fw.dual_level() as level:
            assert level == 0
            dual = fw.make_dual(x, t)
            assert np.shares_memory(dual.detach().numpy(), x.numpy())
            assert fw.unpack_dual(dual).tangent is t
            assert fw.unpack_dual(x).tangent is None            # not made dual
            assert fw.unpack_dual(dual.detach()).tangent is None
            assert fw.unpack_dual(x * 2).tangent is None        # depends on no dual tensor
            unpacked = fw.unpack_dual(dual * 3)
            assert type(unpacked).__name__ == "UnpackedDualTensor"
            assert unpacked._fields == ("primal", "tangent")
            assert not unpacked.primal.requires_grad
            np.testing.assert_allclose(unpacked.tangent.numpy(), 3 * V, rtol=1e-15)
            constant = fw.unpack_dual(dual * 0 + x).tangent    # J = 0: zeros, not None
            np.testing.assert_array_equal(constant.numpy(), np.zeros_like(X))
            kept = dual * 2
        assert fw.unpack_dual(kept).tangent is None             # the level is closed
        assert fw.unpack_dual(3) == (3, None)


def test_forward_over_reverse_gives_hessian_vector_products():
    torch = pytest.importorskip("torch")
    results = []
    for module in (tg, torch):
        fw = module.autograd.forward_ad
        x = module.tensor(X[0], requires_grad=True)
        v = module.tensor(V[0])
        with fw.dual_level():
            dual = fw.make_dual(x, v)
            assert dual.requires_grad and fw.unpack_dual(dual).primal.requires_grad
            y = (dual.exp() * dual.sin()).sum() + (dual ** 3).prod()
            (g,) = module.autograd.grad(y, x, create_graph=True)
            results.append((g.detach().numpy(), fw.unpack_dual(g).tangent.detach().numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10, atol=1e-12)


def test_module_jvp_through_functional_call_as_pytorchs():
    torch = pytest.importorskip("torch")
    results = []
    for module in (tg, torch):
        fw = module.autograd.forward_ad
        module.manual_seed(0)
        model = module.nn.Sequential(module.nn.Linear(3, 5), module.nn.Tanh(),
                                     module.nn.Linear(5, 2)).double()
        with module.no_grad():
            for p in model.parameters():
                p.copy_(module.tensor(np.arange(p.numel(), dtype=np.float64)
                                      .reshape(tuple(p.shape)) / 17 - 0.3))
        tangents = {name: module.ones_like(p) * 0.1 for name, p in model.named_parameters()}
        with fw.dual_level():
            duals = {name: fw.make_dual(p, tangents[name])
                     for name, p in model.named_parameters()}
            out = module.func.functional_call(model, duals, (module.tensor(X),))
            results.append(fw.unpack_dual(out).tangent.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


def test_forward_ad_errors_as_pytorchs():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        fw = module.autograd.forward_ad
        x = module.tensor(X)
        assert error_of(lambda: fw.make_dual(x, x)) == (
            "RuntimeError", "Trying to create a dual Tensor for forward AD but no level exists, "
            "make sure to enter_dual_level() first.")
        assert error_of(lambda: fw.exit_dual_level()) == (
            "RuntimeError", "Dual level must be a positive number.")
        with fw.dual_level():
            assert error_of(lambda: fw.make_dual(x, module.ones(5))) == (
                "RuntimeError", "Trying to set a forward gradient that has a different size than "
                "that of the original Tensor, this is not supported. Tensor is of size [4, 3] "
                "while the given forward gradient is of size [5].")
            assert error_of(lambda: fw.make_dual(module.arange(3), module.arange(3))) == (
                "ValueError", "Expected primal to be floating point or complex, but got: "
                f"{module.int64}")
            assert error_of(lambda: fw.make_dual(x, x, level=5)) == (
                "RuntimeError", "Invalid level given to _make_dual")
            assert error_of(fw.enter_dual_level) == (
                "RuntimeError", "Nested forward mode AD is not supported at the moment")


# --------------------------------------------------------------------------- gradgradcheck


class GoodCube(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad


class DetachedCube(GoodCube):
    """A correct first derivative whose own derivative is lost (``detach``)."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x.detach() ** 2 * grad


def test_gradgradcheck_passes_correct_second_derivatives():
    a = tg.tensor(RNG.standard_normal(3), requires_grad=True)
    b = tg.tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    assert tg.autograd.gradgradcheck(lambda a, b: (a @ b).tanh(), (a, b))
    assert tg.autograd.gradgradcheck(lambda a, b: ((a @ b).exp().sum(), a.sin()), (a, b))
    assert tg.autograd.gradgradcheck(GoodCube.apply, (a,))
    grad_output = tg.tensor(RNG.standard_normal(2), requires_grad=True)
    assert tg.autograd.gradgradcheck(lambda a, b: (a @ b).tanh(), (a, b), (grad_output,))


def test_gradgradcheck_catches_a_wrong_second_derivative_as_pytorch():
    torch = pytest.importorskip("torch")
    a = tg.tensor(RNG.random(3) + 0.5, requires_grad=True)
    assert tg.autograd.gradcheck(DetachedCube.apply, (a,))
    assert tg.autograd.gradgradcheck(DetachedCube.apply, (a,), raise_exception=False) is False
    error = error_of(lambda: tg.autograd.gradgradcheck(DetachedCube.apply, (a,)))
    assert error[0] == "GradcheckError" and "Jacobian mismatch for output 0" in error[1]

    class TorchDetachedCube(torch.autograd.Function):
        forward = staticmethod(lambda ctx, x: (ctx.save_for_backward(x), x ** 3)[1])
        backward = staticmethod(lambda ctx, g: 3 * ctx.saved_tensors[0].detach() ** 2 * g)

    t = torch.tensor(a.detach().numpy(), requires_grad=True)
    assert torch.autograd.gradgradcheck(TorchDetachedCube.apply, (t,),
                                        raise_exception=False) is False


def test_gradgradcheck_refuses_options_it_does_not_check():
    a = tg.tensor(RNG.standard_normal(3), requires_grad=True)
    assert error_of(lambda: tg.autograd.gradgradcheck(tg.sin, (a,), check_batched_grad=True)) == (
        "NotImplementedError",
        "gradgradcheck(check_batched_grad=True) is not supported by tinygrad_bn")


# --------------------------------------------------------------------------- module paths, flags


def test_anomaly_mode_module_path():
    from tinygrad_bn.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
    assert detect_anomaly is tg.autograd.detect_anomaly
    assert set_detect_anomaly is tg.autograd.set_detect_anomaly
    with detect_anomaly():
        assert tg.autograd.is_anomaly_enabled()
    assert not tg.autograd.is_anomaly_enabled()


def test_multithreading_flag_as_pytorchs():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        autograd = module.autograd
        assert autograd.is_multithreading_enabled() is True
        autograd.set_multithreading_enabled(False)
        seen = []
        thread = threading.Thread(target=lambda: seen.append(autograd.is_multithreading_enabled()))
        thread.start()
        thread.join()
        assert autograd.is_multithreading_enabled() is False and seen == [True]  # per thread
        autograd.set_multithreading_enabled(True)
        with autograd.set_multithreading_enabled(False):
            assert autograd.is_multithreading_enabled() is False
        assert autograd.is_multithreading_enabled() is True


def test_jit_runs_a_forward_ad_step_eagerly():
    import warnings

    from tinygrad_bn.tracing import TracerWarning

    def step(x, v):
        with fwAD.dual_level():
            return fwAD.unpack_dual((fwAD.make_dual(x, v) ** 3).sin()).tangent

    jitted = tg.jit(step)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(4):
            x, v = tg.tensor(X + i), tg.tensor(V * i)
            np.testing.assert_array_equal(jitted(x, v).numpy(), step(x, v).numpy())
    texts = [str(w.message) for w in caught if issubclass(w.category, TracerWarning)]
    assert jitted.replays == 0 and len(texts) == 1 and "create_graph" in texts[0]


def test_custom_functions_and_backward_hooked_modules_refuse_forward_ad_as_pytorch():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        fw = module.autograd.forward_ad

        class Double(module.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                return t * 2

            @staticmethod
            def backward(ctx, grad):
                return grad * 2

        layer = module.nn.Linear(3, 2).double()
        layer.register_full_backward_hook(lambda m, gi, go: None)
        with fw.dual_level():
            dual = fw.make_dual(module.tensor(X), module.tensor(V))

            def through_function():
                return fw.unpack_dual(Double.apply(dual)).tangent

            def through_layer():
                return fw.unpack_dual(layer(dual)).tangent
            message = ("You must implement the jvp function for custom autograd.Function to use "
                       "it with forward mode AD.")
            assert error_of(through_function) == ("NotImplementedError", message)
            assert error_of(through_layer) == ("NotImplementedError", message)
            # a Function on another path than the dual tensor's is no obstacle
            other = Double.apply(module.tensor(W[:, :3], requires_grad=True))
            np.testing.assert_allclose(fw.unpack_dual(dual[:3] + other).tangent.numpy(), V[:3],
                                       rtol=1e-15)


def test_unpack_dual_runs_no_gradient_hook_and_fills_no_retained_grad():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        fw = module.autograd.forward_ad
        fired = []
        p = module.tensor(X, requires_grad=True)
        with fw.dual_level():
            dual = fw.make_dual(p, module.tensor(V))
            mid = dual * 2
            mid.register_hook(lambda g: fired.append(g))
            mid.retain_grad()
            tangent = fw.unpack_dual(mid.sin()).tangent
        np.testing.assert_allclose(tangent.detach().numpy(), np.cos(2 * X) * 2 * V, rtol=1e-14)
        assert fired == [] and mid.grad is None and p.grad is None
