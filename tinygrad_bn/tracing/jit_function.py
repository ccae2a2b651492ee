"""``jit`` and ``JitFunction``: which plan answers a call, when to capture, when to give up.

A call is keyed by the signature of its arguments (each tensor's shape, dtype, autograd state
and which other argument it is, every other argument's value), the grad mode and the default
dtype. A key has at most one plan; at most ``max_plans`` keys keep one (least recently used
first out, with one warning naming the argument whose changes make new keys). Calls from
several threads are served one at a time per function, so each gets what the same calls made
one after another would give.
"""

from __future__ import annotations

import dis
import functools
import inspect
import sys
import threading
import types
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd.grad_mode import thread_state
from ..tensor import Tensor
from .capture import Capture, TracerWarning
from .plan import MISS, Plan

DEFAULT_MAX_PLANS = 8
RETRIES = 2  # captures that differ from the one before, per key, before running eagerly


def jit(function: Callable[..., Any] | None = None, *,
        max_plans: int = DEFAULT_MAX_PLANS) -> Any:
    """Decorate a function (a training step) to be captured on its first calls and replayed
    after (see ``tinygrad_bn.tracing``). ``@jit`` or ``@jit(max_plans=4)``: at most
    ``max_plans`` argument signatures keep a plan."""
    if function is None:
        return lambda f: JitFunction(f, max_plans=max_plans)
    return JitFunction(function, max_plans=max_plans)


class JitFunction:
    """A function under ``jit``: calls it eagerly twice per argument signature while capturing,
    then replays the plan. ``plan`` is the plan of the latest call (None before one exists);
    ``plans`` maps each argument signature to its plan, least recently used first;
    ``replays`` counts the calls a plan answered; ``eager_reasons`` says why signatures run
    eagerly; ``reset()`` forgets them all."""

    def __init__(self, function: Callable[..., Any], max_plans: int = DEFAULT_MAX_PLANS) -> None:
        if not isinstance(max_plans, int) or isinstance(max_plans, bool) or max_plans < 1:
            raise ValueError(f"jit: max_plans must be a positive integer, got {max_plans!r}")
        functools.update_wrapper(self, function)
        self.function = function
        self.max_plans = max_plans
        self.plans: OrderedDict[Any, Plan] = OrderedDict()
        self.plan: Plan | None = None
        self.replays = 0
        self.eager_reasons: OrderedDict[Any, str] = OrderedDict()
        self._first_capture: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.RLock()
        self._misses = 0
        self._retries = {}  # key -> how many times its two captures differed
        self._warned = set()
        self._side_effect = _python_side_effect(function)

    def reset(self) -> None:
        """Forget every plan and capture: the next calls capture again."""
        with self._lock:
            self.plans.clear()
            self._first_capture.clear()
            self._retries.clear()
            self.eager_reasons.clear()
            self.plan = None
            self.replays = self._misses = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        state = thread_state
        if state.capture is not None:  # called inside another capture: part of that one
            return self.function(*args, **kwargs)
        signature = None if kwargs else _tensors_signature(args)
        if signature is not None:  # the common call, tensors only: what _flatten would give
            tensors = args
        else:
            tensors, signature = _flatten(args, kwargs)
            if signature is None:
                self._give_up(("unhashable",), "an argument that is neither a tensor nor "
                                               "hashable (its value cannot key a plan)")
                return self.function(*args, **kwargs)
        key = (state.grad_enabled, state.inference_mode, dtypes._default_float, signature)
        with self._lock:
            plan = self.plans.get(key)
            if plan is not None:
                result = plan.replay(*tensors)
                if result is not MISS:
                    self.plans.move_to_end(key)
                    self.plan = plan
                    self.replays += 1
                    return result
                self._missed(key, plan)
            if key not in self.eager_reasons:
                return self._capture(key, tensors, args, kwargs)
        return self.function(*args, **kwargs)

    # ------------------------------------------------------------------ capturing

    def _capture(self, key, tensors, args, kwargs):
        if self._side_effect is not None:
            self._give_up(key, self._side_effect)
            return self.function(*args, **kwargs)
        capture = Capture(tensors)
        result = capture.run(self.function, args, kwargs)
        if capture.refusal is not None:
            self._give_up(key, capture.refusal)
            return result
        first = self._first_capture.pop(key, None)
        if first is None:  # the first capture: kept to check the second against
            self._bounded(self._first_capture, key, capture.trace)
            return result
        difference = first.difference(capture.trace)
        if difference is not None:
            # Something changed between the two calls: perhaps once (a new optimizer, a setting
            # changed), so the latest capture is checked against the next call's, twice, before
            # the function is taken to differ every call.
            retries = self._retries.get(key, 0)
            if retries < RETRIES:
                self._retries[key] = retries + 1
                self._bounded(self._first_capture, key, capture.trace)
                return result
            self._give_up(key, difference)
            return result
        self._retries.pop(key, None)
        try:
            plan = Plan(capture.trace, self.__name__, watched_names(self.function))
        except Exception as error:  # noqa: BLE001 - a plan that cannot be built is not used
            self._give_up(key, f"its plan could not be built ({type(error).__name__}: {error})")
            return result
        self._bounded(self.plans, key, plan)
        self.plan = plan
        return result

    def _bounded(self, table, key, value):
        """Store ``key`` in a table of at most ``max_plans`` entries, dropping the least
        recently used one (with a warning, once, naming what keeps changing)."""
        table[key] = value
        table.move_to_end(key)
        if len(table) > self.max_plans:
            old_key, _ = table.popitem(last=False)
            self._retries.pop(old_key, None)
            if "too many" not in self._warned:
                self._warned.add("too many")
                self._warn(f"more than max_plans={self.max_plans} argument signatures, so the "
                           f"least recently used plan is dropped and captured again when it "
                           f"comes back: {self._what_varies(old_key, key)}")

    def _missed(self, key, plan):
        """A guard failed: drop the plan (the caller captures again), and when that keeps
        happening say which guard."""
        reason = plan.why_missed() or "a guard failed"
        del self.plans[key]
        self._misses += 1
        if self._misses >= self.max_plans and "misses" not in self._warned:
            self._warned.add("misses")
            self._warn(f"captured again {self._misses} times because {reason} between calls "
                       "(each capture runs the function eagerly twice)")

    def _give_up(self, key, reason):
        """Run the function eagerly from now on for arguments with this key, and say why
        (once per reason)."""
        self._first_capture.pop(key, None)
        self._retries.pop(key, None)
        self.eager_reasons[key] = reason
        self.eager_reasons.move_to_end(key)
        while len(self.eager_reasons) > 4 * self.max_plans:
            self.eager_reasons.popitem(last=False)
        if reason not in self._warned:
            self._warned.add(reason)
            self._warn(f"runs eagerly for these arguments: {reason}")

    def _warn(self, text):
        """Warn once, pointing at the line that called the jitted function."""
        frame, level = sys._getframe(0), 1  # stacklevel 1 is this frame
        while frame is not None and frame.f_code.co_filename == __file__:
            frame, level = frame.f_back, level + 1
        warnings.warn(f"jit: {self.__name__} {text}", TracerWarning, stacklevel=level)

    def _what_varies(self, old_key, new_key):
        """Which argument differs between two keys, in words."""
        names = ["grad mode", "inference mode", "the default dtype"]
        for name, old, new in zip(names, old_key, new_key):
            if old != new:
                return f"{name} differs between calls"
        (old_args, old_kwargs), (new_args, new_kwargs) = old_key[3], new_key[3]
        parameters = _parameter_names(self.function)
        pairs = [(parameters[i] if i < len(parameters) else f"argument {i}", a, b)
                 for i, (a, b) in enumerate(zip(old_args, new_args))]
        pairs += [(name, a, b) for (name, a), (_, b) in zip(old_kwargs, new_kwargs)]
        for name, old, new in pairs:
            if old != new:
                return f"argument {name!r} {_describe_change(old, new)}"
        return "the arguments differ in number or structure between calls"

    def __repr__(self):
        return f"jit({self.function!r}, {len(self.plans)} plan(s))"


