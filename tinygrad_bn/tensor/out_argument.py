"""The ``out=`` argument of the module-level functions: ``torch.add(a, b, out=c)`` writes the
sum into ``c`` and returns ``c`` itself; ``torch.max(x, 1, out=(values, indices))`` fills both.

One mechanism, ``with_out``, wraps a function that does not know about ``out``. A call with
``out`` then runs, in PyTorch's order:

1. ``out`` checked: a Tensor (a tuple of as many Tensors for a function that returns several);
2. autograd refused: with grad mode on, if any tensor argument or ``out`` requires grad,
   ``add(): functions with out=... arguments don't support automatic differentiation, but one
   of the arguments requires grad.``;
3. the result computed as without ``out`` (under ``no_grad``; the function's own errors come
   first, except for a rule on ``out``'s dtype alone, ``multinomial``'s int64, checked before);
   ``arange`` and ``sum`` compute in ``out``'s dtype (``prepare``);
4. each result's dtype checked against its ``out`` by the op's rule (``CAST``: PyTorch's
   ``can_cast``, same or lower category; ``EXACT``: the same dtype; ``ANY``; and a few ops'
   own messages);
5. overlap refused: ``out`` whose elements share memory (an ``expand``\\ed tensor) always; for
   ``overlap="partial"`` (PyTorch's elementwise kernels) an ``out`` that shares only part of an
   input's memory, so ``exp(x, out=x)`` is fine; for ``overlap="any"`` (``cat``, ``gather``,
   ``index_select``, ``masked_select``, ``kthvalue``) any sharing, ``out`` being an input too.
   As PyTorch, memory is compared only between tensors that each fill one gapless block (a
   slice such as ``x[:, :2]`` is "too hard" and passes);
6. a wrongly shaped ``out`` resized to the result's shape (a fresh array: views of it no longer
   see it), with PyTorch's deprecation warning when it held elements;
7. the values copied in (cast to ``out``'s dtype), ``out``'s version bumped as by an in-place
   write, and ``out`` (or the tuple of outs, as the result's named tuple type) returned.
"""

from __future__ import annotations

import functools
import inspect
import warnings

import numpy as np

from .. import autocast_state, dtypes
from ..autograd import graph
from ..autograd.grad_mode import no_grad, thread_state
from .core import Tensor, qualified_type_name

RESIZE_WARNING = (
    "An output with one or more elements was resized since it had shape {old}, which does not "
    "match the required output shape {new}. This behavior is deprecated, and in a future "
    "PyTorch release outputs will not be resized unless they have zero elements. You can "
    "explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
    "t.resize_(0).")

OVERLAP_ERROR = (
    "unsupported operation: some elements of the input tensor and the written-to tensor refer "
    "to a single memory location. Please clone() the tensor before performing the operation.")


def _name(dtype):
    return dtypes.scalar_type_name(dtype)


# Dtype rules: (function name, result dtype, out dtype, first input's dtype) -> exception or None.

def CAST(name, result, out, given):
    """PyTorch's ``can_cast``: the result's category (bool < integer < floating) at most
    ``out``'s."""
    if not dtypes.can_store(result, out):
        return RuntimeError(f"result type {_name(result)} can't be cast to the desired output "
                            f"type {_name(out)}")
    return None


def EXACT(name, result, out, given):
    """``out`` must have the result's dtype (matmul, gather, sort, max with a dim, ...)."""
    if result != out:
        return RuntimeError(f"Expected out tensor to have dtype {dtypes.cpp_type_name(result)}, "
                            f"but got {dtypes.cpp_type_name(out)} instead")
    return None


def ANY(name, result, out, given):
    """Any ``out`` dtype: the values are cast (``sum``, ``bernoulli``)."""
    return None


def FOUND(name, result, out, given):
    """``abs`` and ``clamp``: the result's dtype exactly."""
    if result != out:
        return RuntimeError(f"Found dtype {_name(out)} but expected {_name(result)}")
    return None


def WHERE(name, result, out, given):
    """``where``: the result's dtype exactly."""
    if result != out:
        return RuntimeError(f"Expected out type to be {_name(result)} but got {_name(out)}")
    return None


def SAME_AS_INPUT(name, result, out, given):
    """``amax``/``amin``: ``out`` has the input's dtype."""
    if given != out:
        return RuntimeError(f"Expected the dtype for input and out to match, but got "
                            f"{_name(given)} for input's dtype and {_name(out)} for out's dtype.")
    return None


