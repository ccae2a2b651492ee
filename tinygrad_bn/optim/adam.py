"""Adam and AdamW: adaptive moment estimation, with PyTorch's bias correction and order of
operations."""

from __future__ import annotations

import operator

import numpy as np

from ..autograd import no_grad
from ..autograd.graph import bump_versions
from .optimizer import Optimizer, Params, check_state_shape, silent_on_nonfinite


class Adam(Optimizer):
    """PyTorch's ``Adam``. At step ``t`` (from 1), for each parameter ``p`` with gradient ``g``::

        g   = g + weight_decay * p                 (L2 penalty, if weight_decay)
        m   = m + (1 - beta1) * (g - m)            (first moment, PyTorch's lerp)
        v   = beta2 * v + (1 - beta2) * g * g      (second moment)
        v_max = max(v_max, v); use v_max for v     (if amsgrad)
        denom = sqrt(v) / sqrt(1 - beta2**t) + eps
        p   = p - lr / (1 - beta1**t) * m / denom

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v) and with amsgrad
    ``max_exp_avg_sq``. Parameters whose ``.grad`` is None are skipped.
    """

    decoupled_weight_decay = False

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))
        self._flat = {}  # group index -> flat moment arrays the per-parameter state views into

    @no_grad()
    @silent_on_nonfinite
    def step(self) -> None:
        flats, state = self._flat, self.state
        for index, group in enumerate(self.param_groups):
            params = group["params"]
            flat = flats.get(index)
            if flat is None or not flat.serves(state, params):
                params = [p for p in params if p._grad is not None]
                if not params:
                    continue
                flat = self._flat_moments(index, group, params)
                if flat is None:
                    for p in params:
                        self._update(group, p, self._state(p, group))
                    continue
            flat.update(group, params, self.decoupled_weight_decay)

    def __getstate__(self):
        """A copy (``copy.deepcopy``, pickle) leaves the flat moments out: copied, the
        per-parameter states would no longer view them (a copy of a view is an array of its
        own), so the copy would update arrays nothing reads. It rebuilds them from its own
        states at its first step."""
        state = self.__dict__.copy()
        state["_flat"] = {}
        return state

    def _state(self, p, group):
        state = self.state.get(p)
        if state is None:
            state = self.state[p] = {"step": 0, "exp_avg": np.zeros_like(p._array),
                                     "exp_avg_sq": np.zeros_like(p._array)}
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p._array)
        else:
            check_state_shape(p, state["exp_avg"])
        return state

    def _flat_moments(self, index, group, params):
        """The group's moments as flat arrays that each parameter's state views into, so one
        step is a handful of vectorised calls instead of a dozen per parameter. None (per-
        parameter updates instead) unless every parameter has a gradient, all share a dtype and
        all have taken the same number of steps."""
        flat = self._flat.get(index)
        if flat is not None and flat.serves(self.state, params):
            return flat
        if len(params) != len(group["params"]) or len({p._array.dtype for p in params}) != 1:
            return None
        states = [self._state(p, group) for p in params]
        if len({state["step"] for state in states}) != 1:
            return None
        flat = self._flat[index] = _FlatMoments(params, states)  # (re)built, e.g. after loading
        return flat

    def _update(self, group, p, state):
        """One Adam step of parameter ``p`` with its own ``state``, in PyTorch's order of
        operations, in place: the constants are of the parameter's dtype (what NumPy would
        convert a Python float to on every call). A group whose parameters step together is
        updated by ``_FlatMoments.update`` instead, with the same arithmetic."""
        scalar = p._grad._array.dtype.type  # (the L2 penalty can promote the gradient)
        grad, decay = _gradient_and_decay(group, p._grad._array, lambda: p._array,
                                          self.decoupled_weight_decay)
        if decay is not None:
            p._array *= decay
        step = state["step"] = state["step"] + 1
        scratch = np.empty(grad.shape, grad.dtype)
        _adam_passes(grad, state["exp_avg"], state["exp_avg_sq"],
                     state.get("max_exp_avg_sq") if group["amsgrad"] else None, scratch,
                     *map(scalar, _step_constants(group, step)))
        p._array -= scratch
        p._bump_version()


