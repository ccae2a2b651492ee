"""The inverses, solvers, determinants and factorizations of ``tinygrad_bn.linalg`` (and their
``torch.*`` and ``Tensor`` forms): gradients against finite differences in float64, values and
gradients against PyTorch in float32 and float64, and PyTorch's errors."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

RNG = np.random.default_rng(0)


def _random(*shape):
    return RNG.standard_normal(shape)


def _spd(*shape):
    """Symmetric positive-definite matrices: ``X X^T + n I``."""
    x = _random(*shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def _well_conditioned(*shape):
    return _random(*shape) + 3 * np.eye(shape[-1])


def _upper(*shape):
    return np.triu(_random(*shape)) + 3 * np.eye(shape[-1])


def _symmetric_part(lib, a):
    return (a + a.mT) / 2


# Each case: (name, function of (lib, *tensors), input arrays). The function must be gauge
# invariant where the factorization is not unique (signs of eigen- and singular vectors).
CASES = [
    ("inv", lambda lib, a: lib.linalg.inv(a), [_well_conditioned(2, 4, 4)]),
    ("inverse", lambda lib, a: lib.inverse(a), [_well_conditioned(3, 3)]),
    ("Tensor.inverse", lambda lib, a: a.inverse(), [_well_conditioned(3, 3)]),
    ("inv_ex", lambda lib, a: lib.linalg.inv_ex(a).inverse, [_well_conditioned(2, 3, 3)]),
    ("solve", lambda lib, a, b: lib.linalg.solve(a, b),
     [_well_conditioned(2, 4, 4), _random(4, 3)]),
    ("solve vector", lambda lib, a, b: lib.linalg.solve(a, b),
     [_well_conditioned(2, 4, 4), _random(2, 4)]),
    ("solve left=False", lambda lib, a, b: lib.linalg.solve(a, b, left=False),
     [_well_conditioned(4, 4), _random(2, 3, 4)]),
    ("solve_ex", lambda lib, a, b: lib.linalg.solve_ex(a, b).result,
     [_well_conditioned(3, 3), _random(3, 2)]),
    ("solve_triangular upper", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True),
     [_upper(2, 4, 4), _random(4, 3)]),
    ("solve_triangular lower right", lambda lib, a, b: lib.linalg.solve_triangular(
        a, b, upper=False, left=False), [_upper(4, 4).T.copy(), _random(3, 4)]),
    ("solve_triangular unit", lambda lib, a, b: lib.linalg.solve_triangular(
        a, b, upper=True, unitriangular=True), [_random(3, 3), _random(3, 2)]),
    ("det", lambda lib, a: lib.linalg.det(a), [_random(3, 4, 4)]),
    ("det singular", lambda lib, a: lib.linalg.det(a),
     [np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])]),
    ("det rank n-2", lambda lib, a: lib.det(a),
     [np.outer([1.0, 2.0, 3.0], [0.5, -1.0, 2.0])]),
    ("Tensor.det 1x1", lambda lib, a: a.det(), [_random(2, 1, 1)]),
    ("slogdet", lambda lib, a: lib.linalg.slogdet(a).logabsdet * lib.linalg.slogdet(a).sign,
     [_random(2, 4, 4)]),
    ("torch.slogdet", lambda lib, a: lib.slogdet(a)[1], [_random(3, 3)]),
    ("logdet", lambda lib, a: lib.logdet(a), [_spd(2, 3, 3)]),
    # (Cholesky reads one triangle: differentiated through a symmetric input, as PyTorch tests)
    ("cholesky", lambda lib, a: lib.linalg.cholesky(_symmetric_part(lib, a)), [_spd(2, 4, 4)]),
    ("cholesky upper", lambda lib, a: lib.linalg.cholesky(_symmetric_part(lib, a), upper=True),
     [_spd(4, 4)]),
    ("cholesky_ex", lambda lib, a: lib.linalg.cholesky_ex(_symmetric_part(lib, a)).L,
     [_spd(3, 3)]),
    ("torch.cholesky upper", lambda lib, a: lib.cholesky(_symmetric_part(lib, a), upper=True),
     [_spd(3, 3)]),
    # (PyTorch's gradient of a Cholesky factor is not restricted to its triangle: checked
    # through tril/triu, which finite differences can see)
    ("cholesky_solve", lambda lib, b, l: lib.cholesky_solve(b, l.tril()),
     [_random(2, 3, 2), np.linalg.cholesky(_spd(3, 3))]),
    ("cholesky_solve upper", lambda lib, b, u: b.cholesky_solve(u.triu(), upper=True),
     [_random(3, 2), np.linalg.cholesky(_spd(3, 3)).T.copy()]),
    ("cholesky_inverse", lambda lib, l: lib.cholesky_inverse(l.tril()),
     [np.linalg.cholesky(_spd(2, 3, 3))]),
    ("cholesky_inverse upper", lambda lib, u: u.triu().cholesky_inverse(upper=True),
     [np.linalg.cholesky(_spd(3, 3)).T.copy()]),
    ("matrix_power 5", lambda lib, a: lib.linalg.matrix_power(a, 5), [_random(2, 3, 3) / 2]),
    ("matrix_power -2", lambda lib, a: lib.matrix_power(a, -2), [_well_conditioned(3, 3)]),
    ("matrix_power 0", lambda lib, a: a.matrix_power(0) * a, [_random(3, 3)]),
    ("multi_dot", lambda lib, a, b, c, d: lib.linalg.multi_dot([a, b, c, d]),
     [_random(3), _random(3, 5), _random(5, 2), _random(2, 4)]),
    ("chain_matmul", lambda lib, a, b, c: lib.chain_matmul(a, b, c),
     [_random(2, 3), _random(3, 4), _random(4, 2)]),
    ("vecdot", lambda lib, x, y: lib.linalg.vecdot(x, y, dim=0), [_random(3, 2), _random(3, 1)]),
    ("qr reduced tall", lambda lib, a: lib.linalg.qr(a).Q.sum(-2) + lib.linalg.qr(a).R.sum(-2),
     [_random(2, 5, 3)]),
    ("qr complete wide", lambda lib, a: lib.linalg.qr(a, mode="complete").Q.sum(-1)
     + lib.linalg.qr(a, mode="complete").R.sum(-2)[..., :3], [_random(3, 5)]),
    ("qr R", lambda lib, a: a.qr()[1], [_random(4, 4)]),
    ("eigh", lambda lib, a: _eigh_invariant(lib, _symmetric_part(lib, a)), [_random(2, 4, 4)]),
    ("eigh U", lambda lib, a: lib.linalg.eigh(_symmetric_part(lib, a), UPLO="U")[0],
     [_random(4, 4)]),
    ("eigvalsh", lambda lib, a: lib.linalg.eigvalsh(_symmetric_part(lib, a)), [_random(3, 3)]),
    ("svd thin tall", lambda lib, a: _svd_invariant(lib, a, False), [_random(2, 5, 3)]),
    ("svd full wide", lambda lib, a: _svd_invariant(lib, a, True), [_random(3, 5)]),
    ("torch.svd", lambda lib, a: lib.svd(a)[1] + (lib.svd(a)[0] @ lib.svd(a)[2].mT).sum(0),
     [_random(4, 3)]),
    ("pinv tall", lambda lib, a: lib.linalg.pinv(a), [_random(2, 5, 3)]),
    ("pinv wide hermitian", lambda lib, a: lib.linalg.pinv(_symmetric_part(lib, a),
                                                           hermitian=True), [_spd(4, 4)]),
    ("pinverse", lambda lib, a: lib.pinverse(a), [_random(3, 5)]),
    ("lstsq", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, [_random(5, 3), _random(5, 2)]),
    ("lstsq gelsd", lambda lib, a, b: lib.linalg.lstsq(a, b, driver="gelsd").residuals,
     [_random(5, 3), _random(5, 2)]),
    ("cond", lambda lib, a: lib.linalg.cond(a), [_random(2, 3, 4)]),
    ("cond fro", lambda lib, a: lib.linalg.cond(a, "fro"), [_well_conditioned(3, 3)]),
    ("lu_factor", lambda lib, a: lib.linalg.lu_factor(a).LU, [_random(2, 4, 4)]),
    ("lu_factor_ex wide", lambda lib, a: lib.linalg.lu_factor_ex(a).LU, [_random(3, 5)]),
    ("lu tall", lambda lib, a: lib.linalg.lu(a).L.sum(-1) + lib.linalg.lu(a).U.sum(),
     [_random(2, 5, 3)]),
    ("lu wide U", lambda lib, a: lib.linalg.lu(a).U, [_random(3, 5)]),
    ("lu square L", lambda lib, a: lib.linalg.lu(a).L, [_random(4, 4)]),
    ("lu_solve", lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b),
     [_random(2, 3, 3), _random(3, 2)]),
    ("lu_solve adjoint", lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b,
                                                               adjoint=True),
     [_random(3, 3), _random(2, 3, 2)]),
    ("lu_solve right", lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b,
                                                             left=False), [_random(3, 3),
                                                                           _random(2, 3)]),
    ("lu_solve right adjoint", lambda lib, a, b: lib.linalg.lu_solve(
        *lib.linalg.lu_factor(a), b, left=False, adjoint=True), [_random(3, 3), _random(2, 3)]),
    ("torch.lu_solve", lambda lib, a, b: lib.lu_solve(b, *lib.lu(a)), [_random(3, 3),
                                                                         _random(3, 1)]),
    ("lu_unpack", lambda lib, a: lib.lu_unpack(*lib.linalg.lu_factor(a)).L.sum(-1)
     + lib.lu_unpack(*lib.linalg.lu_factor(a)).U.sum(-2), [_random(4, 4)]),
    ("triangular_solve", lambda lib, b, a: lib.triangular_solve(b, a).solution,
     [_random(2, 3, 2), _upper(3, 3)]),
    ("Tensor.triangular_solve transpose", lambda lib, b, a: b.triangular_solve(
        a, upper=False, transpose=True, unitriangular=True)[0]
     + b.triangular_solve(a, upper=False, transpose=True)[1].sum(), [_random(3, 2),
                                                                      _upper(3, 3).T.copy()]),
    ("householder_product", lambda lib, a, tau: lib.linalg.householder_product(a, tau),
     [_random(2, 5, 3), _random(2, 2)]),
    ("orgqr", lambda lib, a, tau: a.orgqr(tau), [_random(4, 4), _random(4)]),
    ("ormqr", lambda lib, a, tau, c: lib.ormqr(a, tau, c), [_random(4, 3), _random(3),
                                                            _random(4, 2)]),
    ("ormqr right transposed", lambda lib, a, tau, c: a.ormqr(tau, c, left=False,
                                                              transpose=True),
     [_random(4, 3), _random(3), _random(2, 4)]),
    ("tensorinv", lambda lib, a: lib.linalg.tensorinv(a, ind=1), [_well_conditioned(4, 4)
                                                                   .reshape(4, 2, 2)]),
    ("tensorsolve", lambda lib, a, b: lib.linalg.tensorsolve(a, b, dims=(0,)),
     [_well_conditioned(6, 6).reshape(2, 3, 6).transpose(2, 0, 1).copy(), _random(2, 3)]),
    ("linalg.matmul", lambda lib, a, b: lib.linalg.matmul(a, b), [_random(2, 3), _random(3)]),
    ("matrix_exp", lambda lib, a: lib.linalg.matrix_exp(a), [_random(2, 3, 3)]),
    ("torch.matrix_exp large", lambda lib, a: lib.matrix_exp(a), [4 * _random(3, 3)]),
]


def _eigh_invariant(lib, a):
    values, vectors = lib.linalg.eigh(a)
    return values.unsqueeze(-1) + (vectors * vectors) @ values.unsqueeze(-1)


def _svd_invariant(lib, a, full):
    u, s, vh = lib.linalg.svd(a, full_matrices=full)
    k = s.shape[-1]
    return (u[..., :, :k] * s.unsqueeze(-2)) @ vh[..., :k, :] + (u[..., :, :k] @ vh[..., :k, :]) \
        + s.sum(-1, keepdim=True).unsqueeze(-1)


def _run(lib, function, arrays, dtype, requires_grad):
    tensors = [lib.tensor(a, dtype=dtype, requires_grad=requires_grad) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(lib, *tensors), tensors


@pytest.mark.parametrize("name, function, arrays", CASES, ids=[c[0] for c in CASES])
def test_gradients_match_finite_differences(name, function, arrays):
    tensors = [tg.tensor(a, dtype=tg.float64, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tg.gradcheck(lambda *inputs: function(tg, *inputs), tuple(tensors), eps=1e-6,
                            atol=1e-6, rtol=1e-4)


# PyTorch's own backward fails here: its cond writes in place into the inverse it saved
PYTORCH_CANNOT_DIFFERENTIATE = {"cond fro"}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, function, arrays", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_pytorch(name, function, arrays, dtype):
    torch = pytest.importorskip("torch")
    ours, our_inputs = _run(tg, function, arrays, getattr(tg, dtype), True)
    theirs, their_inputs = _run(torch, function, arrays, getattr(torch, dtype), True)
    assert tuple(ours.shape) == tuple(theirs.shape) and f"torch.{ours.dtype}" == str(theirs.dtype)
    tolerance = 1e-4 if dtype == "float32" else 1e-9
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tolerance,
                               atol=tolerance)
    if name in PYTORCH_CANNOT_DIFFERENTIATE:
        return
    grad_output = np.random.default_rng(1).standard_normal(tuple(ours.shape))
    ours.backward(tg.tensor(grad_output, dtype=getattr(tg, dtype)))
    theirs.backward(torch.tensor(grad_output, dtype=getattr(torch, dtype)))
    for our, their in zip(our_inputs, their_inputs):
        np.testing.assert_allclose(our.grad.numpy(), their.grad.numpy(), rtol=tolerance * 10,
                                   atol=tolerance * 10)


@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3), (0, 3), (2, 0, 2)])
def test_qr_signs_and_shapes_are_pytorchs(mode, shape):
    """Householder QR (geqrf/orgqr) is deterministic: Q and R are PyTorch's, signs included."""
    torch = pytest.importorskip("torch")
    a = _random(*shape)
    ours, theirs = tg.linalg.qr(tg.tensor(a), mode=mode), torch.linalg.qr(torch.tensor(a),
                                                                          mode=mode)
    assert type(ours).__name__ == "linalg_qr" and ours._fields == ("Q", "R")
    for our, their in zip(ours, theirs):
        assert tuple(our.shape) == tuple(their.shape)
        np.testing.assert_allclose(our.numpy(), their.numpy(), atol=1e-12)


