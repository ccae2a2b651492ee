"""tinygrad_bn: a small deep-learning framework on NumPy, with PyTorch's names and semantics.

``import tinygrad_bn as torch`` gives tensors with reverse-mode autodiff (``tensor``, ``randn``,
``Tensor.backward``), the nine dtypes (``float16``/``32``/``64``, ``uint8``,
``int8``/``16``/``32``/``64``, ``bool``) with PyTorch's promotion, gradient-mode switches, seeding, ``gradcheck``,
``save``/``load``, and the subpackages ``nn``, ``optim``, ``data`` (also at
``utils.data``), ``linalg`` (norms, solves, decompositions), ``special``, ``distributions``
(imported on first use), ``func`` (``grad``, ``vmap``, ``functional_call``), ``multiprocessing``
(Python's, with tensors that travel between processes or share memory), ``amp``
(``autocast``, ``GradScaler``) and ``testing`` (``assert_close``).
"""

import math as _math
import numbers as _numbers

from . import autograd, ops
from .autograd import (
    GradcheckError, enable_grad, gradcheck, inference_mode, is_anomaly_enabled, is_grad_enabled,
    is_inference_mode_enabled, no_grad, set_grad_enabled,
)
from .creation import (
    arange, as_tensor, asarray, empty, empty_like, eye, from_numpy, frombuffer, full, full_like,
    linspace,
    ones, ones_like, rand, randint, randn, randperm, tensor, zeros, zeros_like,
)
from .device import backends, device, get_default_device, set_default_device
from .dtypes import (
    bfloat16, bool, float16, float32, float64, get_default_dtype, int8, int16, int32, int64,
    set_default_dtype, uint8,
)
from .process_settings import (
    are_deterministic_algorithms_enabled, get_deterministic_debug_mode,
    get_float32_matmul_precision, get_num_threads, is_deterministic_algorithms_warn_only_enabled,
    set_deterministic_debug_mode, set_float32_matmul_precision, set_flush_denormal,
    set_num_threads, use_deterministic_algorithms,
)
from .process_settings import (  # PyTorch's process flags: interop threads, warnings, build
    get_num_interop_threads, has_lapack, has_mkl, has_openmp, has_spectral, init_num_threads,
    is_warn_always_enabled, set_anomaly_enabled, set_num_interop_threads, set_warn_always,
)
from .type_info import finfo, iinfo
from .printing import Size, get_printoptions, printoptions, return_types, set_printoptions
from .random import (
    Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state,
)
from .serialization import load, save
from .tensor import (  # noqa: A004 - pow is torch.pow
    Tensor, broadcast_shapes, broadcast_tensors, cat, cdist, einsum, hstack, is_tensor, meshgrid,
    pow, stack, std_mean, tensordot, var_mean, vstack, where,
)
from .tensor.arranging import (
    atleast_1d, atleast_2d, atleast_3d, block_diag, cartesian_prod, column_stack, dstack, vander,
)
from .tensor import arguments as _tensor, out_argument as _out  # noqa: E402
from .tensor import special as _tensor_special  # noqa: E402
from .counting import bucketize, histc, histogram, histogramdd, searchsorted, unique
from .sampling import (
    bernoulli, multinomial, normal, rand_like, randint_like, randn_like,
)
from .tracing import TracerWarning
from .tracing.torch_jit import make_namespace as _make_jit_namespace

jit = _make_jit_namespace(__name__)  # tg.jit(step) as before, and torch.jit's names
from .tensor_types import (
    BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
    LongTensor, ShortTensor, set_default_tensor_type, typename,
)

# Subpackages that use the names above are imported last.
from . import data, linalg, multiprocessing, nn, optim, utils, viz  # noqa: E402
from .tensor.decompositions import (  # noqa: E402 - torch.inverse, torch.det, ...
    chain_matmul, cholesky, cholesky_inverse, cholesky_solve, det, geqrf, inverse, logdet, lu,
    lu_solve, lu_unpack, matrix_exp, matrix_power, orgqr, ormqr, pinverse, qr, slogdet, svd,
    triangular_solve,
)
from . import func  # noqa: E402
from . import accelerator, amp, cpu, cuda, testing  # noqa: E402
from .amp.autocast_mode import (  # noqa: E402
    autocast, clear_autocast_cache, get_autocast_cpu_dtype, get_autocast_dtype,
    get_autocast_gpu_dtype, is_autocast_cache_enabled, is_autocast_cpu_enabled,
    is_autocast_enabled, set_autocast_cache_enabled, set_autocast_dtype, set_autocast_enabled,
)

