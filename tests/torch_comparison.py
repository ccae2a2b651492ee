"""One comparison of a tinygrad_bn result with PyTorch's, shared by the test files of the
functions added alongside attention (attention, distances, norms): shape, dtype, values within
a tolerance for the dtype and, when the inputs require grad (float64), the inputs' gradients
after the same backward."""

import numpy as np

import tinygrad_bn as tg

VALUE_TOLERANCE = {np.float64: 1e-12, np.float32: 1e-6, np.float16: 1e-3}


def assert_matches_torch(out, expected, ours, theirs, dtype, grad, tolerance=None,
                         grad_tolerance=(1e-10, 1e-12)):
    """``out`` (ours, from inputs ``ours``) against ``expected`` (PyTorch's, from ``theirs``):
    the same shape and dtype, values within ``tolerance`` (relative and absolute; by default
    ``VALUE_TOLERANCE[dtype]``), and with ``grad`` the gradients of every input after backward
    of the same random ``grad_output``, within ``grad_tolerance`` (rtol, atol)."""
    assert tuple(out.shape) == tuple(expected.shape) and str(out.dtype) == str(expected.dtype)[6:]
    tolerance = VALUE_TOLERANCE[dtype] if tolerance is None else tolerance
    np.testing.assert_allclose(out.detach().numpy().astype(np.float64),
                               expected.detach().numpy().astype(np.float64), rtol=tolerance,
                               atol=tolerance)
    if grad and out.numel():
        import torch
        grad_output = np.random.default_rng(1).standard_normal(tuple(out.shape))
        expected.backward(torch.tensor(grad_output))
        out.backward(tg.tensor(grad_output))
        rtol, atol = grad_tolerance
        for their, our in zip(theirs, ours):
            np.testing.assert_allclose(our.grad.numpy(), their.grad.numpy(), rtol=rtol, atol=atol)
