"""``nn.modules``: PyTorch's submodules name the same classes as ``nn``, the private bases
(``_BatchNorm``, ``_ConvNd``, ``_Loss``, ``_MaxPoolNd``, ...) are the real bases of the public
layers, with PyTorch's isinstance answers and constructors, so that subclasses written for
PyTorch work."""

import importlib
import inspect
import math
import os

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.nn import functional as F

torch = pytest.importorskip("torch")

SUBMODULES = ["activation", "adaptive", "batchnorm", "channelshuffle", "container", "conv",
              "linear_cross_entropy_options",
              "distance", "dropout", "flatten", "fold", "instancenorm", "lazy", "linear", "loss",
              "module", "normalization", "padding", "pixelshuffle", "pooling", "rnn", "sparse",
              "transformer", "upsampling", "utils"]


@pytest.mark.parametrize("name", SUBMODULES)
def test_submodule_names_what_pytorch_files_there(name):
    """Every class PyTorch defines in ``torch.nn.modules.<name>`` (but the ones this
    framework lacks, listed) is importable from ``tinygrad_bn.nn.modules.<name>``, and a public
    one is the same object as ``nn.<Class>``."""
    theirs = importlib.import_module(f"torch.nn.modules.{name}")
    ours = importlib.import_module(f"tinygrad_bn.nn.modules.{name}")
    lacking = {"_WrappedHook", "_LazyProtocol", "_ConvTransposeMixin", "_AutoDefault"}
    for attribute, value in vars(theirs).items():
        if not (isinstance(value, type) and value.__module__ == theirs.__name__):
            continue
        if attribute in lacking:
            continue
        assert hasattr(ours, attribute), f"nn.modules.{name}.{attribute}"
        if not attribute.startswith("_") and hasattr(torch.nn, attribute):
            assert getattr(ours, attribute) is getattr(nn, attribute)
            assert getattr(nn.modules, attribute) is getattr(nn, attribute)


def _bases_by_name(module_class):
    return [base.__name__ for base in module_class.__mro__]


BASES = ["_NormBase", "_BatchNorm", "_InstanceNorm", "_LazyNormBase", "LazyModuleMixin", "_ConvNd", "_ConvTransposeNd", "_Loss",
         "_WeightedLoss", "_DropoutNd", "_MaxPoolNd", "_AvgPoolNd", "_AdaptiveAvgPoolNd",
         "_AdaptiveMaxPoolNd", "_MaxUnpoolNd", "_LPPoolNd", "_ConstantPadNd", "_ReflectionPadNd",
         "_ReplicationPadNd", "_CircularPadNd", "RNNBase", "RNNCellBase"]


def _torch_base(name):
    for sub in SUBMODULES:
        module = importlib.import_module(f"torch.nn.modules.{sub}")
        if name in vars(module) and vars(module)[name].__module__ == module.__name__:
            return sub, vars(module)[name]
    raise LookupError(name)


def _layer_names():
    return sorted(name for name in dir(torch.nn) if isinstance(getattr(torch.nn, name), type)
                  and issubclass(getattr(torch.nn, name), torch.nn.Module) and hasattr(nn, name))


@pytest.mark.parametrize("base", BASES)
def test_isinstance_of_private_bases_as_pytorch(base):
    """For every layer both provide, ``issubclass(layer, base)`` is PyTorch's answer (so
    ``isinstance(m, nn.modules.batchnorm._BatchNorm)`` is true for BatchNorm1d/2d/3d and
    SyncBatchNorm, false for InstanceNorm; MaxPool1d is no MaxPool2d)."""
    sub, theirs = _torch_base(base)
    ours = getattr(importlib.import_module(f"tinygrad_bn.nn.modules.{sub}"), base)
    for name in _layer_names():
        assert issubclass(getattr(nn, name), ours) == issubclass(getattr(torch.nn, name),
                                                                  theirs), (name, base)


def test_public_layers_subclass_as_pytorch():
    """Among the public layers, ``issubclass`` answers as PyTorch's (MaxPool1d is not a
    MaxPool2d, ZeroPad2d is a ConstantPad2d, NLLLoss2d is an NLLLoss)."""
    names = _layer_names()
    for a in names:
        for b in names:
            assert issubclass(getattr(nn, a), getattr(nn, b)) == issubclass(
                getattr(torch.nn, a), getattr(torch.nn, b)), (a, b)