def SAME_SCALAR(name, result, out, given):
    """``index_select``/``masked_select``."""
    if result != out:
        return RuntimeError(f"{name}(): self and result must have the same scalar type")
    return None


def CAT(name, result, out, given):
    """``cat``/``stack``: ``can_cast``, refused with a TypeError naming ``torch.cat``."""
    if not dtypes.can_store(result, out):
        return TypeError(f"torch.cat(): input types can't be cast to the desired output type "
                         f"{_name(out)}")
    return None


def TENSORDOT(name, result, out, given):
    """``tensordot``: the result's dtype exactly, in its own words."""
    if result != out:
        return RuntimeError(f"tensordot: Expected the output tensor to have dtype {_name(result)}, "
                            f"but got an output tensor with dtype {_name(out)}")
    return None


def KTHVALUE_VALUES(name, result, out, given):
    """``kthvalue``'s values: the input's dtype exactly."""
    if result != out:
        return RuntimeError("output values must be of same type as input")
    return None


def KTHVALUE_INDICES(name, result, out, given):
    """``kthvalue``'s indices: int64, checked before computing."""
    if out != dtypes.int64:
        return RuntimeError("output indices must be of scalar type Long")
    return None


KTHVALUE_INDICES.before_computing = True


def MULTINOMIAL(name, result, out, given):
    """``multinomial``: an int64 ``out``, checked before computing (before the
    distribution)."""
    if out != dtypes.int64:
        return RuntimeError(f"multinomial expects Long tensor out, got: {_name(out)}")
    return None


MULTINOMIAL.before_computing = True


def with_out(function, name=None, *, dtype=CAST, dtypes_of_tuple=(EXACT, EXACT),
             overlap="partial", prepare=None, resize_warning=None):
    """``function`` taking PyTorch's keyword-only ``out=`` (see the module docstring).

    ``dtype`` is the dtype rule of a single result, ``dtypes_of_tuple`` those of the results of
    a function returning several (values, indices); ``overlap`` is ``"partial"``, ``"any"`` or
    None (only ``out``'s own overlap is refused) or ``"reduction"`` (as None, but an expanded
    ``out`` of the result's shape is reduced into, ``_reduce_into_expanded``).
    ``prepare(out, kwargs)`` may adjust the call
    (``arange`` takes its dtype from ``out``); ``resize_warning(old, new)`` replaces the general
    resize warning (None: PyTorch's ``Resize.cpp`` one)."""
    name = name or function.__name__

    @functools.wraps(function)
    def function_with_out(*args, out=None, **kwargs):
        if out is None:
            return function(*args, **kwargs)
        return _call_with_out(function, name, args, kwargs, out, dtype, dtypes_of_tuple,
                              overlap, prepare, resize_warning)

    function_with_out.__doc__ = (
        (inspect.getdoc(function) or "") + "\n\nWith ``out=`` (keyword only) the result is written "
        "into that tensor (a tuple of tensors for several results), which is returned, as "
        "PyTorch does: ``tinygrad_bn/tensor/out_argument.py`` says the rules.").lstrip()
    return function_with_out


def _tensors_in(values):
    """The tensors among ``values``, one level of lists and tuples opened (``cat``'s list)."""
    found = []
    for value in values:
        if isinstance(value, Tensor):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            found.extend(v for v in value if isinstance(v, Tensor))
    return found


