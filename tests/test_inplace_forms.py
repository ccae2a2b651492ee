"""The in-place forms of out-of-place ops (``sin_``, ``eq_``, ``scatter_``, ...), each against
PyTorch: values and dtype, gradients through the write (and finite differences in float64), the
version bump, the leaf refusal and the dtype rule of in-place writes."""

import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.tensor import inplace_forms
from tinygrad_bn.autograd import gradcheck

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."

# Values for ``self`` (and tensor arguments) by domain, of shape (2, 3).
DOMAINS = {
    "any": [[-1.3, -0.4, 0.2], [0.7, 1.6, -2.1]],
    "unit": [[-0.8, -0.3, 0.1], [0.4, 0.6, 0.9]],
    "positive": [[0.3, 0.8, 1.4], [2.2, 0.5, 3.1]],
    "probability": [[0.1, 0.3, 0.45], [0.55, 0.7, 0.9]],
    "small": [[-0.7, 0.25, -1.5], [1.2, 0.6, 0.9]],
}
SCATTER_INDEX = [[1, 0, 1], [0, 1, 0]]


def T(domain="any"):
    """A tensor argument: its values from ``DOMAINS`` (it requires grad in the gradient tests)."""
    return ("tensor", domain)


# (method, domain of self, arguments, keyword arguments). Tensor arguments are ``T(domain)``;
# ``"index"`` is SCATTER_INDEX as an int64 tensor.
CASES = [
    ("sin_", "any", (), {}), ("cos_", "any", (), {}), ("tan_", "unit", (), {}),
    ("asin_", "unit", (), {}), ("arcsin_", "unit", (), {}), ("acos_", "unit", (), {}),
    ("arccos_", "unit", (), {}), ("atan_", "any", (), {}), ("arctan_", "any", (), {}),
    ("sinh_", "any", (), {}), ("cosh_", "any", (), {}), ("expm1_", "any", (), {}),
    ("log1p_", "positive", (), {}), ("log2_", "positive", (), {}),
    ("log10_", "positive", (), {}), ("rsqrt_", "positive", (), {}), ("square_", "any", (), {}),
    ("erf_", "any", (), {}), ("logit_", "probability", (), {}),
    ("logit_", "probability", (0.2,), {}), ("sign_", "any", (), {}),
    ("floor_", "any", (), {}), ("ceil_", "any", (), {}), ("trunc_", "any", (), {}),
    ("round_", "any", (), {}),
    ("atan2_", "any", (T("positive"),), {}), ("arctan2_", "any", (T("any"),), {}),
    ("hypot_", "any", (T("positive"),), {}), ("fmod_", "any", (T("positive"),), {}),
    ("fmod_", "any", (0.75,), {}), ("remainder_", "any", (T("positive"),), {}),
    ("remainder_", "any", (0.75,), {}), ("floor_divide_", "any", (T("positive"),), {}),
    ("divide_", "any", (T("positive"),), {}),
    ("divide_", "any", (T("positive"),), {"rounding_mode": "trunc"}),
    ("divide_", "any", (2.0,), {"rounding_mode": "floor"}),
    ("true_divide_", "any", (T("positive"),), {}),
    ("lerp_", "any", (T("small"), 0.3), {}), ("lerp_", "any", (T("small"), T("unit")), {}),
    ("addcmul_", "any", (T("small"), T("unit")), {"value": 0.5}),
    ("addcdiv_", "any", (T("small"), T("positive")), {"value": -2}),
    ("eq_", "any", (0.2,), {}), ("ne_", "any", (T("any"),), {}), ("lt_", "any", (T("small"),), {}),
    ("le_", "any", (0.25,), {}), ("gt_", "any", (T("small"),), {}), ("ge_", "any", (0.75,), {}),
    ("logical_not_", "any", (), {}), ("logical_and_", "any", (T("small"),), {}),
    ("logical_or_", "any", (T("unit"),), {}), ("logical_xor_", "any", (T("small"),), {}),
    ("cumsum_", "any", (1,), {}), ("cumsum_", "any", (0,), {}), ("cumprod_", "any", (1,), {}),
    ("cumprod_", "any", (-2,), {}), ("tril_", "any", (), {}), ("tril_", "any", (1,), {}),
    ("triu_", "any", (), {}), ("triu_", "any", (-1,), {}),
    ("scatter_", "any", (0, "index", T("small")), {}), ("scatter_", "any", (1, "index", 2.5), {}),
    ("scatter_add_", "any", (0, "index", T("small")), {}),
    ("scatter_add_", "any", (-1, "index", T("unit")), {}),
]
# Where PyTorch has no gradient to compare with: its floor_divide has none ("derivative for
# aten::floor_divide is not implemented"), and its logical in-place ops leave the tensor's
# grad_fn as it was (the gradient flows as if the values had not changed). tinygrad_bn gives
# these a zero gradient, as it does the comparisons; the tests below check that instead.
ZERO_GRADIENT_HERE = {"floor_divide_", "logical_not_", "logical_and_", "logical_or_",
                      "logical_xor_"}
