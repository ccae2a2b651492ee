"""Drawing from distributions given by tensors: ``multinomial``, ``bernoulli``, ``normal``, and
the ``*_like`` factories. Every function takes ``generator=`` (a ``tinygrad_bn.Generator``) and
otherwise draws from the default one that ``manual_seed`` seeds.

``multinomial(weights, num_samples, replacement=False)`` draws category indices (int64) from each
row of non-negative ``weights`` (1-D, or 2-D for one distribution per row; they need not sum to
1). With replacement, each draw inverts the cumulative weights at a uniform number. Without, it
is a race: every category gets the time ``Exponential(1) / weight`` and the ``num_samples``
earliest finish, which draws each next category with probability proportional to its weight
among those not yet drawn (categories of weight 0 come last, as in PyTorch).

``bernoulli`` and ``normal`` of tensors are graph ops (``ops.random``): their result requires
grad when an input does and their gradient is zero, as PyTorch's; ``multinomial``'s int64
indices have none.
"""

import numpy as np

from . import dtypes, layouts
from .autograd import graph
from .creation import _drawn, _in_format, randint
from .ops.random import Bernoulli, Normal
from .random import numpy_generator
from .shapes import broadcast_error, broadcastable
from .tensor import Tensor
from .tensor.arguments import constant_tensor

# PyTorch keeps category indices in float32 while sampling: 2**24 is the last exact integer.
MAX_CATEGORIES = 2 ** 24


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """``num_samples`` category indices drawn from each row of ``input`` (see the module
    docstring). Shape ``(num_samples,)`` for 1-D input, ``(rows, num_samples)`` for 2-D."""
    graph.untraceable("a random draw (multinomial) cannot be replayed")
    weights = input._array
    if weights.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not dtypes.is_floating(weights.dtype):
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{dtypes.scalar_type_name(weights.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    categories = weights.shape[-1]
    if not replacement and num_samples > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if categories > MAX_CATEGORIES:
        raise RuntimeError("number of categories cannot exceed 2^24")
    rows = np.atleast_2d(weights).astype(np.float64)
    _check_distributions(rows, replacement and num_samples > 1)
    totals = rows.sum(axis=1)
    rng = numpy_generator(generator)
    if replacement:
        cumulative = np.cumsum(rows, axis=1)
        draws = rng.random((rows.shape[0], num_samples)) * totals[:, None]
        samples = np.stack([np.searchsorted(c, d, side="right") for c, d in zip(cumulative, draws)])
        # A draw that rounds up to the total falls past the end: give it the last category
        # with weight (never one of weight 0).
        last_positive = categories - 1 - np.argmax(rows[:, ::-1] > 0, axis=1)
        samples = np.minimum(samples, last_positive[:, None])
    else:
        with np.errstate(divide="ignore"):
            finish_times = rng.standard_exponential(rows.shape) / rows
        samples = np.argsort(finish_times, axis=1, kind="stable")[:, :num_samples]
    samples = samples.astype(np.int64)
    return Tensor._make(samples if weights.ndim == 2 else samples[0], None)


def _check_distributions(rows, per_entry):
    """PyTorch's checks of multinomial weights, which differ by path: drawing several samples
    with replacement, its kernel walks each row and names the first bad entry (NaN fails
    ``>= 0`` first); otherwise it checks the whole tensor at once."""
    if not per_entry:
        if not np.all(np.isfinite(rows)) or np.any(rows < 0):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if np.any(rows.sum(axis=1) <= 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        return
    for row in rows:  # row by row: a row summing to 0 fails before a later row's bad entry
        bad = ~(row >= 0) | ~np.isfinite(row)
        if bad.any():
            if not row[np.argmax(bad)] >= 0:
                raise RuntimeError("invalid multinomial distribution (encountering probability "
                                   "entry < 0)")
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               "entry = infinity or NaN)")
        if not row.sum() > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def bernoulli(input, p=None, *, generator=None):
    """Zeros and ones, each one with probability ``input`` (or the number ``p``), in
    ``input``'s dtype (``ops.random.Bernoulli``)."""
    return Bernoulli.apply(input, p=p, generator=generator)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Draws from N(mean, std**2): ``normal(mean_tensor, std_tensor)`` elementwise (their shapes
    broadcast; a number for one of them is a constant; the dtype is the tensor's, mean's if
    both are), or ``normal(mean, std, size)`` with two numbers (``RandomDraw``)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        dtype = (mean if isinstance(mean, Tensor) else std)._array.dtype
        if not dtypes.is_floating(dtype):
            raise dtypes.not_implemented("normal_kernel_cpu", dtype)
        if not isinstance(std, Tensor) and std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        mean, std = (x if isinstance(x, Tensor) else constant_tensor(np.asarray(x, dtype), x)
                     for x in (mean, std))
        if not broadcastable(mean.shape, std.shape):
            raise RuntimeError(broadcast_error(mean.shape, std.shape, name_shapes=False))
        return Normal.apply(mean, std, dtype=dtype, generator=generator)
    if size is None:
        raise TypeError("normal() with a number mean and std needs size=")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    shape = tuple(size)
    dtype = dtypes.get_default_dtype() if dtype is None else dtype
    return _drawn("normal", (mean, std, shape), generator, dtype, requires_grad, device)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None,
              memory_format=layouts.preserve_format):
    """Uniform draws on ``[0, 1)`` in ``input``'s shape and (unless given) dtype."""
    layouts.check(memory_format, "rand_like")
    return _kept_in(_drawn("random", (input.shape,), generator,
                           input.dtype if dtype is None else dtype, requires_grad, device),
                    memory_format)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None,
               memory_format=layouts.preserve_format):
    """Standard normal draws in ``input``'s shape and (unless given) dtype."""
    layouts.check(memory_format, "randn_like")
    return _kept_in(_drawn("standard_normal", (input.shape,), generator,
                           input.dtype if dtype is None else dtype, requires_grad, device),
                    memory_format)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 generator=None, memory_format=layouts.preserve_format):
    """Integers uniform on ``[low, high)`` (``randint_like(x, high)`` means low 0) in
    ``input``'s shape and (unless given) dtype."""
    layouts.check(memory_format, "randint_like")
    if high is None:
        low, high = 0, low
    return _kept_in(randint(low, high, tuple(input.shape),
                            dtype=input.dtype if dtype is None else dtype, device=device,
                            generator=generator, requires_grad=requires_grad), memory_format)


def _kept_in(drawn, memory_format):
    """The new tensor ``drawn`` with its values kept in ``memory_format``'s order (the same
    values: the draws fill the tensor in row-major order whatever the format, where PyTorch
    fills memory in order; a jit replay draws row-major arrays)."""
    drawn._array = _in_format(drawn._array, memory_format)
    return drawn
