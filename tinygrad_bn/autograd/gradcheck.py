"""``gradcheck``: compare the gradients backward computes with central finite differences.

For a function ``fn`` of tensors, the analytic Jacobian comes from one backward pass per output
element; the numeric one from perturbing each input element by ``+-eps``:
``J[i, j] ~ (fn(x + eps*e_j)[i] - fn(x - eps*e_j)[i]) / (2 * eps)``. They must agree within
``atol + rtol * |numeric|`` everywhere, as ``torch.autograd.gradcheck`` requires. Use float64
inputs: float32 rounding swamps a finite difference.
"""

import warnings

import numpy as np

from . import graph
from .engine import grad, run_backward
from .grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytic and numeric gradients disagree."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check ``fn``'s gradients with respect to every input that requires grad.

    ``inputs`` is a tensor or a tuple of them (non-tensors are passed through unchanged); ``fn``
    returns a tensor or a tuple of tensors. Returns ``True`` when every Jacobian entry agrees;
    otherwise raises ``GradcheckError`` naming the output, the input, the worst element's index
    and both values (or returns ``False`` when ``raise_exception=False``).
    """
    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [(i, t) for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")
    for i, t in checked:
        if t.dtype != np.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point "
                f"({t.dtype}). This check will likely fail if all the inputs are not of double "
                "precision floating point.",
                UserWarning,
                stacklevel=2,
            )

    outputs = _as_tuple(fn(*inputs))
    for out_index, out in enumerate(outputs):
        if not out.requires_grad:
            continue  # an output that does not depend on the inputs has a zero Jacobian
        analytic = _analytic_jacobians(out, [t for _, t in checked])
        for (in_index, t), jacobian in zip(checked, analytic):
            numeric = _numeric_jacobian(fn, inputs, out_index, t, eps)
            failure = _compare(jacobian, numeric, atol, rtol, out_index, in_index, out, t)
            if failure:
                if raise_exception:
                    raise GradcheckError(failure)
                return False
    return True


def _is_tensor(value):
    """Whether ``value`` is a Tensor: the class the tensor package binds in ``graph`` (it builds
    on autograd, so autograd does not import it)."""
    return isinstance(value, graph.Tensor)


def _as_tuple(outputs):
    return (outputs,) if _is_tensor(outputs) else tuple(outputs)


def _analytic_jacobians(out, tensors):
    """One Jacobian of shape (out.numel(), t.numel()) per tensor, row by row via backward."""
    jacobians = [np.zeros((out.numel(), t.numel())) for t in tensors]
    for row in range(out.numel()):
        seed = np.zeros(out.numel(), dtype=out.dtype)
        seed[row] = 1
        grads = run_backward((out,), (seed.reshape(out.shape),), retain_graph=True, inputs=tensors)
        for jacobian, g in zip(jacobians, grads):
            if g is not None:
                jacobian[row] = g.reshape(-1)
    return jacobians


def _numeric_jacobian(fn, inputs, out_index, tensor, eps):
    """Central differences of output ``out_index`` with respect to each element of ``tensor``."""
    flat = tensor._array.flat  # writes through to the input, contiguous or not
    columns = []
    with no_grad():
        for j in range(tensor._array.size):
            original = flat[j]
            flat[j] = original + eps
            plus = _as_tuple(fn(*inputs))[out_index]._array.astype(np.float64)
            flat[j] = original - eps
            minus = _as_tuple(fn(*inputs))[out_index]._array.astype(np.float64)
            flat[j] = original
            columns.append(((plus - minus) / (2 * eps)).reshape(-1))
        if not columns:  # an empty input: no columns, one row per output element
            return np.zeros((_as_tuple(fn(*inputs))[out_index]._array.size, 0))
    return np.stack(columns, axis=1)


def _compare(analytic, numeric, atol, rtol, out_index, in_index, out, tensor):
    """A message about the worst mismatch, or None when all entries are within tolerance."""
    excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if not np.any(excess > 0) and np.all(np.isfinite(analytic) == np.isfinite(numeric)):
        return None
    row, column = np.unravel_index(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)),
                                   excess.shape)
    in_position = np.unravel_index(column, tensor.shape) if tensor.ndim else ()
    out_position = np.unravel_index(row, out.shape) if out.ndim else ()
    return (
        f"Jacobian mismatch for output {out_index} with respect to input {in_index}: worst at "
        f"input element {tuple(int(i) for i in in_position)} (output element "
        f"{tuple(int(i) for i in out_position)}), analytic {analytic[row, column]:.8g} vs "
        f"numeric {numeric[row, column]:.8g} (atol={atol}, rtol={rtol})"
    )


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Check second derivatives, as PyTorch's ``gradgradcheck``: ``gradcheck`` of the function
    ``(inputs, grad_outputs) -> autograd.grad(func(inputs), inputs, grad_outputs,
    create_graph=True)``, so the gradients of ``func``'s backward (with respect to the inputs
    and to ``grad_outputs``) are held against finite differences of that backward.
    ``grad_outputs`` default to uniform draws in [-1, 1) of each differentiable output's shape
    and dtype (from the global generator), requiring grad.

    Of PyTorch's options, ``nondet_tol``, ``check_undefined_grad``, ``check_grad_dtypes``,
    ``gen_non_contig_grad_outputs`` and ``fast_mode`` are accepted and change nothing here (the
    check is the full, deterministic one); ``check_batched_grad``, ``check_fwd_over_rev`` and
    ``masked`` are not supported (``NotImplementedError`` when set)."""
    for name, value in (("check_batched_grad", check_batched_grad),
                        ("check_fwd_over_rev", check_fwd_over_rev), ("masked", masked)):
        if value:
            raise NotImplementedError(f"gradgradcheck({name}=True) is not supported by "
                                      "tinygrad_bn")
    if not check_rev_over_rev:
        return True
    tupled_inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    if grad_outputs is None:
        from .. import float64, rand  # the tensor package builds on autograd: on use
        outputs = [out for out in _as_tuple(func(*tupled_inputs)) if out.requires_grad]
        tupled_grad_outputs = tuple(
            (rand(*out.shape, dtype=out.dtype if out.is_floating_point() else float64)
             * 2 - 1).requires_grad_(True) for out in outputs)
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    count = len(tupled_grad_outputs)
    differentiable = [i for i, t in enumerate(tupled_inputs) if _is_tensor(t) and t.requires_grad]

    def new_func(*args):
        with enable_grad():  # gradcheck's finite differences run under no_grad
            input_args, given = args[:-count] if count else args, args[len(args) - count:]
            outputs = [out for out in _as_tuple(func(*input_args)) if out.requires_grad]
            grads = grad(outputs, [input_args[i] for i in differentiable], given,
                         create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(new_func, tupled_inputs + tupled_grad_outputs, eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