def test_geqrf_is_lapacks_and_householder_product_rebuilds_q():
    torch = pytest.importorskip("torch")
    a = _random(2, 5, 3)
    ours, theirs = tg.geqrf(tg.tensor(a)), torch.geqrf(torch.tensor(a))
    assert type(ours).__name__ == "geqrf"
    for our, their in zip(ours, theirs):
        np.testing.assert_allclose(our.numpy(), their.numpy(), atol=1e-12)
    q = tg.linalg.householder_product(*ours)
    np.testing.assert_allclose(q.numpy(), tg.linalg.qr(tg.tensor(a)).Q.numpy(), atol=1e-12)


def test_factorizations_reconstruct_their_input():
    a = _random(3, 5, 4)
    u, s, vh = tg.linalg.svd(tg.tensor(a))
    np.testing.assert_allclose((u[..., :4] * s.unsqueeze(-2) @ vh).numpy(), a, atol=1e-12)
    sym = a[..., :4, :] + np.swapaxes(a[..., :4, :], -1, -2)
    values, vectors = tg.linalg.eigh(tg.tensor(sym))
    np.testing.assert_allclose((vectors * values.unsqueeze(-2) @ vectors.mT).numpy(), sym,
                               atol=1e-12)
    U, S, V = tg.svd(tg.tensor(a))
    assert type(tg.svd(tg.tensor(a))).__name__ == "svd" and U.shape == (3, 5, 4)
    np.testing.assert_allclose(((U * S.unsqueeze(-2)) @ V.mT).numpy(), a, atol=1e-12)
    U, S, V = tg.svd(tg.tensor(a), compute_uv=False)
    assert U.shape == (3, 5, 5) and V.shape == (3, 4, 4) and not U.numpy().any()


