"""``Optimizer``, the base of every optimizer: parameter groups, per-parameter state,
``zero_grad``, ``state_dict``/``load_state_dict`` and PyTorch's hooks (per optimizer, and the
global step hooks ``register_optimizer_step_pre_hook``/``post_hook``); and the checks and
scalar helpers the optimizers share."""

from __future__ import annotations

import copy
import functools
import itertools
import warnings
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from typing import Any, Callable, Union

import numpy as np

from ..autograd import enable_grad, graph
from ..autograd.graph import replayable
from ..autograd.hooks import RemovableHandle
from ..dtypes import get_default_dtype
from ..nn.module import clear_grads
from ..layouts import SPARSE_GRADIENTS
from ..shapes import broadcast_error
from ..tensor import Tensor
from ..tensor_types import typename

def _false(_value):
    return False


# What optimizers take: tensors, or parameter groups (dicts with "params" and options).
Params = Union[Iterable[Tensor], Iterable[dict[str, Any]]]


_ARGUMENT_WORDS = {"lr": "learning rate", "eps": "epsilon value"}


class _RequiredParameter:
    """The default of a hyperparameter every group must give (``required``), as PyTorch's."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

# Hooks every optimizer's step calls (``register_optimizer_step_pre_hook``/``post_hook``):
# the pre-hooks before each optimizer's own, the post-hooks after.
_global_optimizer_pre_hooks: dict[int, Callable] = OrderedDict()
_global_optimizer_post_hooks: dict[int, Callable] = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``, called
    before every optimizer's ``step`` (before the optimizer's own pre-hooks)."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs) -> None``, called after every optimizer's
    ``step`` (after the optimizer's own post-hooks)."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _step_with_hooks(step):
    """``step`` run between the step pre-hooks (global ones first; one returning ``(args,
    kwargs)`` replaces them for the rest and for ``step``) and the post-hooks (the optimizer's
    own first), as PyTorch's ``Optimizer.profile_hook_step``, once per call from outside (a
    subclass's ``step`` that calls ``super().step()`` runs them once). Without hooks, one
    check of four dicts (0.1 us)."""

    @functools.wraps(step)
    def hooked(self, *args, **kwargs):
        if SPARSE_GRADIENTS.made and not self.supports_sparse_gradients:
            refuse_sparse_gradients(self)
        pre_hooks, post_hooks = self._optimizer_step_pre_hooks, self._optimizer_step_post_hooks
        if not (pre_hooks or post_hooks or _global_optimizer_pre_hooks
                or _global_optimizer_post_hooks) or self.__dict__.get("_running_step_hooks"):
            return step(self, *args, **kwargs)
        self._running_step_hooks = True  # (a subclass's step calling super().step(): once)
        try:
            return _run_with_step_hooks(step, self, args, kwargs, pre_hooks, post_hooks)
        finally:
            self._running_step_hooks = False

    return hooked


def _run_with_step_hooks(step, self, args, kwargs, pre_hooks, post_hooks):
    """``_step_with_hooks``'s work where there are hooks."""
    args = (self, *args)
    for pre_hook in itertools.chain(_global_optimizer_pre_hooks.values(), pre_hooks.values()):
        result = pre_hook(self, args, kwargs)
        if result is not None:
            if isinstance(result, tuple) and len(result) == 2:
                args, kwargs = result
            else:
                raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                   f"new_kwargs), but got {result}.")
    out = step(*args, **kwargs)
    for post_hook in itertools.chain(post_hooks.values(), _global_optimizer_post_hooks.values()):
        post_hook(self, args, kwargs)
    return out


_HOOK_DICTS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
               "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
               "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks")

_ERRSTATE_DECORATOR_PER_CALL = int(np.__version__.split(".")[0]) >= 2


