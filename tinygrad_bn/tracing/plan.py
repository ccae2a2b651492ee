"""A ``Plan``: one captured function for one argument signature, as straight-line Python that
calls each op's ``forward`` and ``backward`` on arrays, routes and sums gradients in the
engine's order, makes the recorded state updates and method calls and stores ``.grad`` as the
engine would. The same NumPy calls in the same order: results are bit-identical to eager mode.
A few small ops (Linear, ReLU, training BatchNorm) have their methods' NumPy calls written
inline instead, while their code is the code those templates transcribe (``inline.py``).

The generated function starts with its guards: everything the plan took as given when it was
captured and that could have changed since (a parameter's array, a module's mode or settings,
a name the function reads, anomaly mode, whether a ``.grad`` exists). If any fails it returns
``MISS`` before doing anything, and the caller captures again. ``print(plan)`` lists the
kernels; ``plan.source`` shows the generated code.
"""

from __future__ import annotations

import re
import types

import numpy as np

from ..autograd.engine import add_gradients
from ..autograd.grad_mode import _AnomalyMode
from ..autograd.graph import PartialGradient, _Settings, _Structure, reduce_to_shape
from ..tensor import Tensor
from . import inline
from .capture import call_name, is_ref, op_fields, same, settings_of


class _Miss:
    def __repr__(self):
        return "MISS"


MISS = _Miss()  # what a replay returns when a guard fails
_MISSING = object()  # a watched name that is no longer bound


def _fit(grad, shape, dtype):
    """A gradient as the engine passes it on: an ndarray, reduced to its input's shape and
    dtype when broadcasting stretched it."""
    if type(grad) is PartialGradient:
        grad = grad.materialize()
    elif type(grad) is not np.ndarray:
        grad = np.asarray(grad)
    if grad.shape != shape or grad.dtype is not dtype:
        grad = reduce_to_shape(grad, shape, dtype)
    return grad


def _add_gradient(previous, owned, grad, grad_output, shape, dtype):
    """``previous + grad`` for a value's second and later gradients, made as the engine makes it
    (``engine.add_gradients``: into ``previous`` in place when ``owned``, else into a new
    ``grad`` the node made); a ``PartialGradient`` of the value's shape goes into ``previous``
    at its slice (a copy of ``previous`` unless owned). Returns the sum, which the replay then
    owns."""
    if type(grad) is PartialGradient and grad.shape == shape and grad.values.dtype == dtype:
        if not owned:
            previous = np.array(previous, copy=True)
        grad.add_into(previous)
        return previous
    if type(grad) is not np.ndarray or grad.shape != shape or grad.dtype is not dtype:
        grad = _fit(grad, shape, dtype)
    return add_gradients(previous, owned, grad, grad_output)


def _owned(name, incoming):
    """The test, as generated code, of whether the gradient ``name`` that a backward passed on
    is an array of its own, which the engine's rule may keep or add into in place: not the
    ``incoming`` gradient itself, not a view, writeable (``engine.add_gradients``' rule)."""
    return f"({name} is not {incoming} and {name}.base is None and {name}.flags.writeable)"


def _copy_as(array, dtype):
    """``tensor(t)``: a copy of ``t``'s array in ``dtype`` (as ``Tensor.__init__`` makes it)."""
    copied = np.array(array)
    return copied if copied.dtype is dtype else copied.astype(dtype)


def _describe(shape, dtype):
    return f"{np.dtype(dtype).name}[{', '.join(map(str, shape))}]"


