"""``Tensor``: a NumPy array that records the operations applied to it, so ``backward()`` can
compute gradients.

Every differentiable method calls one op class from ``tinygrad_bn.ops`` explicitly, so reading
this package tells you every op there is. Conventions follow PyTorch: names, defaults, dtype rules
(float32 by default), ``dim``/``keepdim`` arguments and error wording.

The class is a core and one module per family of methods; each module-level function lives with
its family:

- ``core``: what makes a tensor a tensor: the array, ``requires_grad``, ``grad``, ``grad_fn``,
  versions, ``backward``, ``detach``, ``.data``, shape and dtype, creation from data;
- ``arithmetic``: ``+ - * / // % **``, the products, ``einsum``;
- ``elementwise``: ``exp``, ``log``, the trigonometric functions, rounding, ``clamp``;
- ``comparison``: comparisons, logical and bitwise ops, ``where``;
- ``reduction``: sums, means, spreads, extremes, norms, sorts, scans, ``softmax``;
- ``shape``: views and reshaping, pieces, ``cat``, ``stack``;
- ``arranging``: ``tensor_split``, ``hsplit``/``vsplit``/``dsplit``, ``rot90``, and the
  functions ``atleast_1d``/``2d``/``3d``, ``dstack``, ``column_stack``, ``block_diag``,
  ``cartesian_prod``, ``vander``;
- ``indexing``: ``tensor[index]``, ``gather``, ``scatter``, masks;
- ``inplace``: ``add_`` and the other in-place writes, ``tensor[index] = value``;
- ``inplace_forms``: the in-place forms of the other ops (``sin_``, ``eq_``, ``scatter_``, ...);
- ``conversion``: dtypes, devices, Python and NumPy values, new tensors, the printing hooks;
- ``copying``: ``pickle``, ``copy.copy`` and ``copy.deepcopy`` (the data, never the graph);
- ``special``: ``lgamma``, ``digamma``, ``polygamma``, ``i0``, ``erfc``, ``igamma`` and the
  functions of ``tinygrad_bn.special``;
- ``numerical``: ``quantile``, ``logcumsumexp``, ``frexp``, ``heaviside`` and the functions
  ``isin``, ``trapezoid``, ``gradient``, ``triu_indices``, ``combinations``;
- ``scattering``: ``unfold``, ``as_strided``, ``take``/``put``, ``index_put``, ``masked_scatter``,
  ``index_reduce``, the ``*_scatter`` functions, ``diag_embed``, ``fliplr``/``flipud``;
- ``products``: ``inner``, ``vdot``, ``addmv``/``addr``/``baddbmm``/``addbmm``, ``cov``,
  ``corrcoef``, ``nanmedian``, ``unique_consecutive``;
- ``complex``: ``real``, ``imag``, ``conj``, ``angle``, ``sgn`` and the functions
  ``complex``, ``polar``, ``view_as_real``, ``view_as_complex``;
- ``queries``: ``is_nonzero``, ``is_signed``, ``get_device`` and the other self-descriptions;
- ``legacy``: the device and layout flags (``is_cpu``, ``is_sparse``, ...) and PyTorch's older
  methods (``new``, ``resize_``, ``apply_``, ``map_``, ``cauchy_``, ``set_``, ``dim_order``);
- ``arguments``: how the methods take their arguments (numbers, promotion, NumPy's names).

Each family is a plain class of methods. Below they become ``Tensor``'s own methods: set on the
class, not inherited, so that ``help(Tensor)``, ``vars(Tensor)`` and the API reference show one
class with every method and its docstring, as PyTorch documents ``torch.Tensor``.
"""

import inspect

from .arguments import accept_numpy_names, constant_tensor, in_opmath
from .arranging import ArrangingMethods
from .arithmetic import ArithmeticMethods, einsum, pow, tensordot  # noqa: A004 - torch.pow
from .comparison import ComparisonMethods, where
from .complex import ComplexMethods
from .conversion import ConversionMethods
from .copying import CopyingMethods, rebuild_tensor
from .decompositions import DecompositionMethods
from .core import Tensor, _to_array, is_tensor, qualified_type_name, scalar_for
from .elementwise import ElementwiseMethods
from .indexing import IndexingMethods
from .inplace import InPlaceMethods
from .inplace_forms import InPlaceFormsMethods
from .products import ProductMethods
from .queries import QueryMethods
from .legacy import LegacyMethods
from .reduction import ReductionMethods, cdist, std_mean, var_mean
from .numerical import NumericalMethods
from .special import SpecialMethods
from .sparse_methods import SparseMethods
from .scattering import ScatteringMethods
from .shape import (
    ShapeMethods, broadcast_shapes, broadcast_tensors, cat, hstack, meshgrid, stack, vstack,
)

FAMILIES = (ArithmeticMethods, ElementwiseMethods, ComparisonMethods, ReductionMethods,
            ShapeMethods, ArrangingMethods, IndexingMethods, InPlaceMethods, InPlaceFormsMethods,
            ConversionMethods, CopyingMethods, DecompositionMethods, SpecialMethods,
            NumericalMethods, ScatteringMethods, ProductMethods, QueryMethods, ComplexMethods,
            SparseMethods, LegacyMethods)


class _Empty:
    pass


_CLASS_MACHINERY = set(vars(_Empty))  # what every class statement adds (__module__, __doc__, ...)


def _functions(member):
    """The functions behind a class member: a method, a property's accessors, a static method's
    function (none for other values)."""
    if isinstance(member, property):
        return [f for f in (member.fget, member.fset, member.fdel) if f is not None]
    member = getattr(member, "__func__", member)
    return [member] if inspect.isfunction(member) else []


def _add_methods(family):
    """Make the methods of ``family`` ``Tensor``'s own, under their names. Each function is
    renamed ``Tensor.<name>`` (its ``__qualname__``), the name that ``repr``, ``help()`` and
    ``pickle`` then give it. A name that ``Tensor`` has already is an error: no family overrides
    another."""
    for name, member in vars(family).items():
        if name in _CLASS_MACHINERY:
            continue
        if name in vars(Tensor):
            raise TypeError(f"{family.__name__}.{name}: Tensor has a {name} already")
        for function in _functions(member):
            function.__qualname__ = f"Tensor.{function.__name__}"
        setattr(Tensor, name, member)


for _family in FAMILIES:
    _add_methods(_family)

# Every public method with a ``dim`` or ``keepdim`` parameter also takes NumPy's ``axis`` and
# ``keepdims``, as in PyTorch.
for _name, _method in list(vars(Tensor).items()):
    if inspect.isfunction(_method) and not _name.startswith("_"):
        _parameters = inspect.signature(_method).parameters
        if "dim" in _parameters or "keepdim" in _parameters:
            setattr(Tensor, _name, accept_numpy_names(_method))
