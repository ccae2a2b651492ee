"""Bilinear, EmbeddingBag, affine_grid/grid_sample (spatial transformers), gumbel_softmax,
ChannelShuffle, multi_head_attention_forward and the lazy modules: values and gradients
against PyTorch in float32 and float64, float64 gradchecks, PyTorch's errors."""

import copy
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests
from torch_comparison import assert_matches_torch

F = tg.nn.functional
DTYPES = (np.float32, np.float64)


def _pair(torch, arrays, grad):
    """The same arrays as tinygrad_bn and torch tensors (leaves requiring grad with ``grad``)."""
    ours = [tg.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    return ours, theirs


# ---------------------------------------------------------------------------- bilinear

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch, bias", [((5,), True), ((2, 3), False), ((), True)])
def test_bilinear_matches_torch(dtype, batch, bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((*batch, 4)), rng.standard_normal((*batch, 3)),
              rng.standard_normal((6, 4, 3))] + ([rng.standard_normal(6)] if bias else [])
    arrays = [a.astype(dtype) for a in arrays]
    grad = dtype == np.float64
    ours, theirs = _pair(torch, arrays, grad)
    assert_matches_torch(F.bilinear(*ours), torch.nn.functional.bilinear(*theirs), ours, theirs,
                         dtype, grad, tolerance=1e-5 if dtype == np.float32 else None)


def test_bilinear_gradcheck():
    rng = np.random.default_rng(1)
    args = [tg.tensor(rng.standard_normal(shape), requires_grad=True)
            for shape in ((3, 4), (3, 2), (5, 4, 2), (5,))]
    assert tg.autograd.gradcheck(F.bilinear, args)


def test_bilinear_module_initialisation_and_repr():
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    layer = tg.nn.Bilinear(9, 4, 7)
    assert tuple(layer.weight.shape) == (7, 9, 4) and tuple(layer.bias.shape) == (7,)
    assert np.abs(layer.weight.detach().numpy()).max() <= 1 / 3
    assert np.abs(layer.weight.detach().numpy()).max() > 0.3  # the whole range is used
    assert repr(layer) == repr(torch.nn.Bilinear(9, 4, 7))
    assert repr(tg.nn.Bilinear(2, 3, 4, bias=False)) == repr(torch.nn.Bilinear(2, 3, 4,
                                                                              bias=False))
    assert tg.nn.Bilinear(2, 3, 4, bias=False).bias is None


# ---------------------------------------------------------------------------- embedding_bag

BAG_INPUTS = [
    (np.array([1, 2, 4, 5, 4, 3, 2, 9, 1, 1]), np.array([0, 3, 3, 7])),  # an empty bag too
    (np.array([[1, 2, 4], [4, 4, 0], [9, 9, 9]]), None),                   # 2-D: fixed bags
]
BAG_OPTIONS = [{}, {"padding_idx": 4}, {"padding_idx": -1}, {"max_norm": 1.0},
               {"include_last_offset": True}, {"per_sample_weights": True}]


# per_sample_weights is for mode="sum" only (the error table has the other modes' error).
BAG_CASES = [(mode, options) for mode in ("sum", "mean", "max") for options in BAG_OPTIONS
             if mode == "sum" or "per_sample_weights" not in options]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode, options", BAG_CASES,
                         ids=[f"{m}-{','.join(o) or 'plain'}" for m, o in BAG_CASES])
@pytest.mark.parametrize("layout", [0, 1], ids=["offsets", "2d"])
def test_embedding_bag_matches_torch(dtype, mode, options, layout):
    torch = pytest.importorskip("torch")
    indices, offsets = BAG_INPUTS[layout]
    options = dict(options)
    if options.pop("per_sample_weights", False):
        options["per_sample_weights"] = np.random.default_rng(3).standard_normal(
            indices.shape).astype(dtype)
    if offsets is not None and options.get("include_last_offset"):
        offsets = np.append(offsets, len(indices))  # the last offset closes the last bag
    rng = np.random.default_rng(2)
    weight = rng.standard_normal((10, 3)).astype(dtype)
    grad = dtype == np.float64
    results = []
    for lib in (tg, torch):
        w = lib.tensor(weight.copy(), requires_grad=grad)
        kwargs = dict(options)
        leaves = [w]
        if "per_sample_weights" in kwargs:
            kwargs["per_sample_weights"] = lib.tensor(kwargs["per_sample_weights"],
                                                      requires_grad=grad)
            leaves.append(kwargs["per_sample_weights"])
        out = lib.nn.functional.embedding_bag(
            lib.tensor(indices), w, None if offsets is None else lib.tensor(offsets), mode=mode,
            **kwargs)
        results.append((out, leaves, w))
    (ours, our_leaves, our_w), (theirs, their_leaves, their_w) = results
    assert_matches_torch(ours, theirs, our_leaves, their_leaves, dtype, grad,
                         tolerance=1e-6 if dtype == np.float32 else None)
    np.testing.assert_allclose(our_w.detach().numpy(), their_w.detach().numpy(), rtol=1e-6)


