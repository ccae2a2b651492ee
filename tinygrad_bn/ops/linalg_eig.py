"""The eigendecomposition of general square matrices, ``torch.linalg.eig``: complex
eigenvalues and eigenvectors by LAPACK's ``geev`` through NumPy, as PyTorch computes them (each
eigenvector of norm 1, its largest component real)."""

import numpy as np

from ..autograd.graph import Op
from .linalg_decompositions import pack, unpack_arrays


def _conjugate_transpose(a):
    return np.conj(np.swapaxes(a, -1, -2))


class Eigen(Op):
    """The eigenvalues ``L`` ``(..., n)`` and eigenvectors ``V`` (columns of ``(..., n, n)``)
    of each square matrix, packed side by side (``pack``), complex64 for float32 and complex64
    inputs, complex128 for the double ones.

    Gradient (PyTorch's ``linalg_eig_backward``, in its convention for complex values):
    ``gA = V^-H (diag(gL) + (V^H gV - V^H V diag(re(V^H gV))) / conj(E)) V^H`` with ``E_ij =
    L_j - L_i`` (1 on the diagonal, where ``gL`` replaces the quotient when the eigenvalues are
    used); ``V^-H diag(gL) V^H`` when the eigenvectors are unused. A real input takes the real
    part (the engine's rule). The loss must not depend on each eigenvector's phase, which is
    arbitrary: PyTorch refuses such a loss and so does this."""

    __slots__ = ()
    saves_output = True
    supports_complex = True
    complex_backward = True

    def forward(self, a):
        dtype = np.complex128 if a.dtype in (np.float64, np.complex128) else np.complex64
        if a.size == 0:
            values, vectors = np.zeros(a.shape[:-1], dtype), np.zeros(a.shape, dtype)
        else:
            values, vectors = np.linalg.eig(a)
        values, vectors = values.astype(dtype, copy=False), vectors.astype(dtype, copy=False)
        self.saved = (values, vectors)
        return pack(values, vectors, batch_shape=a.shape[:-2])

    def backward(self, grad_output):
        values, vectors = self.saved
        n = values.shape[-1]
        grad_values, grad_vectors = unpack_arrays(grad_output, [(n,), (n, n)])
        values_used, vectors_used = grad_values.any(), grad_vectors.any()
        vectors_h = _conjugate_transpose(vectors)
        if vectors_used:
            inner = vectors_h @ grad_vectors
            diagonal = np.einsum("...ii->...i", inner)
            if not np.allclose(diagonal.imag, 0, rtol=1e-2, atol=1e-2):
                raise RuntimeError(
                    "linalg_eig_backward: The eigenvectors in the complex case are specified up "
                    "to multiplication by e^{i phi}. The specified loss function depends on this "
                    "quantity, so it is ill-defined.")
            inner = inner - vectors_h @ (vectors * diagonal.real[..., None, :])
            gaps = np.conj(values[..., None, :] - values[..., :, None])
            np.einsum("...ii->...i", gaps)[...] = 1
            with np.errstate(divide="ignore", invalid="ignore"):
                inner = inner / gaps
            if values_used:
                np.einsum("...ii->...i", inner)[...] = grad_values
        else:
            inner = np.zeros(vectors.shape, vectors.dtype)
            np.einsum("...ii->...i", inner)[...] = grad_values
        return (np.linalg.solve(vectors_h, inner @ vectors_h),)
