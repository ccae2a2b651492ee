"""Parameter containers (ParameterList, ParameterDict), Unflatten, and what a module registers:
only attributes that are a Parameter, a buffer or a Module, never what a plain list, tuple or
dict holds (PyTorch's rule), with a one-time warning when such a container holds modules or
parameters. Names, reprs, errors and training are compared with PyTorch when it is installed."""

import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn


def raises(error, message):
    """``pytest.raises`` for exactly ``message`` (not a pattern)."""
    return pytest.raises(error, match="^" + re.escape(message) + "$")


def error_of(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the point is to capture any error
        return type(error).__name__, str(error)
    return None


# ---------------------------------------------------------------------- ParameterList


def test_parameter_list_registers_under_positions():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.params = nn.ParameterList([nn.Parameter(tg.ones(3)), tg.zeros(2, 4)])
            self.params.append(tg.ones(1))

    model = Model()
    assert list(model.state_dict()) == ["params.0", "params.1", "params.2"]
    assert [name for name, _ in model.named_parameters()] == ["params.0", "params.1", "params.2"]
    assert [p.shape for p in model.params] == [(3,), (2, 4), (1,)]
    assert model.params[-1] is model.params[2] and len(model.params) == 3


def test_parameter_list_wraps_tensors_sharing_their_data():
    tensor = tg.ones(3)
    params = nn.ParameterList([tensor])
    assert type(params[0]) is nn.Parameter and params[0].requires_grad
    with tg.no_grad():
        params[0].mul_(2)
    assert tensor.tolist() == [2.0, 2.0, 2.0]
    kept = nn.Parameter(tg.ones(2), requires_grad=False)
    params[0] = kept  # a Parameter enters as it is
    assert params[0] is kept and not params[0].requires_grad


def test_parameter_list_append_extend_iadd_and_slices():
    params = nn.ParameterList()
    assert params.append(tg.ones(1)) is params and params.extend([tg.ones(2)]) is params
    params += (tg.ones(3), tg.ones(4))
    assert isinstance(params, nn.ParameterList) and len(params) == 4
    assert [p.shape[0] for p in params] == [1, 2, 3, 4]
    tail = params[::-2]
    assert isinstance(tail, nn.ParameterList) and [p.shape[0] for p in tail] == [4, 2]
    assert tail[0] is params[3]  # a slice holds the same parameters
    tail += tail  # extending by itself doubles it once, as a list does
    assert [p.shape[0] for p in tail] == [4, 2, 4, 2]


def test_parameter_list_keeps_other_values_unregistered_and_modules_as_children():
    params = nn.ParameterList([tg.ones(2), 5, None])
    params.append(nn.Linear(1, 1))
    assert params[1] == 5 and params[2] is None
    assert list(params.state_dict()) == ["0", "3.weight", "3.bias"]
    assert [name for name, _ in params.named_children()] == ["3"]


def test_parameter_list_repr_is_pytorchs():
    assert repr(nn.ParameterList()) == "ParameterList()"
    # one line of extra text and no child: PyTorch prints it inside the parentheses
    assert repr(nn.ParameterList([tg.ones(3)])) == (
        "ParameterList(  (0): Parameter containing: [torch.float32 of size 3])")
    assert repr(nn.ParameterList([tg.ones(3), tg.zeros(2, 4, dtype=tg.float64), tg.ones(())])) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [torch.float32 of size 3]\n"
        "    (1): Parameter containing: [torch.float64 of size 2x4]\n"
        "    (2): Parameter containing: [torch.float32 of size ]\n"
        ")")
    assert repr(nn.ParameterList([tg.ones(2), 5, None, nn.Linear(1, 1)])) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [torch.float32 of size 2]\n"
        "    (1): Object of type: int\n"
        "    (2): Object of type: NoneType\n"
        "    (3): Object of type: Linear\n"
        "  (3): Linear(in_features=1, out_features=1, bias=True)\n"
        ")")


def test_parameter_list_in_a_model_repr():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.params = nn.ParameterList([tg.ones(3), tg.ones(3)])
            self.lin = nn.Linear(2, 2)

    assert repr(Model()) == (
        "Model(\n"
        "  (params): ParameterList(\n"
        "      (0): Parameter containing: [torch.float32 of size 3]\n"
        "      (1): Parameter containing: [torch.float32 of size 3]\n"
        "  )\n"
        "  (lin): Linear(in_features=2, out_features=2, bias=True)\n"
        ")")