def test_embedding_bag_gradcheck():
    rng = np.random.default_rng(4)
    weight = tg.tensor(rng.standard_normal((6, 3)), requires_grad=True)
    per_sample = tg.tensor(rng.standard_normal(7), requires_grad=True)
    indices, offsets = tg.tensor([0, 2, 2, 5, 1, 3, 0]), tg.tensor([0, 2, 2, 6])
    for mode in ("sum", "mean", "max"):
        assert tg.autograd.gradcheck(
            lambda w: F.embedding_bag(indices, w, offsets, mode=mode, padding_idx=1), weight)
    assert tg.autograd.gradcheck(
        lambda w, p: F.embedding_bag(indices, w, offsets, mode="sum", per_sample_weights=p),
        (weight, per_sample))


def test_embedding_bag_scale_grad_by_freq_divides_by_the_frequency():
    """The gradient of each row divided by how often the input picks it (F.embedding's rule;
    PyTorch 2.13's CPU embedding_bag divides by another entry's count, see the docstring)."""
    rng = np.random.default_rng(5)
    indices, offsets = tg.tensor([1, 2, 4, 5, 4, 3, 2, 9]), tg.tensor([0, 3, 5])
    weight = tg.tensor(rng.standard_normal((10, 2)), requires_grad=True)
    grad_output = tg.tensor(rng.standard_normal((3, 2)))
    F.embedding_bag(indices, weight, offsets, mode="sum", scale_grad_by_freq=True).backward(
        grad_output)
    reference = tg.tensor(weight.detach().numpy(), requires_grad=True)
    rows = F.embedding(indices, reference, scale_grad_by_freq=True)
    bag_of = tg.tensor([0, 0, 0, 1, 1, 2, 2, 2])
    tg.zeros(3, 2, dtype=tg.float64).index_add(0, bag_of, rows).backward(grad_output)
    np.testing.assert_allclose(weight.grad.numpy(), reference.grad.numpy(), rtol=1e-12)


def test_embedding_bag_module():
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    bag = tg.nn.EmbeddingBag(10, 3, mode="max", padding_idx=-1, max_norm=2.0)
    assert bag.padding_idx == 9 and not bag.weight.detach().numpy()[9].any()
    assert repr(bag) == repr(torch.nn.EmbeddingBag(10, 3, mode="max", padding_idx=-1,
                                                   max_norm=2.0))
    pretrained = tg.nn.EmbeddingBag.from_pretrained(tg.arange(12.).reshape(4, 3), mode="sum")
    assert not pretrained.weight.requires_grad
    out = pretrained(tg.tensor([[0, 1], [3, 3]]))
    np.testing.assert_array_equal(out.numpy(), [[3, 5, 7], [18, 20, 22]])
    offsets_out = pretrained(tg.tensor([0, 1, 3]), tg.tensor([0, 2]),
                             per_sample_weights=tg.tensor([1., 2., 0.5]))
    np.testing.assert_array_equal(offsets_out.numpy(), [[6, 9, 12], [4.5, 5, 5.5]])


# ---------------------------------------------------------------------------- grid_sample

