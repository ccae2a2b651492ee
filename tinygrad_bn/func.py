"""PyTorch's ``torch.func`` (functorch's transforms): ``grad``, ``grad_and_value``, ``vjp``,
``jvp``, ``jacrev``, ``jacfwd``, ``hessian``, ``vmap``, ``functional_call`` and
``stack_module_state``, built on the reverse-mode engine.

Each transform runs the function on fresh handles of its arguments: a detached leaf that
requires grad, or, when the argument already requires grad (an enclosing transform is
differentiating it), a view that keeps its history. The gradients are computed with
``create_graph=True`` exactly when something outside the transform must be able to
differentiate them (an argument or a tensor the function closes over requires grad, found by a
walk of the forward graph), so ``grad(grad(f))``, ``jacfwd(jacrev(f))`` and a loss of
per-sample gradients compose, and results depend on nothing else (they come out detached).

Where functorch differs in mechanism, the values are the same:

- ``jvp`` and ``jacfwd`` use reverse mode: ``jvp`` by the double-vjp trick (the gradient of
  ``u -> J^T u`` in direction ``v`` is ``J v``, exact), ``jacfwd`` row by row as ``jacrev``.
- ``vmap`` calls the function once per batch element (sliced with ``select``) and stacks the
  results: the same values for the pure functions vmap accepts. ``randomness="error"`` raises
  PyTorch's error on a random draw, ``"different"`` draws afresh per element, ``"same"``
  replays one stream for each element. ``chunk_size`` changes nothing but is accepted.
"""

import functools
import threading

from .autograd import graph
from .autograd.engine import grad as _autograd_grad
from .autograd.grad_mode import enable_grad
from . import random as _random
from .nn.utils.stateless import _functional_call

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian",
           "vmap", "functional_call", "stack_module_state", "functionalize",
           "replace_all_batch_norm_modules_"]


# --------------------------------------------------------------------------- pytrees


class TreeSpec:
    """The structure of a nest of tuples, lists and dicts (``None`` for a leaf), printed as
    PyTorch's ``torch.utils._pytree.TreeSpec``."""

    def __init__(self, kind, context, children):
        self.kind, self.context, self.children = kind, context, children

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and self.kind is other.kind
                and self.context == other.context and self.children == other.children)

    def pprint(self):
        """PyTorch's ``treespec_pprint``: ``*`` for a leaf, ``(*, *)``, ``[*]``, ``{'a': *}``."""
        if self.kind is None:
            return "*"
        children = [child.pprint() for child in self.children]
        if self.kind is dict:
            return "{" + ", ".join(f"{key!r}: {child}" for key, child in
                                   zip(self.context, children)) + "}"
        if self.kind is list:
            return "[" + ", ".join(children) + "]"
        return "(" + ", ".join(children) + ("," if len(children) == 1 else "") + ")"

    def __repr__(self, indent=0):
        if self.kind is None:
            return "*"
        inner = [child.__repr__(indent + 2) if isinstance(child, TreeSpec) else "*"
                 for child in self.children]
        separator = ",\n" + " " * (indent + 2)
        context = None if self.context is None else list(self.context)
        return f"TreeSpec({self.kind.__name__}, {context}, [{separator.join(inner)}])"


_LEAF = TreeSpec(None, None, [])


def tree_flatten(tree):
    """``(leaves, spec)``: tuples, lists and dicts are walked (dict keys in insertion order),
    anything else is a leaf."""
    if isinstance(tree, (tuple, list)) and not hasattr(tree, "_fields"):
        leaves, children = [], []
        for item in tree:
            item_leaves, spec = tree_flatten(item)
            leaves += item_leaves
            children.append(spec)
        return leaves, TreeSpec(type(tree), None, children)
    if isinstance(tree, dict):
        leaves, children = [], []
        for value in tree.values():
            item_leaves, spec = tree_flatten(value)
            leaves += item_leaves
            children.append(spec)
        return leaves, TreeSpec(dict, tuple(tree), children)
    return [tree], _LEAF


def tree_unflatten(leaves, spec):
    """The inverse of ``tree_flatten``."""
    iterator = iter(leaves)

    def build(spec):
        if spec.kind is None:
            return next(iterator)
        children = [build(child) for child in spec.children]
        if spec.kind is dict:
            return dict(zip(spec.context, children))
        return spec.kind(children)

    return build(spec)