def test_named_tuples_and_infos_are_pytorchs():
    torch = pytest.importorskip("torch")
    singular = np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]])
    for name, call in [("linalg_inv_ex", lambda lib, a: lib.linalg.inv_ex(a)),
                       ("linalg_solve_ex", lambda lib, a: lib.linalg.solve_ex(a, a[..., 0])),
                       ("linalg_cholesky_ex", lambda lib, a: lib.linalg.cholesky_ex(a)),
                       ("linalg_slogdet", lambda lib, a: lib.linalg.slogdet(a)),
                       ("slogdet", lambda lib, a: lib.slogdet(a))]:
        ours, theirs = call(tg, tg.tensor(singular)), call(torch, torch.tensor(singular))
        assert type(ours).__name__ == type(theirs).__name__ == name
        assert all(hasattr(theirs, field) for field in ours._fields)
        for our, their in zip(ours, theirs):
            assert f"torch.{our.dtype}" == str(their.dtype)
            np.testing.assert_array_equal(our.numpy(), their.numpy())
    result = tg.linalg.lstsq(tg.tensor(_random(5, 3)), tg.tensor(_random(5, 2)))
    assert result._fields == ("solution", "residuals", "rank", "singular_values")
    assert result.rank.item() == 3 and result.residuals.shape == (0,)


