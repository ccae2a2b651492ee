"""``FlatState``: a parameter group's per-parameter state arrays (Adam's moments, SGD's momentum
buffers) kept as one flat array per name that each parameter's state views into, so that an
optimizer's step is a handful of vectorised calls over the whole group instead of a few per
parameter. The optimizer checks each step that the flat arrays still serve its group, and
rebuilds them (or steps parameter by parameter) when they do not."""

from __future__ import annotations

import operator

import numpy as np

from ..autograd.graph import bump_versions

CHUNK = 65536  # elements: 256 KiB of float32 per array, so that a chunk's arrays fit in L2

_ARRAY = operator.attrgetter("_array")


def independent_gradients(params, dtype=None):
    """The parameters' gradient arrays, or None when a flat step could read other values than
    PyTorch's loop: when a gradient or a parameter may share memory with another parameter (a
    view, or the same array twice). PyTorch's optimizers (on the CPU, one parameter at a time)
    let a parameter updated first change what a later one reads; a flat step reads every
    gradient before it writes any parameter. Also None when ``dtype`` is given and a gradient
    has another dtype. (About 2.7 us a step at W1's 8 parameters, measured alone.)"""
    grads, arrays = [p._grad._array for p in params], [p._array for p in params]
    for grad, array in zip(grads, arrays):
        if (grad.base is not None or array.base is not None
                or (dtype is not None and grad.dtype != dtype)):
            return None
    ids = set(map(id, arrays))
    if len(ids) != len(arrays) or not ids.isdisjoint(map(id, grads)):
        return None
    return grads


def concatenated(arrays):
    """``arrays`` (a group's gradients) as one new flat vector (``concatenate`` with ``axis=None``
    flattens). A new array, not a buffer kept between steps: in W4's step the fresh one
    measured faster (894 us against 928 for AdamW's step; it reuses memory still in cache), and
    it keeps the gradients' own dtype."""
    return np.concatenate(arrays, axis=None)


def flat_weights(params):
    """The parameters' values as one new flat vector (for an L2 penalty)."""
    return np.concatenate(list(map(_ARRAY, params)), axis=None)


def run_in_chunks(passes, arrays, constants):
    """``passes(*arrays, *constants)`` over flat ``arrays`` (None stays None): at once for a
    small group, else over chunks of ``CHUNK`` elements that stay in the CPU's cache."""
    size = arrays[0].size
    if size <= CHUNK:
        passes(*arrays, *constants)
        return
    for start in range(0, size, CHUNK):
        passes(*[None if a is None else a[start:start + CHUNK] for a in arrays], *constants)


class FlatState:
    """The state arrays ``names`` (one to three) of a group's parameters ``params``, whose
    state dicts are ``states``, concatenated into flat arrays (``arrays[name]``) that each state
    then holds views of, with what a step needs prepared once: one ``scratch`` buffer for the
    intermediate results and then the update (each parameter subtracts its view of it), and
    ``constant_count`` constants as 0-d arrays of the state's dtype (a ufunc takes a 0-d array
    faster than a Python float or a NumPy scalar: 2 us of Adam's step on W1). With
    ``counts_steps``, every state's ``"step"`` must stay equal (Adam's bias correction)."""

    __slots__ = ("states", "arrays", "names", "counts_steps", "scratch", "update_views",
                 "checks", "constants", "constant_views")

    def __init__(self, params, states, names, constant_count, counts_steps=False):
        arrays = {name: np.concatenate([state[name].reshape(-1) for state in states])
                  for name in names}
        self.states, self.arrays, self.counts_steps = states, arrays, counts_steps
        self.names = tuple(names) + (None,) * (3 - len(names))
        first = arrays[names[0]]
        self.scratch = np.empty_like(first)
        self.update_views, offset = [], 0
        for p, state in zip(params, states):
            shape, size = p._array.shape, p._array.size
            for name in names:
                state[name] = arrays[name][offset:offset + size].reshape(shape)
            self.update_views.append(self.scratch[offset:offset + size].reshape(shape))
            offset += size
        self.checks = [(p, state, state[names[0]].shape, state[names[0]].dtype)
                       + tuple(None if name is None else state[name] for name in self.names)
                       for p, state in zip(params, states)]
        self.constants = np.empty(constant_count, first.dtype)
        self.constant_views = tuple(self.constants[i, ...] for i in range(constant_count))

    def serves(self, state, params):
        """Whether these flat arrays still serve a step of ``params``: the same parameters,
        each with a gradient, with the same state dicts (``optimizer.state``), still holding
        the views (``load_state_dict`` replaces them) and matching their parameters' dtype and
        shape, all at the same step if steps are counted. One pass over the parameters, the
        conditions of each in one expression: this runs every step (a plain loop over flat
        tuples: 1.8 us at W1's 8 parameters, 10.3 at W4's 53, against 2.2 and 13.5 with an
        inner loop over the names; ``map`` over each sequence measured 4.8 and 22)."""
        checks = self.checks
        if len(checks) != len(params):
            return False
        get = state.get
        first_name, second_name, third_name = self.names
        counts_steps = self.counts_steps
        step = self.states[0]["step"] if counts_steps else None
        for p, (q, p_state, shape, dtype, first, second, third) in zip(params, checks):
            array = p._array
            if (p is not q or p._grad is None or get(p) is not p_state
                    or p_state[first_name] is not first
                    or array.shape != shape or array.dtype != dtype
                    or (second is not None and p_state[second_name] is not second)
                    or (third is not None and p_state[third_name] is not third)
                    or (counts_steps and p_state["step"] != step)):
                return False
        return True

    def constants_for(self, dtype, values):
        """``values`` (Python floats) as constants of ``dtype``: the prepared 0-d arrays when it
        is the state's dtype, else NumPy scalars of ``dtype`` (the gradients' dtype can differ
        from the state's: a ``.data`` replaced since they were computed)."""
        if dtype == self.constants.dtype:
            self.constants[:] = values
            return self.constant_views
        return tuple(map(dtype.type, values))

    def subtract_update(self, params, decay=None):
        """``p -= update`` for each parameter (its view of ``scratch``), after ``p *= decay``
        if a decay is given (AdamW's), and each parameter's version bumped, as PyTorch's
        in-place update: a graph that saved ``p`` now refuses."""
        if decay is None:
            for array, update in zip(map(_ARRAY, params), self.update_views):
                array -= update  # (np.subtract with out= parses a keyword: 0.1 us a call more)
        else:
            for array, update in zip(map(_ARRAY, params), self.update_views):
                array *= decay
                array -= update
        bump_versions(params)