def _broadcast_prefix(prefix, tree):
    """The leaves of ``prefix`` (in_dims, out_dims) repeated over the leaves of ``tree`` under
    them; None when the structures do not fit."""
    if not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * len(tree_flatten(tree)[0])
    if isinstance(prefix, dict) != isinstance(tree, dict) or \
            not isinstance(tree, (tuple, list, dict)) or len(prefix) != len(tree):
        return None
    if isinstance(prefix, dict):
        if list(prefix) != list(tree):
            return None
        pairs = [(prefix[k], tree[k]) for k in tree]
    else:
        pairs = list(zip(prefix, tree))
    result = []
    for sub_prefix, sub_tree in pairs:
        sub = _broadcast_prefix(sub_prefix, sub_tree)
        if sub is None:
            return None
        result += sub
    return result


# --------------------------------------------------------------------------- shared machinery


def _is_tensor(value):
    return isinstance(value, graph.Tensor)


def _fresh(tensor):
    """The handle a transform differentiates: a view keeping the history of a tensor that
    requires grad (an enclosing transform's), else a detached leaf that requires grad."""
    if tensor.requires_grad:
        return tensor.view_as(tensor)
    return tensor.detach().requires_grad_()


def _reaches_outside(outputs, own):
    """Whether the graph of ``outputs`` reaches a tensor that requires grad and is not one of
    ``own`` (ids of this transform's fresh leaves): an argument or closed-over tensor an
    enclosing computation differentiates. Then the gradients need a graph of their own."""
    roots = [t for t in outputs if _is_tensor(t) and t.grad_fn is not None]
    if not roots:
        return False
    for node in graph.topological_order(roots):
        for tensor, producer in zip(node.inputs, node.producers):
            if producer is None and isinstance(tensor, graph.Tensor) and \
                    tensor.requires_grad and id(tensor) not in own:
                return True
    return False


def _gradients(outputs, inputs, grad_outputs, create_graph, retain_graph=True):
    """``autograd.grad`` of ``outputs`` (those that require grad) with respect to ``inputs``;
    zeros for an input nothing depends on."""
    from .creation import zeros_like  # creation builds on this package's Tensor: on use
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if pairs:
        results = _autograd_grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                                 retain_graph=retain_graph, create_graph=create_graph,
                                 allow_unused=True)
    else:
        results = (None,) * len(inputs)
    return [zeros_like(x) if g is None else (g if create_graph else g.detach())
            for x, g in zip(inputs, results)]


def _check_argnums(argnums, count):
    def check(argnum):
        if not isinstance(argnum, int):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
        if not -count <= argnum < count:
            raise RuntimeError(f"Got argnum={argnum}, but only {count} positional inputs")
        return argnum % count
    if isinstance(argnums, tuple):
        if not argnums:
            raise RuntimeError("argnums must be non-empty")
        return tuple(check(a) for a in argnums)
    return check(argnums)


def _prepare(args, argnums):
    """``args`` with the ones at ``argnums`` (each a pytree of tensors) made fresh; returns the
    new args, the fresh leaves in order, their spec and the ids of the new leaves."""
    args = list(args)
    chosen = args[argnums] if isinstance(argnums, int) else tuple(args[i] for i in argnums)
    leaves, spec = tree_flatten(chosen)
    for leaf in leaves:
        if not _is_tensor(leaf):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(leaf)}")
    fresh = [_fresh(leaf) for leaf in leaves]
    rebuilt = tree_unflatten(fresh, spec)
    if isinstance(argnums, int):
        args[argnums] = rebuilt
    else:
        for position, value in zip(argnums, rebuilt):
            args[position] = value
    own = {id(t) for t in fresh if t.grad_fn is None}
    return args, fresh, spec, own


def _needs_graph(outputs, fresh, own):
    return any(t.grad_fn is not None for t in fresh) or _reaches_outside(outputs, own)


def _finish(value, create_graph):
    """A result tree as the transform returns it: detached unless it must keep a graph."""
    if create_graph:
        return value
    leaves, spec = tree_flatten(value)
    return tree_unflatten([leaf.detach() if _is_tensor(leaf) else leaf for leaf in leaves], spec)