GRID_CASES = [(dims, mode, padding, align)
              for dims in (2, 3) for mode in ("bilinear", "nearest", "bicubic")
              for padding in ("zeros", "border", "reflection") for align in (False, True)
              if not (dims == 3 and mode == "bicubic")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dims, mode, padding, align", GRID_CASES)
def test_grid_sample_matches_torch(dtype, dims, mode, padding, align):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(dims * 7 + len(mode) + len(padding) + align)
    spatial = (4, 5) if dims == 2 else (3, 4, 5)
    grid_spatial = (6, 7) if dims == 2 else (2, 3, 4)
    arrays = [rng.standard_normal((2, 3, *spatial)).astype(dtype),
              rng.uniform(-1.4, 1.4, (2, *grid_spatial, dims)).astype(dtype)]
    grad = dtype == np.float64
    ours, theirs = _pair(torch, arrays, grad)
    out = F.grid_sample(*ours, mode=mode, padding_mode=padding, align_corners=align)
    expected = torch.nn.functional.grid_sample(*theirs, mode=mode, padding_mode=padding,
                                               align_corners=align)
    assert_matches_torch(out, expected, ours, theirs, dtype, grad,
                         tolerance=1e-5 if dtype == np.float32 else None)


@pytest.mark.parametrize("mode, padding", [("bilinear", "zeros"), ("bilinear", "reflection"),
                                           ("bicubic", "border"), ("nearest", "zeros")])
def test_grid_sample_gradcheck(mode, padding):
    rng = np.random.default_rng(6)
    image = tg.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    grid = tg.tensor(rng.uniform(-0.9, 0.9, (1, 3, 2, 2)), requires_grad=mode != "nearest")
    assert tg.autograd.gradcheck(
        lambda x, g: F.grid_sample(x, g, mode=mode, padding_mode=padding, align_corners=False),
        (image, grid))


def test_grid_sample_3d_gradcheck():
    rng = np.random.default_rng(7)
    volume = tg.tensor(rng.standard_normal((1, 2, 3, 3, 4)), requires_grad=True)
    grid = tg.tensor(rng.uniform(-0.9, 0.9, (1, 2, 2, 2, 3)), requires_grad=True)
    assert tg.autograd.gradcheck(
        lambda x, g: F.grid_sample(x, g, padding_mode="border", align_corners=True),
        (volume, grid))


def test_grid_sample_float16_and_default_warning():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    image, grid = rng.standard_normal((1, 2, 4, 4)), rng.uniform(-1, 1, (1, 3, 3, 2))
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        out = F.grid_sample(tg.tensor(image).half(), tg.tensor(grid).half())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.nn.functional.grid_sample(torch.tensor(image).half(),
                                                   torch.tensor(grid).half())
    assert out.dtype == tg.float16  # computed in float16 step by step, as PyTorch's kernel
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 4, 5), (2, 3, 1, 5)])
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_matches_torch(dtype, size, align):
    torch = pytest.importorskip("torch")
    theta = np.random.default_rng(9).standard_normal(
        (2, 2, 3) if len(size) == 4 else (2, 3, 4)).astype(dtype)
    grad = dtype == np.float64
    ours, theirs = _pair(torch, [theta], grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unit-size warning, tested in the error table
        out = F.affine_grid(ours[0], size, align_corners=align)
        expected = torch.nn.functional.affine_grid(theirs[0], size, align_corners=align)
    assert_matches_torch(out, expected, ours, theirs, dtype, grad,
                         tolerance=1e-6 if dtype == np.float32 else 1e-12)


def _spatial_transformer_net(torch):
    """The model of PyTorch's Spatial Transformer Networks tutorial, written against ``torch``
    (tinygrad_bn or PyTorch): a localisation network regresses an affine map, affine_grid and
    grid_sample warp the input, and a small CNN classifies the result."""
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)
            self.localization = nn.Sequential(
                nn.Conv2d(1, 8, kernel_size=7), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
                nn.Conv2d(8, 10, kernel_size=5), nn.MaxPool2d(2, stride=2), nn.ReLU(True))
            self.fc_loc = nn.Sequential(nn.Linear(10 * 3 * 3, 32), nn.ReLU(True),
                                        nn.Linear(32, 3 * 2))
            self.fc_loc[2].weight.data.zero_()
            self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

        def stn(self, x):
            xs = self.localization(x)
            xs = xs.view(-1, 10 * 3 * 3)
            theta = self.fc_loc(xs)
            theta = theta.view(-1, 2, 3)
            grid = F.affine_grid(theta, x.size())
            return F.grid_sample(x, grid)

        def forward(self, x):
            x = self.stn(x)
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    return Net()


