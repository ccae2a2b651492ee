"""Second derivatives (``create_graph=True``) of the ops added alongside linear algebra and the
special functions, against PyTorch's in float64: the gradient of ``sum(f(x))`` is taken with a
graph, weighted by a fixed tensor and differentiated again, in both libraries, and the inputs'
gradients compared. Each case is written once, against either library (``lib``). Quantities
built from eigen- and singular vectors are sign-invariant (even powers), since LAPACK's signs
may differ between PyTorch's build and NumPy's."""

import numpy as np
import pytest

import tinygrad_bn as tg

RNG = np.random.default_rng(0)
POSITIVE = RNG.uniform(0.3, 2.5, (3, 4))
UNIT = RNG.uniform(0.1, 0.9, (3, 4))
REAL = RNG.uniform(-2, 2, (3, 4))
SQUARE = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
SPD = SQUARE @ SQUARE.transpose(0, 2, 1)
FACTOR = np.linalg.cholesky(SPD)
WIDE, TALL = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 3))
RHS = RNG.standard_normal((2, 3, 2))
SMALL = RNG.standard_normal((2, 3, 3)) * 0.5


def _vectors(lib, factors):
    return (factors ** 4).sum(-1)


CASES = {
    "asinh": (lambda lib, a: lib.asinh(a) ** 2, [POSITIVE]),
    "acosh": (lambda lib, a: lib.acosh(a + 1) ** 2, [POSITIVE]),
    "atanh": (lambda lib, a: lib.atanh(a) ** 2, [UNIT]),
    "copysign": (lambda lib, a, b: lib.copysign(a, b) ** 2, [POSITIVE, REAL]),
    "fmax": (lambda lib, a, b: lib.fmax(a, b) ** 2, [POSITIVE, REAL]),
    "nextafter": (lambda lib, a, b: lib.nextafter(a, b) ** 2, [POSITIVE, REAL]),
    "lgamma": (lambda lib, a: lib.lgamma(a) ** 2, [POSITIVE]),
    "digamma": (lambda lib, a: lib.digamma(a) ** 2, [POSITIVE]),
    "polygamma": (lambda lib, a: a.polygamma(1) ** 2, [POSITIVE]),
    "erfc": (lambda lib, a: lib.erfc(a) ** 2, [REAL]),
    "exp2": (lambda lib, a: lib.exp2(a) ** 2, [REAL]),
    "special.i0": (lambda lib, a: lib.special.i0(a) ** 2, [REAL]),
    "special.i0e": (lambda lib, a: lib.special.i0e(a) ** 2, [REAL]),
    "special.i1": (lambda lib, a: lib.special.i1(a) ** 2, [REAL]),
    "special.i1e": (lambda lib, a: lib.special.i1e(a) ** 2, [REAL]),
    "special.erfcx": (lambda lib, a: lib.special.erfcx(a) ** 2, [REAL]),
    "special.log_ndtr": (lambda lib, a: lib.special.log_ndtr(a) ** 2, [REAL]),
    "special.ndtri": (lambda lib, a: lib.special.ndtri(a) ** 2, [UNIT]),
    "special.entr": (lambda lib, a: lib.special.entr(a) ** 2, [UNIT]),
    "special.xlog1py": (lambda lib, a, b: lib.special.xlog1py(a, b) ** 2, [REAL, UNIT]),
    "logcumsumexp": (lambda lib, a: lib.logcumsumexp(a, 1) ** 2, [REAL]),
    "frexp": (lambda lib, a: lib.frexp(a)[0] ** 2, [REAL]),
    "ldexp": (lambda lib, a, b: lib.ldexp(a, b) ** 2, [REAL, UNIT]),
    "linalg.inv": (lambda lib, a: lib.linalg.inv(a) ** 2, [SQUARE]),
    "linalg.det": (lambda lib, a: lib.linalg.det(a) ** 2, [SQUARE]),
    "logdet": (lambda lib, a: lib.logdet(a) ** 2, [SPD]),
    "linalg.solve": (lambda lib, a, b: lib.linalg.solve(a, b) ** 2, [SQUARE, RHS]),
    "linalg.solve_triangular": (
        lambda lib, a, b: lib.linalg.solve_triangular(a.tril(), b, upper=False) ** 2,
        [SQUARE, RHS]),
    "linalg.cholesky": (lambda lib, a: lib.linalg.cholesky(a) ** 2, [SPD]),
    "cholesky_solve": (lambda lib, b, f: lib.cholesky_solve(b, f) ** 2, [RHS, FACTOR]),
    "cholesky_inverse": (lambda lib, f: lib.cholesky_inverse(f[0]) ** 2, [FACTOR]),
    "linalg.matrix_exp": (lambda lib, a: lib.linalg.matrix_exp(a) ** 2, [SMALL]),
    "linalg.pinv wide": (lambda lib, a: lib.linalg.pinv(a) ** 2, [WIDE]),
    "linalg.pinv tall": (lambda lib, a: lib.linalg.pinv(a) ** 2, [TALL]),
    "linalg.eigh values": (lambda lib, a: lib.linalg.eigh(a)[0] ** 3, [SPD]),
    "linalg.eigh vectors": (lambda lib, a: _vectors(lib, lib.linalg.eigh(a)[1]), [SPD]),
    "linalg.svd values": (lambda lib, a: lib.linalg.svd(a)[1] ** 2, [WIDE]),
    "linalg.svd U": (lambda lib, a: _vectors(lib, lib.linalg.svd(a, full_matrices=False)[0]),
                     [TALL]),
    "linalg.svd Vh": (lambda lib, a: _vectors(lib, lib.linalg.svd(a, full_matrices=False)[2]
                                              .mT), [WIDE]),
    "linalg.qr tall": (lambda lib, a: (lib.linalg.qr(a)[1] ** 2).sum(-1)
                       + (lib.linalg.qr(a)[0] ** 3).sum(-1).sum(-1, keepdim=True), [TALL]),
    "linalg.qr wide": (lambda lib, a: (lib.linalg.qr(a)[1] ** 2).sum(-1)
                       + (lib.linalg.qr(a)[0] ** 3).sum(-1).sum(-1, keepdim=True), [WIDE]),
    "Tensor.unfold": (lambda lib, a: a.unfold(1, 3, 2) ** 3, [RNG.standard_normal((4, 6))]),
    "as_strided": (lambda lib, a: a.as_strided((3, 3), (2, 1), 1) ** 3,
                   [RNG.standard_normal((4, 6))]),
    "index_put accumulate": (
        lambda lib, a, b: a.index_put((lib.tensor([0, 1, 0]), lib.tensor([2, 3, 2])), b,
                                      accumulate=True) ** 3,
        [RNG.standard_normal((4, 6)), RNG.standard_normal(3)]),
    "unfold": (lambda lib, a: lib.nn.functional.unfold(a[:, None], 2) ** 2, [SQUARE]),
    "fold": (lambda lib, a: lib.nn.functional.fold(a, (3, 4), 2) ** 2,
             [RNG.standard_normal((1, 4, 6))]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivative_equals_pytorchs(name):
    torch = pytest.importorskip("torch")
    function, arrays = CASES[name]
    results = []
    for lib in (torch, tg):
        inputs = [lib.tensor(array, requires_grad=True) for array in arrays]
        first = lib.autograd.grad(function(lib, *inputs).sum(), inputs[0], create_graph=True)[0]
        weights = np.linspace(-1.0, 1.0, first.numel()).reshape(tuple(first.shape))
        (first * lib.tensor(weights)).sum().backward()
        results.append([np.zeros(a.shape) if t.grad is None else t.grad.detach().numpy()
                        for t, a in zip(inputs, arrays)])
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11)


def test_second_derivative_of_zeta_refuses_as_pytorch():
    x = tg.tensor([2.5], dtype=tg.float64)
    q = tg.tensor([1.5], dtype=tg.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not implemented"):
        tg.autograd.grad(tg.special.zeta(x, q).sum(), q, create_graph=True)


def test_second_derivative_of_det_at_a_singular_matrix_is_refused_naming_the_op():
    a = tg.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=tg.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Determinant's backward at a singular matrix"):
        tg.autograd.grad(tg.linalg.det(a), a, create_graph=True)
