"""In-place initialisers for parameters (``torch.nn.init``), drawing from the seeded generator."""

import math
import warnings

import numpy as np

from ..autograd import no_grad
from ..creation import randperm


@no_grad()
def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill ``tensor`` with draws from U(a, b)."""
    return tensor.uniform_(a, b, generator=generator)


@no_grad()
def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill ``tensor`` with draws from N(mean, std**2)."""
    return tensor.normal_(mean, std, generator=generator)


@no_grad()
def constant_(tensor, val):
    """Fill ``tensor`` with ``val`` in place, without recording the write in the graph (under
    ``no_grad``); returns ``tensor``."""
    return tensor.fill_(val)


def zeros_(tensor):
    """Fill ``tensor`` with 0 in place, without recording the write in the graph (under
    ``no_grad``); returns ``tensor``."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill ``tensor`` with 1 in place, without recording the write in the graph (under
    ``no_grad``); returns ``tensor``."""
    return constant_(tensor, 1.0)


def _fans(tensor):
    """``(fan_in, fan_out)``: inputs and outputs per unit, times the receptive field size."""
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = int(np.prod(tensor.shape[2:]))
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    """PyTorch's ``_calculate_correct_fan``: the fan the ``mode`` names (any letter case)."""
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _fans(tensor)
    return fan_in if mode == "fan_in" else fan_out


# PyTorch's private names for the two, which layers' reset_parameters call
_calculate_fan_in_and_fan_out = _fans
_calculate_correct_fan = _fan


def calculate_gain(nonlinearity, param=None):
    """The recommended scale of initial weights for a nonlinearity (PyTorch's table): 1 for
    linear and sigmoid, 5/3 for tanh, sqrt(2) for ReLU, sqrt(2 / (1 + slope**2)) for leaky ReLU
    (slope ``param``, default 0.01), 3/4 for SELU."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                        "conv_transpose2d", "conv_transpose3d", "sigmoid"):
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _zero_element(tensor):
    """A tensor with no elements has no fan to scale by: PyTorch warns and leaves it."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He initialisation: U(-bound, bound) with ``bound = gain * sqrt(3 / fan)``, ``gain =
    sqrt(2 / (1 + a**2))`` for leaky ReLU (``a`` its slope), ``sqrt(2)`` for ReLU."""
    gain = math.sqrt(2.0) if nonlinearity == "relu" else (
        math.sqrt(2.0 / (1 + a * a)) if nonlinearity == "leaky_relu"
        else calculate_gain(nonlinearity, a))
    if _zero_element(tensor):
        return tensor
    bound = gain * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He initialisation: N(0, std**2) with ``std = gain / sqrt(fan)``."""
    if _zero_element(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot initialisation: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot initialisation: N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _normal_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


@no_grad()
def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill ``tensor`` with draws from N(mean, std**2) truncated to ``[a, b]``, by PyTorch's
    method: uniform draws on ``[2 Phi((a - mean) / std) - 1, 2 Phi((b - mean) / std) - 1]``
    (``Phi`` the standard normal CDF) mapped through ``erfinv``, scaled by ``std sqrt 2``,
    shifted by ``mean`` and clamped to ``[a, b]``. PyTorch warns when ``mean`` lies more than 2
    ``std`` outside ``[a, b]`` (the distribution is then poorly approximated)."""
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=3)
    low, high = _normal_cdf((a - mean) / std), _normal_cdf((b - mean) / std)
    tensor.uniform_(2 * low - 1, 2 * high - 1, generator=generator)
    tensor.erfinv_()
    tensor.mul_(std * math.sqrt(2.0))
    tensor.add_(mean)
    return tensor.clamp_(min=a, max=b)


@no_grad()
def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill ``tensor`` (at least 2-D, seen as ``(rows, the product of the other dims)``) with a
    (semi-)orthogonal matrix times ``gain``, as PyTorch's (Saxe et al. 2013): the Q of the QR
    decomposition of a standard normal matrix (transposed first when it has fewer rows than
    columns), its columns' signs made those of R's diagonal, so that Q is uniformly
    distributed."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor  # no-op
    rows = tensor.shape[0]
    columns = tensor.numel() // rows
    flattened = tensor.new_empty((rows, columns)).normal_(0, 1, generator=generator)
    matrix = flattened.numpy().astype(np.float64)
    if rows < columns:
        matrix = matrix.T
    q, r = np.linalg.qr(matrix)
    q = q * np.sign(np.diag(r))
    if rows < columns:
        q = q.T
    tensor.copy_(tensor.new_tensor(q.reshape(tensor.shape)))
    return tensor.mul_(gain)


@no_grad()
def eye_(tensor):
    """Fill the 2-D ``tensor`` with the identity matrix (ones on the diagonal, zeros elsewhere,
    for a rectangular one too), PyTorch's ``eye_``."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return tensor.copy_(tensor.new_tensor(np.eye(*tensor.shape)))


@no_grad()
def dirac_(tensor, groups=1):
    """Fill the 3-, 4- or 5-D convolution weight ``tensor`` with the Dirac delta, so that the
    convolution keeps its input's channels (in each of ``groups`` groups: output channel ``i``
    of a group copies its input channel ``i``), PyTorch's ``dirac_``."""
    dims = tensor.ndim
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    smallest = min(out_per_group, sizes[1])
    weights = np.zeros(sizes)
    for group in range(groups):
        for d in range(smallest):
            weights[(group * out_per_group + d, d) + tuple(s // 2 for s in sizes[2:])] = 1
    return tensor.copy_(tensor.new_tensor(weights))


@no_grad()
def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill the 2-D ``tensor`` as a sparse matrix (Martens 2010), PyTorch's ``sparse_``: values
    from ``N(0, std)`` (drawn with ``generator``), then in each column ``ceil(sparsity *
    rows)`` entries set to zero, at the first rows of a permutation drawn from the default
    generator (as PyTorch draws them)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, columns = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    tensor.normal_(0, std, generator=generator)
    for column in range(columns):
        zero_rows = randperm(rows)[:num_zeros]
        tensor[zero_rows, column] = 0
    return tensor


def _make_deprecate(method):
    """PyTorch's deprecated name for an in-place initialiser (``uniform`` for ``uniform_``):
    the same function, warning first."""
    new_name = method.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
                      FutureWarning, stacklevel=2)
        return method(*args, **kwargs)

    deprecated_init.__doc__ = f"""``{old_name}(...)``: deprecated in favour of ``{new_name}``."""
    deprecated_init.__name__ = deprecated_init.__qualname__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