def _train_spatial_transformer(torch, model, images, labels, steps, eval_mode):
    F = torch.nn.functional
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    model.train(not eval_mode)
    losses = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # affine_grid/grid_sample's align_corners default
        for step in range(steps):
            optimizer.zero_grad()
            loss = F.nll_loss(model(torch.tensor(images[step])), torch.tensor(labels[step]))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def test_spatial_transformer_tutorial_trains_as_torch():
    """The tutorial's model, with its imports swapped, for a few SGD steps on random images:
    the same losses and parameters as PyTorch's (dropout off, as its masks are random draws;
    the last check trains with dropout on). The localisation head starts at the identity, so
    the second step onward moves the sampling grid and its gradient flows through
    grid_sample into the localisation network."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    images = rng.standard_normal((4, 8, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, (4, 8))
    torch.manual_seed(0)
    theirs = _spatial_transformer_net(torch)
    ours = _spatial_transformer_net(tg)
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    their_losses = _train_spatial_transformer(torch, theirs, images, labels, 4, True)
    our_losses = _train_spatial_transformer(tg, ours, images, labels, 4, True)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-5)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), value.numpy(), rtol=1e-4,
                                   atol=1e-6, err_msg=name)
    assert not np.allclose(ours.fc_loc[2].weight.detach().numpy(), 0)  # the grid moved
    losses = _train_spatial_transformer(tg, ours, images, labels, 4, False)
    assert np.isfinite(losses).all()


# ---------------------------------------------------------------------------- small layers

def test_gumbel_softmax_is_the_formula_on_the_same_noise():
    rng = np.random.default_rng(11)
    logits = tg.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    for hard in (False, True):
        tg.manual_seed(7)
        sample = F.gumbel_softmax(logits, tau=0.7, hard=hard, dim=0)
        tg.manual_seed(7)
        noise = -tg.empty_like(logits).exponential_().log()
        soft = ((logits + noise) / 0.7).softmax(0)
        if hard:
            expected = np.zeros((4, 5))
            expected[soft.detach().numpy().argmax(0), np.arange(5)] = 1
        else:
            expected = soft.detach().numpy()
        np.testing.assert_allclose(sample.detach().numpy(), expected, rtol=1e-12)
        # the gradient is the soft sample's (straight through for hard)
        weights = tg.tensor(rng.standard_normal((4, 5)))
        (grad,) = tg.autograd.grad((sample * weights).sum(), logits)
        (expected_grad,) = tg.autograd.grad((soft * weights).sum(), logits)
        np.testing.assert_allclose(grad.numpy(), expected_grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_channel_shuffle_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    array = np.random.default_rng(12).standard_normal((2, 6, 3, 2)).astype(dtype)
    grad = dtype == np.float64
    ours, theirs = _pair(torch, [array], grad)
    assert_matches_torch(F.channel_shuffle(ours[0], 3),
                         torch.nn.functional.channel_shuffle(theirs[0], 3), ours, theirs, dtype,
                         grad)
    assert repr(tg.nn.ChannelShuffle(3)) == repr(torch.nn.ChannelShuffle(3))
    np.testing.assert_array_equal(tg.nn.ChannelShuffle(2)(tg.tensor(array)).numpy(),
                                  torch.nn.ChannelShuffle(2)(torch.tensor(array)).numpy())
    assert tg.nn.Softmax2d is not None


def _attention_arrays(rng, dtype, kdim=8, vdim=8):
    return dict(query=rng.standard_normal((4, 2, 8)), key=rng.standard_normal((5, 2, kdim)),
                value=rng.standard_normal((5, 2, vdim)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", ["packed", "separate", "bias_kv_zero_attn", "static_kv",
                                     "no_weights"])
def test_multi_head_attention_forward_matches_torch(dtype, variant):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    separate = variant == "separate"
    arrays = _attention_arrays(rng, dtype, *((5, 7) if separate else (8, 8)))
    arrays.update(
        in_proj_weight=rng.standard_normal((24, 8)) * 0.3, in_proj_bias=rng.standard_normal(24),
        out_proj_weight=rng.standard_normal((8, 8)) * 0.3, out_proj_bias=rng.standard_normal(8),
        attn_mask=rng.standard_normal((4, 5)))
    if separate:
        arrays.update(q_proj_weight=rng.standard_normal((8, 8)),
                      k_proj_weight=rng.standard_normal((8, 5)),
                      v_proj_weight=rng.standard_normal((8, 7)))
    if variant == "bias_kv_zero_attn":
        arrays.update(bias_k=rng.standard_normal((1, 1, 8)), bias_v=rng.standard_normal((1, 1, 8)))
    if variant == "static_kv":
        arrays.update(static_k=rng.standard_normal((4, 5, 4)),
                      static_v=rng.standard_normal((4, 5, 4)))
    names = list(arrays)
    grad = dtype == np.float64
    unused = {"separate": ("in_proj_weight",), "static_kv": ("key", "value")}.get(variant, ())
    ours, theirs = _pair(torch, [arrays[n].astype(dtype) for n in names], grad)
    for position, name in enumerate(names):
        if name in unused:  # no gradient reaches it, in either library
            ours[position].requires_grad_(False)
            theirs[position].requires_grad_(False)
    outputs = []
    for lib, tensors in ((tg, ours), (torch, theirs)):
        given = dict(zip(names, tensors))
        outputs.append(lib.nn.functional.multi_head_attention_forward(
            given.pop("query"), given.pop("key"), given.pop("value"), 8, 2,
            given.pop("in_proj_weight"), given.pop("in_proj_bias"), given.pop("bias_k", None),
            given.pop("bias_v", None), variant == "bias_kv_zero_attn", 0.0,
            given.pop("out_proj_weight"), given.pop("out_proj_bias"),
            need_weights=variant != "no_weights", use_separate_proj_weight=separate,
            **given))
    (out, weights), (expected, expected_weights) = outputs
    if weights is not None:
        np.testing.assert_allclose(weights.detach().numpy(), expected_weights.detach().numpy(),
                                   rtol=1e-5, atol=1e-6)
    else:
        assert expected_weights is None
    used = [position for position, name in enumerate(names) if name not in unused]
    assert_matches_torch(out, expected, [ours[i] for i in used], [theirs[i] for i in used],
                         dtype, grad, tolerance=1e-5 if dtype == np.float32 else 1e-10)


# ---------------------------------------------------------------------------- lazy modules

def test_lazy_linear_becomes_linear_and_trains_with_an_optimizer_made_before():
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    lazy = tg.nn.LazyLinear(3)
    optimizer = tg.optim.Adam(lazy.parameters(), lr=0.1)
    assert lazy.has_uninitialized_params()
    assert isinstance(lazy.weight, tg.nn.UninitializedParameter)
    assert repr(lazy) == repr(torch.nn.LazyLinear(3))
    assert repr(lazy.state_dict()) == repr(torch.nn.LazyLinear(3).state_dict())
    lazy.double()
    x = tg.tensor(np.random.default_rng(14).standard_normal((5, 4)))
    first = lazy(x)
    assert type(lazy) is tg.nn.Linear and type(lazy.weight) is tg.nn.Parameter
    assert "_module_hooks" not in lazy.__dict__  # its pre-hook is gone: a plain Linear
    assert lazy.in_features == 4 and lazy.weight.dtype == tg.float64
    assert np.abs(lazy.weight.detach().numpy()).max() <= 0.5  # Linear's U(-1/sqrt(4), ...)
    regular = tg.nn.Linear(4, 3, dtype=tg.float64)
    regular.load_state_dict(lazy.state_dict())
    reference = tg.optim.Adam(regular.parameters(), lr=0.1)
    for model, opt in ((lazy, optimizer), (regular, reference)):
        for _ in range(3):
            opt.zero_grad()
            (model(x) ** 2).sum().backward()
            opt.step()
    np.testing.assert_array_equal(lazy.weight.detach().numpy(),
                                  regular.weight.detach().numpy())
    assert first.shape == (5, 3)


LAZY_CASES = [
    ("LazyConv1d", (4, 3), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("LazyConv2d", (4, 3), {"groups": 2}, (2, 6, 7, 7)),
    ("LazyConv3d", (2, 2), {}, (3, 4, 4, 4)),  # unbatched: in_channels from dim 0
    ("LazyConvTranspose1d", (4, 3), {"output_padding": 1, "stride": 2}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), {}, (2, 3, 4, 4)),
    ("LazyBatchNorm1d", (), {}, (6, 3)),
    ("LazyBatchNorm2d", (), {"momentum": 0.3}, (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), {"track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {}, (2, 3, 2, 3, 2)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", LAZY_CASES, ids=[c[0] for c in LAZY_CASES])
def test_lazy_module_matches_torch(name, args, kwargs, shape):
    """Built lazily in both libraries, called once (both become the regular class, with the
    same shapes, state dict keys and repr), given PyTorch's values, then trained a step."""
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(tg.nn, name)(*args, **kwargs).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    array = np.random.default_rng(15).standard_normal(shape)
    with torch.no_grad():
        theirs(torch.tensor(array))
    with tg.no_grad():
        ours(tg.tensor(array))
    assert type(ours).__name__ == type(theirs).__name__ == name[4:]
    assert type(ours) is getattr(tg.nn, name[4:])
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    ours_in, theirs_in = _pair(torch, [array], True)
    assert_matches_torch(ours(ours_in[0]), theirs(theirs_in[0]), ours_in, theirs_in,
                         np.float64, True)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-12)