def test_batchnorm_isinstance_examples():
    _BatchNorm = nn.modules.batchnorm._BatchNorm
    for layer in (nn.BatchNorm1d(3), nn.BatchNorm2d(3), nn.BatchNorm3d(3), nn.SyncBatchNorm(3),
                  nn.LazyBatchNorm2d()):
        assert isinstance(layer, _BatchNorm)
        assert isinstance(layer, nn.modules.batchnorm._NormBase)
    for layer in (nn.InstanceNorm1d(3), nn.InstanceNorm2d(3), nn.LayerNorm(3), nn.GroupNorm(1, 3)):
        assert not isinstance(layer, _BatchNorm)
    assert isinstance(nn.InstanceNorm2d(3), nn.modules.instancenorm._InstanceNorm)
    assert isinstance(nn.InstanceNorm2d(3), nn.modules.batchnorm._NormBase)


@pytest.mark.parametrize("base", ["_NormBase", "_BatchNorm", "_InstanceNorm", "_ConvNd",
                                  "_ConvTransposeNd", "_Loss", "_WeightedLoss", "_DropoutNd",
                                  "_MaxPoolNd", "_AdaptiveAvgPoolNd", "_AdaptiveMaxPoolNd"])
def test_base_constructor_signatures_as_pytorch(base):
    """The bases take PyTorch's constructor arguments (names, order, defaults), which is what
    a subclass calling ``super().__init__(...)`` relies on."""
    sub, theirs = _torch_base(base)
    ours = getattr(importlib.import_module(f"tinygrad_bn.nn.modules.{sub}"), base)
    def parameters(cls):
        # fused=False (the norm layers' unfused graph) is this framework's addition
        return [(p.name, p.kind, p.default) for p in
                inspect.signature(cls.__init__).parameters.values() if p.name != "fused"]
    assert parameters(ours) == parameters(theirs)


def test_subclass_of_batchnorm_as_written_for_pytorch():
    """A ``_BatchNorm`` subclass with its own ``_check_input_dim`` (as in ghost batch norm or
    detectron-style code) computes PyTorch's values and running statistics."""
    def make(module):
        class AnyDimBatchNorm(module.modules.batchnorm._BatchNorm):
            def _check_input_dim(self, input):
                if input.dim() < 2:
                    raise ValueError("expected at least 2D input")
        return AnyDimBatchNorm(4, momentum=0.3)

    x = np.random.default_rng(0).standard_normal((6, 4, 3)).astype(np.float32)
    ours, theirs = make(nn), make(torch.nn)
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-6)
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 1
    with pytest.raises(ValueError, match="expected at least 2D input"):
        ours(tg.zeros(4))


def _same_padding_conv(module):
    """timm's Conv2dSame pattern: ``_ConvNd``'s PyTorch constructor, then a forward that pads
    and calls ``F.conv2d`` itself."""
    utils = module.modules.utils
    functional = module.functional

    class Conv2dSame(module.modules.conv._ConvNd):
        def __init__(self, in_channels, out_channels, kernel_size, stride=1, groups=1,
                     bias=True):
            super().__init__(in_channels, out_channels, utils._pair(kernel_size),
                             utils._pair(stride), utils._pair(0), utils._pair(1), False,
                             utils._pair(0), groups, bias, "zeros")

        def forward(self, x):
            height, width = x.shape[-2:]
            pad_h = max((math.ceil(height / self.stride[0]) - 1) * self.stride[0]
                        + self.kernel_size[0] - height, 0)
            pad_w = max((math.ceil(width / self.stride[1]) - 1) * self.stride[1]
                        + self.kernel_size[1] - width, 0)
            x = functional.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2,
                                   pad_h - pad_h // 2])
            return functional.conv2d(x, self.weight, self.bias, self.stride, self.padding,
                                     self.dilation, self.groups)
    return Conv2dSame


def test_subclass_of_convnd_as_written_for_pytorch():
    ours_class, theirs_class = _same_padding_conv(nn), _same_padding_conv(torch.nn)
    theirs = theirs_class(4, 6, 3, stride=2, groups=2).double()
    ours = ours_class(4, 6, 3, stride=2, groups=2).double()
    assert ours.weight.shape == tuple(theirs.weight.shape) == (6, 2, 3, 3)
    assert repr(ours) == repr(theirs).replace("torch.", "")
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 4, 7, 9))
    xa, xb = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    theirs(xa).square().sum().backward()
    ours(xb).square().sum().backward()
    np.testing.assert_allclose(xb.grad.numpy(), xa.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)
    transposed = nn.modules.conv._ConvNd(4, 6, (3,), (1,), (0,), (1,), True, (0,), 2, False,
                                         "zeros")
    assert transposed.weight.shape == (4, 3, 3)