PARAMETER_LIST_ERRORS = [  # (id, call(params, lib), error, message); lib is tg or torch
    ("get_past_end", lambda p, lib: p[2], IndexError, "index 2 is out of range"),
    ("get_before_start", lambda p, lib: p[-3], IndexError, "index -3 is out of range"),
    ("set_past_end", lambda p, lib: p.__setitem__(5, lib.ones(1)), IndexError,
     "index 5 is out of range"),
    ("index_str", lambda p, lib: p["a"], TypeError,
     "'str' object cannot be interpreted as an integer"),
    ("index_float", lambda p, lib: p[1.0], TypeError,
     "'float' object cannot be interpreted as an integer"),
    ("extend_int", lambda p, lib: p.extend(5), TypeError,
     "ParameterList.extend should be called with an iterable, but got int"),
    ("extend_tensor", lambda p, lib: p.extend(lib.ones(2)), TypeError,
     "ParameterList.extend should be called with an iterable, but got Tensor"),
    ("iadd_int", lambda p, lib: p.__iadd__(5), TypeError,
     "ParameterList.extend should be called with an iterable, but got int"),
    ("call", lambda p, lib: p(lib.ones(1)), RuntimeError, "ParameterList should not be called."),
]


@pytest.mark.parametrize("case", PARAMETER_LIST_ERRORS, ids=[c[0] for c in PARAMETER_LIST_ERRORS])
def test_parameter_list_errors(case):
    _, call, error, message = case
    params = nn.ParameterList([tg.ones(3), tg.ones(2)])
    with raises(error, message):
        call(params, tg)
    assert len(params) == 2  # a refused change changes nothing


@pytest.mark.parametrize("case", PARAMETER_LIST_ERRORS, ids=[c[0] for c in PARAMETER_LIST_ERRORS])
def test_parameter_list_errors_are_pytorchs(case):
    torch = pytest.importorskip("torch")
    _, call, error, message = case
    theirs = torch.nn.ParameterList([torch.ones(3), torch.ones(2)])
    assert error_of(lambda: call(theirs, torch)) == (error.__name__, message)


# ---------------------------------------------------------------------- ParameterDict


def test_parameter_dict_orders_keys_as_pytorch():
    plain = nn.ParameterDict({"b": tg.ones(1), "a": tg.ones(2)})
    assert list(plain) == ["a", "b"]  # a plain dict enters sorted
    ordered = nn.ParameterDict(OrderedDict([("b", tg.ones(1)), ("a", tg.ones(2))]))
    assert list(ordered) == ["b", "a"]
    pairs = nn.ParameterDict([("b", tg.ones(1)), ("a", tg.ones(2))])
    assert list(pairs) == ["b", "a"] and list(reversed(pairs)) == ["a", "b"]
    assert list(nn.ParameterDict(pairs)) == ["b", "a"]


def test_parameter_dict_registers_under_keys_and_works_as_a_dict():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterDict({"w": nn.Parameter(tg.ones(2))})

    model = Model()
    scales = model.scales
    scales["v"] = tg.zeros(3)
    assert type(scales["v"]) is nn.Parameter and scales.v is scales["v"]
    assert list(model.state_dict()) == ["scales.w", "scales.v"]
    assert "w" in scales and len(scales) == 2 and scales.get("nope") is None
    assert list(scales.keys()) == ["w", "v"] and [k for k, _ in scales.items()] == ["w", "v"]
    assert [p.shape for p in scales.values()] == [(2,), (3,)]
    assert scales.setdefault("u", tg.ones(4)).shape == (4,) and scales.setdefault("u") is scales.u
    assert scales.pop("u").shape == (4,) and scales.popitem()[0] == "v"
    copy = scales.copy()
    assert type(copy) is nn.ParameterDict and copy["w"] is scales["w"]
    merged = scales | nn.ParameterDict({"x": tg.ones(1)})
    assert list(merged) == ["w", "x"] and list(scales) == ["w"]
    scales |= {"y": tg.ones(1)}
    assert list(scales) == ["w", "y"]
    del scales["y"]
    fresh = scales.fromkeys(["p", "q"])
    assert list(fresh) == ["p", "q"] and fresh["p"] is None and list(scales) == ["w"]
    scales.clear()
    assert len(scales) == 0 and list(model.parameters()) == []