def test_lazy_batch_norm_initial_state():
    norm = tg.nn.LazyBatchNorm2d()
    assert len(list(norm.parameters())) == 2 and norm.has_uninitialized_params()
    norm(tg.randn(4, 5, 2, 2))
    np.testing.assert_array_equal(norm.weight.detach().numpy(), np.ones(5))
    np.testing.assert_array_equal(norm.bias.detach().numpy(), np.zeros(5))
    assert norm.num_batches_tracked.item() == 1 and norm.num_features == 5


def test_lazy_load_state_dict_materialises():
    lazy = tg.nn.LazyLinear(3)
    lazy.load_state_dict(tg.nn.Linear(5, 3).state_dict())
    assert tuple(lazy.weight.shape) == (3, 5) and not lazy.has_uninitialized_params()
    assert lazy(tg.randn(2, 5)).shape == (2, 3)
    assert type(lazy) is tg.nn.Linear
    # inside a container too (PyTorch's load-state-dict hook of each lazy module)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    ours = tg.nn.Sequential(tg.nn.LazyConv2d(4, 3), tg.nn.LazyBatchNorm2d())
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    assert not ours[0].has_uninitialized_params() and not ours[1].has_uninitialized_params()
    image = np.random.default_rng(17).standard_normal((2, 3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(tg.tensor(image)).detach().numpy(),
                               theirs(torch.tensor(image)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_uninitialized_tensors():
    parameter, buffer = tg.nn.UninitializedParameter(), tg.nn.UninitializedBuffer()
    assert repr(parameter) == "<UninitializedParameter>" and repr(buffer) == "<UninitializedBuffer>"
    assert parameter.requires_grad and not buffer.requires_grad
    assert tuple(parameter.size()) == (0,)
    parameter.materialize((2, 3))
    assert type(parameter) is tg.nn.Parameter and tuple(parameter.shape) == (2, 3)
    buffer.materialize(4, dtype=tg.float64)
    assert type(buffer) is tg.Tensor and buffer.dtype == tg.float64
    from tinygrad_bn.nn.parameter import UninitializedParameter, is_lazy  # PyTorch's path
    assert is_lazy(UninitializedParameter()) and not is_lazy(parameter)
    copied = copy.deepcopy(tg.nn.LazyBatchNorm1d())
    assert copied.has_uninitialized_params() and copied(tg.randn(4, 3)).shape == (4, 3)


UNINITIALIZED_USE = (
    "Attempted to use an uninitialized parameter in {}. This error happens when you are using a "
    "`LazyModule` or explicitly manipulating `torch.nn.parameter.UninitializedParameter` "
    "objects. When using LazyModules Call `forward` with a dummy batch to initialize the "
    "parameters before calling torch functions")


@pytest.mark.parametrize("call, where", [
    (lambda p: p.numel(), "<method 'numel' of 'Tensor' objects>"),
    (lambda p: p + 1, "<ufunc 'add'>"),
    (lambda p: tg.nn.init.xavier_uniform_(p), None),
])
def test_using_an_uninitialized_parameter_raises(call, where):
    with pytest.raises(ValueError) as raised:
        call(tg.nn.LazyLinear(2).weight)
    prefix = UNINITIALIZED_USE.split("{}")[0]
    assert str(raised.value).startswith(prefix)
    assert str(raised.value).endswith(UNINITIALIZED_USE.split("{}")[1])
    if where is not None:
        assert str(raised.value) == UNINITIALIZED_USE.format(where)


# ---------------------------------------------------------------------------- errors

def _indices(lib, values=(1, 2, 4, 5)):
    return lib.tensor(list(values))


def _quiet(function):
    def call(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(lib)
    return call


ERRORS = [
    ("bilinear_dtypes", lambda lib: lib.nn.functional.bilinear(
        lib.ones(2, 3, dtype=lib.float64), lib.ones(2, 4), lib.ones(5, 3, 4), lib.ones(5)),
     RuntimeError, "All tensors must have the same dtype, got input1: double, input2: float, "
                   "weight: float, bias: float"),
    ("bilinear_batch", lambda lib: lib.nn.functional.bilinear(
        lib.ones(2, 3), lib.ones(3, 4), lib.ones(5, 3, 4)),
     RuntimeError, "bilinear(): input batch dimensions do not match at dim 0: got 2 and 3"),
    ("bilinear_input1", lambda lib: lib.nn.functional.bilinear(
        lib.ones(2, 2), lib.ones(2, 4), lib.ones(5, 3, 4)),
     RuntimeError, "bilinear(): input1 size does not match weight size: got 2 but expected 3"),
    ("bilinear_input2", lambda lib: lib.nn.functional.bilinear(
        lib.ones(2, 3), lib.ones(2, 2), lib.ones(5, 3, 4)),
     RuntimeError, "bilinear(): input2 size does not match weight size: got 2 but expected 4"),
    ("bilinear_bias", lambda lib: lib.nn.functional.bilinear(
        lib.ones(2, 3), lib.ones(2, 4), lib.ones(5, 3, 4), lib.ones(2)),
     RuntimeError, "bilinear(): bias size does not match weight size: got 2 but expected 5"),
    ("bag_offsets_start", lambda lib: lib.nn.functional.embedding_bag(
        _indices(lib), lib.ones(10, 3), lib.tensor([1, 2])),
     RuntimeError, "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
                   "start from position 0. However, got 1"),
    ("bag_offsets_end", lambda lib: lib.nn.functional.embedding_bag(
        _indices(lib), lib.ones(10, 3), lib.tensor([0, 5])),
     RuntimeError, "offsets[-1] can not be greater than input's length 4 but got offsets[-1] "
                   "of 5"),
    ("bag_index_range", lambda lib: lib.nn.functional.embedding_bag(
        _indices(lib, (1, 12)), lib.ones(10, 3), lib.tensor([0])),
     RuntimeError, "Index 1 of input takes value 12 which is not in the valid range [0, 10)"),
    ("bag_mode", lambda lib: lib.nn.functional.embedding_bag(
        _indices(lib), lib.ones(10, 3), lib.tensor([0]), mode="median"),
     ValueError, "mode has to be one of sum, mean or max"),
    ("bag_max_freq", lambda lib: lib.nn.functional.embedding_bag(
        _indices(lib), lib.ones(10, 3), lib.tensor([0]), mode="max", scale_grad_by_freq=True),
     ValueError, "max mode does not support scaling the gradient by the frequency"),
    ("bag_weights_mode", lambda lib: lib.nn.functional.embedding_bag(
        _indices(lib), lib.ones(10, 3), lib.tensor([0]), per_sample_weights=lib.ones(4)),
     NotImplementedError, "embedding_bag: per_sample_weights was not None. per_sample_weights "
                          "is only supported for mode='sum' (got mode='mean'). Please open a "
                          "feature request on GitHub."),
    ("bag_weights_shape", lambda lib: lib.nn.functional.embedding_bag(
        _indices(lib), lib.ones(10, 3), lib.tensor([0]), mode="sum",
        per_sample_weights=lib.ones(3)),
     ValueError, "embedding_bag: If per_sample_weights (torch.Size([3])) is not None, then it "
                 "must have the same shape as the input (torch.Size([4]))"),
    ("bag_no_offsets", lambda lib: lib.nn.functional.embedding_bag(_indices(lib),
                                                                   lib.ones(10, 3)),
     ValueError, "offsets has to be a 1D Tensor but got None"),
    ("bag_3d", lambda lib: lib.nn.functional.embedding_bag(
        lib.zeros(1, 1, 2, dtype=lib.int64), lib.ones(10, 3)),
     ValueError, "input has to be 1D or 2D Tensor, but got Tensor of dimension 3"),
    ("bag_float_indices", lambda lib: lib.nn.functional.embedding_bag(
        lib.ones(4), lib.ones(10, 3), lib.tensor([0])),
     RuntimeError, "Expected tensor for argument #1 'indices' to have one of the following "
                   "scalar types: Long, Int; but got torch.FloatTensor instead (while checking "
                   "arguments for embedding_bag)"),
    ("bag_padding_idx", lambda lib: lib.nn.functional.embedding_bag(
        _indices(lib), lib.ones(10, 3), lib.tensor([0]), padding_idx=10),
     RuntimeError, "padding_idx must be within the number of embeddings, -10 through 9, but "
                   "got 10"),
    ("bag_module_padding_idx", lambda lib: lib.nn.EmbeddingBag(10, 3, padding_idx=10),
     AssertionError, "padding_idx must be within num_embeddings"),
    ("grid_mode", _quiet(lambda lib: lib.nn.functional.grid_sample(
        lib.ones(1, 1, 2, 2), lib.ones(1, 1, 1, 2), mode="area")),
     ValueError, "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
                 "'bicubic', but got: 'area'"),
    ("grid_padding", _quiet(lambda lib: lib.nn.functional.grid_sample(
        lib.ones(1, 1, 2, 2), lib.ones(1, 1, 1, 2), padding_mode="wrap")),
     ValueError, "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', "
                 "or 'reflection', but got: 'wrap'"),
    ("grid_batch", lambda lib: lib.nn.functional.grid_sample(
        lib.ones(2, 1, 2, 2), lib.ones(1, 1, 1, 2), align_corners=False),
     RuntimeError, "grid_sampler(): expected grid and input to have same batch size, but got "
                   "input with sizes [2, 1, 2, 2] and grid with sizes [1, 1, 1, 2]"),
    ("grid_last_dim", lambda lib: lib.nn.functional.grid_sample(
        lib.ones(1, 1, 2, 2), lib.ones(1, 1, 1, 3), align_corners=False),
     RuntimeError, "grid_sampler(): expected grid to have size 2 in last dimension, but got grid "
                   "with sizes [1, 1, 1, 3]"),
    ("grid_empty", lambda lib: lib.nn.functional.grid_sample(
        lib.ones(1, 1, 0, 2), lib.ones(1, 1, 1, 2), align_corners=False),
     RuntimeError, "grid_sampler(): expected input to have non-empty spatial dimensions, but "
                   "input has sizes [1, 1, 0, 2] with dimension 2 being empty"),
    ("grid_bicubic_3d", lambda lib: lib.nn.functional.grid_sample(
        lib.ones(1, 1, 2, 2, 2), lib.ones(1, 1, 1, 1, 3), mode="bicubic", align_corners=False),
     RuntimeError, "grid_sampler(): bicubic interpolation only supports 4D input"),
    ("grid_dtypes", lambda lib: lib.nn.functional.grid_sample(
        lib.ones(1, 1, 2, 2), lib.ones(1, 1, 1, 2, dtype=lib.float64), align_corners=False),
     RuntimeError, "expected scalar type Float but found Double"),
    ("grid_int", lambda lib: lib.nn.functional.grid_sample(
        lib.ones(1, 1, 2, 2, dtype=lib.int32), lib.ones(1, 1, 1, 2, dtype=lib.int32),
        align_corners=False),
     NotImplementedError, "\"grid_sampler_2d_cpu_kernel_impl\" not implemented for 'Int'"),
    ("affine_theta_dtype", lambda lib: lib.nn.functional.affine_grid(
        lib.ones(1, 2, 3, dtype=lib.int64), (1, 1, 2, 2), align_corners=False),
     ValueError, "Expected theta to have floating point type, but got torch.int64"),
    ("affine_theta_shape", lambda lib: lib.nn.functional.affine_grid(
        lib.ones(1, 3, 3), (1, 1, 2, 2), align_corners=False),
     ValueError, "Expected a batch of 2D affine matrices of shape Nx2x3 for size (1, 1, 2, 2). "
                 "Got torch.Size([1, 3, 3])."),
    ("affine_size", lambda lib: lib.nn.functional.affine_grid(
        lib.ones(1, 2, 3), (1, 1, 2), align_corners=False),
     NotImplementedError, "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
                          "transforms, respectively. Got size (1, 1, 2)."),
    ("affine_empty", lambda lib: lib.nn.functional.affine_grid(
        lib.ones(1, 2, 3), (1, 1, 0, 2), align_corners=False),
     ValueError, "Expected non-zero, positive output size. Got (1, 1, 0, 2)"),
    ("shuffle_groups", lambda lib: lib.nn.functional.channel_shuffle(lib.ones(1, 6, 2), 4),
     RuntimeError, "Number of channels must be divisible by groups. Got 6 channels and 4 "
                   "groups."),
    ("shuffle_positive", lambda lib: lib.nn.functional.channel_shuffle(lib.ones(1, 6, 2), 0),
     RuntimeError, "Number of groups to divide channels in must be positive. Value of groups:0"),
    ("shuffle_dims", lambda lib: lib.nn.functional.channel_shuffle(lib.ones(6, 2), 2),
     RuntimeError, "channel_shuffle expects input with > 2 dims, but got input with sizes "
                   "[6, 2]"),
    ("lazy_shape", lambda lib: lib.nn.LazyLinear(2).weight.shape,
     RuntimeError, "Can't access the shape of an uninitialized parameter or buffer. This error "
                   "usually happens in `load_state_dict` when trying to load an uninitialized "
                   "parameter into an initialized one. Call `forward` to initialize the "
                   "parameters before accessing their attributes."),
    ("lazy_conv_rank", lambda lib: lib.nn.LazyConv2d(4, 3)(lib.ones(3, 4)),
     RuntimeError, "Expected 3D (unbatched) or 4D (batched) input to LazyConv2d, but got input "
                   "of size: torch.Size([3, 4])"),
    ("lazy_conv_groups", lambda lib: lib.nn.LazyConv2d(4, 3, groups=2)(lib.ones(1, 3, 4, 4)),
     ValueError, "in_channels must be divisible by groups"),
    ("mha_embed_dim", lambda lib: lib.nn.functional.multi_head_attention_forward(
        lib.ones(2, 1, 4), lib.ones(2, 1, 4), lib.ones(2, 1, 4), 6, 2, lib.ones(12, 4), None,
        None, None, False, 0.0, lib.ones(4, 4), None),
     AssertionError, "was expecting embedding dimension of 6, but got 4"),
    ("mha_static_k", lambda lib: lib.nn.functional.multi_head_attention_forward(
        lib.ones(2, 1, 4), lib.ones(2, 1, 4), lib.ones(2, 1, 4), 4, 2, lib.ones(12, 4), None,
        None, None, False, 0.0, lib.ones(4, 4), None, static_k=lib.ones(3, 2, 2)),
     AssertionError, "expecting static_k.size(0) of 2, but got 3"),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


def _lazy_training_losses(jit):
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.LazyLinear(8), tg.nn.ReLU(), tg.nn.LazyLinear(3))
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(x, y):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    step = tg.jit(step) if jit else step
    rng = np.random.default_rng(16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the first call runs eagerly: the lazy pre-hooks
        return [step(tg.tensor(rng.standard_normal((5, 4)).astype(np.float32)),
                     tg.tensor(rng.integers(0, 3, 5))).item() for _ in range(6)]


def test_lazy_model_in_a_jitted_step_trains_as_eager():
    assert _lazy_training_losses(True) == _lazy_training_losses(False)