def _call_with_out(function, name, args, kwargs, out, rule, tuple_rules, overlap, prepare,
                   resize_warning):
    listed = isinstance(out, (list, tuple))
    if not listed and not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {qualified_type_name(out)}")
    outs = tuple(out) if listed else (out,)
    if listed and not all(isinstance(o, Tensor) for o in outs):
        _refuse_listed_non_tensors(function, name, args, kwargs, out)
    inputs = _tensors_in(list(args) + list(kwargs.values()))
    if thread_state.grad_enabled and any(t._requires_grad for t in inputs + list(outs)):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           f"differentiation, but one of the arguments requires grad.")
    if prepare is not None:
        prepare(outs[0], kwargs)
    for o, check in zip(outs, tuple_rules if len(outs) > 1 else (rule,)):
        if getattr(check, "before_computing", False):  # a rule on out's dtype alone
            error = check(name, None, o._array.dtype, None)
            if error is not None:
                raise error
    with no_grad():
        if autocast_state.casting:  # PyTorch autocasts no out= form: computed as given
            with autocast_state.excluded():
                result = function(*args, **kwargs)
        else:
            result = function(*args, **kwargs)
    results = tuple(result) if isinstance(result, tuple) else (result,)
    if isinstance(result, tuple) != isinstance(out, (list, tuple)):
        kind = "tuple of Tensors" if isinstance(result, tuple) else "Tensor"
        raise TypeError(f"{name}(): argument 'out' must be {kind}, not {type(out).__name__}")
    if len(outs) != len(results):
        raise TypeError(f"expected tuple of {len(results)} elements but got {len(outs)}")
    rules = tuple_rules if isinstance(result, tuple) else (rule,)
    given = inputs[0]._array.dtype if inputs else None
    for r, o, check in zip(results, outs, rules):
        error = check(name, r._array.dtype, o._array.dtype, given)
        if error is not None:
            raise error
    if (overlap == "reduction" and out._array.shape == result._array.shape
            and _internal_overlap(out._array)):
        graph.untraceable(f"{name}(out=...) writes into a given tensor")
        _reduce_into_expanded(function, args, kwargs, out)
        return out
    for r, o in zip(results, outs):
        _check_overlap(o, r, inputs, None if overlap == "reduction" else overlap)
    graph.untraceable(f"{name}(out=...) writes into a given tensor")
    for r, o in zip(results, outs):
        _write(o, r._array, resize_warning)
    if isinstance(result, tuple):
        return type(result)(*outs) if hasattr(result, "_fields") else tuple(outs)
    return out


def _refuse_listed_non_tensors(function, name, args, kwargs, out):
    """PyTorch's TypeError for an ``out`` list or tuple holding something not a Tensor: for a
    function of one result ``exp(): argument 'out' must be Tensor, not list`` (whatever the
    list holds), for one of several ``expected Tensor as element 1 in argument 3, but got int``
    (the argument's index in PyTorch's signature, ``out`` coming after all the others; ``sort``'s
    ``stable`` is in only the signature that matches when it is given). Which of the two is
    known only from the result, so the function runs first (PyTorch knows it from its
    signatures and checks before computing)."""
    with no_grad():
        result = function(*args, **kwargs)
    if not isinstance(result, tuple):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    parameters = inspect.signature(function).parameters
    position = len([p for p in parameters if p != "stable" or p in kwargs])
    index = next(i for i, o in enumerate(out) if not isinstance(o, Tensor))
    raise TypeError(f"expected Tensor as element {index} in argument {position}, but got "
                    f"{qualified_type_name(out[index])}")


def _check_overlap(out, result, inputs, overlap):
    array = out._array
    # An ``out`` whose elements share memory (an expand): PyTorch's "more than one element"
    # error, for any shape where its kernel checks (elementwise ops, cat, gather, ...), and
    # only for the shape it writes without resizing for the others (reductions, products).
    if _internal_overlap(array) and (overlap is not None or array.shape == result._array.shape):
        raise RuntimeError(INTERNAL_OVERLAP_ERROR)
    if overlap is None:
        return
    for t in inputs:
        if t is out or (t._array is array):
            if overlap == "any":
                raise RuntimeError(OVERLAP_ERROR)
            continue
        if not (_dense(array) and _dense(t._array)):
            continue  # PyTorch's "too hard" to tell: allowed
        if not np.shares_memory(array, t._array):
            continue
        same = (array.__array_interface__["data"][0] == t._array.__array_interface__["data"][0]
                and array.shape == t._array.shape and array.strides == t._array.strides)
        if overlap == "any" or not same:
            raise RuntimeError(OVERLAP_ERROR)


INTERNAL_OVERLAP_ERROR = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation.")


def _reduce_into_expanded(function, args, kwargs, out):
    """A reduction (``sum``, ``prod``, ``amax``, ``amin``, ``argmax``, ``argmin``) into an
    ``out`` of the result's shape whose elements share memory (an expand), as PyTorch does it:
    its reduction kernel takes each dim along which ``out`` has stride 0 as one more dim to
    reduce, so every shared element gets the reduction over all the input it stands for
    (``torch.sum(x, 1, out=torch.zeros(1).expand(3))`` for ``x`` of shape ``(3, 4)`` writes
    ``x.sum()`` into the one element; ``argmax`` the row-major index over those dims), written
    through to the memory ``out`` is a view of. No error, unlike ``mean`` or ``max(dim)``."""
    bound = inspect.signature(function).bind(*args, **kwargs)
    bound.apply_defaults()
    arguments = bound.arguments
    x, dim, keepdim = arguments["self"], arguments["dim"], arguments["keepdim"]
    reduced = {d % x.ndim for d in ((dim,) if isinstance(dim, int) else dim)}
    dims_in_out = list(range(x.ndim)) if keepdim else [d for d in range(x.ndim) if d not in reduced]
    reduced |= {d for d, stride, size in zip(dims_in_out, out._array.strides, out._array.shape)
                if stride == 0 and size > 1}
    kept = [d for d in range(x.ndim) if d not in reduced]
    flat = x.permute(*kept, *sorted(reduced)).reshape(*[x.shape[d] for d in kept], -1)
    arguments.update(self=flat, dim=-1, keepdim=False)
    values = function(*bound.args, **bound.kwargs)._array
    values = values.reshape([1 if d in reduced else x.shape[d] for d in dims_in_out])
    np.copyto(_writeable(out._array), values, casting="unsafe")
    out._bump_version()


