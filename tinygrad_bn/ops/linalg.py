"""Matrix multiplication, with NumPy's ``matmul`` rules for 1-D, 2-D and batched operands."""

import numpy as np

from ..autograd.graph import Op


class MatMul(Op):
    """``a @ b``.

    Shapes follow ``numpy.matmul``: a 1-D ``a`` is a row vector and a 1-D ``b`` a column vector
    (the added dim is removed from the result); leading batch dims broadcast. For the 2-D case
    ``(n, k) @ (k, m) -> (n, m)`` the gradients are ``grad_output @ b.T`` and ``a.T @ grad_output``;
    the general case promotes 1-D operands to 2-D first, and the engine sums gradients over
    broadcast batch dims.
    """

    __slots__ = ()

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(
                f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                f"{b.ndim}D"
            )
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise RuntimeError(_shape_error(a.shape, b.shape))
        try:
            out = np.matmul(a, b)
        except ValueError:  # inner dims fit, so the batch dims do not broadcast
            raise RuntimeError(_shape_error(a.shape, b.shape)) from None
        # Each operand is saved only for the other's gradient (as PyTorch does), so writing in
        # place to an operand whose partner needs no gradient is not an error.
        needs_a, needs_b = self.needs_input_grad or (False, False)
        self.saved = (a if needs_b else None, b if needs_a else None, a.ndim, b.ndim)
        return out

    def backward(self, grad_output):
        a, b, a_ndim, b_ndim = self.saved
        needs_a, needs_b = self.needs_input_grad
        if a_ndim == 2 and b_ndim == 2:
            return (grad_output @ b.T if needs_a else None, a.T @ grad_output if needs_b else None)
        a2 = a[np.newaxis, :] if a is not None and a_ndim == 1 else a
        b2 = b[:, np.newaxis] if b is not None and b_ndim == 1 else b
        grad = grad_output
        if a_ndim == 1:
            grad = np.expand_dims(grad, -2 if b_ndim > 1 else -1)
        if b_ndim == 1:
            grad = np.expand_dims(grad, -1)
        grad_a = grad @ np.swapaxes(b2, -1, -2) if needs_a else None
        grad_b = np.swapaxes(a2, -1, -2) @ grad if needs_b else None
        if needs_a and a_ndim == 1:
            grad_a = grad_a.sum(axis=tuple(range(grad_a.ndim - 1)))
        if needs_b and b_ndim == 1:
            grad_b = grad_b.sum(axis=tuple(range(grad_b.ndim - 2)) + (grad_b.ndim - 1,))
        return grad_a, grad_b


def _shape_error(a_shape, b_shape):
    """PyTorch's wording for operands whose shapes cannot be multiplied, naming both."""
    a_text = "x".join(map(str, a_shape))
    b_text = "x".join(map(str, b_shape))
    return f"mat1 and mat2 shapes cannot be multiplied ({a_text} and {b_text})"


class Linear(Op):
    """``x @ weight.T + bias``, the affine map of ``nn.Linear``, as one node.

    Shapes: ``x`` ``(..., in)``, ``weight`` ``(out, in)``, ``bias`` ``(out,)``, result
    ``(..., out)``. Gradients (``g`` = dL/dresult, leading dims flattened into rows)::

        dL/dx = g @ weight      dL/dweight = g.T @ x      dL/dbias = sum of g over rows

    A bias-free layer passes only ``(x, weight)``.
    """

    __slots__ = ()

    def forward(self, x, weight, bias=None):
        needs = self.needs_input_grad
        self.saved = (x if needs and needs[1] else None, weight if needs and needs[0] else None)
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, grad_output):
        x, weight = self.saved
        needs = self.needs_input_grad
        rows_g = grad_output.reshape(-1, grad_output.shape[-1])
        grad_x = grad_output @ weight if needs[0] else None
        grad_weight = rows_g.T @ x.reshape(-1, x.shape[-1]) if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_weight
        return grad_x, grad_weight, (rows_g.sum(axis=0) if needs[2] else None)