def test_conv_forward_takes_a_reparametrised_weight():
    """``Conv2d._conv_forward(input, weight, bias)``, which weight-standardising subclasses
    call, as PyTorch's (padding modes included)."""
    def make(module):
        class StandardizedConv2d(module.Conv2d):
            def forward(self, x):
                weight = self.weight
                mean = weight.mean(dim=(1, 2, 3), keepdim=True)
                var = weight.var(dim=(1, 2, 3), keepdim=True, unbiased=False)
                return self._conv_forward(x, (weight - mean) / (var + 1e-5).sqrt(), self.bias)
        return StandardizedConv2d(3, 4, 3, padding=1, padding_mode="reflect").double()
    ours, theirs = make(nn), make(torch.nn)
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 5))
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12)


def test_subclass_of_loss_bases():
    """``_Loss`` turns the legacy flags into ``reduction`` with PyTorch's warning;
    ``_WeightedLoss`` keeps ``weight`` as a buffer."""
    def make(module):
        class FocalLoss(module.modules.loss._WeightedLoss):
            def __init__(self, weight=None, gamma=2.0, reduction="mean"):
                super().__init__(weight, reduction=reduction)
                self.gamma = gamma

            def forward(self, input, target):
                logp = module.functional.log_softmax(input, dim=1)
                ce = module.functional.nll_loss(logp, target, weight=self.weight,
                                                reduction="none")
                p = logp.gather(1, target.unsqueeze(1)).squeeze(1).exp()
                loss = (1 - p) ** self.gamma * ce
                return loss.mean() if self.reduction == "mean" else loss.sum()
        return FocalLoss
    x = np.random.default_rng(3).standard_normal((5, 4))
    t = np.array([0, 3, 1, 1, 2])
    w = np.array([1.0, 2.0, 0.5, 1.5])
    theirs = make(torch.nn)(torch.tensor(w), reduction="sum")
    ours = make(nn)(tg.tensor(w), reduction="sum")
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    np.testing.assert_allclose(ours(tg.tensor(x), tg.tensor(t)).item(),
                               theirs(torch.tensor(x), torch.tensor(t)).item(), rtol=1e-12)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        legacy = nn.modules.loss._Loss(size_average=False)
    assert legacy.reduction == "sum"


def test_pooling_bases_and_reprs():
    for name in ("MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
                 "AdaptiveAvgPool1d", "AdaptiveAvgPool3d", "AdaptiveMaxPool2d"):
        argument = 2
        assert repr(getattr(nn, name)(argument)) == repr(getattr(torch.nn, name)(argument))
    assert repr(nn.AvgPool3d(2, 1, 1, True, False, 3)) == repr(
        torch.nn.AvgPool3d(2, 1, 1, True, False, 3))
    x = np.random.default_rng(4).standard_normal((1, 2, 4, 6, 6))
    np.testing.assert_allclose(
        nn.AvgPool3d(2, 1, 1, True, False, 3)(tg.tensor(x)).numpy(),
        torch.nn.AvgPool3d(2, 1, 1, True, False, 3)(torch.tensor(x)).numpy(), rtol=1e-12)


def test_conv_transpose_output_size_as_pytorch():
    """``output_size`` with all dims or the spatial ones, and PyTorch's messages for the wrong
    number of sizes or a size out of range."""
    ours = nn.ConvTranspose2d(2, 3, 3, stride=2)
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=2)
    for size in ([9, 11], [1, 3, 10, 12], [10, 11]):
        assert ours(tg.zeros(1, 2, 4, 5), output_size=size).shape == tuple(
            theirs(torch.zeros(1, 2, 4, 5), output_size=size).shape)
    for x_shape, size in (((1, 2, 4, 5), [8]), ((2, 4, 5), [1, 1, 8, 10]), ((1, 2, 4, 5), [20, 9])):
        with pytest.raises(ValueError) as expected:
            theirs(torch.zeros(x_shape), output_size=size)
        with pytest.raises(ValueError) as got:
            ours(tg.zeros(x_shape), output_size=size)
        assert str(got.value) == str(expected.value)


