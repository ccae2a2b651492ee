"""Pickling and copying tensors, and Python attributes on them: each pattern as programs write
it, against PyTorch when it is installed."""

import copy
import pickle
import re

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.data import TensorDataset
from test_nn_modules import ArticleMLP

DEEPCOPY_MESSAGE = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol "
    "at the moment.  If you were attempting to deepcopy a module, this may be because of a "
    "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")


def libraries():
    """tinygrad_bn, and PyTorch when it is installed: the tests run the same code on both."""
    try:
        import torch
    except ImportError:
        return [tg]
    return [tg, torch]


def round_trip(obj, protocol=pickle.DEFAULT_PROTOCOL):
    return pickle.loads(pickle.dumps(obj, protocol=protocol))


def values(tensor):
    return tensor.detach().numpy()


def describe(tensor):
    """What a pickled tensor keeps, in terms both libraries share."""
    return (type(tensor).__name__, str(tensor.dtype).removeprefix("torch."),
            tuple(tensor.shape), tensor.requires_grad, tensor.is_leaf, tensor.grad is None,
            values(tensor).tolist())


# ---------------------------------------------------------------------- pickle


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_views_pickle_with_their_values_in_every_protocol(protocol):
    """The issue: a tensor with a view (``x[:, 0]``) raised ``cannot pickle
    'weakref.ReferenceType'``."""
    described = []
    for lib in libraries():
        x = lib.arange(12.0).reshape(3, 4)
        column, transposed, row = x[:, 0], x.t(), x[1]
        expanded = lib.ones(1, 4, dtype=lib.float64).expand(3, 4)
        loaded = round_trip((x, column, transposed, row, expanded), protocol)
        described.append([describe(t) for t in loaded])
        assert loaded[2].stride() == transposed.stride()
    assert all(d == described[0] for d in described)
    np.testing.assert_array_equal(values(round_trip(tg.arange(12.0).reshape(3, 4)[:, 0])),
                                  [0.0, 4.0, 8.0])


def test_a_dataset_of_slices_pickles():
    features = tg.randn(10, 3)
    dataset = TensorDataset(features[:, :2], features[:, 2])
    loaded = round_trip(dataset)
    assert len(loaded) == 10
    for (a, b), (c, d) in zip(dataset, loaded):
        np.testing.assert_array_equal(values(a), values(c))
        np.testing.assert_array_equal(values(b), values(d))


def test_a_loss_pickles_its_value_not_its_graph():
    """PyTorch pickles the article's loss in 392 bytes: data only, the graph left behind. The
    loaded loss is a leaf that requires grad."""
    model = ArticleMLP(20, 64, 5)
    loss = nn.CrossEntropyLoss()(model(tg.randn(32, 20)), tg.randint(0, 5, (32,)))
    data = pickle.dumps(loss)
    assert len(data) < 400
    loaded = pickle.loads(data)
    assert loaded.requires_grad and loaded.is_leaf and loaded.grad_fn is None
    assert loaded.item() == loss.item() and loaded.dtype == tg.float32
    loaded.backward()  # a leaf of its own: its gradient is 1
    assert loaded.grad.item() == 1.0 and model.fc1.weight.grad is None


def test_pickle_keeps_requires_grad_and_class_but_not_grad_as_pytorch():
    described = []
    for lib in libraries():
        weight = lib.ones(3, requires_grad=True)
        weight.grad = lib.full((3,), 2.0)
        product = weight * 2
        with lib.no_grad():
            untracked = weight * 3
        parameter = lib.nn.Parameter(lib.ones(2))
        frozen = lib.nn.Parameter(lib.ones(2), requires_grad=False)
        integers = lib.tensor([1, 2, 3], dtype=lib.int16)
        loaded = round_trip([weight, product, untracked, parameter, frozen, integers])
        described.append([describe(t) for t in loaded])
    assert all(d == described[0] for d in described)
    assert [d[0] for d in described[0]] == ["Tensor"] * 3 + ["Parameter"] * 2 + ["Tensor"]