# --------------------------------------------------------------------------- grad


def grad_and_value(func, argnums=0, has_aux=False):
    """``func``'s gradient with respect to the arguments at ``argnums`` (each a pytree of
    tensors), and its value: ``(grad, value)``, or ``(grad, (value, aux))`` with
    ``has_aux``. ``func`` must return a one-element Tensor (PyTorch's errors otherwise)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        numbers = _check_argnums(argnums, len(args))
        with enable_grad():
            prepared, fresh, spec, own = _prepare(args, numbers)
            output = func(*prepared, **kwargs)
            output, aux = _split_aux(output, has_aux, "grad_and_value(f)(*args)")
            if not _is_tensor(output):
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                    f"{type(output)}"
                )
            if output.dim() != 0:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                    f"got tensor with {output.dim()} dims. Maybe you wanted to use the vjp or "
                    "jacrev APIs instead?"
                )
            create_graph = _needs_graph([output], fresh, own)
            grads = _gradients([output], fresh, [None], create_graph)
        value = _finish(output, create_graph)
        gradient = tree_unflatten(grads, spec)
        if has_aux:
            return gradient, (value, _finish(aux, create_graph))
        return gradient, value

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``func``'s gradient with respect to the arguments at ``argnums`` (``(grad, aux)`` with
    ``has_aux``); the gradient has the structure of those arguments (a tuple for a tuple of
    argnums). See ``grad_and_value``."""
    transformed = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        gradient, value = transformed(*args, **kwargs)
        if has_aux:
            return gradient, value[1]
        return gradient

    return wrapper


def _split_aux(output, has_aux, caller):
    """``(output, aux)`` of a function called with ``has_aux`` (its result must be that pair,
    PyTorch's error otherwise, ``caller`` naming the transform), else ``(output, None)``."""
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{caller}: output of function f should be a tuple: (output, aux) if "
                           "has_aux is True")
    return output


# --------------------------------------------------------------------------- vjp, jvp


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)`` (and ``aux`` with ``has_aux``): ``vjp_fn(cotangents)``,
    cotangents with the output's structure, returns one gradient per primal, as a tuple."""
    with enable_grad():
        prepared, fresh, spec, own = _prepare(primals, tuple(range(len(primals))))
        output = func(*prepared)
        output, aux = _split_aux(output, has_aux, "vjp(f, *primals)")
        flat_outputs, output_spec = tree_flatten(output)
        for leaf in flat_outputs:
            if not _is_tensor(leaf):
                raise RuntimeError(
                    "vjp(f, *primals): expected f(*primals) to return only tensors, got "
                    f"unsupported type {type(leaf)}"
                )
        needs_graph = _needs_graph(flat_outputs, fresh, own)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        flat_cotangents, cotangent_spec = tree_flatten(cotangents)
        if cotangent_spec != output_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {cotangent_spec.pprint()}, primal output: "
                f"{output_spec.pprint()}"
            )
        if create_graph is None:
            create_graph = needs_graph or any(c.requires_grad for c in flat_cotangents)
        with enable_grad():
            for number, (o, c) in enumerate(zip(flat_outputs, flat_cotangents)):
                if tuple(o.shape) != tuple(c.shape):
                    raise RuntimeError(
                        f"Mismatch in shape: grad_output[{number}] has a shape of {c.shape} and "
                        f"output[{number}] has a shape of {o.shape}."
                    )
            grads = _gradients(flat_outputs, fresh, flat_cotangents, create_graph,
                               retain_graph)
        return tree_unflatten(grads, spec)

    result = (_finish(output, needs_graph), vjp_fn)
    return result + (_finish(aux, needs_graph),) if has_aux else result


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)`` (and ``aux``): the Jacobian-vector product by the
    double-vjp trick (exact). ``primals`` and ``tangents`` are tuples of one structure; with
    ``strict`` an output independent of the primals is an error."""
    if not isinstance(primals, tuple):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid "
            "to call f(*primals)."
        )
    flat_primals, primals_spec = tree_flatten(primals)
    flat_tangents, tangents_spec = tree_flatten(tangents)
    if primals_spec != tangents_spec:
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python "
            "structure. For example, if primals is a tuple of 3 tensors, tangents also must "
            f"be. Got primals with structure {primals_spec} and tangents with structure "
            f"{tangents_spec}"
        )
    for p, t in zip(flat_primals, flat_tangents):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                f"original Tensor, this is not supported. Tensor is of size {list(p.shape)} "
                f"while the given forward gradient is of size {list(t.shape)}."
            )
    from .creation import zeros_like
    with enable_grad():
        prepared, fresh, spec, own = _prepare(primals, tuple(range(len(primals))))
        output = func(*prepared)
        output, aux = _split_aux(output, has_aux, "jvp(f, primals, tangents)")
        flat_outputs, output_spec = tree_flatten(output)
        for leaf in flat_outputs:
            if not _is_tensor(leaf):
                raise RuntimeError(
                    "jvp(f, primals, tangents): expected f(*primals) to return only tensors, "
                    f"got unsupported type {type(leaf)}"
                )
            if strict and not leaf.requires_grad:
                raise RuntimeError(
                    "jvp(f, primals, tangents, strict=True): The output of f is independent of "
                    "the inputs. This is not allowed with strict=True."
                )
        create_graph = _needs_graph(flat_outputs, fresh, own) or \
            any(t.requires_grad for t in flat_tangents)
        # the double-vjp trick: u -> J^T u is linear, its gradient along the tangents is J t
        dummies = [zeros_like(o, requires_grad=True) for o in flat_outputs]
        pulled = _gradients(flat_outputs, fresh, dummies, True)
        pushed = _gradients([p for p in pulled], dummies, flat_tangents, create_graph)
    result = (_finish(output, create_graph), tree_unflatten(pushed, output_spec))
    return result + (_finish(aux, create_graph),) if has_aux else result


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is the Jacobian-vector product at
    ``primals`` (PyTorch traces the linearized function once; here each call is a ``jvp``,
    the same values)."""
    output = jvp(func, primals, tuple(primals))[0]

    def jvp_fn(*tangents):
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn


# --------------------------------------------------------------------------- Jacobians


def _jacobian(func, argnums, has_aux, name):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .tensor.shape import stack
        from .creation import zeros
        numbers = _check_argnums(argnums, len(args))
        with enable_grad():
            prepared, fresh, spec, own = _prepare(args, numbers)
            output = func(*prepared, **kwargs)
            output, aux = _split_aux(output, has_aux, f"{name}(f, ...)(*args)")
            flat_outputs, output_spec = tree_flatten(output)
            for leaf in flat_outputs:
                if not _is_tensor(leaf):
                    raise RuntimeError(
                        "vjp(f, *primals): expected f(*primals) to return only tensors, got "
                        f"unsupported type {type(leaf)}"
                    )
            create_graph = _needs_graph(flat_outputs, fresh, own)
            blocks_per_output = []
            for out in flat_outputs:
                flat = out.reshape(-1)
                rows = [_gradients([flat[j]], fresh, [None], create_graph)
                        for j in range(flat.shape[0])]
                blocks = []
                for position, x in enumerate(fresh):
                    shape = tuple(out.shape) + tuple(x.shape)
                    if rows:
                        blocks.append(stack([row[position] for row in rows]).reshape(shape))
                    else:
                        blocks.append(zeros(shape, dtype=x.dtype))
                blocks_per_output.append(tree_unflatten(blocks, spec))
        jacobian = tree_unflatten(blocks_per_output, output_spec)
        if has_aux:
            return jacobian, _finish(aux, create_graph)
        return jacobian

    return wrapper


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of ``func`` with respect to the arguments at ``argnums``, by reverse mode
    (one vector-Jacobian product per output element): for each output, blocks of shape
    ``output.shape + input.shape`` with the inputs' structure. ``chunk_size`` is accepted."""
    return _jacobian(func, argnums, has_aux, "jacrev")


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """``jacrev``'s Jacobian (PyTorch computes it by forward mode; the values are the same)."""
    _check_randomness(randomness)
    return _jacobian(func, argnums, has_aux, "jacfwd")


