"""The layers convolutional networks need beyond Conv/Pool: BatchNorm2d/3d, InstanceNorm,
LocalResponseNorm, channel and alpha dropout, interpolate/Upsample and PixelShuffle, against
PyTorch (when installed), finite differences and the primitive-op batch norm."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.nn import functional as F

torch = pytest.importorskip("torch")


def _ours(array, grad=False):
    return tg.tensor(np.array(array), requires_grad=grad)


def _theirs(array, grad=False):
    return torch.tensor(np.array(array), requires_grad=grad)


def _close(ours, theirs, **tolerance):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                               **(tolerance or dict(rtol=1e-10, atol=1e-12)))


@pytest.mark.parametrize("name, shape", [("BatchNorm2d", (4, 3, 5, 2)),
                                         ("BatchNorm3d", (2, 3, 2, 3, 2))])
@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"affine": False},
                                    {"track_running_stats": False}, {"bias": False}])
def test_batchnorm_nd_trains_evaluates_and_differentiates_as_pytorch(name, shape, kwargs):
    ours_module = getattr(nn, name)(3, **kwargs).double()
    theirs_module = getattr(torch.nn, name)(3, **kwargs).double()
    assert repr(ours_module) == repr(theirs_module)
    assert list(ours_module.state_dict()) == list(theirs_module.state_dict())
    rng = np.random.default_rng(0)
    for step in range(3):
        x = rng.normal(1.0, 2.0, shape)
        xo, xt = _ours(x, True), _theirs(x, True)
        out_ours, out_theirs = ours_module(xo), theirs_module(xt)
        _close(out_ours, out_theirs)
        g = rng.normal(size=shape)
        out_ours.backward(_ours(g))
        out_theirs.backward(_theirs(g))
        _close(xo.grad, xt.grad)
        for (_, p), (_, q) in zip(ours_module.named_parameters(),
                                  theirs_module.named_parameters()):
            _close(p.grad, q.grad)
    for (key, a), (_, b) in zip(ours_module.state_dict().items(),
                                theirs_module.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, err_msg=key)
    ours_module.eval(), theirs_module.eval()
    x = rng.normal(size=shape)
    _close(ours_module(_ours(x)), theirs_module(_theirs(x)))


@pytest.mark.parametrize("shape", [(3, 2, 4, 3), (2, 2, 2, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_fused_batch_norm_nd_equals_primitive_ops_and_finite_differences(shape, training):
    rng = np.random.default_rng(1)
    x, gamma, beta = rng.normal(size=shape), rng.normal(1, .5, 2), rng.normal(size=2)
    g = rng.normal(size=shape)
    results = []
    for fused in (True, False):
        leaves = [_ours(a, True) for a in (x, gamma, beta)]
        rm, rv = _ours([0.5, -0.5]), _ours([2.0, 0.5])
        out = F.batch_norm(leaves[0], rm, rv, leaves[1], leaves[2], training, fused=fused)
        out.backward(_ours(g))
        results.append([out.detach().numpy(), rm.numpy(), rv.numpy()]
                       + [t.grad.numpy() for t in leaves])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    leaves = tuple(_ours(a, True) for a in (x, gamma, beta))
    running = (_ours([0.5, -0.5]), _ours([2.0, 0.5]))
    assert tg.gradcheck(lambda *t: F.batch_norm(t[0], *running, t[1], t[2], training), leaves)


@pytest.mark.parametrize("name, good, bad", [("BatchNorm2d", 4, 3), ("BatchNorm3d", 5, 4),
                                             ("BatchNorm2d", 4, 5)])
def test_batchnorm_nd_refuses_other_dims_as_pytorch(name, good, bad):
    x = np.zeros((2,) * bad)
    for module, tensor in ((getattr(nn, name)(2), _ours), (getattr(torch.nn, name)(2), _theirs)):
        with pytest.raises(ValueError, match=rf"expected {good}D input \(got {bad}D input\)"):
            module(tensor(x))


def test_cnn_layers_jit_replays_eager_bit_for_bit():
    """Every new layer in one jitted training step (dropout redrawn at each replay from the
    same generator), captured without a warning, and eager and replay agree bit for bit."""
    def build():
        tg.manual_seed(0)
        model = nn.Sequential(
            nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout2d(0.3),
            nn.Upsample(scale_factor=1.5, mode="bilinear"), nn.InstanceNorm2d(4, affine=True),
            nn.PixelShuffle(2), nn.LocalResponseNorm(2))
        return model, tg.optim.Adam(model.parameters(), lr=0.01)

    results = []
    for use_jit in (False, True):
        model, optimizer = build()

        def step(x):
            optimizer.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
            optimizer.step()
            return loss

        run = tg.jit(step) if use_jit else step
        rng = np.random.default_rng(2)
        tg.manual_seed(1)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            losses = [run(_ours(rng.normal(size=(3, 2, 6, 6)).astype(np.float32))).item()
                      for _ in range(5)]
        results.append((losses, [v.numpy().copy() for v in model.state_dict().values()]))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name, shape", [("InstanceNorm1d", (3, 2, 5)), ("InstanceNorm1d", (2, 5)),
                                         ("InstanceNorm2d", (2, 3, 4, 3)),
                                         ("InstanceNorm3d", (2, 2, 2, 3, 2))])
@pytest.mark.parametrize("kwargs", [{}, {"affine": True, "track_running_stats": True}])
def test_instance_norm_as_pytorch(name, shape, kwargs):
    channels = shape[len(shape) - int(name[-2]) - 1]
    ours_module = getattr(nn, name)(channels, **kwargs).double()
    theirs_module = getattr(torch.nn, name)(channels, **kwargs).double()
    assert repr(ours_module) == repr(theirs_module)
    rng = np.random.default_rng(3)
    for _ in range(2):
        x, g = rng.normal(size=shape), rng.normal(size=shape)
        xo, xt = _ours(x, True), _theirs(x, True)
        out_ours, out_theirs = ours_module(xo), theirs_module(xt)
        _close(out_ours, out_theirs)
        out_ours.backward(_ours(g))
        out_theirs.backward(_theirs(g))
        _close(xo.grad, xt.grad)
    for a, b in zip(ours_module.state_dict().values(), theirs_module.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    ours_module.eval(), theirs_module.eval()
    x = rng.normal(size=shape)
    _close(ours_module(_ours(x)), theirs_module(_theirs(x)))


def test_instance_norm_errors_and_warning_as_pytorch():
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.InstanceNorm2d(3)(_ours(np.zeros((2, 3))))
    with pytest.raises(RuntimeError, match="Expected running_mean and running_var to be "
                                           "defined when use_input_stats is false"):
        F.instance_norm(_ours(np.zeros((2, 3, 4))), use_input_stats=False)
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        F.instance_norm(_ours(np.zeros((2, 3, 1))))
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features"):
        nn.InstanceNorm1d(4, affine=True)(_ours(np.zeros((2, 3, 5))))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        nn.InstanceNorm1d(4)(_ours(np.ones((2, 3, 5))))


@pytest.mark.parametrize("shape", [(2, 7, 3), (2, 6, 3, 4), (1, 5, 2, 2, 2)])
def test_local_response_norm_as_pytorch(shape):
    x = np.random.default_rng(4).normal(size=shape)
    xo, xt = _ours(x, True), _theirs(x, True)
    out_ours = nn.LocalResponseNorm(3, alpha=0.1)(xo)
    out_theirs = torch.nn.LocalResponseNorm(3, alpha=0.1)(xt)
    _close(out_ours, out_theirs)
    out_ours.sum().backward(), out_theirs.sum().backward()
    _close(xo.grad, xt.grad)


@pytest.mark.parametrize("function, shape", [(F.dropout1d, (4, 6, 5)), (F.dropout1d, (6, 5)),
                                             (F.dropout2d, (4, 6, 3, 5)),
                                             (F.dropout3d, (3, 6, 2, 3, 2)),
                                             (F.dropout3d, (6, 2, 3, 2))])
def test_channel_dropout_zeroes_whole_channels(function, shape):
    tg.manual_seed(0)
    x = _ours(np.ones(shape), True)
    out = function(x, p=0.4)
    values = out.detach().numpy()
    assert set(np.unique(values)) <= {0.0, 1 / 0.6}
    batched = values if len(shape) in (3, 4) and function is not F.dropout3d or len(shape) == 5 \
        else values[None]
    flat = batched.reshape(batched.shape[0], batched.shape[1], -1)
    assert (flat == flat[..., :1]).all()  # one draw per (sample, channel)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)
    evaluated = function(x, p=0.4, training=False)
    batched_input = len(shape) == (5 if function is F.dropout3d else 4 if function is F.dropout2d
                                   else 3)
    assert evaluated is x if batched_input else (evaluated.detach().numpy() == 1).all()


def test_dropout_shape_rules_and_warnings_as_pytorch():
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a "
                                           "4D input"):
        F.dropout1d(_ours(np.ones((1, 2, 3, 4))))
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input"):
        F.dropout2d(_ours(np.ones((2, 3, 4))))
    with pytest.warns(UserWarning, match="dropout3d: Received a 3-D input to dropout3d"):
        F.dropout3d(_ours(np.ones((2, 3, 4))))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                                         "got 1.5"):
        nn.Dropout2d(1.5)
    assert not isinstance(nn.Dropout2d(), nn.Dropout)  # siblings under _DropoutNd, as PyTorch
    np.testing.assert_array_equal(F.dropout2d(_ours(np.ones((2, 3, 4, 4))), 1.0).numpy(), 0)


def test_alpha_dropout_keeps_mean_and_variance():
    tg.manual_seed(0)
    x = tg.randn(200, 500, dtype=tg.float64)
    out = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02
    alpha = 1.7580993408473766
    a = (alpha * alpha * 0.2 + 1) ** -0.5 / 0.8 ** 0.5
    dropped = np.isclose(out, alpha * a * (0.2 - 1))  # every dropped unit takes this value
    assert abs(dropped.mean() - 0.2) < 0.01
    assert F.alpha_dropout(x, 0.2) is x  # PyTorch's default training=False
    tg.manual_seed(0)
    out = F.feature_alpha_dropout(tg.ones(50, 40, 3, dtype=tg.float64), 0.5, True).numpy()
    assert (out == out[..., :1]).all()


INTERPOLATIONS = [
    ((2, 3, 5), dict(size=8, mode="nearest")),
    ((2, 3, 5), dict(scale_factor=1.7, mode="nearest-exact")),
    ((2, 3, 5), dict(scale_factor=0.6, mode="linear", align_corners=False)),
    ((2, 3, 5), dict(size=7, mode="linear", align_corners=True)),
    ((1, 2, 4, 5), dict(scale_factor=2, mode="nearest")),
    ((1, 2, 4, 5), dict(size=(7, 3), mode="bilinear")),
    ((1, 2, 4, 5), dict(scale_factor=(1.5, 2.5), mode="bilinear", align_corners=True)),
    ((1, 2, 4, 5), dict(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True)),
    ((1, 2, 4, 5), dict(size=(6, 9), mode="bicubic")),
    ((1, 2, 4, 5), dict(size=(6, 9), mode="bicubic", align_corners=True)),
    ((1, 2, 7, 5), dict(size=(3, 4), mode="area")),
    ((1, 2, 3, 4, 2), dict(scale_factor=1.5, mode="trilinear")),
    ((1, 2, 3, 4, 2), dict(size=(2, 5, 3), mode="nearest")),
]


@pytest.mark.parametrize("shape, kwargs", INTERPOLATIONS)
def test_interpolate_values_and_gradients_as_pytorch(shape, kwargs):
    x = np.random.default_rng(5).normal(size=shape)
    xo, xt = _ours(x, True), _theirs(x, True)
    out_ours, out_theirs = F.interpolate(xo, **kwargs), torch.nn.functional.interpolate(xt, **kwargs)
    _close(out_ours, out_theirs)
    g = np.random.default_rng(6).normal(size=tuple(out_theirs.shape))
    out_ours.backward(_ours(g)), out_theirs.backward(_theirs(g))
    _close(xo.grad, xt.grad)
    module = nn.Upsample(**kwargs)
    assert repr(module) == repr(torch.nn.Upsample(**kwargs))
    _close(module(_ours(x)), out_theirs)


def test_interpolate_gradcheck():
    x = _ours(np.random.default_rng(7).normal(size=(1, 1, 3, 4)), True)
    assert tg.gradcheck(lambda t: F.interpolate(t, scale_factor=1.6, mode="bicubic"), (x,))
    assert tg.gradcheck(lambda t: F.interpolate(t, size=(5, 2), mode="bilinear"), (x,))


@pytest.mark.parametrize("shape, kwargs", [
    ((1, 2, 3), dict(size=2, scale_factor=2)),
    ((1, 2, 3), dict()),
    ((1, 2, 3), dict(size=(2, 2))),
    ((1, 2, 3, 3), dict(scale_factor=(2,))),
    ((1, 2, 3), dict(size=4, mode="nearest", align_corners=True)),
    ((1, 2, 3), dict(size=4, mode="bilinear")),
    ((1, 2, 3, 3), dict(size=4, mode="trilinear")),
    ((1, 2), dict(size=4)),
    ((1, 2, 3), dict(size=4, recompute_scale_factor=True)),
    ((1, 2, 3), dict(scale_factor=0.1)),
    ((1, 2, 3, 3), dict(scale_factor=0.1, mode="bilinear")),
    ((1, 2, 3, 3, 3), dict(scale_factor=0.1)),
])
def test_interpolate_errors_as_pytorch(shape, kwargs):
    with pytest.raises(Exception) as theirs:
        torch.nn.functional.interpolate(torch.zeros(shape), **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        F.interpolate(tg.zeros(*shape), **kwargs)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("shape, factor", [((1, 8, 2, 3), 2), ((2, 1, 9, 1, 2), 3), ((18, 2, 2), 3)])
def test_pixel_shuffle_as_pytorch_and_unshuffle_inverts_it(shape, factor):
    x = np.random.default_rng(8).normal(size=shape)
    ours, theirs = nn.PixelShuffle(factor)(_ours(x)), torch.nn.PixelShuffle(factor)(_theirs(x))
    _close(ours, theirs)
    _close(nn.PixelUnshuffle(factor)(ours), _ours(x))
    for function, args in ((F.pixel_shuffle, (_ours(np.zeros((1, 3, 2, 2))), 2)),
                           (F.pixel_unshuffle, (_ours(np.zeros((1, 3, 3, 2))), 2)),
                           (F.pixel_shuffle, (_ours(np.zeros((3, 2))), 2))):
        theirs_function = getattr(torch.nn.functional, function.__name__)
        with pytest.raises(RuntimeError) as theirs_error:
            theirs_function(torch.from_numpy(args[0].numpy()), args[1])
        with pytest.raises(RuntimeError) as ours_error:
            function(*args)
        assert str(ours_error.value) == str(theirs_error.value)