def _comment(text, limit=110):
    """``text`` made safe for a comment in generated code: one line, bounded (a repr may hold
    newlines, which would end the comment and break the source)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _release_dead(lines):
    """``lines`` (a generated ``replay``) with each local let go after the last statement that
    names it (``v3 = g7 = None``), as eager mode lets an array go when the last tensor or node
    holding it does. Without this every result and gradient of a step stays alive to the end
    of the replay: a heap several times eager's, written fresh each step and out of the caches
    by the time it is read. A statement is a line indented once and the lines indented deeper
    after it (an inline op's ``if``/``else`` counts as one); a name is set to None rather than
    deleted, since a branch may not have bound it. The locals are the compiled function's; a
    name that only a comment mentions is kept a little longer, never let go too early. (Not
    ``ast``: parsing a W4 plan into a tree made the garbage collector run 43 times.)"""
    lines = "\n".join(lines).split("\n")  # an item may hold several lines
    code = compile("\n".join(lines), "<plan>", "exec")
    local = set(next(c for c in code.co_consts if isinstance(c, types.CodeType)).co_varnames)
    statements = []  # [first line, end line) of each statement of the body
    for number, line in enumerate(lines):
        if number and line[:4] == "    " and line[4:5] not in (" ", "") and \
                not line.startswith(("    else", "    elif")):
            statements.append([number, number + 1])
        elif statements:
            statements[-1][1] = number + 1
    last = {}  # name -> index of the last statement naming it
    for index, (first, end) in enumerate(statements):
        for number in range(first, end):
            for name in _IDENTIFIER.findall(lines[number]):
                if name in local:
                    last[name] = index
    dead = {}  # index -> names no statement after it reads
    for name, index in last.items():
        dead.setdefault(index, []).append(name)
    released = lines[:statements[0][0]]  # the header and the guards
    for index, (first, end) in enumerate(statements):
        released += lines[first:end]
        if index in dead and not lines[first].startswith("    return"):
            released.append("    " + " = ".join(sorted(dead[index])) + " = None")
    return released


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


class Plan:
    """One captured function for one argument signature. ``kernels`` lists ``(kind,
    description)`` in order, ``source`` is the generated Python, ``replay(*tensors)`` runs it
    (or returns ``MISS``), ``why_missed()`` names the first guard that fails now."""

    def __init__(self, trace, name: str, watched=()) -> None:
        self.name = name
        self.kernels: list[tuple[str, str]] = []
        self._names = {}      # namespace of the generated function
        self._locals = {}     # id(tensor or array) -> local name
        self._labels = {}     # local name -> what the kernel listing calls it (``0.weight``)
        self._guards = []     # (expression, what it checks)
        self._inlined = {}    # value number -> inline.Inlined, for ops written inline
        self._trace = trace
        self._settings_count = [_Settings.count]
        self._modules = [(module, settings) for module, _, settings in trace.modules.values()]
        lines = _release_dead(self._generate(trace, watched))
        self.source = "\n".join(lines) + "\n"
        namespace = dict(self._names)
        exec(compile(self.source, f"<jit plan of {name}>", "exec"), namespace)  # noqa: S102
        self.replay = namespace["replay"]
        self._namespace = namespace
        self._trace = None

    # ------------------------------------------------------------------ guards

    def _settings_changed(self):
        """The slow half of the settings guard, run when some module's attribute was assigned
        since the last check: whether a module this plan calls has other settings now."""
        for module, settings in self._modules:
            if not same(settings_of(module), settings):
                return True
        self._settings_count[0] = _Settings.count
        return False

    def why_missed(self) -> str | None:
        """What the first failing guard checks (for the warning when captures repeat)."""
        for expression, description in self._guards:
            if eval(expression, self._namespace):  # noqa: S307 - our own generated guard
                return description
        return None

    def _guard(self, expression, description):
        self._guards.append((expression, description))

    # ------------------------------------------------------------------ names in the namespace

    def _constant(self, value, stem="k"):
        name = f"{stem}{len(self._names)}"
        self._names[name] = value
        return name

    def _object(self, tensor, lines):
        """The name of a tensor from before the call (a parameter, a buffer, a leaf), guarded:
        it must still hold the same array and ``requires_grad``."""
        name = self._locals.get(id(tensor))
        if name is not None:
            return name
        number = len([n for n in self._locals.values() if n.startswith("S")])
        name = f"S{number}"
        self._locals[id(tensor)] = name
        self._names[name] = tensor
        self._names[f"s{number}_array"] = tensor._array
        self._labels[name] = self._trace.names.get(id(tensor), f"s{number}")
        label = self._labels[name]
        self._guard(f"{name}._array is not s{number}_array",
                    f"the array of {label} was replaced")
        self._guard(f"{name}._requires_grad is not {tensor._requires_grad}",
                    f"requires_grad of {label} changed")
        lines.append(f"    s{number} = s{number}_array  # "
                     + _comment(f"{label} {_describe(tensor._array.shape, tensor._array.dtype)}"))
        return name

    def _leaf(self, leaf, lines):
        """The expression for the leaf tensor object a reference names."""
        kind, target = leaf
        if kind == "arg_tensor":
            return f"A{target}"
        return self._object(target, lines)

    def _array(self, ref, lines):
        """The expression for the array a reference names."""
        kind, target = ref
        if kind == "value":
            return f"v{target}"
        if kind == "arg":
            return f"a{target}"
        if kind == "state":
            return self._object(target, lines).lower()
        if kind == "grad":
            return f"{self._leaf(target, lines)}._grad._array"
        if kind == "constant":
            name = self._locals.get(id(target))
            if name is None:
                frozen = target.copy()
                frozen.flags.writeable = False
                name = self._locals[id(target)] = self._constant(frozen, "c")
            return name
        if kind == "call_result":
            return f"{self._call_result(target)}._array"
        if kind == "live_scalar":  # a learning rate in arithmetic: read as the step runs
            live, dtype = target
            return f"_asarray({self._live(live)}, {self._constant(dtype, 'd')})"
        raise AssertionError(f"not an array reference: {ref!r}")

    @staticmethod
    def _call_result(where):
        number, path = where
        return f"c{number}" + "".join(f"[{index}]" for index in path)

    def _live(self, target):
        """The expression reading optimizer or scheduler state: ``("live", target)``."""
        kind, obj, item = target
        name = self._constant(obj, "o")
        if kind == "last_lr":
            return f"{name}.get_last_lr()" + ("" if item is None else f"[{item}]")
        return f"{name}[{self._constant(item)}]"  # a parameter group, read as the step runs

    def _label(self, expression):
        return self._labels.get(expression.upper(), expression)

    # ------------------------------------------------------------------ code generation

    def _generate(self, trace, watched):
        self._guard(f"_Structure.count != {_Structure.count}",
                    "a module had a parameter, buffer, submodule or hook assigned")
        self._guard("_AnomalyMode.enabled", "anomaly detection is on")
        if self._modules:
            self._guard("_Settings.count != _settings_count[0] and _settings_changed()",
                        "a module's settings (momentum, eps, p, reduction, ...) changed")
        for number, (module, training, _) in enumerate(trace.modules.values()):
            self._names[f"M{number}"] = module
            self._guard(f"M{number}.training is not {training}",
                        f"the {type(module).__name__} module switched between train and eval")
        for number, (where, key, value, description) in enumerate(watched):
            self._names[f"W{number}"], self._names[f"w{number}"] = where, value
            if key is None:  # a closure cell
                self._guard(f"W{number}.cell_contents is not w{number}",
                            f"{description} was rebound")
            else:
                self._guard(f"W{number}.get({key!r}, _MISSING) is not w{number}",
                            f"{description} was rebound")
        body = []
        self._backwarded = {number for event in trace.events if event[0] == "backward"
                            for number, _ in event[3]}
        self._roots = {root for event in trace.events if event[0] == "backward"
                       for root in event[1]}
        for leaf in trace.grads_read.values():
            name = self._leaf(leaf, body)
            self._guard(f"{name}._grad is None", f"{self._label(name)}.grad is None")
        for event in trace.events:
            getattr(self, "_emit_" + event[0])(event, body)
        output = self._output(trace.output, body)
        self._names.update(
            _Structure=_Structure, _Settings=_Settings, _AnomalyMode=_AnomalyMode, MISS=MISS,
            _MISSING=_MISSING, _fit=_fit, _add_gradient=_add_gradient, _ndarray=np.ndarray,
            _make=Tensor._make, _asarray=np.asarray, _copy_as=_copy_as, **inline.NAMES,
            _settings_count=self._settings_count, _settings_changed=self._settings_changed)
        arguments = [f"A{i}" for i in range(trace.arguments)]
        guards = "\n            or ".join(expression for expression, _ in self._guards)
        lines = [f"def replay({', '.join(arguments)}):  # " + _comment(f"{self.name}, as captured"),
                 f"    if ({guards}):",
                 "        return MISS"]
        lines += [f"    a{i} = A{i}" if i in trace.array_arguments else f"    a{i} = A{i}._array"
                  for i in range(trace.arguments)]
        return lines + body + [f"    return {output}"]

    def _emit_op(self, event, lines):
        _, op, refs, number = event
        arrays = [self._array(r, lines) for r in refs]
        for name in op_fields(op):
            value = getattr(op, name, None)
            if isinstance(value, Tensor):
                # BatchNorm's running statistics, which the op reads afresh at each forward:
                # guarded like any state, since the Python that checked them when the op was
                # made (their dtype against the input's) does not run in a replay.
                self._object(value, lines)
        self._names[f"op{number}"] = op
        shape, dtype = self._trace.values[number]
        described = ", ".join(self._label(a) for a in arrays)
        self.kernels.append(("forward", f"v{number} = {op!r}({described}) -> "
                                        f"{_describe(shape, dtype)}"))
        inlined = inline.forward(self, op, arrays, number, [self._meta(r) for r in refs],
                                 number in self._roots, lines)
        if inlined is not None:
            self._inlined[number] = inlined
            return
        forward = self._constant(op.forward, "f")
        call = f"{forward}({', '.join(arrays)})"
        if shape == ():
            call = f"_asarray({call})"
        lines.append(f"    v{number} = {call}  # "
                     + _comment(f"{op!r} -> {_describe(shape, dtype)}"))
        if number not in self._backwarded:  # what it saved would outlive the replay
            lines.append(f"    op{number}.saved = None")

    def _meta(self, ref):
        """The shape and dtype of the array a reference names, when the plan fixes them (a
        recorded value, a guarded state array, a constant), else None."""
        kind, target = ref
        if kind == "value":
            return self._trace.values[target]
        if kind == "arg":
            return self._trace.argument_metas[target]
        if kind == "state":
            return target._array.shape, target._array.dtype
        if kind == "constant":
            return target.shape, target.dtype
        return None

    def _emit_copy(self, event, lines):
        _, ref, dtype, number = event
        source = self._array(ref, lines)
        self.kernels.append(("copy", f"v{number} = tensor({self._label(source)})"))
        lines.append(f"    v{number} = _copy_as({source}, {self._constant(dtype, 'd')})"
                     "  # tensor(t): a copy")

    def _emit_effect(self, event, lines):
        _, function, refs = event
        arguments = [self._constant(ref[1]) if ref[0] == "python" else self._array(ref, lines)
                     for ref in refs]
        self.kernels.append(("effect", f"{function.__name__}("
                                       f"{', '.join(self._label(a) for a in arguments)})"))
        if inline.effect(self, function, arguments, refs, lines):
            return
        name = self._constant(function, "e")
        lines.append(f"    {name}({', '.join(arguments)})  # " + _comment(function.__name__))

    def _emit_call(self, event, lines):
        _, function, args, kwargs, number = event
        name = self._constant(function, "e")
        parts = [self._output(a, lines) for a in args]
        parts += [f"{key}={self._output(value, lines)}" for key, value in kwargs.items()]
        text = f"{call_name(function, args)}()"
        self.kernels.append(("call", text))
        lines.append(f"    c{number} = {name}({', '.join(parts)})  # " + _comment(text))

    def _emit_grad_none(self, event, lines):
        leaf = self._leaf(event[1], lines)
        self.kernels.append(("grad", f"{self._label(leaf)}.grad = None"))
        lines.append(f"    {leaf}._grad = None")

    def _emit_backward(self, event, lines):
        """The engine's walk, unrolled: each node's backward, its gradients fitted to their
        inputs' shapes and dtypes, summed per value, and the leaves' totals stored as
        ``.grad`` (``engine._accumulate``'s rule, written out inline)."""
        _, roots, root_grads, steps, retain_graph = event
        values = self._trace.values
        received = {}      # value number -> gradients it got so far (its variable exists)
        leaves = {}        # leaf expression -> (gradient variable, freshness variable)
        coming = {}        # value number -> gradients it gets in all
        for _, edges in steps:
            for _, (kind, target) in edges:
                if kind == "value":
                    coming[target] = coming.get(target, 0) + 1
        for root, grad in zip(roots, root_grads):
            lines.append(f"    g{root} = {self._array(grad, lines)}  # d(root)/d(root)")
            lines.append(f"    o{root} = False  # a root's gradient is the caller's")
            received[root] = 1
        for number, edges in steps:
            targets = []
            inlined = self._inlined.get(number)
            if inlined is not None:
                inlined.backward(f"g{number}", inlined.saved, lines)
            else:
                lines.append(f"    r = op{number}.backward(g{number})")
                if not retain_graph:
                    lines.append(f"    op{number}.saved = None")
            for position, (kind, target) in edges:
                exact = inlined is not None and inlined.is_exact(position)
                fresh = inlined is not None and inlined.is_fresh(position)
                if kind == "value":
                    shape, dtype = values[target]
                    dtype_name = self._constant(dtype, "d")
                    if target in received:
                        # The engine's rule: a second gradient goes into the first in place
                        # when that one is the node's own, else the first into it when it is,
                        # a PartialGradient into its slice; from then on the sum is owned.
                        owned = f"o{target}" if received[target] == 1 else "True"
                        lines.append(f"    g{target} = _add_gradient(g{target}, {owned}, "
                                     f"r[{position}], g{number}, {shape!r}, {dtype_name})")
                        received[target] += 1
                    else:
                        self._fitted(f"g{target}", position, repr(shape), dtype_name, exact,
                                     lines)
                        if coming[target] > 1:  # may a second one be added into it in place
                            lines.append(f"    o{target} = " + (
                                "True" if fresh else _owned(f"g{target}", f"g{number}")))
                        received[target] = 1
                    targets.append(f"g{target}")
                    continue
                tensor = self._leaf((kind, target), lines)
                shape, dtype = ((f"{tensor}._array.shape", f"{tensor}._array.dtype")
                                if kind == "arg_tensor" else
                                (repr(target._array.shape),
                                 self._constant(target._array.dtype, "d")))
                exact = exact and kind != "arg_tensor"  # (an argument's shape is its own)
                if tensor in leaves:
                    grad_name, fresh_name = leaves[tensor]
                    self._fitted("t", position, shape, dtype, exact, lines)
                    if fresh_name is None:  # the sum so far is known to be the plan's own
                        lines.append(f"    {grad_name} += t  # the engine's rule for a leaf's sum")
                        continue
                    lines.append(f"    if {fresh_name}:  # the engine's rule for a leaf's sum")
                    lines.append(f"        {grad_name} += t")
                    lines.append("    else:")
                    lines.append(f"        {grad_name} = _asarray({grad_name} + t)")
                    lines.append(f"        {fresh_name} = True")
                else:
                    # (fresh_name: the flag telling whether the gradient is the plan's own
                    # array, None when the template says it always is)
                    grad_name = f"G{len(leaves)}"
                    fresh_name = None if exact and fresh else f"F{len(leaves)}"
                    leaves[tensor] = (grad_name, fresh_name)
                    self._fitted(grad_name, position, shape, dtype, exact, lines)
                    if fresh_name is not None:
                        lines.append(f"    {fresh_name} = {_owned(grad_name, f'g{number}')}")
                targets.append(f"{grad_name} (for {self._label(tensor)})")
            self.kernels.append(("backward", f"{self._names[f'op{number}']!r}.backward(g{number})"
                                 f" -> {', '.join(targets)}"))
        for tensor, (grad_name, fresh_name) in leaves.items():
            lines.append(f"    if {tensor}._grad is None:")
            lines.append(f"        {tensor}._grad = _make({grad_name}, None)" if fresh_name is None
                         else f"        {tensor}._grad = _make({grad_name} if {fresh_name} else "
                              f"{grad_name}.copy(), None)")
            lines.append("    else:")
            lines.append(f"        {tensor}._grad._array += {grad_name}")
            self.kernels.append(("grad", f"{self._label(tensor)}.grad <- {grad_name}"))

    @staticmethod
    def _fitted(name, position, shape, dtype, exact, lines):
        """``name = r[position]`` as the engine passes a gradient on: an ndarray of its input's
        shape and dtype, reduced (``_fit``) only when broadcasting stretched it; tested only
        when the backward is not ``exact`` (an inline template known to give exactly that)."""
        lines.append(f"    {name} = r[{position}]")
        if exact:
            return
        lines.append(f"    if type({name}) is not _ndarray or {name}.shape != {shape} "
                     f"or {name}.dtype is not {dtype}:")
        lines.append(f"        {name} = _fit({name}, {shape}, {dtype})")

    def _output(self, template, lines):
        """The expression that rebuilds the returned structure."""
        if is_ref(template):
            kind, target = template
            if kind == "value":
                return f"_make(v{target}, None)"
            if kind == "arg_tensor":
                return f"A{target}"
            if kind == "object":
                return self._constant(target, "o")
            if kind == "python":
                return self._constant(target)
            if kind == "grad":
                return f"{self._leaf(target, lines)}._grad"
            if kind == "constant":
                return f"_make({self._array(template, lines)}.copy(), None)"
            if kind == "live":
                return self._live(target)
            if kind == "call_result":
                return self._call_result(target)
            if kind == "detached":
                return self._detached(target, lines)
            raise AssertionError(f"not an output reference: {template!r}")
        if isinstance(template, dict):
            items = ", ".join(f"{self._constant(k)}: {self._output(v, lines)}"
                              for k, v in template.items())
            return "{" + items + "}"
        parts = [self._output(v, lines) for v in template]
        if type(template) is list:
            return "[" + ", ".join(parts) + "]"
        if type(template) is tuple:
            return "(" + "".join(p + ", " for p in parts) + ")"
        return f"{self._constant(type(template))}(" + ", ".join(parts) + ")"  # a named tuple

    def _detached(self, ref, lines):
        kind, target = ref
        if kind == "arg":
            return f"A{target}.detach()"
        if kind == "state":
            return f"{self._object(target, lines)}.detach()"
        if kind == "grad":
            return f"{self._leaf(target, lines)}._grad.detach()"
        if kind == "constant":
            return f"_make({self._array(ref, lines)}.copy(), None)"
        return f"_make({self._array(ref, lines)}, None)"

    # ------------------------------------------------------------------ printing

    def __str__(self):
        width = len(str(len(self.kernels)))
        lines = [f"Plan of {self.name}: {len(self.kernels)} kernels"]
        for number, (kind, text) in enumerate(self.kernels, 1):
            lines.append(f"  {number:>{width}}  {kind:<8}  {text}")
        return "\n".join(lines)

    def __repr__(self):
        return f"<Plan of {self.name}: {len(self.kernels)} kernels>"