def refuse_sparse_gradients(optimizer) -> None:
    """PyTorch's error for a sparse gradient (``Embedding(sparse=True)``'s) given to an
    optimizer that takes dense ones only, raised before anything is updated. Checked only once
    a sparse gradient has been made (``SPARSE_GRADIENTS.made``), so a dense step pays one
    attribute read."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p._grad is not None and p._grad.is_sparse:
                name = type(optimizer).__name__
                if name in ("Adam", "AdamW"):
                    raise RuntimeError("Adam does not support sparse gradients, please consider "
                                       "SparseAdam instead")
                raise RuntimeError(f"{name} does not support sparse gradients")


def check_non_negative(**hyperparameters: float) -> None:
    """Raise PyTorch's ``ValueError("Invalid <name> value: <value>")`` for the first negative
    one, checked in the order given (``lr`` is "learning rate", ``eps`` "epsilon value"); an
    ``lr`` given as a tensor must have one element (``check_tensor_lr``, checked first)."""
    check_tensor_lr(hyperparameters.get("lr"))
    for name, value in hyperparameters.items():
        if value < 0:
            raise ValueError(f"Invalid {_ARGUMENT_WORDS.get(name, name + ' value')}: {value}")


def silent_on_nonfinite(step):
    """Run an optimizer's ``step`` under ``np.errstate`` that ignores inf and nan arithmetic: an
    inf or nan gradient makes inf or nan weights, as in PyTorch, without NumPy's
    RuntimeWarnings (silenced here at the arithmetic, never by a warnings filter, so it holds
    under pytest's warning capture too).

    From NumPy 2 on, ``np.errstate`` used as a decorator sets the state afresh in each call
    (a context variable: safe in threads and nested calls) and costs 0.6 us a step against
    1.5 for a ``with`` block; NumPy 1's decorator keeps the saved state on the one instance,
    so there the ``with`` block is used."""
    if _ERRSTATE_DECORATOR_PER_CALL:
        return np.errstate(invalid="ignore", divide="ignore", over="ignore")(step)

    @functools.wraps(step)
    def quiet_step(self, *args, **kwargs):
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return step(self, *args, **kwargs)
    return quiet_step


def scalar_state(value: float) -> np.ndarray:
    """A per-parameter scalar kept in state (NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``)
    as PyTorch keeps it: a 0-d array of float64 when that is the default dtype, else of
    float32, so that it is rounded as PyTorch rounds it at every step."""
    dtype = np.float64 if get_default_dtype() == np.float64 else np.float32
    return np.array(value, dtype)


def check_tensor_lr(lr) -> None:
    """PyTorch's first check in every optimizer: a learning rate given as a tensor has one
    element."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")


def check_fused_foreach(fused, foreach, differentiable) -> None:
    """PyTorch's checks of the implementation flags, in its order: ``fused`` excludes
    ``differentiable`` and ``foreach``. (Every flag picks one of PyTorch's implementations of
    one update rule; tinygrad_bn has one, PyTorch's single-tensor CPU loop, which its CPU
    ``foreach`` path matches and its CPU ``fused`` kernels match to rounding.)"""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def check_step_flags(group: dict[str, Any], state_names: str = "params and state_steps",
                     xla: bool = True) -> None:
    """What PyTorch's step does on the CPU with the flags it cannot honour there:
    ``capturable=True`` fails its device check (an ``AssertionError`` naming the state
    ``state_names`` it checks), and ``differentiable=True`` makes its in-place update of a leaf
    that requires grad fail (every parameter is a leaf here: tinygrad_bn's optimizers do not
    record their step in the graph, so they refuse non-leaf parameters even then)."""
    if group.get("capturable"):
        devices = ["cuda", "xpu", "hpu", "privateuseone"] + (["xla"] if xla else [])
        raise AssertionError(f"If capturable=True, {state_names} must be on supported devices: "
                             f"{devices}.")
    if group.get("differentiable"):
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")


def evaluate_closure(closure: Callable[[], Any] | None) -> Any:
    """What PyTorch's ``step(closure)`` does first: call ``closure`` (which recomputes the loss
    and its gradients) with grad enabled, the step itself running under ``no_grad``, and
    return its loss for ``step`` to return; None without one."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def scalar_value(value) -> float:
    """A hyperparameter given as a 1-element Tensor (``lr=torch.tensor(0.01)``) as the Python
    float PyTorch's single-tensor step reads from it (``lr.item()``); a number as it is."""
    return value.item() if isinstance(value, Tensor) else value