_CHUNK = 65536  # elements: 256 KiB of float32 per array, so that a chunk's arrays fit in L2

_GRAD_ARRAY = operator.attrgetter("_grad._array")
_ARRAY = operator.attrgetter("_array")


def _gradient_and_decay(group, grad, weights, decoupled):
    """The gradient Adam's passes read (negated if ``maximize``; plus ``weight_decay *
    weights()``, Adam's L2 penalty) and AdamW's decay factor ``1 - lr * weight_decay`` of the
    gradient's dtype, for ``p *= decay`` before the update (None if there is none).
    ``weights`` is called only for the L2 penalty."""
    if group["maximize"]:
        grad = -grad
    weight_decay = group["weight_decay"]
    if not weight_decay:
        return grad, None
    if decoupled:
        return grad, grad.dtype.type(1 - group["lr"] * weight_decay)
    return grad + weight_decay * weights(), None


def _step_constants(group, step):
    """The six Python floats ``_adam_passes`` takes at step ``step`` (from 1), in its order:
    ``1 - beta1``, ``beta2``, ``1 - beta2``, ``sqrt(1 - beta2**step)``, ``eps`` and ``lr / (1 -
    beta1**step)``."""
    beta1, beta2 = group["betas"]
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    return (1 - beta1, beta2, 1 - beta2, bias_correction2_sqrt, group["eps"],
            group["lr"] / bias_correction1)


def _adam_passes(grad, exp_avg, exp_avg_sq, max_exp_avg_sq, scratch, one_minus_beta1, beta2,
                 one_minus_beta2, bias_correction2_sqrt, eps, step_size):
    """Adam's element-wise update, in place and in PyTorch's order:
    ``m += (1 - beta1) * (g - m)``, ``v = beta2 * v + (1 - beta2) * g * g``, and
    ``step_size * (m / (sqrt(v) / sqrt(1 - beta2**t) + eps))`` left in ``scratch``."""
    np.subtract(grad, exp_avg, out=scratch)
    scratch *= one_minus_beta1
    exp_avg += scratch
    exp_avg_sq *= beta2
    np.multiply(grad, one_minus_beta2, out=scratch)
    scratch *= grad
    exp_avg_sq += scratch
    second_moment = exp_avg_sq
    if max_exp_avg_sq is not None:  # AMSGrad
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second_moment = max_exp_avg_sq
    denom = np.sqrt(second_moment, out=scratch)
    denom /= bias_correction2_sqrt
    denom += eps
    # addcdiv_'s rounding: value * (exp_avg / denom)
    np.divide(exp_avg, denom, out=scratch)
    scratch *= step_size


_MOMENTS = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")