def test_parameter_dict_repr_is_pytorchs():
    assert repr(nn.ParameterDict()) == "ParameterDict()"
    assert repr(nn.ParameterDict({"x": 3})) == "ParameterDict(  (x): Object of type: int)"
    assert repr(nn.ParameterDict({"b": tg.ones(3), "a": tg.zeros(2, 2, dtype=tg.float64)})) == (
        "ParameterDict(\n"
        "    (a): Parameter containing: [torch.DoubleTensor of size 2x2]\n"
        "    (b): Parameter containing: [torch.FloatTensor of size 3]\n"
        ")")


PARAMETER_DICT_ERRORS = [  # (id, call(params, lib), error, message); lib is tg or torch
    ("key_not_str", lambda d, lib: d.__setitem__(1, lib.ones(1)), TypeError,
     ("Index given to ParameterDict cannot be used as a key as it is not a string (type is "
      "'int'). Open an issue on github if you need non-string keys.")),
    ("get_missing", lambda d, lib: d["nope"], AttributeError,
     "'ParameterDict' object has no attribute 'nope'"),
    ("attribute_missing", lambda d, lib: d.nope, AttributeError,
     "'ParameterDict' object has no attribute 'nope'"),
    ("pop_missing", lambda d, lib: d.pop("nope"), AttributeError,
     "'ParameterDict' object has no attribute 'nope'"),
    ("del_missing", lambda d, lib: d.__delitem__("nope"), KeyError, "'nope'"),
    ("update_int", lambda d, lib: d.update(5), TypeError,
     "ParametersDict.update should be called with an iterable of key/value pairs, but got int"),
    ("update_element_not_iterable", lambda d, lib: d.update([1]), TypeError,
     "ParameterDict update sequence element #0 should be Iterable; isint"),
    ("update_element_length", lambda d, lib: d.update([("a",)]), ValueError,
     "ParameterDict update sequence element #0 has length 1; 2 is required"),
    ("call", lambda d, lib: d(lib.ones(1)), RuntimeError, "ParameterDict should not be called."),
]


@pytest.mark.parametrize("case", PARAMETER_DICT_ERRORS, ids=[c[0] for c in PARAMETER_DICT_ERRORS])
def test_parameter_dict_errors(case):
    _, call, error, message = case
    params = nn.ParameterDict({"w": tg.ones(2)})
    with raises(error, message):
        call(params, tg)
    assert list(params) == ["w"]  # a refused change changes nothing (PyTorch keeps a bad key)


@pytest.mark.parametrize("case", PARAMETER_DICT_ERRORS, ids=[c[0] for c in PARAMETER_DICT_ERRORS])
def test_parameter_dict_errors_are_pytorchs(case):
    torch = pytest.importorskip("torch")
    _, call, error, message = case
    theirs = torch.nn.ParameterDict({"w": torch.ones(2)})
    assert error_of(lambda: call(theirs, torch)) == (error.__name__, message)


def test_popitem_of_an_empty_parameter_dict():
    with raises(KeyError, "'popitem(): dictionary is empty'"):
        nn.ParameterDict().popitem()


# ---------------------------------------------------------------------- Unflatten


def test_unflatten_shapes_and_inference():
    x = tg.randn(2, 10)
    assert nn.Unflatten(1, (2, 5))(x).shape == (2, 2, 5)
    assert nn.Unflatten(-1, [-1, 5])(x).shape == (2, 2, 5)
    assert nn.Unflatten(0, (1, 2, 1))(x).shape == (1, 2, 1, 10)
    assert nn.Unflatten(1, (10,))(x).shape == (2, 10)
    assert nn.Unflatten(0, (2, -1))(tg.zeros(0)).shape == (2, 0)
    flat_then_back = nn.Sequential(nn.Flatten(), nn.Unflatten(1, (3, 4)))
    y = tg.randn(5, 3, 4)
    np.testing.assert_array_equal(flat_then_back(y).numpy(), y.numpy())