VIEW_CASES = [("swapaxes_", (0, 1)), ("swapdims_", (1, 0))]


def case_id(case):
    name, _, args, kwargs = case
    shown = [a[1] if isinstance(a, tuple) else repr(a) for a in args]
    shown += [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(shown)})"


def build(lib, case, dtype, requires_grad):
    """``(self leaf, arguments, keyword arguments, leaves)`` of ``case`` in ``lib`` (tinygrad_bn
    or torch): the leaves are self's and every tensor argument's, requiring grad if asked."""
    _, domain, args, kwargs = case
    lib_dtype = getattr(lib, str(np.dtype(dtype)))
    leaf = lib.tensor(DOMAINS[domain], dtype=lib_dtype, requires_grad=requires_grad)
    leaves, built = [leaf], []
    for arg in args:
        if arg == "index":
            built.append(lib.tensor(SCATTER_INDEX))
        elif isinstance(arg, tuple):
            tensor = lib.tensor(DOMAINS[arg[1]], dtype=lib_dtype, requires_grad=requires_grad)
            leaves.append(tensor)
            built.append(tensor)
        else:
            built.append(arg)
    return leaf, built, kwargs, leaves


def run_case(lib, case, dtype=np.float32, requires_grad=False):
    """Apply the in-place method of ``case`` to a copy of self's leaf (a non-leaf when it
    requires grad); return the result, the tensor written to and the leaves."""
    leaf, args, kwargs, leaves = build(lib, case, dtype, requires_grad)
    target = leaf.clone() if requires_grad else leaf
    result = getattr(target, case[0])(*args, **kwargs)
    return result, target, leaves


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_in_place_form_writes_the_out_of_place_values_into_the_tensor(case):
    result, target, _ = run_case(tg, case)
    leaf, args, kwargs, _ = build(tg, case, np.float32, False)
    out_of_place = getattr(leaf, case[0][:-1])(*args, **kwargs)
    assert result is target and target._version == 1
    np.testing.assert_array_equal(target.numpy(), out_of_place.numpy())
    assert target.dtype == tg.float32


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_in_place_form_matches_pytorch_values_and_gradients(case):
    torch = pytest.importorskip("torch")
    for dtype in (np.float32, np.float64):
        ours, _, _ = run_case(tg, case, dtype)
        theirs, _, _ = run_case(torch, case, dtype)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)
    ours, _, our_leaves = run_case(tg, case, np.float64, requires_grad=True)
    theirs, _, their_leaves = run_case(torch, case, np.float64, requires_grad=True)
    assert ours.requires_grad == theirs.requires_grad
    weights = np.arange(1.0, 7.0).reshape(2, 3)
    (ours * tg.tensor(weights)).sum().backward()
    if case[0] in ZERO_GRADIENT_HERE:
        for leaf in our_leaves:
            np.testing.assert_array_equal(leaf.grad.numpy(), np.zeros((2, 3)))
        return
    (theirs * torch.tensor(weights)).sum().backward()
    for our_leaf, their_leaf in zip(our_leaves, their_leaves):
        np.testing.assert_allclose(our_leaf.grad.numpy(), their_leaf.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_in_place_form_gradients_match_finite_differences(case):
    leaf, args, kwargs, leaves = build(tg, case, np.float64, True)
    positions = [i for i, arg in enumerate(args) if any(arg is other for other in leaves)]

    def written(self_values, *tensors):
        arguments = list(args)
        for position, tensor in zip(positions, tensors):
            arguments[position] = tensor
        return getattr(self_values.clone(), case[0])(*arguments, **kwargs)

    assert gradcheck(written, tuple(leaves))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_in_place_form_refuses_a_leaf_that_requires_grad(case):
    leaf, args, kwargs, _ = build(tg, case, np.float32, True)
    with pytest.raises(RuntimeError, match=re.escape(LEAF_MESSAGE)):
        getattr(leaf, case[0])(*args, **kwargs)
    assert leaf._version == 0
    with tg.no_grad():
        getattr(leaf, case[0])(*args, **kwargs)
    assert leaf._version == 1


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_in_place_form_on_an_integer_tensor_does_what_pytorch_does(case):
    """The dtype rule: the result is stored in self's dtype when PyTorch can cast it there, and
    refused with PyTorch's message (``result type Float can't be cast to the desired output
    type Long``) when not."""
    torch = pytest.importorskip("torch")
    name, _, args, kwargs = case

    def outcome(lib):
        self_values = lib.tensor([[-3, 0, 2], [5, 1, -4]])
        arguments = [lib.tensor(SCATTER_INDEX) if a == "index"
                     else lib.tensor([[2, 1, 3], [1, 4, 2]]) if isinstance(a, tuple)
                     else int(a) if isinstance(a, float) and name != "logit_" else a
                     for a in args]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # floor_divide's deprecation in older releases
                result = getattr(self_values, name)(*arguments, **kwargs)
        except RuntimeError as error:
            return str(error).split("\n")[0]
        return str(result.dtype).removeprefix("torch."), result.tolist()

    assert outcome(tg) == outcome(torch)


@pytest.mark.parametrize("name, dims", VIEW_CASES)
def test_swapaxes_in_place_swaps_dims_over_the_same_memory_as_pytorch(name, dims):
    torch = pytest.importorskip("torch")
    ours, theirs = tg.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)
    pointer = ours.data_ptr()
    assert getattr(ours, name)(*dims) is ours
    getattr(theirs, name)(*dims)
    assert ours.shape == theirs.shape and ours.stride() == theirs.stride()
    assert ours.data_ptr() == pointer and ours._version == theirs._version == 1
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    leaf = tg.arange(6.0, dtype=tg.float64).reshape(2, 3).requires_grad_()
    with pytest.raises(RuntimeError, match=re.escape(LEAF_MESSAGE)):
        getattr(leaf, name)(*dims)
    assert gradcheck(lambda x: getattr(x.clone(), name)(*dims), (leaf,))