def step_tensor(step, fused: bool = False) -> Tensor:
    """A state's ``step`` as PyTorch keeps it and saves it: a 0-d tensor of float64 when that
    is the default dtype, else of float32, and always float32 for a ``fused`` group
    (tinygrad_bn counts in a Python int, which ``state_dict`` converts and ``load_state_dict``
    converts back)."""
    return Tensor(np.array(float(step), np.float32) if fused else scalar_state(float(step)))


def scalar_update(entry: np.ndarray, value) -> np.ndarray:
    """``value`` as a new 0-d state ``entry`` of that entry's dtype, as PyTorch's in-place
    updates (``mu_product *= mu``, ``eta.copy_(...)``) keep it: the default float dtype when
    made, the parameter's after ``load_state_dict``."""
    return np.array(value, entry.dtype)


def check_state_shape(p: Tensor, moment: np.ndarray) -> None:
    """A parameter whose ``.data`` was replaced by one of another shape no longer matches the
    state kept for it: PyTorch's broadcasting error (state first, parameter second), not
    NumPy's."""
    if moment.shape != p._array.shape:
        raise RuntimeError(broadcast_error(moment.shape, p._array.shape, name_shapes=False))


class ParamGroup(dict):
    """One parameter group: a dict of ``"params"`` and the hyperparameters, as in PyTorch. Its
    own class only so that a jit capture can watch it (``watch_param_groups``)."""

    __slots__ = ()


class _WatchedParamGroup(ParamGroup):
    """What a ``ParamGroup`` is while a jit capture runs: a read of a setting is reported, so
    that a replay reads the same setting afresh (``lr`` changes under a scheduler), and an
    assignment refuses the capture, since a replay would not make it."""

    __slots__ = ()

    def __getitem__(self, key):
        return graph.live_read((self, key), dict.__getitem__(self, key))

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __setitem__(self, key, value):
        graph.untraceable(f"a parameter group's {key!r} is assigned inside the function, which "
                          "a replay would not do (change it between calls)")
        dict.__setitem__(self, key, value)


_optimizers = weakref.WeakSet()


def watch_param_groups(on: bool) -> None:
    """Make every optimizer's parameter groups report reads to jit captures (``on``), or stop
    (the class of each group is switched, so that the optimizers pay nothing otherwise)."""
    for optimizer in list(_optimizers):
        for group in optimizer.param_groups:
            if isinstance(group, ParamGroup):
                group.__class__ = _WatchedParamGroup if on else ParamGroup