def test_unflatten_passes_gradients_through():
    x = tg.randn(2, 6, requires_grad=True)
    (nn.Unflatten(1, (2, 3))(x) * tg.arange(6.0).reshape(1, 2, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.tile(np.arange(6.0), (2, 1)))


def test_unflatten_repr_keeps_the_sizes_as_given():
    assert repr(nn.Unflatten(1, (2, 5))) == "Unflatten(dim=1, unflattened_size=(2, 5))"
    assert repr(nn.Unflatten(1, [2, 5])) == "Unflatten(dim=1, unflattened_size=[2, 5])"
    assert repr(nn.Unflatten(-1, tg.zeros(2, 5).shape)) == (
        "Unflatten(dim=-1, unflattened_size=torch.Size([2, 5]))")
    assert list(nn.Unflatten(1, (2, 5)).state_dict()) == []


UNFLATTEN_INIT_ERRORS = [
    ((1, 5), "unflattened_size must be a tuple of ints, but found type int"),
    ((1, None), "unflattened_size must be a tuple of ints, but found type NoneType"),
    ((1, "ab"), "unflattened_size must be a tuple of ints, but found type str"),
    ((1, (2.0, 5)), ("unflattened_size must be tuple of ints, but found element of type float at "
                     "pos 0")),
    ((1, (2, np.int64(5))), ("unflattened_size must be tuple of ints, but found element of type "
                             "int64 at pos 1")),
]


@pytest.mark.parametrize("args, message", UNFLATTEN_INIT_ERRORS)
def test_unflatten_refuses_sizes_that_are_not_ints(args, message):
    with raises(TypeError, message):
        nn.Unflatten(*args)


UNFLATTEN_FORWARD_ERRORS = [
    ((2, 10), 1, (3, 4), RuntimeError,
     ("unflatten: Provided sizes [3, 4] don't multiply up to the size of dim 1 (10) in the input "
      "tensor")),
    ((2, 10), -1, (3, -1), RuntimeError,
     ("unflatten: Provided sizes [3, -1] don't multiply up to the size of dim 1 (10) in the input "
      "tensor")),
    ((2, 10), 1, (0, -1), RuntimeError,
     ("unflatten: Provided sizes [0, -1] don't multiply up to the size of dim 1 (10) in the input "
      "tensor")),
    ((2, 10), 1, (), RuntimeError, "unflatten: sizes must be non-empty"),
    ((2, 10), 1, (-1, -1), RuntimeError, "only one dimension can be inferred"),
    ((2, 10), 1, (3, -2), RuntimeError, "invalid shape dimension -2 at index 1 of shape [3, -2]"),
    ((0,), 0, (0, -1), RuntimeError,
     ("cannot reshape tensor of 0 elements into shape [0, -1] because the unspecified dimension "
      "size -1 can be any value and is ambiguous")),
    ((2, 10), 2, (2, 5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ((2, 10), -3, (2, 5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    ((), -1, (1,), RuntimeError, "Dimension specified as 0 but tensor has no dimensions"),
    ((2, 10), "a", (2, 5), TypeError, ("unflatten(): argument 'dim' (position 1) must be int, "
                                       "not str")),
    ((2, 10), True, (2, 5), TypeError, ("unflatten(): argument 'dim' (position 1) must be int, "
                                        "not bool")),
    ((2, 10), 1, (True, 10), TypeError,
     ("unflatten(): argument 'sizes' (position 2) must be tuple of ints, but found element of "
      "type bool at pos 0")),
]


@pytest.mark.parametrize("shape, dim, sizes, error, message", UNFLATTEN_FORWARD_ERRORS)
def test_unflatten_errors(shape, dim, sizes, error, message):
    with raises(error, message):
        nn.Unflatten(dim, sizes)(tg.zeros(shape))


@pytest.mark.parametrize("shape, dim, sizes, error, message", UNFLATTEN_FORWARD_ERRORS)
def test_unflatten_errors_are_pytorchs(shape, dim, sizes, error, message):
    """PyTorch wraps some of these in "unflatten got an unexpected error:" and a C++ trace; the
    message here is the line that says what went wrong."""
    torch = pytest.importorskip("torch")
    with pytest.raises(error) as caught:
        torch.nn.Unflatten(dim, sizes)(torch.zeros(shape))
    assert message in str(caught.value)


def test_unflatten_matches_pytorch_over_a_sweep():
    torch = pytest.importorskip("torch")
    shapes = [(2, 10), (0,), (), (2, 0), (3, 4, 6)]
    dims = [0, 1, -1, -2, 2, -3, np.int64(1)]
    sizes = [(2, 5), (2, -1), (-1, 5), (3, 4), (-1, -1), (10,), (0, -1), (2, 0), (-2, 5), [2, 5],
             (-1,), (1, 1), (0, 5), (-1, 0), (1, -1, 1), (4, 1, -1), (2, 3, 4)]

    def outcome(lib, shape, dim, size):
        module = lib.nn.Unflatten(dim, size)
        try:
            return "ok", tuple(module(lib.zeros(shape)).shape), repr(module)
        except Exception as error:  # noqa: BLE001
            return type(error).__name__, str(error)

    for shape in shapes:
        for dim in dims:
            for size in sizes:
                ours, theirs = outcome(tg, shape, dim, size), outcome(torch, shape, dim, size)
                case = (shape, dim, size)
                assert ours[0] == theirs[0], (case, ours, theirs)
                if ours[0] == "ok":
                    assert ours == theirs, case
                else:
                    assert ours[1] in theirs[1], (case, ours, theirs)


# ---------------------------------------------------------------------- plain containers


def test_plain_list_tuple_and_dict_are_not_registered():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2), nn.Dropout()]
            self.pair = (nn.Linear(2, 1),)
            self.heads = {"out": nn.Linear(2, 1)}
            self.scales = [nn.Parameter(tg.ones(2))]
            self.fc = nn.Linear(2, 3)

    model = Model()  # the warning waits for the first walk: the lists may be registered later
    with pytest.warns(UserWarning):
        assert [name for name, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    assert list(model.state_dict()) == ["fc.weight", "fc.bias"]
    assert [name for name, _ in model.named_children()] == ["fc"]
    assert [name for name, _ in model.named_modules()] == ["", "fc"]
    assert repr(model) == "Model(\n  (fc): Linear(in_features=2, out_features=3, bias=True)\n)"
    model.double()
    assert model.fc.weight.dtype == tg.float64
    assert model.layers[0].weight.dtype == tg.float32  # not reached by .double()
    assert model.scales[0].dtype == tg.float32
    model.eval()
    assert not model.fc.training and model.layers[1].training  # not reached by .eval()


def test_the_warning_names_the_attribute_and_the_container_to_use():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [nn.Linear(2, 2)]
            self.heads = {"out": nn.Linear(2, 1)}
            self.scales = (nn.Parameter(tg.ones(1)),)
            self.shifts = {"a": nn.Parameter(tg.ones(1))}
            self.mixed = [nn.Linear(1, 1), nn.Parameter(tg.ones(1))]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Model().state_dict()
    texts = [str(w.message) for w in caught]
    assert all(w.category is UserWarning for w in caught) and len(texts) == 5
    what = "which is not registered (as in PyTorch): what it holds is not in parameters(), " \
           "state_dict(), children() or modules(), and .to()/.double() and train()/eval() do " \
           "not reach it."
    assert texts == [
        f"Model.blocks is a plain list of modules, {what} Use nn.ModuleList to register them.",
        f"Model.heads is a plain dict of modules, {what} Use nn.ModuleDict to register them.",
        (f"Model.scales is a plain tuple of parameters, {what} Use nn.ParameterList to register "
         "them."),
        (f"Model.shifts is a plain dict of parameters, {what} Use nn.ParameterDict to register "
         "them."),
        (f"Model.mixed is a plain list of modules and parameters, {what} Use nn.ModuleList / "
         "nn.ParameterList to register them."),
    ]
    assert all(w.filename == __file__ for w in caught)  # it points at the assignment


def test_the_warning_comes_once_per_class_and_attribute():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]

        def rebuild(self):
            self.layers = [nn.Linear(2, 2)]
            self.others = [nn.Linear(2, 2)]

    with pytest.warns(UserWarning, match=r"^Model\.layers is a plain list of modules"):
        first = Model()
        list(first.parameters())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        list(Model().parameters())  # another instance
        first.layers = [nn.Tanh()]  # another assignment
        list(first.parameters())
    assert caught == []
    with pytest.warns(UserWarning, match=r"^Model\.others is") as caught:
        first.rebuild()  # another attribute name warns, the same one still does not
        list(first.parameters())
    assert len(caught) == 1

    class Model2(Model):
        pass

    with pytest.warns(UserWarning, match=r"^Model2\.layers is"):  # another class warns
        Model2().state_dict()


def test_no_warning_without_modules_or_parameters():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.empty = []
            self.sizes = (2, 3)
            self.config = {"lr": 0.1}
            self.tensors = [tg.ones(2)]  # plain tensors are not parameters, here or in PyTorch
            self.blocks = nn.ModuleList([nn.Linear(2, 2)])

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = Model()
        assert list(model.state_dict()) == ["blocks.0.weight", "blocks.0.bias"]
    assert caught == []
    model.empty.append(nn.Linear(2, 2))  # filled later: still not registered, and now it warns
    with pytest.warns(UserWarning, match=r"Model\.empty is a plain list of modules"):
        assert list(model.state_dict()) == ["blocks.0.weight", "blocks.0.bias"]


def test_repr_of_a_multi_line_extra_repr_with_children_is_pytorchs():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(1, 1)

        def extra_repr(self):
            return "first\nsecond"

    assert repr(Block()) == (
        "Block(\n  first\n  second\n  (fc): Linear(in_features=1, out_features=1, bias=True)\n)")


# ---------------------------------------------------------------------- against PyTorch


def network(lib):
    """A model with every container, a plain list of layers that is therefore not trained, and
    an Unflatten; its weights (registered or not) set from NumPy in float64."""
    nn_ = lib.nn

    class Net(nn_.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn_.ModuleList([nn_.Linear(4, 6), nn_.Linear(6, 6)])
            # a plain list: not registered, so neither trained nor reached by .double()
            self.frozen = [nn_.Linear(6, 6, dtype=lib.float64)]
            self.scales = nn_.ParameterList([lib.ones(6), lib.ones(6)])
            self.shift = nn_.ParameterDict({"out": lib.zeros(3)})
            self.head = nn_.Linear(6, 6)
            self.unflatten = nn_.Unflatten(1, (2, 3))

        def forward(self, x):
            for block, scale in zip(self.blocks, self.scales):
                x = block(x).tanh() * scale
            x = self.frozen[0](x)
            return self.unflatten(self.head(x)).sum(1) + self.shift["out"]

    net = Net()
    if lib is tg:  # the first walk warns
        with pytest.warns(UserWarning, match=r"^Net\.frozen is a plain list of modules"):
            net = net.double()
    else:
        net = net.double()
    tensors = list(net.parameters()) + [net.frozen[0].weight, net.frozen[0].bias]
    rng = np.random.default_rng(0)
    with lib.no_grad():
        for tensor in tensors:
            tensor.copy_(lib.tensor(rng.standard_normal(tuple(tensor.shape)) * 0.5,
                                    dtype=tensor.dtype))
    return net


def train(lib, steps=5):
    net = network(lib)
    frozen_before = net.frozen[0].weight.detach().numpy().copy()
    optimizer = lib.optim.SGD(net.parameters(), lr=0.1)
    rng = np.random.default_rng(1)
    x = lib.tensor(rng.standard_normal((8, 4)))
    target = lib.tensor(rng.standard_normal((8, 3)))
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((net(x) - target) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {
        "keys": list(net.state_dict()), "count": sum(p.numel() for p in net.parameters()),
        "repr": repr(net), "losses": losses,
        "state": {k: v.detach().numpy() for k, v in net.state_dict().items()},
        "frozen_moved": not np.array_equal(frozen_before, net.frozen[0].weight.detach().numpy()),
        "frozen_grad": net.frozen[0].weight.grad is not None,
    }


def test_a_model_with_containers_trains_only_its_registered_parameters():
    result = train(tg)
    assert result["keys"] == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                              "blocks.1.bias", "scales.0", "scales.1", "shift.out",
                              "head.weight", "head.bias"]
    assert result["count"] == 4 * 6 + 6 + 6 * 6 + 6 + 6 + 6 + 3 + 6 * 6 + 6
    assert not result["frozen_moved"] and result["frozen_grad"]  # it gets a gradient, no step
    assert result["losses"][-1] < result["losses"][0]


def test_a_model_with_containers_trains_as_in_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = train(tg), train(torch)
    for key in ("keys", "count", "repr", "frozen_moved", "frozen_grad"):
        assert ours[key] == theirs[key], key
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-10)
    for key, value in ours["state"].items():
        np.testing.assert_allclose(value, theirs["state"][key], rtol=1e-10, atol=1e-12,
                                   err_msg=key)


def test_plain_containers_are_ignored_as_in_pytorch():
    torch = pytest.importorskip("torch")

    def build(lib):
        class Model(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = [lib.nn.Linear(2, 2), lib.nn.Dropout()]
                self.heads = {"out": lib.nn.Linear(2, 1)}
                self.scales = (lib.nn.Parameter(lib.ones(2)),)
                self.fc = lib.nn.Linear(2, 3)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = Model().double().eval()
        return (list(model.state_dict()), [n for n, _ in model.named_parameters()],
                [n for n, _ in model.named_modules()], repr(model),
                model.layers[1].training, str(model.layers[0].weight.dtype).split(".")[-1])

    assert build(tg) == build(torch)


def test_container_reprs_are_pytorchs():
    torch = pytest.importorskip("torch")

    def reprs(lib):
        class Model(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.one = lib.nn.ParameterList([lib.ones(3)])
                self.many = lib.nn.ParameterList([lib.ones(3), lib.zeros(2, 4, dtype=lib.float64),
                                                  lib.ones(()), 5, None])
                self.named = lib.nn.ParameterDict({"b": lib.ones(3), "a": lib.ones(0, 2)})
                self.single = lib.nn.ParameterDict({"w": lib.ones(1, dtype=lib.float64)})
                self.shape = lib.nn.Unflatten(-1, (2, -1))

        empty = (lib.nn.ParameterList(), lib.nn.ParameterDict(), lib.nn.Unflatten(0, [1, 2]))
        return [repr(Model())] + [repr(m) for m in empty]

    assert reprs(tg) == reprs(torch)


def test_a_list_filled_after_assignment_warns_when_first_walked():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = []
            for _ in range(2):
                self.blocks.append(nn.Linear(2, 2))
            self.head = nn.Linear(2, 1)

    with pytest.warns(UserWarning, match=r"Net\.blocks is a plain list of modules, which is not "
                                         r"registered"):
        names = [name for name, _ in Net().named_parameters()]
    assert names == ["head.weight", "head.bias"]


def test_containers_do_not_warn_about_their_own_storage():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers = nn.ModuleList([nn.Linear(2, 2)])
        layers.append(nn.ReLU())
        table = nn.ModuleDict({"a": nn.Linear(2, 2)})
        params = nn.ParameterList([nn.Parameter(tg.ones(2))])
        named = nn.ParameterDict({"w": nn.Parameter(tg.ones(1))})
        model = nn.Sequential(layers[0], layers[1])
        for module in (layers, table, params, named, model):
            module.state_dict()
            list(module.parameters())


def test_sequential_of_an_ordered_dict_names_its_modules():
    from collections import OrderedDict

    model = nn.Sequential(OrderedDict([("fc1", nn.Linear(2, 3)), ("act", nn.ReLU()),
                                       ("fc2", nn.Linear(3, 1))]))
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert model.fc1 is model[0] and isinstance(model.act, nn.ReLU)
    assert "(fc1): Linear(in_features=2, out_features=3, bias=True)" in repr(model)
    assert [name for name, _ in model[1:].named_children()] == ["act", "fc2"]
    model.append(nn.Tanh())
    assert [name for name, _ in model.named_children()] == ["fc1", "act", "fc2", "3"]
    assert model(tg.ones(4, 2)).shape == (4, 1)
    with pytest.raises(AttributeError, match="'Sequential' object has no attribute 'fc9'"):
        model.fc9