def test_singular_errors_are_linalg_errors():
    with pytest.raises(tg.linalg.LinAlgError):
        tg.linalg.inv(tg.zeros(2, 2))
    with pytest.raises(tg.linalg.LinAlgError):
        tg.linalg.cholesky(-tg.eye(2))
    assert issubclass(tg.linalg.LinAlgError, RuntimeError)


def test_solve_triangular_with_a_zero_on_the_diagonal_gives_infinities_as_pytorch():
    torch = pytest.importorskip("torch")
    a, b = np.array([[0.0, 1.0], [0.0, 1.0]]), np.ones((2, 1))
    ours = tg.linalg.solve_triangular(tg.tensor(a), tg.tensor(b), upper=True).numpy()
    theirs = torch.linalg.solve_triangular(torch.tensor(a), torch.tensor(b), upper=True).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_torch_cholesky_lu_and_triangular_solve_warn_that_they_are_deprecated():
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated"):
        tg.cholesky(tg.eye(2))
    with pytest.warns(UserWarning, match="torch.triangular_solve is deprecated"):
        tg.triangular_solve(tg.ones(2, 1), tg.eye(2))
    with pytest.warns(UserWarning, match="torch.lu is deprecated"):
        tg.lu(tg.eye(2))


def test_lu_factorizations_and_pivots_are_pytorchs():
    """Partial pivoting picks the same rows as LAPACK (the first largest), so the packed
    factors, pivots, infos and P, L, U are PyTorch's."""
    torch = pytest.importorskip("torch")
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    for a in (_random(2, 4, 4), _random(3, 5), _random(5, 3), singular, np.zeros((0, 3, 3))):
        ours = tg.linalg.lu_factor_ex(tg.tensor(a))
        theirs = torch.linalg.lu_factor_ex(torch.tensor(a))
        for our, their in zip(ours, theirs):
            assert f"torch.{our.dtype}" == str(their.dtype) and our.shape == their.shape
            np.testing.assert_allclose(our.numpy(), their.numpy(), atol=1e-12)
        for our, their in zip(tg.linalg.lu(tg.tensor(a)), torch.linalg.lu(torch.tensor(a))):
            np.testing.assert_allclose(our.numpy(), their.numpy(), atol=1e-12)
        ours = tg.lu_unpack(*tg.linalg.lu_factor_ex(tg.tensor(a))[:2])
        theirs = torch.lu_unpack(*torch.linalg.lu_factor_ex(torch.tensor(a))[:2])
        for our, their in zip(ours, theirs):
            np.testing.assert_allclose(our.numpy(), their.numpy(), atol=1e-12)