def test_scatter_reduce_adds_or_multiplies_repeated_positions_as_pytorch():
    torch = pytest.importorskip("torch")
    index = [[1, 0, 1], [1, 1, 0]]
    for reduce, src in (("add", 2.5), ("multiply", 3.0), ("add", "tensor"), ("multiply", "tensor")):
        results = []
        for lib in (tg, torch):
            target = lib.ones(2, 3, dtype=lib.float64) * 2
            value = lib.tensor(DOMAINS["small"], dtype=lib.float64) if src == "tensor" else src
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results.append(target.scatter_(0, lib.tensor(index), value, reduce=reduce))
        np.testing.assert_allclose(results[0].numpy(), results[1].numpy())
        assert results[0]._version == 1


def test_scatter_reduce_with_a_tensor_source_warns_once_as_pytorch(monkeypatch):
    monkeypatch.setitem(inplace_forms._warned, "scatter reduce", False)
    src = tg.ones(2, 3)
    with pytest.warns(UserWarning, match="The reduce argument of torch.scatter with Tensor src "
                                         "is deprecated") as record:
        tg.zeros(2, 3).scatter_(0, tg.tensor(SCATTER_INDEX), src, reduce="add")
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.zeros(2, 3).scatter_(0, tg.tensor(SCATTER_INDEX), src, reduce="add")
        tg.zeros(2, 3).scatter_(0, tg.tensor(SCATTER_INDEX), 1.0, reduce="multiply")


