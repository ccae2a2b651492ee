"""``nn.DataParallel``, ``nn.parallel``, ``nn.SyncBatchNorm`` and the deprecated
``nn.Container``/``nn.NLLLoss2d`` against PyTorch on a machine without accelerators (PyTorch's
CPU build), which is the only kind this framework runs on."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn

torch = pytest.importorskip("torch")


def _copy_state(ours, theirs):
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})


def test_data_parallel_runs_the_module():
    """As PyTorch's without a GPU: ``.module``, ``device_ids == []`` whatever was asked,
    ``module.``-prefixed state-dict keys, the repr, and the module's forward (args and kwargs,
    gradients to the wrapped parameters)."""
    for args in ((), ([0, 1],), ([0], 0, 1)):
        theirs = torch.nn.DataParallel(torch.nn.Linear(3, 2), *args)
        ours = nn.DataParallel(nn.Linear(3, 2), *args)
        assert ours.device_ids == theirs.device_ids == []
        assert list(ours.state_dict()) == list(theirs.state_dict()) == ["module.weight",
                                                                        "module.bias"]
        assert repr(ours) == repr(theirs)
        assert not hasattr(ours, "output_device") and not hasattr(theirs, "output_device")
    inner = nn.Linear(3, 2)
    wrapped = nn.DataParallel(inner)
    assert wrapped.module is inner
    x = tg.randn(4, 3)
    np.testing.assert_array_equal(wrapped(x).detach().numpy(), inner(x).detach().numpy())
    wrapped(x).sum().backward()
    assert inner.weight.grad is not None

    class TakesKeywords(nn.Module):
        def forward(self, x, *, scale):
            return x * scale
    assert nn.DataParallel(TakesKeywords())(tg.ones(2), scale=3.0).tolist() == [3.0, 3.0]
    # a checkpoint of the wrapped model loads into a wrapped one
    fresh = nn.DataParallel(nn.Linear(3, 2))
    fresh.load_state_dict(wrapped.state_dict())
    np.testing.assert_array_equal(fresh.module.weight.detach().numpy(),
                                  inner.weight.detach().numpy())


def test_data_parallel_function_and_distributed_refuse_as_pytorch():
    cases = [
        (lambda nn_: nn_.parallel.data_parallel(nn_.Linear(2, 2), None), RuntimeError),
        (lambda nn_: nn_.parallel.DistributedDataParallel(nn_.Linear(2, 2)), ValueError),
        (lambda nn_: nn_.parallel.DistributedDataParallel(nn_.Linear(2, 2), process_group=1,
                                                          device_mesh=1), RuntimeError),
    ]
    for action, error in cases:
        with pytest.raises(error) as expected:
            action(torch.nn)
        with pytest.raises(error) as got:
            action(nn)
        assert str(got.value) == str(expected.value)
    assert nn.parallel.DataParallel is nn.DataParallel
    assert issubclass(nn.parallel.DistributedDataParallel, nn.Module)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (2, 3, 4, 4), (2, 3, 2, 2, 3)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_sync_batchnorm_is_batchnorm_without_a_process_group(shape, momentum):
    """Training and eval, values, gradients and running statistics as PyTorch's SyncBatchNorm
    on the CPU (which falls back to batch norm), for every input rank from 2 up."""
    theirs = torch.nn.SyncBatchNorm(3, momentum=momentum).double()
    ours = nn.SyncBatchNorm(3, momentum=momentum).double()
    rng = np.random.default_rng(0)
    for step in range(3):
        x = rng.standard_normal(shape)
        xa, xb = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
        theirs(xa).pow(3).sum().backward()
        ours(xb).pow(3).sum().backward()
        np.testing.assert_allclose(xb.grad.numpy(), xa.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(),
                                   rtol=1e-12)
    ours.eval(), theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_sync_batchnorm_errors_as_pytorch():
    for x_shape, training in (((3,), False), ((3,), True), ((4, 0, 2), True)):
        layer_a, layer_b = torch.nn.SyncBatchNorm(3), nn.SyncBatchNorm(3)
        layer_a.train(training), layer_b.train(training)
        with pytest.raises(ValueError) as expected:
            layer_a(torch.zeros(x_shape))
        with pytest.raises(ValueError) as got:
            layer_b(tg.zeros(x_shape))
        assert str(got.value) == str(expected.value)
    assert nn.SyncBatchNorm(3, process_group="group").process_group == "group"


def test_convert_sync_batchnorm_as_pytorch():
    """Every _BatchNorm (not InstanceNorm) replaced, sharing the original's parameters and
    buffers and keeping its training mode; a bare BatchNorm gives a new layer."""
    def model(nn_):
        return nn_.Sequential(nn_.Conv2d(3, 4, 3), nn_.BatchNorm2d(4, momentum=0.2),
                              nn_.Sequential(nn_.InstanceNorm2d(4), nn_.BatchNorm1d(2,
                                             affine=False)))
    ours, theirs = model(nn), model(torch.nn)
    ours[2][1].eval(), theirs[2][1].eval()
    original = ours[1]
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(ours, process_group="pg")
    reference = torch.nn.SyncBatchNorm.convert_sync_batchnorm(theirs)
    assert converted is ours
    assert repr(converted) == repr(reference)
    assert type(converted[1]) is nn.SyncBatchNorm and converted[1].process_group == "pg"
    assert converted[1].weight is original.weight
    assert converted[1].running_mean is original.running_mean
    assert converted[2][1].training is False and converted[2][1].weight is None
    assert [m.training for m in converted.modules()] == [m.training for m in reference.modules()]
    assert list(converted.state_dict()) == list(reference.state_dict())
    bare = nn.BatchNorm1d(3)
    assert type(nn.SyncBatchNorm.convert_sync_batchnorm(bare)) is nn.SyncBatchNorm


def test_container_and_nllloss2d_deprecated_as_pytorch():
    for make in (lambda nn_: nn_.Container(a=nn_.Linear(2, 2), b=nn_.ReLU()),
                 lambda nn_: nn_.NLLLoss2d(ignore_index=1)):
        with warnings.catch_warnings(record=True) as expected:
            warnings.simplefilter("always")
            theirs = make(torch.nn)
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            ours = make(nn)
        assert [(w.category, str(w.message)) for w in got] == [
            (w.category, str(w.message)) for w in expected]
        assert got[0].filename == __file__
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
    with pytest.warns(FutureWarning, match="nn.Container` is deprecated"):
        class Subclass(nn.Container):
            pass
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Subclass()  # instances of a subclass do not warn, as PyTorch's
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 4))
    t = np.random.default_rng(2).integers(0, 3, (2, 4, 4))
    with pytest.warns(FutureWarning):
        loss = nn.NLLLoss2d(ignore_index=1)
    with pytest.warns(FutureWarning):
        reference = torch.nn.NLLLoss2d(ignore_index=1)
    assert isinstance(loss, nn.NLLLoss)
    np.testing.assert_allclose(loss(tg.tensor(x), tg.tensor(t)).item(),
                               reference(torch.tensor(x), torch.tensor(t)).item(), rtol=1e-12)