def test_tensors_pickled_together_do_not_share_memory_as_in_pytorch():
    for lib in libraries():
        x = lib.arange(6.0).reshape(2, 3)
        a, b, c = round_trip((x, x[:, 0], x.detach()))
        b[0] = 100.0
        c[1, 1] = -1.0
        assert values(a).tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_pickle_warns_that_a_hook_is_left_behind():
    weight = tg.ones(2, requires_grad=True)

    def double(grad):
        return grad * 2

    weight.register_hook(double)
    with pytest.warns(UserWarning, match=re.escape(f"backward hook {double!r} on tensor will "
                                                   "not be serialized.")):
        loaded = round_trip(weight)
    loaded.sum().backward()
    assert loaded.grad.tolist() == [1.0, 1.0]


def test_a_pickled_model_trains_on():
    tg.manual_seed(0)
    model = ArticleMLP(20, 64, 5)
    optimizer = tg.optim.Adam(model.parameters(), lr=0.01)
    loaded = round_trip(model)
    loaded_optimizer = tg.optim.Adam(loaded.parameters(), lr=0.01)
    inputs, labels = tg.randn(16, 20), tg.randint(0, 5, (16,))
    for net, opt in ((model, optimizer), (loaded, loaded_optimizer)):
        opt.zero_grad()
        nn.CrossEntropyLoss()(net(inputs), labels).backward()
        opt.step()
    for ours, theirs in zip(model.parameters(), loaded.parameters()):
        assert type(theirs) is nn.Parameter
        np.testing.assert_array_equal(values(ours), values(theirs))


# ---------------------------------------------------------------------- Python attributes


def test_attributes_on_tensors_work_and_travel_as_in_pytorch():
    """fastai's backprop lesson stores gradients on tensors (``inp.g = ...``)."""
    for lib in libraries():
        inp = lib.randn(4, 3, requires_grad=True)
        out = inp.relu()
        out.g = lib.ones(4, 3)
        inp.g = (inp > 0).float() * out.g
        inp.note = "input"
        assert vars(inp).keys() == {"g", "note"}
        loaded = round_trip(inp)
        assert loaded.note == "input" and values(loaded.g).tolist() == values(inp.g).tolist()
        shallow, deep = copy.copy(inp), copy.deepcopy(inp)
        assert shallow.g is inp.g and deep.g is not inp.g and deep.note == "input"
        with pytest.raises(AttributeError, match="'Tensor' object has no attribute 'missing'"):
            inp.missing


class Tagged(tg.Tensor):
    """A subclass with a slot of its own (pickle finds classes by name: module level)."""

    __slots__ = ("tag",)


def test_a_subclass_keeps_its_class_slots_and_attributes():
    tensor = Tagged([1.0, 2.0], requires_grad=True)
    tensor.tag, tensor.extra = "slot", "dict"
    for result in (round_trip(tensor), copy.copy(tensor), copy.deepcopy(tensor)):
        assert type(result) is Tagged and result.requires_grad
        assert (result.tag, result.extra) == ("slot", "dict")
        assert values(result).tolist() == [1.0, 2.0]


def test_attribute_access_on_tensors_still_finds_the_autograd_fields():
    tensor = tg.ones(2, requires_grad=True)
    tensor.__dict__["grad_fn"] = "shadow"  # slots are data descriptors: the dict cannot shadow
    assert tensor.grad_fn is None and tensor.requires_grad


# ---------------------------------------------------------------------- copy and deepcopy


def test_copy_is_a_new_leaf_over_the_same_memory_as_in_pytorch():
    for lib in libraries():
        weight = lib.ones(3, requires_grad=True)
        weight.grad = lib.ones(3)
        loss = (weight * 2).sum()
        for original in (weight, loss):
            shallow = copy.copy(original)
            assert shallow is not original and shallow.data_ptr() == original.data_ptr()
            assert shallow.requires_grad and shallow.is_leaf and shallow.grad is None
        parameter = lib.nn.Parameter(lib.zeros(2))
        assert type(copy.copy(parameter)) is lib.nn.Parameter