# torch.compile runs eagerly (no compiler here), with torch._dynamo and torch.compiler around it
# (all three imported on first use: _ON_FIRST_USE and _NAMES_ON_FIRST_USE below).
from .func import vmap  # noqa: E402
from .autograd import is_anomaly_check_nan_enabled  # noqa: E402
from .dtypes import dtype  # noqa: E402 - the class of the dtypes, for isinstance
from .layouts import (  # noqa: E402
    channels_last, channels_last_3d, contiguous_format, layout, memory_format, preserve_format,
    strided,
)

# PyTorch's constants (torch.pi, ...), its index for a new axis (x[:, torch.newaxis]).
pi, e, inf, nan = _math.pi, _math.e, _math.inf, _math.nan
newaxis = None


def is_storage(obj) -> bool:
    """PyTorch's ``is_storage``: whether ``obj`` is a storage object. Tensors here do not expose
    storages (see ``tensor/legacy.py``), so nothing is one: False."""
    return False


def is_distributed(input: Tensor) -> bool:
    """PyTorch's ``is_distributed``: False for every tensor (nothing is sharded here)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_distributed(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input.is_distributed()


resize_as_ = Tensor.resize_as_


def fill(input: Tensor, value) -> Tensor:
    """PyTorch's ``torch.fill``: a tensor of ``input``'s shape and dtype filled with ``value``
    (a number, or a 0-d tensor), the out-of-place ``fill_``; in the graph as ``fill_`` is (the
    gradient to ``input`` is zero, to a tensor ``value`` the sum)."""
    if not isinstance(input, Tensor) or not isinstance(value, (Tensor, _numbers.Number)):
        raise TypeError(f"fill() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(value).__name__}), but expected one of:")
    return input.clone().fill_(value)


half = float16
float = float32
double = float64
short = int16
int = int32
long = int64

# Module-level forms of the Tensor methods, as torch.exp(x), torch.sum(x, dim=1), ...; those
# wrapped in _out.with_out also take PyTorch's out= (tensor/out_argument.py).
add = _out.with_out(Tensor.add, dtype=_out.CAST)
sub = _out.with_out(Tensor.sub, dtype=_out.CAST)
mul = _out.with_out(Tensor.mul, dtype=_out.CAST)
div = _out.with_out(Tensor.div, dtype=_out.CAST)
divide = true_divide = div
floor_divide = _out.with_out(Tensor.floor_divide, dtype=_out.CAST)
remainder = _out.with_out(Tensor.remainder, dtype=_out.CAST)
fmod = _out.with_out(Tensor.fmod, dtype=_out.CAST)
neg = _out.with_out(Tensor.neg, dtype=_out.FOUND)
mm = _out.with_out(Tensor.mm, dtype=_out.EXACT, overlap=None)
bmm = _out.with_out(Tensor.bmm, dtype=_out.EXACT, overlap=None)
clone = Tensor.clone
numel = Tensor.numel
sin = _out.with_out(Tensor.sin, dtype=_out.CAST)
cos = _out.with_out(Tensor.cos, dtype=_out.CAST)
log2 = _out.with_out(Tensor.log2, dtype=_out.CAST)
log10 = Tensor.log10
log1p = _out.with_out(Tensor.log1p, dtype=_out.CAST)
expm1 = _out.with_out(Tensor.expm1, dtype=_out.CAST)
rsqrt = _out.with_out(Tensor.rsqrt, dtype=_out.CAST)
erf = _out.with_out(Tensor.erf, dtype=_out.CAST)
erfinv = _out.with_out(Tensor.erfinv, dtype=_out.CAST)
floor = _out.with_out(Tensor.floor, dtype=_out.FOUND)
ceil = _out.with_out(Tensor.ceil, dtype=_out.FOUND)
round = _out.with_out(Tensor.round, dtype=_out.FOUND)
trunc = _out.with_out(Tensor.trunc, dtype=_out.FOUND)
sign = _out.with_out(Tensor.sign, dtype=_out.FOUND)
eq = _out.with_out(Tensor.eq, dtype=_out.ANY)
ne = _out.with_out(Tensor.ne, dtype=_out.ANY)
lt = _out.with_out(Tensor.lt, dtype=_out.ANY)
le = _out.with_out(Tensor.le, dtype=_out.ANY)
gt = _out.with_out(Tensor.gt, dtype=_out.ANY)
ge = _out.with_out(Tensor.ge, dtype=_out.ANY)
isnan = Tensor.isnan
isinf = Tensor.isinf
isfinite = Tensor.isfinite
isclose = Tensor.isclose
allclose = Tensor.allclose
equal = Tensor.equal
all = Tensor.all
any = Tensor.any
flip = Tensor.flip
split = Tensor.split
chunk = Tensor.chunk
tril = Tensor.tril
triu = Tensor.triu
gather = _out.with_out(Tensor.gather, dtype=_out.EXACT, overlap="any")
scatter = Tensor.scatter
scatter_add = Tensor.scatter_add
scatter_reduce = Tensor.scatter_reduce
sort = _out.with_out(Tensor.sort, dtype=_out.EXACT, overlap=None)
argsort = Tensor.argsort
topk = _out.with_out(Tensor.topk, dtype=_out.EXACT, overlap=None)
cumsum = _out.with_out(Tensor.cumsum, dtype=_out.ANY, overlap=None,
                        prepare=_out.out_dtype_if_none)
prod = _out.with_out(Tensor.prod, dtype=_out.ANY, overlap="reduction",
                      prepare=_out.out_dtype_if_none)
exp = _out.with_out(Tensor.exp, dtype=_out.CAST)
log = _out.with_out(Tensor.log, dtype=_out.CAST)
sqrt = _out.with_out(Tensor.sqrt, dtype=_out.CAST)
tanh = _out.with_out(Tensor.tanh, dtype=_out.CAST)
sigmoid = _out.with_out(Tensor.sigmoid, dtype=_out.CAST)
relu = Tensor.relu
abs = _out.with_out(Tensor.abs, dtype=_out.FOUND)
clamp = _out.with_out(Tensor.clamp, dtype=_out.FOUND)
masked_fill = Tensor.masked_fill
t = Tensor.t
detach = Tensor.detach
maximum = _out.with_out(Tensor.maximum, dtype=_out.CAST)
minimum = _out.with_out(Tensor.minimum, dtype=_out.CAST)
matmul = _out.with_out(Tensor.matmul, dtype=_out.EXACT, overlap=None)
sum = _out.with_out(Tensor.sum, dtype=_out.ANY, overlap="reduction",
                     prepare=_out.out_dtype_if_none)
mean = _out.with_out(Tensor.mean, dtype=_out.CAST, overlap=None,
                      prepare=_out.check_given_dtype)
var = Tensor.var
std = Tensor.std
max = _out.with_out(Tensor.max, dtype=_out.CAST, overlap=None)
min = _out.with_out(Tensor.min, dtype=_out.CAST, overlap=None)
amax = _out.with_out(Tensor.amax, dtype=_out.SAME_AS_INPUT, overlap="reduction")
amin = _out.with_out(Tensor.amin, dtype=_out.SAME_AS_INPUT, overlap="reduction")
argmax = _out.with_out(Tensor.argmax, dtype=_out.EXACT, overlap="reduction")
argmin = _out.with_out(Tensor.argmin, dtype=_out.EXACT, overlap="reduction")
logsumexp = Tensor.logsumexp
softmax = Tensor.softmax
log_softmax = Tensor.log_softmax
reshape = Tensor.reshape
flatten = Tensor.flatten
squeeze = Tensor.squeeze
unsqueeze = Tensor.unsqueeze
transpose = Tensor.transpose
permute = Tensor.permute
pow = _out.with_out(pow, dtype=_out.CAST)  # noqa: A001
concat = concatenate = cat = _out.with_out(cat, dtype=_out.CAT, overlap="any")
stack = _out.with_out(stack, dtype=_out.CAT, overlap="any")
where = _out.with_out(where, dtype=_out.WHERE)
arange = _out.with_out(arange, dtype=_out.ANY, overlap=None, prepare=_out.arange_out_dtype,
                          resize_warning=_out.arange_resize_warning)
bernoulli = _out.with_out(bernoulli, dtype=_out.ANY, overlap="partial")
multinomial = _out.with_out(multinomial, dtype=_out.MULTINOMIAL, overlap=None)
row_stack = vstack
square = _out.with_out(Tensor.square, dtype=_out.CAST)
dot = Tensor.dot
outer = ger = Tensor.outer
norm = Tensor.norm
logical_not = _out.with_out(Tensor.logical_not, dtype=_out.ANY)
logical_and = _out.with_out(Tensor.logical_and, dtype=_out.ANY)
logical_or = _out.with_out(Tensor.logical_or, dtype=_out.ANY)
logical_xor = _out.with_out(Tensor.logical_xor, dtype=_out.ANY)
masked_select = _out.with_out(Tensor.masked_select, dtype=_out.SAME_SCALAR, overlap="any")
nonzero = Tensor.nonzero
argwhere = Tensor.argwhere
index_select = _out.with_out(Tensor.index_select, dtype=_out.SAME_SCALAR, overlap="any")
unbind = Tensor.unbind
narrow = Tensor.narrow
is_floating_point = Tensor.is_floating_point
is_complex = Tensor.is_complex
conj = Tensor.conj
conj_physical = Tensor.conj_physical
conj_physical_ = Tensor.conj_physical_
resolve_conj = Tensor.resolve_conj
is_conj = Tensor.is_conj
adjoint = Tensor.adjoint
real = Tensor.real.fget
imag = Tensor.imag.fget
clamp_min = Tensor.clamp_min
clamp_max = Tensor.clamp_max
clip = Tensor.clip
tan = Tensor.tan
asin = arcsin = Tensor.asin
acos = arccos = Tensor.acos
atan = arctan = Tensor.atan
sinh = Tensor.sinh
cosh = Tensor.cosh
atan2 = arctan2 = _out.with_out(Tensor.atan2, dtype=_out.CAST)
hypot = Tensor.hypot
logit = Tensor.logit
lerp = Tensor.lerp
addmm = Tensor.addmm
addcmul = Tensor.addcmul
addcdiv = Tensor.addcdiv
cumprod = Tensor.cumprod
diff = Tensor.diff
tile = Tensor.tile
movedim = moveaxis = Tensor.movedim
swapaxes = Tensor.swapaxes
swapdims = Tensor.swapdims
unflatten = Tensor.unflatten
repeat_interleave = Tensor.repeat_interleave
roll = Tensor.roll
broadcast_to = Tensor.broadcast_to
diag = Tensor.diag
trace = Tensor.trace
median = Tensor.median
kthvalue = _out.with_out(
    Tensor.kthvalue, dtypes_of_tuple=(_out.KTHVALUE_VALUES, _out.KTHVALUE_INDICES), overlap="any")
mode = Tensor.mode
cummax = Tensor.cummax
cummin = Tensor.cummin
aminmax = _out.with_out(Tensor.aminmax, dtype=_out.EXACT, overlap=None)
count_nonzero = Tensor.count_nonzero
zero_ = Tensor.zero_
mv = _out.with_out(Tensor.mv, dtype=_out.EXACT, overlap=None)
tensordot = _out.with_out(tensordot, dtype=_out.TENSORDOT, overlap=None)
diagonal = Tensor.diagonal
select = Tensor.select
index_add = _out.with_out(Tensor.index_add, dtype=_out.EXACT)
index_copy = Tensor.index_copy
index_fill = Tensor.index_fill
take_along_dim = _out.with_out(Tensor.take_along_dim, dtype=_out.EXACT, overlap="any")
nansum = Tensor.nansum
nanmean = Tensor.nanmean
logaddexp = _out.with_out(Tensor.logaddexp, dtype=_out.CAST)
logaddexp2 = _out.with_out(Tensor.logaddexp2, dtype=_out.CAST)
nan_to_num = Tensor.nan_to_num
frac = _out.with_out(Tensor.frac, dtype=_out.FOUND)
sinc = _out.with_out(Tensor.sinc, dtype=_out.CAST)
cross = _out.with_out(Tensor.cross, dtype=_out.EXACT)
kron = _out.with_out(Tensor.kron, dtype=_out.CAST)
dist = Tensor.dist
renorm = _out.with_out(Tensor.renorm, dtype=_out.EXACT)
bincount = Tensor.bincount
tensor_split = Tensor.tensor_split
hsplit = Tensor.hsplit
vsplit = Tensor.vsplit
dsplit = Tensor.dsplit
rot90 = Tensor.rot90


def xlogy(input, other):
    """``input * log(other)``, 0 where ``input`` is 0: ``Tensor.xlogy``, with either operand a
    Python number."""
    if isinstance(input, Tensor):
        return input.xlogy(other)
    input, other = _tensor._operands(other, input, reflected=True)
    return input.xlogy(other)


xlogy = _out.with_out(xlogy, dtype=_out.CAST)
dstack = _out.with_out(dstack, dtype=_out.CAT, overlap="any")
column_stack = _out.with_out(column_stack, dtype=_out.CAT, overlap="any")

__version__ = "0.1.0"

# In-place forms PyTorch also has as functions (torch.relu_(x) is x.relu_()).
abs_ = Tensor.abs_
acos_ = Tensor.acos_
arccos_ = Tensor.arccos_
arcsin_ = Tensor.arcsin_
arctan_ = Tensor.arctan_
asin_ = Tensor.asin_
atan_ = Tensor.atan_
ceil_ = Tensor.ceil_
clamp_ = Tensor.clamp_
clamp_max_ = Tensor.clamp_max_
clamp_min_ = Tensor.clamp_min_
clip_ = Tensor.clip_
cos_ = Tensor.cos_
cosh_ = Tensor.cosh_
detach_ = Tensor.detach_
erf_ = Tensor.erf_
exp_ = Tensor.exp_
expm1_ = Tensor.expm1_
fill_ = Tensor.fill_
floor_ = Tensor.floor_
frac_ = Tensor.frac_
log10_ = Tensor.log10_
log1p_ = Tensor.log1p_
log2_ = Tensor.log2_
log_ = Tensor.log_
logit_ = Tensor.logit_
nan_to_num_ = Tensor.nan_to_num_
neg_ = Tensor.neg_
relu_ = Tensor.relu_
round_ = Tensor.round_
rsqrt_ = Tensor.rsqrt_
sigmoid_ = Tensor.sigmoid_
sin_ = Tensor.sin_
sinc_ = Tensor.sinc_
sinh_ = Tensor.sinh_
sqrt_ = Tensor.sqrt_
square_ = Tensor.square_
tan_ = Tensor.tan_
tanh_ = Tensor.tanh_
trunc_ = Tensor.trunc_
xlogy_ = Tensor.xlogy_

# Special functions (tensor/special.py) and their namespace torch.special (special.py).
lgamma = _out.with_out(Tensor.lgamma, dtype=_out.CAST)
digamma = _out.with_out(Tensor.digamma, dtype=_out.CAST)
polygamma = _out.with_out(_tensor_special.polygamma, dtype=_out.CAST)
mvlgamma = _out.with_out(Tensor.mvlgamma, dtype=_out.CAST)
i0 = _out.with_out(Tensor.i0, dtype=_out.CAST)
erfc = _out.with_out(Tensor.erfc, dtype=_out.CAST)
exp2 = _out.with_out(Tensor.exp2, dtype=_out.CAST)
igamma = _out.with_out(Tensor.igamma, dtype=_out.CAST)
igammac = _out.with_out(Tensor.igammac, dtype=_out.CAST)
i0_ = Tensor.i0_
erfc_ = Tensor.erfc_
exp2_ = Tensor.exp2_
from .tensor.numerical import (  # noqa: E402
    combinations, cumulative_trapezoid, gradient, isin, trapezoid, trapz, tril_indices,
    triu_indices,
)
logcumsumexp = _out.with_out(Tensor.logcumsumexp, dtype=_out.CAST)
quantile = _out.with_out(Tensor.quantile, dtype=_out.EXACT)
nanquantile = _out.with_out(Tensor.nanquantile, dtype=_out.EXACT)
msort = _out.with_out(Tensor.msort, dtype=_out.EXACT)
frexp = Tensor.frexp
ldexp = _out.with_out(Tensor.ldexp, dtype=_out.CAST)
heaviside = _out.with_out(Tensor.heaviside, dtype=_out.EXACT)
ldexp_ = Tensor.ldexp_

# The activations torch has at top level as well as in nn.functional (torch.selu, torch.celu_).
from .nn.functional_activations import (  # noqa: E402
    celu, celu_, hardshrink, prelu, rrelu, rrelu_, selu, selu_, threshold, threshold_,
)

# More elementwise functions and PyTorch's other names for existing ones
# (tensor/elementwise.py, tensor/comparison.py, tensor/inplace_forms.py).
from .tensor.elementwise import float_power as _float_power  # noqa: E402
from .tensor import comparison as _comparison  # noqa: E402

asinh = arcsinh = _out.with_out(Tensor.asinh, dtype=_out.CAST)
acosh = arccosh = _out.with_out(Tensor.acosh, dtype=_out.CAST)
atanh = arctanh = _out.with_out(Tensor.atanh, dtype=_out.CAST)
asinh_ = arcsinh_ = Tensor.asinh_
acosh_ = arccosh_ = Tensor.acosh_
atanh_ = arctanh_ = Tensor.atanh_
reciprocal = _out.with_out(Tensor.reciprocal, dtype=_out.CAST)
reciprocal_ = Tensor.reciprocal_
deg2rad = _out.with_out(Tensor.deg2rad, dtype=_out.CAST)
rad2deg = _out.with_out(Tensor.rad2deg, dtype=_out.CAST)
deg2rad_, rad2deg_ = Tensor.deg2rad_, Tensor.rad2deg_
copysign = _out.with_out(Tensor.copysign, dtype=_out.CAST)
fmax = _out.with_out(Tensor.fmax, dtype=_out.CAST)
fmin = _out.with_out(Tensor.fmin, dtype=_out.CAST)
nextafter = _out.with_out(Tensor.nextafter, dtype=_out.CAST)
signbit = _out.with_out(Tensor.signbit, dtype=_out.ANY)
sgn = _out.with_out(Tensor.sgn, dtype=_out.FOUND)
fix = _out.with_out(Tensor.fix, dtype=_out.FOUND)
fix_ = Tensor.fix_
absolute = _out.with_out(Tensor.absolute, dtype=_out.FOUND)
negative = _out.with_out(Tensor.negative, dtype=_out.FOUND)
negative_ = Tensor.negative_
positive = Tensor.positive
multiply = _out.with_out(Tensor.multiply, dtype=_out.CAST)
subtract = _out.with_out(Tensor.subtract, dtype=_out.CAST)
greater = _out.with_out(Tensor.greater, dtype=_out.ANY)
greater_equal = _out.with_out(Tensor.greater_equal, dtype=_out.ANY)
less = _out.with_out(Tensor.less, dtype=_out.ANY)
less_equal = _out.with_out(Tensor.less_equal, dtype=_out.ANY)
not_equal = _out.with_out(Tensor.not_equal, dtype=_out.ANY)
bitwise_and = _out.with_out(_comparison.bitwise_and, dtype=_out.CAST)
bitwise_or = _out.with_out(_comparison.bitwise_or, dtype=_out.CAST)
bitwise_xor = _out.with_out(_comparison.bitwise_xor, dtype=_out.CAST)
bitwise_left_shift = _out.with_out(_comparison.bitwise_left_shift, dtype=_out.CAST)
bitwise_right_shift = _out.with_out(_comparison.bitwise_right_shift, dtype=_out.CAST)
bitwise_not = _out.with_out(Tensor.bitwise_not, dtype=_out.CAST)
gcd = _out.with_out(Tensor.gcd, dtype=_out.CAST)
lcm = _out.with_out(Tensor.lcm, dtype=_out.CAST)
gcd_, lcm_ = Tensor.gcd_, Tensor.lcm_
isposinf = _out.with_out(Tensor.isposinf, dtype=_out.ANY)
isneginf = _out.with_out(Tensor.isneginf, dtype=_out.ANY)
isreal = Tensor.isreal
ravel = Tensor.ravel
float_power = _out.with_out(_float_power, "float_power", dtype=_out.EXACT)

# The nn.functional functions torch also has at top level, with ATen's signatures
# (nn/functional_toplevel.py): torch.conv2d, torch.layer_norm, torch.batch_norm, ...
from .nn.functional_toplevel import (  # noqa: E402
    adaptive_avg_pool1d, adaptive_max_pool1d, alpha_dropout, avg_pool1d, batch_norm,
    binary_cross_entropy_with_logits, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,
    cosine_embedding_loss, cosine_similarity, ctc_loss, dropout, embedding, feature_alpha_dropout,
    group_norm, hinge_embedding_loss, instance_norm, kl_div, layer_norm, margin_ranking_loss,
    max_pool1d, max_pool2d, pairwise_distance, pixel_shuffle, pixel_unshuffle, poisson_nll_loss,
    rms_norm, triplet_margin_loss,
)

# More tensor functions (tensor/scattering.py, tensor/products.py, tensor/queries.py) and the
# factories of factories.py: windows, logspace, range, dtype questions, poisson, binomial.
from .factories import (  # noqa: E402
    bartlett_window, binomial, blackman_window, can_cast, empty_strided, hamming_window,
    hann_window, kaiser_window, logspace, pdist, poisson, promote_types, range, result_type,
    scalar_tensor, unravel_index,
)

take = _out.with_out(Tensor.take, dtype=_out.EXACT, overlap="any")
put = Tensor.put
index_put = Tensor.index_put
index_put_ = Tensor.index_put_
masked_scatter = Tensor.masked_scatter
index_reduce = Tensor.index_reduce
select_scatter = Tensor.select_scatter
slice_scatter = Tensor.slice_scatter
diagonal_scatter = Tensor.diagonal_scatter
as_strided = Tensor.as_strided
as_strided_ = Tensor.as_strided_
diag_embed = Tensor.diag_embed
diagflat = Tensor.diagflat
fliplr = Tensor.fliplr
flipud = Tensor.flipud
inner = _out.with_out(Tensor.inner, dtype=_out.EXACT, overlap=None)
vdot = _out.with_out(Tensor.vdot, dtype=_out.EXACT, overlap=None)
addmv = _out.with_out(Tensor.addmv, dtype=_out.EXACT, overlap=None)
addmv_ = Tensor.addmv_
addr = _out.with_out(Tensor.addr, dtype=_out.EXACT, overlap=None)
baddbmm = _out.with_out(Tensor.baddbmm, dtype=_out.EXACT, overlap=None)
addbmm = _out.with_out(Tensor.addbmm, dtype=_out.EXACT, overlap=None)
cov = Tensor.cov
corrcoef = Tensor.corrcoef
nanmedian = Tensor.nanmedian
unique_consecutive = Tensor.unique_consecutive
split_with_sizes = Tensor.split_with_sizes
unsafe_chunk = Tensor.unsafe_chunk
unsafe_split = Tensor.unsafe_split
unsafe_split_with_sizes = Tensor.unsafe_split_with_sizes
narrow_copy = Tensor.narrow_copy
is_nonzero = Tensor.is_nonzero
is_same_size = Tensor.is_same_size
is_signed = Tensor.is_signed
get_device = Tensor.get_device
is_inference = Tensor.is_inference
is_neg = Tensor.is_neg
resolve_neg = Tensor.resolve_neg

# The *_copy functions (a view op, then a copy: tensor/view_copies.py), ATen's native_* forms
# (nn/functional_native.py) and the legacy norms (tensor/legacy_norms.py), all three imported on
# first use (_NAMES_ON_FIRST_USE, below); more of ATen's top-level forms of nn.functional
# (functional_toplevel.py), the RNN cell functions and segment_reduce.
from .tensor.arithmetic import rsub  # noqa: E402
from .nn.functional_toplevel import (  # noqa: E402
    affine_grid_generator, alpha_dropout_, bilinear, channel_shuffle, constant_pad_nd,
    conv_transpose3d, convolution, dropout_, feature_alpha_dropout_, feature_dropout,
    feature_dropout_, grid_sampler, grid_sampler_2d, grid_sampler_3d, max_pool1d_with_indices,
    max_pool3d,
)
from .nn.conv import conv_tbc  # noqa: E402
from .nn.rnn import gru_cell, lstm_cell, rnn_relu_cell, rnn_tanh_cell  # noqa: E402
from .factories import empty_permuted  # noqa: E402
from .tensor.segments import segment_reduce  # noqa: E402
_segment_reduce = segment_reduce  # torch._segment_reduce, the name PyTorch's OpInfo tests
native_channel_shuffle = channel_shuffle
nonzero_static = Tensor.nonzero_static
as_strided_scatter = Tensor.as_strided_scatter
# Complex numbers (tensor/complex.py); torch.fft (fft.py) is imported on first use (below).
from .dtypes import complex32, complex64, complex128  # noqa: E402
from .tensor.complex import complex, polar, view_as_complex, view_as_real  # noqa: E402,A004
cfloat, cdouble, chalf = complex64, complex128, complex32
angle = _out.with_out(Tensor.angle, dtype=_out.FOUND)

# Imported on first use (``tg.distributions.Normal``, ``tg.special.expit``), not with the
# package: distributions' 30 modules would add about 7% to ``import tinygrad_bn`` (90 of 1300
# ms measured), which most programs never need; ``special`` takes its names from this module,
# so importing it here would make an import circle.
_ON_FIRST_USE = ("distributions", "special")
# torch.signal, torch.hub, torch.profiler: imported on first use too.
_ON_FIRST_USE += ("hub", "profiler", "signal")
# torch.distributed (CPU, gloo-like): imported on first use too.
_ON_FIRST_USE += ("distributed",)

# The layouts of the sparse tensors (tinygrad_bn/sparse: torch.sparse, sparse_coo_tensor).
from .layouts import sparse_coo, sparse_csr  # noqa: E402
# torch.fft, torch.compile's packages (_dynamo, compiler) and torch.sparse: imported on first
# use too, as are the names of _NAMES_ON_FIRST_USE ({name: its module}); together they added
# 12 ms (2%) to ``import tinygrad_bn``.
_ON_FIRST_USE += ("fft", "_dynamo", "compiler", "sparse")
_NAMES_ON_FIRST_USE = {
    "compile": "_dynamo.eval_frame", "istft": "spectral", "stft": "spectral",
    "sparse_coo_tensor": "sparse.coo", "sparse_csr_tensor": "sparse.csr",
}
# The *_copy functions, ATen's native_* forms and the legacy norms (see above).
_NAMES_ON_FIRST_USE.update(dict.fromkeys((
    "alias_copy", "as_strided_copy", "detach_copy", "diagonal_copy", "expand_copy",
    "permute_copy", "select_copy", "slice_copy", "split_copy", "split_with_sizes_copy",
    "squeeze_copy", "t_copy", "transpose_copy", "unbind_copy", "unfold_copy", "unsqueeze_copy",
    "view_copy",
), "tensor.view_copies"))
_NAMES_ON_FIRST_USE.update(dict.fromkeys((
    "_native_batch_norm_legit", "native_batch_norm", "native_dropout", "native_group_norm",
    "native_layer_norm",
), "nn.functional_native"))
_NAMES_ON_FIRST_USE.update(dict.fromkeys(
    ("frobenius_norm", "norm_except_dim", "nuclear_norm"), "tensor.legacy_norms"))

from .first_use import imported_on_first_use as _on_first_use  # noqa: E402

__getattr__, __dir__ = _on_first_use(__name__, globals(), _ON_FIRST_USE,
                                     _NAMES_ON_FIRST_USE)