SINGULAR = [[1.0, 2.0], [2.0, 4.0]]
NOT_PD = [[1.0, 2.0], [2.0, 1.0]]
ERRORS = [
    ("inv long", lambda lib: lib.linalg.inv(lib.ones(2, 2, dtype=lib.long)), RuntimeError,
     "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    ("inv half", lambda lib: lib.linalg.inv(lib.ones(2, 2, dtype=lib.half)), RuntimeError,
     "linalg.inv: Low precision dtypes not supported. Got Half"),
    ("inv not square", lambda lib: lib.linalg.inv(lib.ones(2, 3)), RuntimeError,
     "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"),
    ("inv 1-D", lambda lib: lib.linalg.inv(lib.ones(3)), RuntimeError,
     "linalg.inv: The input tensor A must have at least 2 dimensions."),
    ("inv singular", lambda lib: lib.linalg.inv(lib.tensor(SINGULAR)), RuntimeError,
     "linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because "
     "the input matrix is singular."),
    ("inverse singular batch", lambda lib: lib.inverse(lib.stack([lib.eye(2),
                                                                   lib.tensor(SINGULAR)])),
     RuntimeError, "linalg.inv: (Batch element 1): The diagonal element 2 is zero, the "
     "inversion could not be completed because the input matrix is singular."),
    ("det half", lambda lib: lib.linalg.det(lib.ones(2, 2, dtype=lib.half)), NotImplementedError,
     "\"lu_cpu\" not implemented for 'Half'"),
    ("slogdet not square", lambda lib: lib.linalg.slogdet(lib.ones(2, 3)), RuntimeError,
     "linalg.slogdet: A must be batches of square matrices, but they are 2 by 3 matrices"),
    ("logdet long", lambda lib: lib.logdet(lib.ones(2, 2, dtype=lib.long)), RuntimeError,
     "logdet: Expected a floating point or complex tensor as input. Got Long"),
    ("solve singular", lambda lib: lib.linalg.solve(lib.tensor(SINGULAR), lib.ones(2)),
     RuntimeError, "torch.linalg.solve: The solver failed because the input matrix is singular."),
    ("solve shapes", lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(2)), RuntimeError,
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 2x1)"),
    ("solve dtypes", lambda lib: lib.linalg.solve(lib.eye(3).double(), lib.ones(3)),
     RuntimeError, "linalg.solve: Expected A and B to have the same dtype, but found A of type "
     "Double and B of type Float instead"),
    ("solve_triangular shapes", lambda lib: lib.linalg.solve_triangular(
        lib.eye(3), lib.ones(2, 1), upper=True), RuntimeError,
     "linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B (3x3 and "
     "2x1)"),
    ("solve_triangular long", lambda lib: lib.linalg.solve_triangular(
        lib.eye(3, dtype=lib.long), lib.ones(3, 2, dtype=lib.long), upper=True),
     NotImplementedError, "\"triangular_solve_cpu\" not implemented for 'Long'"),
    ("cholesky not PD", lambda lib: lib.linalg.cholesky(lib.tensor(NOT_PD)), RuntimeError,
     "linalg.cholesky: The factorization could not be completed because the input is not "
     "positive-definite (the leading minor of order 2 is not positive-definite)."),
    ("cholesky not PD batch", lambda lib: lib.linalg.cholesky(lib.stack([lib.eye(2),
                                                                          lib.tensor(NOT_PD)])),
     RuntimeError, "linalg.cholesky: (Batch element 1): The factorization could not be "
     "completed because the input is not positive-definite (the leading minor of order 2 is not "
     "positive-definite)."),
    ("torch.cholesky not PD", lambda lib: lib.cholesky(-lib.eye(2)), RuntimeError,
     "cholesky: The factorization could not be completed because the input is not "
     "positive-definite (the leading minor of order 1 is not positive-definite)."),
    ("cholesky long", lambda lib: lib.linalg.cholesky(lib.ones(2, 2, dtype=lib.long)),
     RuntimeError, "linalg.cholesky: Expected a floating point or complex tensor as input. Got "
     "Long"),
    ("cholesky_solve 1-D", lambda lib: lib.cholesky_solve(lib.ones(3), lib.eye(3)),
     RuntimeError, "b should have at least 2 dimensions, but has 1 dimensions instead"),
    ("cholesky_solve sizes", lambda lib: lib.cholesky_solve(lib.ones(2, 1), lib.eye(3)),
     RuntimeError, "Incompatible matrix sizes for cholesky_solve: each A matrix is 3 by 3 but "
     "each b matrix is 2 by 1"),
    ("cholesky_inverse zero", lambda lib: lib.cholesky_inverse(lib.zeros(3, 3)), RuntimeError,
     "cholesky_inverse: The diagonal element 1 is zero, the inversion could not be completed "
     "because the input matrix is singular."),
    ("matrix_power not square", lambda lib: lib.linalg.matrix_power(lib.ones(2, 3), 2),
     RuntimeError, "linalg.matrix_power: A must be batches of square matrices, but they are 2 "
     "by 3 matrices"),
    ("matrix_power long inverse", lambda lib: lib.linalg.matrix_power(
        lib.ones(2, 2, dtype=lib.long), -1), RuntimeError,
     "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    ("multi_dot one", lambda lib: lib.linalg.multi_dot([lib.ones(2)]), RuntimeError,
     "multi_dot(): expected at least 2 tensors but got 1"),
    ("multi_dot shapes", lambda lib: lib.linalg.multi_dot([lib.ones(2, 2), lib.ones(3, 2)]),
     RuntimeError, "multi_dot(): tensors 0 and 1 with shapes [2, 2] and [3, 2] cannot be "
     "multiplied"),
    ("multi_dot dtypes", lambda lib: lib.linalg.multi_dot([lib.ones(2, 2),
                                                           lib.ones(2, 2).double()]),
     RuntimeError, "multi_dot(): all tensors must have be the same dtype but tensor 0 is float "
     "and tensor 1 double"),
    ("vecdot long", lambda lib: lib.linalg.vecdot(lib.ones(2, dtype=lib.long),
                                                  lib.ones(2, dtype=lib.long)), RuntimeError,
     "linalg.vecdot: Expected a floating point or complex tensor as input. Got Long"),
    ("vecdot dtypes", lambda lib: lib.linalg.vecdot(lib.ones(2), lib.ones(2).double()),
     RuntimeError, "linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
     "Float and y of type Double instead"),
    ("eigh long", lambda lib: lib.linalg.eigh(lib.ones(2, 2, dtype=lib.long)),
     NotImplementedError, "\"linalg_eigh_cpu\" not implemented for 'Long'"),
    ("eigvalsh not square", lambda lib: lib.linalg.eigvalsh(lib.ones(2, 3)), RuntimeError,
     "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices"),
    ("qr long", lambda lib: lib.linalg.qr(lib.ones(2, 2, dtype=lib.long)), RuntimeError,
     "linalg.qr: Expected a floating point or complex tensor as input. Got Long"),
    ("qr mode", lambda lib: lib.linalg.qr(lib.ones(2, 2), mode="full"), RuntimeError,
     "qr received unrecognized mode 'full' but expected one of 'reduced' (default), 'r', or "
     "'complete'"),
    ("svd 1-D", lambda lib: lib.linalg.svd(lib.ones(3)), RuntimeError,
     "linalg.svd: The input tensor A must have at least 2 dimensions."),
    ("pinv long", lambda lib: lib.linalg.pinv(lib.ones(2, 2, dtype=lib.long)), RuntimeError,
     "linalg.pinv(Long{[2, 2]}): expected a tensor with 2 or more dimensions of float, double, "
     "cfloat or cdouble types"),
    ("matrix_rank long", lambda lib: lib.linalg.matrix_rank(lib.ones(2, 2, dtype=lib.long)),
     RuntimeError, "This function doesn't handle types other than float and double"),
    ("cond 1-D", lambda lib: lib.linalg.cond(lib.ones(3)), RuntimeError,
     "linalg.cond: The input tensor must have at least 2 dimensions."),
    ("lu_factor singular", lambda lib: lib.linalg.lu_factor(lib.stack([lib.eye(2),
                                                                       lib.tensor(SINGULAR)])),
     RuntimeError, "torch.linalg.lu_factor: (Batch element 1): U[2,2] is zero and using it on "
     "lu_solve would result in a division by zero. If you still want to perform the "
     "factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"),
    ("lu long", lambda lib: lib.linalg.lu(lib.ones(2, 2, dtype=lib.long)), NotImplementedError,
     "\"lu_cpu\" not implemented for 'Long'"),
    ("lu 1-D", lambda lib: lib.linalg.lu(lib.ones(2)), RuntimeError,
     "linalg.lu: Expected tensor with 2 or more dimensions. Got size: [2] instead"),
    ("lu without pivoting", lambda lib: lib.linalg.lu_factor(lib.eye(2), pivot=False),
     RuntimeError, "linalg.lu_factor: LU without pivoting is not implemented on the CPU"),
    ("lu_solve pivots", lambda lib: lib.linalg.lu_solve(lib.eye(3), lib.ones(3, dtype=lib.long),
                                                        lib.ones(3, 1)), RuntimeError,
     "linalg.lu_solve: pivots should be a Tensor of scalar type torch.int32"),
    ("lu_solve shapes", lambda lib: lib.linalg.lu_solve(lib.eye(3), lib.ones(3, dtype=lib.int32),
                                                        lib.ones(2, 1)), RuntimeError,
     "linalg.lu_solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 2x1)"),
    ("triangular_solve sizes", lambda lib: lib.triangular_solve(lib.ones(2, 2), lib.eye(3)),
     RuntimeError, "Incompatible matrix sizes for triangular_solve: each A matrix is 3 by 3 but "
     "each b matrix is 2 by 2"),
    ("householder_product tall", lambda lib: lib.linalg.householder_product(lib.ones(2, 3),
                                                                            lib.ones(2)),
     RuntimeError, "torch.linalg.householder_product: input.shape[-2] must be greater than or "
     "equal to input.shape[-1]"),
    ("ormqr other", lambda lib: lib.ormqr(lib.ones(3, 2), lib.ones(2), lib.ones(2, 3)),
     RuntimeError, "torch.ormqr: other.shape[-2] must be equal to input.shape[-2]"),
    ("geqrf long", lambda lib: lib.geqrf(lib.ones(3, 2, dtype=lib.long)), NotImplementedError,
     "\"geqrf_cpu\" not implemented for 'Long'"),
    ("tensorinv ind", lambda lib: lib.linalg.tensorinv(lib.ones(2, 3, 2, 2), ind=0),
     RuntimeError, "Expected a strictly positive integer for 'ind', but got 0"),
    ("tensorsolve shapes", lambda lib: lib.linalg.tensorsolve(lib.ones(2, 3, 5), lib.ones(2, 3)),
     RuntimeError, "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
     "prod(self.shape[:other.ndim]), but got 5 != 6"),
    ("matrix_exp long", lambda lib: lib.linalg.matrix_exp(lib.ones(2, 2, dtype=lib.long)),
     RuntimeError, "linalg.matrix_exp: Expected a floating point or complex tensor as input. "
     "Got Long"),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


def test_qr_mode_r_is_not_differentiable_as_in_pytorch():
    a = tg.randn(3, 3, dtype=tg.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="The derivative of linalg.qr depends on Q"):
        tg.linalg.qr(a, mode="r").R.sum().backward()