class _FlatMoments:
    """A parameter group's moments kept as flat arrays (``exp_avg``, ``exp_avg_sq`` and with
    amsgrad ``max_exp_avg_sq``), each parameter's state holding views into them, with what a
    step needs prepared once: one scratch buffer for the intermediate results and then the
    update (each parameter subtracts its view of it), and the six constants as 0-d arrays of
    the parameters' dtype (a ufunc takes a 0-d array faster than a NumPy scalar: 2 us of W1's
    step). A step allocates only the flat gradient."""

    __slots__ = ("states", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "scratch",
                 "update_views", "checks", "constants", "constant_views")

    def __init__(self, params, states):
        names = [name for name in _MOMENTS if name in states[0]]
        moments = {name: np.concatenate([state[name].reshape(-1) for state in states])
                   for name in names}
        self.states = states
        self.exp_avg, self.exp_avg_sq = moments["exp_avg"], moments["exp_avg_sq"]
        self.max_exp_avg_sq = moments.get("max_exp_avg_sq")
        self.scratch = np.empty_like(self.exp_avg)
        self.update_views, offset = [], 0
        for p, state in zip(params, states):
            shape, size = p._array.shape, p._array.size
            for name in names:
                state[name] = moments[name][offset:offset + size].reshape(shape)
            self.update_views.append(self.scratch[offset:offset + size].reshape(shape))
            offset += size
        self.checks = [(p, state, state["exp_avg"].shape, state["exp_avg"].dtype,
                        state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq"))
                       for p, state in zip(params, states)]
        self.constants = np.empty(6, self.exp_avg.dtype)
        self.constant_views = tuple(self.constants[i, ...] for i in range(6))

    def serves(self, state, params):
        """Whether these flat moments still serve a step of ``params``: the same parameters,
        each with a gradient, with the same state dicts (``optimizer.state``), still holding
        the views (``load_state_dict`` replaces them) and matching their parameters' dtype and
        shape, all at the same step. One pass over the parameters, the conditions of each in
        one expression: this runs every step (a plain loop over flat tuples: 1.8 us at W1's 8
        parameters, 10.3 at W4's 53, against 2.2 and 13.5 with an inner loop over the moments'
        names; ``map`` over each sequence measured 4.8 and 22)."""
        checks = self.checks
        if len(checks) != len(params):
            return False
        get = state.get
        step = self.states[0]["step"]
        for p, (q, p_state, shape, dtype, exp_avg, exp_avg_sq, max_exp_avg_sq) in zip(params,
                                                                                    checks):
            array = p._array
            if (p is not q or p._grad is None or get(p) is not p_state
                    or p_state["exp_avg"] is not exp_avg or p_state["exp_avg_sq"] is not exp_avg_sq
                    or array.shape != shape or array.dtype != dtype or p_state["step"] != step
                    or (max_exp_avg_sq is not None
                        and p_state["max_exp_avg_sq"] is not max_exp_avg_sq)):
                return False
        return True

    def update(self, group, params, decoupled):
        """One Adam step of the whole group over the flat arrays: ``_update``'s arithmetic for
        every parameter at once, then ``p -= update`` for each (after ``p *= decay`` if AdamW
        decays it: the passes read a copy of the gradients, never ``p``, so decaying here,
        while ``p`` is in cache, gives what decaying first gives).

        The flat gradient is a new array, not a buffer kept between steps: in W4's step the
        fresh one measured faster (894 us against 928 for AdamW's step; it reuses memory still
        in cache), and it keeps the gradients' own dtype (a ``.data`` replaced since the
        gradients were computed can make it differ from the moments')."""
        grad, decay = _gradient_and_decay(
            group, np.concatenate(list(map(_GRAD_ARRAY, params)), axis=None),
            lambda: np.concatenate(list(map(_ARRAY, params)), axis=None), decoupled)
        step = self.states[0]["step"] + 1
        for state in self.states:
            state["step"] = step
        constants = _step_constants(group, step)
        if grad.dtype == self.constants.dtype:
            self.constants[:] = constants
            constants = self.constant_views
        else:  # gradients of another dtype than the moments' (see above)
            constants = tuple(map(grad.dtype.type, constants))
        arrays = (grad, self.exp_avg, self.exp_avg_sq,
                  self.max_exp_avg_sq if group["amsgrad"] else None, self.scratch)
        if grad.size <= _CHUNK:  # a small model: one pass each
            _adam_passes(*arrays, *constants)
        else:
            for start in range(0, grad.size, _CHUNK):  # in chunks that stay in the CPU's cache
                _adam_passes(*[None if a is None else a[start:start + _CHUNK] for a in arrays],
                             *constants)
        if decay is None:
            for array, update in zip(map(_ARRAY, params), self.update_views):
                array -= update  # (np.subtract with out= parses a keyword: 0.1 us a call more)
        else:
            for array, update in zip(map(_ARRAY, params), self.update_views):
                array *= decay
                array -= update
        bump_versions(params)  # as PyTorch's in-place update: a graph that saved p now refuses


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): before the Adam update,
    ``p = p * (1 - lr * weight_decay)``, and the gradient carries no L2 term. Default
    ``weight_decay=1e-2``, as in PyTorch."""

    decoupled_weight_decay = True

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
