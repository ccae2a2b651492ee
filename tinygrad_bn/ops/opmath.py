"""PyTorch's "opmath" type: its CPU kernels compute a float16 op in float32 and round once, at
the end. ``@opmath`` gives an op class the same behaviour without touching its float32 and
float64 paths.

PyTorch's elementwise and reduction kernels (``at::opmath_type<at::Half>`` is ``float``) load
each float16 value, widen it to float32, do every intermediate step in float32 and narrow only
the result. Doing the same steps in float16, as NumPy would, rounds after each one: ``gelu``
(eight steps) drifts several units in the last place, a variance loses the small differences
it sums. With ``@opmath`` a float16 op gives the float32 computation rounded once, which is
PyTorch's result up to that one rounding (and to the few float32 ulps by which PyTorch's
vectorised ``erf``/``exp`` differ from NumPy's).

How a decorated op runs when its first input is float16 (the ops decorated take their floating
inputs in one dtype, so the first decides):

- forward: every float16 input is widened to float32, the op's own ``forward`` runs on those,
  and a float32 result is narrowed back to float16;
- saved arrays: a widened input that ``forward`` saved is replaced by the float16 original
  (the engine then finds it among the inputs, so an in-place write to it before backward is
  still caught, and it takes half the memory), and the float32 result by the float16 one
  returned (PyTorch saves the output it returned, and so its backward reads the rounded
  values);
- backward: ``grad_output`` and the float16 saved arrays are widened again (exactly), the op's
  own ``backward`` runs, and its float32 gradients go to the engine, which sums broadcast
  gradients in float32 and narrows each to its input's dtype (``reduce_to_shape``).

Any other dtype calls the op's own methods with one dtype test in between: no copy. Arrays an
op saves that are views or functions of a widened input stay float32 (their in-place check is
the one of the op's own output, as for any derived array).
"""

import numpy as np

HALF = np.dtype(np.float16)
FLOAT = np.dtype(np.float32)


def opmath_dtype(dtype):
    """The dtype PyTorch computes ``dtype`` in: float32 for float16, else ``dtype`` itself."""
    return FLOAT if dtype is HALF else dtype


def widen(array):
    """``array`` in float32 if it is float16 (an exact conversion), else ``array`` itself."""
    return array.astype(FLOAT) if array.dtype is HALF else array


def narrow(array):
    """A float32 ``array`` rounded to float16 (once), anything else as it is."""
    return array.astype(HALF) if array.dtype is FLOAT else array


def opmath(cls):
    """Class decorator: ``cls``'s forward and backward compute float16 inputs in float32 and
    round the result once (see the module docstring). Returns ``cls``, with ``forward`` and
    ``backward`` wrapped."""
    forward = cls.forward

    def forward_in_opmath(self, first, *rest):
        if first.dtype is not HALF:  # float32/float64: straight through, nothing copied
            return forward(self, first, *rest)
        arrays = (first, *rest)
        wide = [widen(a) if isinstance(a, np.ndarray) else a for a in arrays]
        out = forward(self, *wide)
        out16 = narrow(np.asarray(out))
        self.saved = _saved_narrow(self.saved, wide, arrays, out, out16)
        return out16

    _rename(forward_in_opmath, forward, cls)
    cls.forward = forward_in_opmath
    return opmath_backward(cls)


def opmath_backward(cls):
    """Class decorator: ``cls``'s backward computes a float16 ``grad_output`` (and the float16
    arrays it saved) in float32, its gradients left in float32 for the engine to narrow. For an
    op whose forward handles float16 itself (``opmath`` wraps both). Returns ``cls``."""
    backward = cls.backward

    def backward_in_opmath(self, grad_output):
        if grad_output.dtype is not HALF:
            return backward(self, grad_output)
        saved = self.saved
        self.saved = tuple(widen(item) if isinstance(item, np.ndarray) else item
                           for item in saved)
        try:
            return backward(self, widen(grad_output))
        finally:
            self.saved = saved

    _rename(backward_in_opmath, backward, cls)
    cls.backward = backward_in_opmath
    return cls


def _rename(wrapper, method, cls):
    """Give ``wrapper`` the name and docstring (its own or the one it inherits) of the
    ``method`` of ``cls`` it wraps, and ``__wrapped__``: ``inspect.getsource`` then reads the
    op's own code (the jit's inline templates fingerprint it)."""
    name = method.__name__
    wrapper.__name__ = name
    wrapper.__wrapped__ = method
    wrapper.__doc__ = next((vars(c)[name].__doc__ for c in cls.__mro__
                            if name in vars(c) and vars(c)[name].__doc__), None)
    wrapper.__qualname__ = f"{cls.__qualname__}.{method.__name__}"


def _saved_narrow(saved, wide, arrays, out, out16):
    """``saved`` with each widened input replaced by its float16 original and the float32
    result by the float16 one (by identity: views and derived arrays stay as they are)."""
    if not saved:
        return saved
    replaced = []
    for item in saved:
        if item is out:
            item = out16
        else:
            for w, original in zip(wide, arrays):
                if item is w and w is not original:
                    item = original
                    break
        replaced.append(item)
    return tuple(replaced)