# --------------------------------------------------------------------------- argument keys


def _flatten(args, kwargs):
    """The tensors and NumPy arrays among the arguments (in nested lists, tuples and dicts) in
    order, and a hashable signature: ``(positional, keyword)``, each tensor as its shape, dtype,
    autograd state and aliasing (the same tensor, or the same array, as an earlier argument),
    each array as its shape, dtype and aliasing, anything else as itself. The signature is None
    when something is unhashable."""
    tensors, seen = [], {}
    try:
        positional = tuple([_signature(a, tensors, seen) for a in args])
        keyword = tuple([(k, _signature(v, tensors, seen)) for k, v in kwargs.items()])
    except TypeError:
        return tensors, None
    return tensors, (positional, keyword)


def _tensors_signature(args):
    """``_flatten``'s signature when every argument is a tensor passed by position (a training
    step's batch), computed without its general walk: the same tuples, aliases found by
    comparing with the earlier arguments. None when some argument is not a tensor (or there
    are too many for pairwise comparisons to pay), for ``_flatten`` to walk."""
    if len(args) > 4:
        return None
    parts = []
    for position, item in enumerate(args):
        if not isinstance(item, Tensor):
            return None
        array = item._array
        alias = None
        for earlier in range(position):  # the first earlier argument that is this tensor...
            if args[earlier] is item:
                alias = ("same", earlier)
                break
        else:
            for earlier in range(position):  # ...else the first that holds this array
                if args[earlier]._array is array:
                    alias = ("shares", earlier)
                    break
        parts.append(("tensor", array.shape, array.dtype, item._requires_grad,
                      item.grad_fn is None, alias))
    return (tuple(parts), ())


