"""``linalg.eig``/``eigvals`` against PyTorch's: values, eigenvectors (LAPACK's normalization),
dtypes, gradients for real and complex matrices (PyTorch's ``linalg_eig_backward``), errors."""

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

RNG = np.random.default_rng(0)
MATRICES = {
    "real": RNG.standard_normal((4, 4)),
    "batch": RNG.standard_normal((2, 3, 3)),
    "complex": RNG.standard_normal((2, 3, 3)) + 1j * RNG.standard_normal((2, 3, 3)),
}


@pytest.mark.parametrize("name", list(MATRICES))
def test_eig_values_vectors_and_gradients_are_pytorchs(name):
    torch = pytest.importorskip("torch")
    data = MATRICES[name]
    x, t = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    values, vectors = tg.linalg.eig(x)
    their_values, their_vectors = torch.linalg.eig(t)
    assert values.dtype == tg.complex128 and vectors.shape == tuple(their_vectors.shape)
    np.testing.assert_allclose(values.detach().numpy(), their_values.detach().numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(vectors.detach().numpy(), their_vectors.detach().numpy(),
                               atol=1e-12)
    weights = np.arange(vectors.numel(), dtype=np.float64).reshape(vectors.shape)
    loss = (values * values).real.sum() + (vectors.abs() ** 2 * tg.tensor(weights)).sum()
    their_loss = (their_values * their_values).real.sum() + \
        (their_vectors.abs() ** 2 * torch.tensor(weights)).sum()
    loss.backward()
    their_loss.backward()
    assert x.grad.dtype == x.dtype
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-10)
    x.grad = t.grad = None
    tg.linalg.eigvals(x).abs().sum().backward()
    torch.linalg.eigvals(t).abs().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-10)


def test_float32_gives_complex64_and_empty_matrices():
    assert tg.linalg.eigvals(tg.ones(3, 3)).dtype == tg.complex64
    values, vectors = tg.linalg.eig(tg.ones(0, 0))
    assert values.shape == (0,) and vectors.shape == (0, 0) and values.dtype == tg.complex64


ERRORS = [
    ("square", lambda lib: lib.linalg.eig(lib.ones(2, 3)), RuntimeError,
     "linalg.eig: A must be batches of square matrices, but they are 2 by 3 matrices"),
    ("dims", lambda lib: lib.linalg.eig(lib.ones(2)), RuntimeError,
     "linalg.eig: The input tensor A must have at least 2 dimensions."),
    ("long", lambda lib: lib.linalg.eigvals(lib.ones(2, 2, dtype=lib.int64)), RuntimeError,
     "Unknown Complex ScalarType for Long"),
    ("half", lambda lib: lib.linalg.eig(lib.ones(2, 2, dtype=lib.half)), NotImplementedError,
     "\"linalg_eig_out_cpu\" not implemented for 'Half'"),
    ("nan", lambda lib: lib.linalg.eig(lib.tensor([[float("nan"), 1.0], [0.0, 1.0]])),
     RuntimeError, "torch.linalg.eig: input tensor should not contain infs or NaNs."),
    ("phase", lambda lib: lib.linalg.eig(lib.tensor([[2.0, 1.0], [0.5, 3.0]],
                                                    requires_grad=True))[1][0, 0].imag.backward(),
     RuntimeError, "linalg_eig_backward: The eigenvectors in the complex case are specified up "
     "to multiplication by e^{i phi}. The specified loss function depends on this quantity, "
     "so it is ill-defined."),
]
test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)