def test_scatter_reduce_errors_name_what_pytorch_names():
    index = tg.tensor(SCATTER_INDEX)
    with pytest.raises(RuntimeError, match="^reduce argument must be either add or multiply.$"):
        tg.zeros(2, 3).scatter_(0, index, 1.0, reduce="max")
    with pytest.raises(RuntimeError, match=r"^scatter\(\): Expected self.dtype to be equal to "
                                           r"src.dtype$"):
        tg.zeros(2, 3).scatter_(0, index, tg.ones(2, 3, dtype=tg.float64), reduce="add")
    with pytest.raises(RuntimeError, match="^index 7 is out of bounds for dimension 0 with "
                                           "size 2$"):
        tg.zeros(2, 3).scatter_(0, tg.tensor([[7, 0, 0]]), 1.0, reduce="add")
    leaf = tg.zeros(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(LEAF_MESSAGE)):
        leaf.scatter_(0, index, 1.0, reduce="add")
    with pytest.raises(RuntimeError, match="^derivative for aten::scatter_ is not implemented$"):
        leaf.clone().scatter_(0, index, 1.0, reduce="multiply")


def test_scan_in_place_refuses_another_dtype_with_pytorchs_message():
    torch = pytest.importorskip("torch")
    for name in ("cumsum_", "cumprod_"):
        messages = []
        for lib in (tg, torch):
            with pytest.raises(RuntimeError) as error:
                getattr(lib.ones(2, 2), name)(0, dtype=lib.float64)
            messages.append(str(error.value))
        assert messages[0] == messages[1]
        assert getattr(tg.ones(2, 2), name)(0, dtype=tg.float32)._version == 1


def test_comparison_in_place_keeps_the_tensor_in_the_graph_with_zero_gradient():
    """PyTorch's ``eq_`` on a tensor in the graph: it still requires grad, its gradient is zero;
    so ``backward`` through it runs instead of failing."""
    leaf = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    flags = (leaf * 2).eq_(4.0)
    assert flags.requires_grad and flags.grad_fn is not None
    np.testing.assert_array_equal(flags.detach().numpy(), [0.0, 1.0, 0.0])
    (flags * leaf).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), [0.0, 1.0, 0.0])


def test_in_place_form_through_a_view_rebases_its_base():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (tg, torch):
        leaf = lib.tensor(DOMAINS["any"], dtype=lib.float64, requires_grad=True)
        base = leaf * 1
        base[:, 1].sin_()
        base[0].cumsum_(0)
        (base * lib.arange(6.0, dtype=lib.float64).reshape(2, 3)).sum().backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_every_in_place_form_of_an_op_tinygrad_bn_has_is_here():
    """The names in PyTorch's ``dir(torch.Tensor)`` ending in ``_`` whose out-of-place form
    ``Tensor`` has: every one exists here too."""
    torch = pytest.importorskip("torch")
    names = {n for n in dir(torch.Tensor) if n.endswith("_") and not n.startswith("_")}
    missing = sorted(n for n in names if hasattr(tg.Tensor, n[:-1]) and not hasattr(tg.Tensor, n))
    assert missing == []