class Optimizer:
    """Base class: holds ``param_groups`` (dicts with ``"params"`` and the hyperparameters,
    missing ones filled from ``defaults``) and ``state`` (a dict per parameter, keyed by the
    parameter). Subclasses implement ``step()``.

    ``params`` is an iterable of tensors, or of dicts that each define a group with its own
    options (``[{"params": model.fc1.parameters(), "lr": 0.1}, ...]``).
    """

    supports_sparse_gradients = False  # SGD, Adagrad, LBFGS and SparseAdam: True

    def __init_subclass__(cls, **kwargs):
        """Each subclass's own ``step`` runs its step hooks (``_step_with_hooks``) and is
        ``replayable``: a jit capture records the call whole and replays run it again, hooks
        included, with the hyperparameters of the moment."""
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = replayable(_step_with_hooks(cls.__dict__["step"]))

    def __getstate__(self) -> dict[str, Any]:
        """A copy (``copy.deepcopy``, pickle) leaves the flat state (``FlatState``) out: copied,
        the per-parameter states would no longer view it (a copy of a view is an array of its
        own), so the copy would update arrays nothing reads. It rebuilds it from its own
        states at its first step. The hooks are left out too, as PyTorch leaves them."""
        state = self.__dict__.copy()
        state["_flat"] = {}
        for name in _HOOK_DICTS:
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A copy (``copy.deepcopy``, pickle) is an optimizer like one made by ``__init__``:
        registered, so that a jit capture watches its parameter groups (unregistered, a
        replay would keep a learning rate it read at capture after a scheduler changed it),
        with no hooks."""
        self.__dict__.update(state)
        self._flat = {}  # (a copy pickled before optimizers kept one has none)
        for name in _HOOK_DICTS:
            self.__dict__.setdefault(name, OrderedDict())
        _optimizers.add(self)

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        for name in _HOOK_DICTS:
            setattr(self, name, OrderedDict())
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {typename(params)}")
        self.param_groups = []
        self.state = defaultdict(dict)  # (PyTorch's: reading a new parameter's state is {})
        self._flat = {}  # group index -> its FlatState, for the optimizers that keep one
        _optimizers.add(self)
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group: a dict with ``"params"`` (a tensor, or an ordered iterable of
        leaf tensors or of ``(name, tensor)`` pairs, whose names are kept as
        ``"param_names"``) and any hyperparameters, the missing ones taken from the
        optimizer's defaults. PyTorch's checks, messages and order: a set of parameters, a
        non-tensor, a non-leaf, a ``required`` hyperparameter not given, names on some
        parameters or groups only, and a parameter already in another group raise; one
        repeated within the group warns."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        group = ParamGroup(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        group["params"] = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            group["param_names"] = names
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + typename(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        if len({id(p) for p in group["params"]}) != len(group["params"]):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        existing = set()
        for other in self.param_groups:
            existing.update(id(p) for p in other["params"])
            if ("param_names" in group) != ("param_names" in other):
                which = "with names" if "param_names" in group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not existing.isdisjoint(id(p) for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``, called
        before each ``step`` (after the global pre-hooks); ``args`` starts with the optimizer.
        Returns a handle whose ``remove()`` unregisters it."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None``, called after each ``step``
        (before the global post-hooks)."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook: Callable,
                                     prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer) -> None``, called at the start of ``state_dict()``
        (first of all with ``prepend``)."""
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable,
                                      prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> state_dict or None``, called on the dict
        ``state_dict()`` made; a dict it returns replaces it."""
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable,
                                          prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> state_dict or None``, called on (a shallow
        copy of) the dict ``load_state_dict`` was given, before it loads; a dict it returns is
        loaded instead."""
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable,
                                           prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer) -> None``, called after ``load_state_dict`` loaded."""
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    @replayable
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: to None (default), or to zeros in place."""
        for group in self.param_groups:
            clear_grads(group["params"], set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient by one step of this algorithm (the subclass's
        docstring gives the formula), without recording anything in the graph; parameters whose
        ``.grad`` is None are skipped, as in PyTorch. A ``closure`` is called first (with grad
        enabled) and its loss returned (``evaluate_closure``)."""
        raise NotImplementedError(f"{type(self).__name__} does not define step")

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: ``{"state": {index: {...}}, "param_groups": [{..., "params":
        [indices]}]}``, parameters numbered in group order (``"param_names"`` too where the
        parameters were given with names). State arrays are copies. The state-dict pre-hooks
        run first, the post-hooks on the result (one returning a dict replaces it)."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index = {}
        groups = []
        for group in self.param_groups:
            entry = {k: v for k, v in group.items() if k != "params"}
            entry["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                entry["params"].append(index[id(p)])
            groups.append(entry)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = self._saved_state(self.state[p], group)
        state_dict = {"state": state, "param_groups": groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def _saved_state(self, p_state: dict[str, Any], group: dict[str, Any]) -> dict[str, Any]:
        """One parameter's state (its group ``group``) as ``state_dict`` saves it: arrays as
        tensors (copies), ``step`` as PyTorch's 0-d tensor (``step_tensor``)."""
        fused = bool(group.get("fused"))
        if SPARSE_GRADIENTS.made:  # SGD's buffer may be sparse; the sparse package builds on optim
            from ..sparse.coo import is_sparse_array, sparse_tensor
        else:
            is_sparse_array, sparse_tensor = _false, None
        return {k: (Tensor(v) if isinstance(v, (Tensor, np.ndarray))
                    else step_tensor(v, fused) if k == "step" and isinstance(v, (int, float))
                    else sparse_tensor(v.copy()) if is_sparse_array(v)  # SGD's sparse buffer
                    else v)
                for k, v in p_state.items()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (possibly through
        ``tinygrad_bn.save``/``load``). The group structure and parameter shapes must match;
        nothing changes unless everything fits. The load pre-hooks see a shallow copy of
        ``state_dict`` first (one returning a dict has it loaded instead); the post-hooks run
        after."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        params_by_index = {}
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of "
                    "optimizer's group"
                )
            for i, p in zip(saved["params"], group["params"]):
                params_by_index[int(i)] = p
        new_state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            p = params_by_index.get(int(key))
            if p is None:
                raise ValueError(f"loaded state dict has state for parameter {key}, which no group "
                                 "holds")
            new_state[p] = self._restored_state(p, key, values)
        for saved, group in zip(groups, self.param_groups):
            # PyTorch's group is the saved one with the parameters put in (its key order); the
            # same dict is kept here (a jit capture watches it), and keeps the entries the
            # saved one lacks (a checkpoint from before a flag existed)
            loaded = {name: group["params"] if name == "params"
                      else copy.deepcopy(_as_python(value, group.get(name)))
                      for name, value in saved.items()}
            loaded.setdefault("params", group["params"])
            for name, value in group.items():
                loaded.setdefault(name, value)
            dict.clear(group)
            dict.update(group, loaded)
        self.state = new_state
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    def _restored_state(self, p: Tensor, key, values: dict[str, Any]) -> dict[str, Any]:
        """One parameter's saved state (``values``, saved under ``key``) in the form ``step``
        reads: arrays of the parameter's dtype (shapes checked), ``step`` a count."""
        restored = {}
        for name, value in values.items():
            if name == "step" and isinstance(value, (Tensor, np.ndarray)) and not np.ndim(
                    value._array if isinstance(value, Tensor) else value):
                step = float(value._array if isinstance(value, Tensor) else value)
                restored[name] = int(step) if step.is_integer() else step
            elif isinstance(value, Tensor) and value.is_sparse:  # SGD's sparse momentum
                restored[name] = value._array.copy()
            elif isinstance(value, (Tensor, np.ndarray)):
                array = np.array(value._array if isinstance(value, Tensor) else value)
                if array.ndim and array.shape != p.shape:
                    raise ValueError(
                        f"loaded state '{name}' of parameter {key} has shape {array.shape}, "
                        f"the parameter has shape {tuple(p.shape)}"
                    )
                # (PyTorch's: every floating entry but step takes the parameter's dtype, 0-d
                # ones too: NAdam's mu_product, ASGD's eta and mu)
                floating = np.issubdtype(p._array.dtype, np.inexact)
                restored[name] = array.astype(p._array.dtype) if floating else array
            else:
                restored[name] = value
        return restored

    def __repr__(self):
        """PyTorch's: each group's settings sorted by name, a blank line between groups."""
        text = f"{type(self).__name__} ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for name in sorted(k for k in group if k != "params"):
                text += f"    {name}: {group[name]}\n"
        return text + ")"


def _register(hooks: dict, hook: Callable, prepend: bool) -> RemovableHandle:
    """Add ``hook`` to the ordered ``hooks``, last or (``prepend``) first; its handle."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _as_python(value, like):
    """Hyperparameters come back from a checkpoint as arrays or lists; give them the type the
    group had (a tuple for ``betas``, a float for ``lr``)."""
    if isinstance(value, (Tensor, np.ndarray)):
        value = np.asarray(value._array if isinstance(value, Tensor) else value).tolist()
    if isinstance(like, tuple) and isinstance(value, list):
        return tuple(value)
    return value