class _ArrayInterface:
    """An ``__array_interface__`` holder, so that NumPy makes an array of given memory (as
    NumPy's own ``as_strided`` does), keeping ``base`` alive."""

    def __init__(self, interface, base):
        self.__array_interface__, self.base = interface, base


def _writeable(array):
    """A writeable array of ``array``'s memory, shape and strides, for a read-only view (an
    expand) of a writeable array."""
    owner = array
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    interface = dict(array.__array_interface__)
    interface["data"] = (interface["data"][0], not owner.flags.writeable)
    return np.asarray(_ArrayInterface(interface, owner))


def _internal_overlap(array):
    """Whether two of ``array``'s elements are one memory location: a dim of size > 1 with
    stride 0 (an expand; tinygrad_bn's expands are also read-only views)."""
    return array.size > 1 and (not array.flags.writeable or any(
        stride == 0 and size > 1 for stride, size in zip(array.strides, array.shape)))


def _dense(array):
    """Whether ``array``'s elements fill one block of memory with no gaps (in some order of
    its dimensions): PyTorch compares the memory of such tensors only."""
    expected = array.itemsize
    for stride, size in sorted((abs(st), n) for st, n in zip(array.strides, array.shape)
                               if n != 1):
        if stride != expected:
            return False
        expected *= size
    return True


def _write(out, array, resize_warning):
    """``array``'s values into ``out``, resized to its shape if need be; bumps the version."""
    if out._array.shape != array.shape or not out._array.flags.writeable:
        # (read-only here: an expand of one element to one, which PyTorch writes)
        if out._array.shape != array.shape and out._array.size:
            old, new = list(out._array.shape), list(array.shape)
            message = (resize_warning(old, new) if resize_warning is not None
                       else RESIZE_WARNING.format(old=old, new=new))
            warnings.warn(message, UserWarning, stacklevel=4)
        out._array = np.empty(array.shape, dtype=out._array.dtype)
    np.copyto(out._array, array, casting="unsafe")
    out._bump_version()


def arange_out_dtype(out, kwargs):
    """``arange(..., out=o)`` computes in ``o``'s dtype; a ``dtype=`` that differs is refused."""
    given = kwargs.get("dtype")
    if given is None:
        kwargs["dtype"] = out._array.dtype
    elif dtypes.canonical(given) != out._array.dtype:
        raise RuntimeError(f"dtype {_name(dtypes.canonical(given))} does not match dtype "
                           f"of out parameter ({_name(out._array.dtype)})")


def arange_resize_warning(old, new):
    """``arange``'s own warning for an ``out`` of another length (RangeFactories.cpp)."""
    count = int(np.prod(old))
    return (f"The number of elements in the out tensor of shape {old} is {count} which does not "
            f"match the computed number of elements {new[0]}. Note that this may occur as a "
            f"result of rounding error. The out tensor will be resized to a tensor of shape "
            f"({new[0]},).")


def out_dtype_if_none(out, kwargs):
    """``sum(..., out=o)`` sums in ``o``'s dtype (as ``dtype=o.dtype``) unless given one,
    which must then be ``o``'s (PyTorch's error otherwise)."""
    if kwargs.get("dtype") is None:
        kwargs["dtype"] = out._array.dtype
    else:
        check_given_dtype(out, kwargs)


def check_given_dtype(out, kwargs):
    """A ``dtype=`` given with ``out=`` must be ``out``'s dtype, as PyTorch's reductions want."""
    given = kwargs.get("dtype")
    error = None if given is None else EXACT(None, dtypes.canonical(given), out._array.dtype, None)
    if error is not None:
        raise error