def hessian(func, argnums=0):
    """The Hessian of ``func`` with respect to the arguments at ``argnums``:
    ``jacfwd(jacrev(func, argnums), argnums)``, as PyTorch defines it."""
    return jacfwd(jacrev(func, argnums), argnums)


# --------------------------------------------------------------------------- vmap


def _check_randomness(randomness):
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. Got "
            f"{randomness}"
        )


class _Randomness(threading.local):
    """The ``randomness`` of each vmap running in this thread, outermost first."""

    modes = ()


_randomness = _Randomness()
_error_mode_lock = threading.Lock()
_error_mode_calls = [0]  # vmaps with randomness="error" running in any thread


def _random_check():
    """``random.draw_check`` while some thread runs a vmap with ``randomness="error"``: raises
    PyTorch's error in a thread inside one (at any depth of nesting)."""
    if "error" in _randomness.modes:
        raise RuntimeError(
            "vmap: called random operation while in randomness error mode. Please either use "
            "the 'same' or 'different' randomness flags on vmap or perform the randomness "
            "operation out of vmap"
        )


def _error_mode(delta):
    """Count a vmap with ``randomness="error"`` starting (1) or ending (-1); the draw check is
    installed only while one runs, so random draws elsewhere pay nothing."""
    with _error_mode_lock:
        _error_mode_calls[0] += delta
        _random.draw_check = _random_check if _error_mode_calls[0] else None


