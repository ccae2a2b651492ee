"""``Module.get_submodule``, ``get_parameter``, ``get_buffer`` and ``half`` against PyTorch's:
the same objects found by dotted path, the same AttributeError messages, float16 conversion."""

import pytest

import tinygrad_bn as tg

PATHS = ["", "0", "0.weight", "1", "1.running_mean", "1.num_batches_tracked", "0.foo",
         "foo.bar", "2", "1.weight"]


def model(lib):
    return lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3), lib.nn.ReLU())


def outcome(call):
    try:
        found = call()
    except AttributeError as error:
        return "AttributeError", str(error)
    return type(found).__name__, tuple(getattr(found, "shape", ()))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["get_submodule", "get_parameter", "get_buffer"])
def test_lookups_and_errors_match_pytorch(method, path):
    torch = pytest.importorskip("torch")
    theirs = outcome(lambda: getattr(model(torch), method)(path))
    ours = outcome(lambda: getattr(model(tg), method)(path))
    assert ours == theirs


def test_found_objects_are_the_modules_own():
    m = model(tg)
    assert m.get_submodule("0") is m[0] and m.get_submodule("") is m
    assert m.get_parameter("0.bias") is m[0].bias
    assert m.get_buffer("1.running_var") is m[1].running_var


def test_half_converts_floating_parameters_and_buffers():
    m = model(tg).half()
    assert m[0].weight.dtype == tg.float16 and m[1].running_mean.dtype == tg.float16
    assert m[1].num_batches_tracked.dtype == tg.int64