def test_utils_helpers():
    utils, reference = nn.modules.utils, torch.nn.modules.utils
    for name in ("_single", "_pair", "_triple", "_quadruple"):
        for value in (3, (1, 2), [4, 5, 6]):
            assert getattr(utils, name)(value) == getattr(reference, name)(value)
    assert utils._ntuple(5)(2) == reference._ntuple(5)(2)
    assert utils._reverse_repeat_tuple((1, 2, 3), 2) == reference._reverse_repeat_tuple(
        (1, 2, 3), 2)
    assert utils._list_with_default([None, 3], [2, 4, 5, 6]) == reference._list_with_default(
        [None, 3], [2, 4, 5, 6])
    assert utils._list_with_default(4, [1, 2]) == 4
    with pytest.raises(ValueError, match="Input dimension should be at least 3"):
        utils._list_with_default([1, 2], [5, 5])


def test_consume_prefix_in_state_dict_if_present():
    model = nn.DataParallel(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)))
    reference = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(2, 3),
                                                          torch.nn.BatchNorm1d(3)))
    ours, theirs = model.state_dict(), reference.state_dict()
    nn.modules.utils.consume_prefix_in_state_dict_if_present(ours, "module.")
    torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(theirs, "module.")
    assert list(ours) == list(theirs)
    if hasattr(ours, "_metadata"):
        assert sorted(ours._metadata) == sorted(theirs._metadata)
    nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).load_state_dict(ours)


def test_module_namespace():
    assert nn.modules.module.Module is nn.Module
    assert nn.modules.Module is nn.Module
    assert nn.modules.lazy.LazyModuleMixin is nn.lazy.LazyModuleMixin
    assert isinstance(nn.LazyConv2d(4, 3), nn.modules.conv._ConvNd)
    assert isinstance(F.relu, type(F.relu))  # functional unaffected


def test_reduction_helpers_as_pytorch():
    import warnings
    ours, theirs = nn._reduction, torch.nn._reduction
    for reduction in ("none", "mean", "sum", "elementwise_mean"):
        with warnings.catch_warnings(record=True) as expected:
            warnings.simplefilter("always")
            value = theirs.get_enum(reduction)
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            assert ours.get_enum(reduction) == value
        assert [str(w.message) for w in got] == [str(w.message) for w in expected]
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        ours.get_enum("bad")
    for size_average in (None, True, False):
        for reduce in (None, True, False):
            for emit in (True, False):
                with warnings.catch_warnings(record=True) as expected:
                    warnings.simplefilter("always")
                    value = theirs.legacy_get_enum(size_average, reduce, emit)
                with warnings.catch_warnings(record=True) as got:
                    warnings.simplefilter("always")
                    assert ours.legacy_get_enum(size_average, reduce, emit) == value
                    assert ours.legacy_get_string(size_average, reduce, emit) == \
                        theirs.legacy_get_string(size_average, reduce, False)
                # legacy_get_enum's warning points into _reduction.py, as PyTorch's; the
                # string's at its caller
                assert [(str(w.message), os.path.basename(w.filename)) for w in got] == [
                    (str(w.message), "_reduction.py") for w in expected] + [
                    (str(w.message), os.path.basename(__file__)) for w in expected]


def test_factory_kwargs_and_common_types():
    for kwargs in (None, {}, {"device": "cpu"}, {"dtype": 1, "factory_kwargs": {"device": 2}},
                   {"memory_format": 3}):
        assert nn.factory_kwargs(kwargs) == torch.nn.factory_kwargs(kwargs)
    for kwargs in ({"bias": True}, {"dtype": 1, "factory_kwargs": {"dtype": 2}}):
        with pytest.raises(TypeError) as expected:
            torch.nn.factory_kwargs(kwargs)
        with pytest.raises(TypeError) as got:
            nn.factory_kwargs(kwargs)
        assert str(got.value) == str(expected.value)
    from tinygrad_bn.nn.common_types import _ratio_2_t, _size_2_t, _size_any_opt_t
    assert _size_2_t == (int | tuple[int, int])
    assert _ratio_2_t == (float | tuple[float, float])
    assert _size_any_opt_t == (int | None | tuple[int | None, ...])


def test_addindent_as_pytorch():
    from tinygrad_bn.nn.modules.module import _addindent
    for text in ("one line", "a\nb\n\n c", "x(\n  y\n)"):
        assert _addindent(text, 2) == torch.nn.modules.module._addindent(text, 2)