def _function_name(func):
    return getattr(func, "__name__", repr(func))


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a batch dimension of its inputs: ``in_dims`` (an int, None, or a
    tuple/pytree prefix of the arguments) says which dim of each input is the batch, and
    ``out_dims`` where the batch dim goes in each output. Runs ``func`` once per batch
    element and stacks the results (see the module docstring)."""
    _check_randomness(randomness)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0) and \
            chunk_size != -1:
        raise ValueError(
            f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .tensor.shape import stack
        name = _function_name(func)
        if not isinstance(in_dims, (int, tuple)) and in_dims is not None:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int "
                f"or a (potentially nested) tuple matching the structure of inputs, got: "
                f"{type(in_dims)}."
            )
        dims = _broadcast_prefix(in_dims if isinstance(in_dims, tuple) else in_dims, args) \
            if isinstance(in_dims, tuple) else [in_dims] * len(tree_flatten(args)[0])
        leaves, args_spec = tree_flatten(args)
        if dims is None:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible "
                f"with the structure of `inputs`. in_dims has structure "
                f"{tree_flatten(in_dims)[1]} but inputs has structure {args_spec}."
            )
        sizes = []
        normalized = []
        for leaf, dim in zip(leaves, dims):
            if dim is None:
                normalized.append(None)
                continue
            if not isinstance(dim, int):
                raise ValueError(
                    f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims must be int or "
                    f"None, got {type(dim)}.")
            if not _is_tensor(leaf):
                raise ValueError(
                    f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={dim} for an "
                    f"input but the input is of type {type(leaf)}. We cannot vmap over "
                    "non-Tensor arguments, please use None as the respective in_dim"
                )
            if not -leaf.dim() <= dim < leaf.dim():
                raise ValueError(
                    f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={dim} for "
                    f"some input, but that input is a Tensor of dimensionality {leaf.dim()} so "
                    f"expected in_dim to satisfy -{leaf.dim()} <= in_dim < {leaf.dim()}."
                )
            dim %= leaf.dim()
            normalized.append(dim)
            sizes.append(leaf.shape[dim])
        if not sizes:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): at least one input must be a "
                "Tensor with a non-None in_dim"
            )
        if len(set(sizes)) != 1:
            raise ValueError(
                "vmap: Expected all tensors to have the same size in the mapped dimension, got "
                f"sizes {sizes} for the mapped dimension"
            )
        batch = sizes[0]
        results = []
        state = _random.get_rng_state() if randomness == "same" else None
        outer = _randomness.modes
        if randomness == "error":
            _error_mode(1)
        try:
            for index in range(batch):
                if state is not None:
                    _random.set_rng_state(state)
                sliced = [leaf if dim is None else leaf.select(dim, index)
                          for leaf, dim in zip(leaves, normalized)]
                _randomness.modes = outer + (randomness,)
                results.append(func(*tree_unflatten(sliced, args_spec), **kwargs))
                _randomness.modes = outer
        finally:
            _randomness.modes = outer
            if randomness == "error":
                _error_mode(-1)
        return _stack_outputs(results, out_dims, name, stack, batch)

    return wrapper


def _stack_outputs(results, out_dims, name, stack, batch):
    """The per-element outputs stacked along ``out_dims`` (one per output leaf)."""
    first_leaves, spec = tree_flatten(results[0]) if results else ([], _LEAF)
    dims = _broadcast_prefix(out_dims, results[0]) if isinstance(out_dims, (tuple, list)) \
        else [out_dims] * len(first_leaves)
    if dims is None:
        raise ValueError(
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible "
            f"with the structure of `outputs`. out_dims has structure "
            f"{tree_flatten(out_dims)[1]} but outputs has structure {spec}."
        )
    per_element = [tree_flatten(r)[0] for r in results]
    stacked = []
    for position, dim in enumerate(dims):
        values = [leaves[position] for leaves in per_element]
        if dim is None:
            stacked.append(values[0])
            continue
        if not all(_is_tensor(v) for v in values):
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                f"{type(values[0])}. Did you mean to set out_dims= to None for output?"
            )
        ndim = values[0].dim() + 1
        if not -ndim <= dim < ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but "
                f"got {dim})")
        stacked.append(stack(values, dim=dim % ndim))
    return tree_unflatten(stacked, spec)


def functionalize(func, *, remove="mutations"):
    """``func`` itself: PyTorch's functionalize rewrites in-place operations out of place for
    tracing transforms; eager results are the same, and this package's transforms run eagerly.
    ``remove`` is checked as PyTorch checks it."""
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for remove="
            f"{remove}. Valid options are:\n     remove='mutations': all inplace and out= "
            "operators will be removed from the program, and replaced with their out-of-place "
            "equivalents.\n     remove='mutations_and_views': In addition to the above, all "
            "aliasing operators {view} will be replaced with their non-aliasing counterparts, "
            "{view}_copy.\n")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------- modules


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with its parameters and buffers replaced by the tensors of
    ``parameter_and_buffer_dicts`` (a dict by dotted name, or a sequence of dicts with no key
    twice); the module's own are put back afterwards. With ``tie_weights`` a value given for
    one name of a tied tensor serves all its names; ``strict`` requires exactly the module's
    names."""
    if isinstance(parameter_and_buffer_dicts, dict):
        parameters_and_buffers = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError(
                "Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts = {}
        for d in parameter_and_buffer_dicts:
            for key in d:
                counts[key] = counts.get(key, 0) + 1
        repeated = [key for key, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(
                f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
                "ambiguous")
        parameters_and_buffers = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError(
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but "
            f"got {type(parameter_and_buffer_dicts)}")
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)


def replace_all_batch_norm_modules_(root):
    """Every batch norm module in ``root`` (itself included) made to keep no running
    statistics (``running_mean``, ``running_var``, ``num_batches_tracked`` None,
    ``track_running_stats`` False), in place, as PyTorch's; returns ``root``."""
    from .nn.normalization import _BatchNorm  # nn builds on this package's core: on use
    for module in root.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root


def stack_module_state(models):
    """``(params, buffers)``: each parameter and buffer name of the models (all of one class
    and mode) mapped to their tensors stacked along a new first dim; stacked parameters are
    new leaves that require grad (for ``vmap`` over an ensemble with ``functional_call``)."""
    from .tensor.shape import stack
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode.")
    if not all(type(m) is type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked_leaf(tensors, name):
        all_require = all(t.requires_grad for t in tensors)
        if not all_require and any(t.requires_grad for t in tensors):
            raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
        result = stack(tensors)
        return result.detach().requires_grad_() if all_require else result

    all_params = [dict(model.named_parameters()) for model in models]
    params = {k: stacked_leaf(tuple(p[k] for p in all_params), k) for k in all_params[0]}
    all_buffers = [dict(model.named_buffers()) for model in models]
    buffers = {k: stacked_leaf(tuple(b[k] for b in all_buffers), k) for k in all_buffers[0]}
    return params, buffers