def test_deepcopy_copies_memory_attributes_and_grad_as_in_pytorch():
    for lib in libraries():
        weight = lib.ones(3, requires_grad=True)
        weight.grad = lib.full((3,), 2.0)
        deep = copy.deepcopy(weight)
        assert deep.data_ptr() != weight.data_ptr() and deep.requires_grad and deep.is_leaf
        assert values(deep.grad).tolist() == [2.0, 2.0, 2.0] and deep.grad is not weight.grad
        with lib.no_grad():
            deep.add_(1)
        assert values(weight).tolist() == [1.0, 1.0, 1.0]


def test_deepcopy_keeps_views_sharing_memory_as_in_pytorch():
    for lib in libraries():
        x = lib.arange(6.0).reshape(2, 3)
        holder = {"x": x, "column": x[:, 1], "flipped": x.t(), "alone": lib.arange(3.0)[1:]}
        copied = copy.deepcopy(holder)
        copied["column"][0] = 100.0
        copied["flipped"][2, 1] = -5.0
        assert values(copied["x"]).tolist() == [[0.0, 100.0, 2.0], [3.0, 4.0, -5.0]]
        assert values(x).tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
        assert values(copied["alone"]).tolist() == [1.0, 2.0]


def test_deepcopy_of_a_non_leaf_refuses_with_pytorchs_message():
    weight = tg.ones(3, requires_grad=True)
    for tensor in ((weight * 2).sum(), weight[1:]):
        with pytest.raises(RuntimeError, match=f"^{re.escape(DEEPCOPY_MESSAGE)}$"):
            copy.deepcopy(tensor)
    with tg.no_grad():
        assert copy.deepcopy(weight * 2).tolist() == [2.0, 2.0, 2.0]


def test_deepcopy_of_a_parameter_keeps_neither_grad_nor_attributes_as_in_pytorch():
    for lib in libraries():
        parameter = lib.nn.Parameter(lib.ones(2))
        parameter.grad, parameter.tag = lib.ones(2), "tag"
        deep = copy.deepcopy(parameter)
        assert type(deep) is lib.nn.Parameter and deep.requires_grad and deep.grad is None
        assert not hasattr(deep, "tag") and deep.data_ptr() != parameter.data_ptr()
        assert copy.deepcopy([parameter, parameter])[1] is not parameter


def test_a_deep_copied_model_starts_without_gradients_and_trains_apart():
    model = ArticleMLP(20, 64, 5)
    nn.CrossEntropyLoss()(model(tg.randn(8, 20)), tg.randint(0, 5, (8,))).backward()
    twin = copy.deepcopy(model)
    assert all(p.grad is None for p in twin.parameters())
    with tg.no_grad():
        next(twin.parameters()).zero_()
    assert next(model.parameters()).abs().sum().item() > 0


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "from_numpy", "as_tensor"])
def test_tensors_from_pickled_arrays_have_numpys_own_dtype_objects(how):
    """An array that went through pickle (a worker process, a file) comes back with a dtype
    object of its own, equal to NumPy's float16 but not it; tinygrad_bn tests dtypes by
    identity. Such tensors compute as any other: float16 matmul in float32 (opmath), not a
    "float != float" dtype error or float16 arithmetic."""
    half = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float16)
    unpickled = pickle.loads(pickle.dumps(half))
    assert unpickled.dtype is not np.dtype(np.float16)  # what NumPy does, the premise
    if how == "pickle":
        t = pickle.loads(pickle.dumps(tg.tensor(half)))
    elif how == "deepcopy":
        t = copy.deepcopy(pickle.loads(pickle.dumps(tg.tensor(half))))
    else:
        t = getattr(tg, how)(unpickled)
        assert np.shares_memory(t.numpy(), unpickled)
    assert t.numpy().dtype is np.dtype(np.float16) and t.dtype is tg.float16
    expected = tg.tensor(half) @ tg.tensor(half).T
    assert (t @ t.T).numpy().tobytes() == expected.numpy().tobytes()
    model = pickle.loads(pickle.dumps(nn.Linear(5, 3)))
    assert all(p.detach().numpy().dtype is np.dtype(np.float32) for p in model.parameters())
    x = tg.tensor(np.ones((2, 5), np.float32))
    assert (x @ model.weight.T).shape == (2, 3)