def _signature(item, tensors, seen):
    """``_flatten``'s walk (a module-level function: a nested one that calls itself would make
    a reference cycle per call, holding the arguments until the garbage collector runs)."""
    if isinstance(item, Tensor):
        array = item._array
        alias = seen.get(id(item))
        if alias is None:
            alias = seen.get(id(array))
            seen[id(item)] = ("same", len(tensors))
            seen.setdefault(id(array), ("shares", len(tensors)))
        tensors.append(item)
        return ("tensor", array.shape, array.dtype, item._requires_grad,
                item.grad_fn is None, alias)
    if isinstance(item, np.ndarray):  # data for the function to make tensors of
        alias = seen.get(id(item))
        seen.setdefault(id(item), ("shares", len(tensors)))
        tensors.append(item)
        return ("ndarray", item.shape, item.dtype, alias)
    if isinstance(item, (list, tuple)):
        return (type(item).__name__, tuple([_signature(i, tensors, seen) for i in item]))
    if isinstance(item, dict):
        return ("dict", tuple([(k, _signature(v, tensors, seen)) for k, v in item.items()]))
    hash(item)
    return ("value", type(item), item)


def _parameter_names(function):
    try:
        return [p.name for p in inspect.signature(function).parameters.values()]
    except (TypeError, ValueError):
        return []


def _describe_change(old, new):
    if old[0] in ("tensor", "ndarray") and new[0] == old[0]:
        if old[1] != new[1]:
            return f"changes shape between calls ({old[1]}, then {new[1]})"
        if old[2] != new[2]:
            return "changes dtype between calls"
        return "changes requires_grad, or which other argument it is, between calls"
    if old[0] == "value" and new[0] == "value":
        return (f"is a Python {old[1].__name__} whose value changes between calls "
                f"({old[2]!r}, then {new[2]!r}): pass it as a tensor so that one plan serves "
                "every value")
    return "changes type or structure between calls"


# --------------------------------------------------------------------------- names read


def watched_names(function):
    """What a plan must see unchanged to stand for ``function``: ``(where, key, value,
    description)`` for every global name its code reads (``where`` the globals dict), every
    variable of enclosing functions (``where`` the cell, ``key`` None) and, for a bound method,
    every attribute of ``self`` (``where`` its ``__dict__``), followed into the user's own
    functions it reaches that way. Rebinding any (``model = Net()``, a new optimizer) makes
    the plan capture again instead of training the old objects."""
    found, visited, todo = [], set(), [function]
    while todo and len(visited) < 64:
        current = todo.pop()
        if id(current) in visited:
            continue
        visited.add(id(current))
        if inspect.ismethod(current):
            owner = current.__self__
            for name, value in list(getattr(owner, "__dict__", {}).items()):
                found.append((owner.__dict__, name, value, f"self.{name}"))
            current = current.__func__
        code = getattr(current, "__code__", None)
        if code is None:
            continue
        namespace = current.__globals__
        for name in sorted(_names_read(code)):
            if name in namespace:
                value = namespace[name]
                found.append((namespace, name, value, f"the global {name!r}"))
                if _users_own(value):
                    todo.append(value)
        for name, cell in zip(code.co_freevars, current.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # not bound yet
                continue
            found.append((cell, None, value, f"the variable {name!r} of the enclosing function"))
            if _users_own(value):
                todo.append(value)
    return found


def _names_read(code):
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):  # comprehensions, lambdas, nested functions
            names |= _names_read(constant)
    return names


def _users_own(value):
    """Whether ``value`` is a function or method written by the user (not the framework's,
    NumPy's or the standard library's), whose own globals a step may read."""
    target = getattr(value, "__func__", value)
    if not inspect.isfunction(target):
        return False
    module = target.__module__ or ""
    return not module.startswith(("tinygrad_bn", "numpy")) and module not in (
        "functools", "builtins")


def _python_side_effect(function):
    """Why a replay would miss what ``function`` does in Python, found in its code: it assigns
    a global or a variable of an enclosing function (``global step; step += 1``), which a
    replay never does. None when it does neither."""
    target = getattr(function, "__func__", function)
    code = getattr(target, "__code__", None)
    if code is None:
        return None
    for instruction in _instructions(code):
        if instruction.opname in ("STORE_GLOBAL", "DELETE_GLOBAL"):
            return (f"it assigns the global {instruction.argval!r}, which a replay would not "
                    "do (keep such counters outside the jitted function)")
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("STORE_DEREF", "DELETE_DEREF") and \
                instruction.argval in code.co_freevars:
            return (f"it assigns {instruction.argval!r} of the enclosing function (nonlocal), "
                    "which a replay would not do (keep such counters outside the jitted "
                    "function)")
    return None


def _instructions(code):
    yield from dis.get_instructions(code)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _instructions(constant)
