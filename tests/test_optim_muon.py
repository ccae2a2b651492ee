"""``optim.Muon`` against PyTorch 2.13's ``torch.optim.Muon`` when it is installed: its
Newton-Schulz iteration runs in bfloat16, emulated here by rounding every op's float32 result
(bit for bit with PyTorch on small matrices; on larger ones PyTorch's bfloat16 matrix products
accumulate in another order, and an update element can land one bfloat16 ulp away); its argument
checks and messages."""

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.optim.muon import _bfloat16, zeropower_via_newtonschulz


def _run(module, dtype, shapes, steps=10, **options):
    rng = np.random.default_rng(0)
    starts = [rng.standard_normal(shape) for shape in shapes]
    noise = [[rng.standard_normal(s.shape) for s in starts] for _ in range(steps)]
    params = [module.tensor(s.astype(dtype), requires_grad=True) for s in starts]
    optimizer = module.optim.Muon(params, **options)
    for gradients in noise:
        for p, g in zip(params, gradients):
            value = g + 0.3 * p.detach().numpy().astype(np.float64)
            p.grad = module.tensor(value.astype(dtype))
        optimizer.step()
    return [p.detach().numpy() for p in params], optimizer.state_dict()


OPTIONS = [{}, dict(lr=0.02, nesterov=False, weight_decay=0.01, adjust_lr_fn="match_rms_adamw"),
           dict(momentum=0.5, ns_steps=3, ns_coefficients=(2.0, -1.5, 0.5), eps=1e-3),
           dict(lr=0.01, adjust_lr_fn="original")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", OPTIONS)
def test_muon_matches_pytorch_bit_for_bit_on_small_matrices(options, dtype):
    torch = pytest.importorskip("torch")
    ours, our_dict = _run(tg, dtype, [(6, 10), (10, 4)], **options)
    theirs, their_dict = _run(torch, dtype, [(6, 10), (10, 4)], **options)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_array_equal(mine, reference)
    assert list(our_dict["param_groups"][0]) == list(their_dict["param_groups"][0])
    for index, state in their_dict["state"].items():
        assert list(our_dict["state"][index]) == list(state)
        np.testing.assert_array_equal(our_dict["state"][index]["momentum_buffer"].numpy(),
                                      state["momentum_buffer"].numpy())


def test_muon_larger_matrices_close_to_pytorch():
    """Some update elements one bfloat16 ulp apart (2**-8 of about 1, times the adjusted
    learning rate 1e-3 * sqrt(3) per step): 2e-5 absolute over five steps."""
    torch = pytest.importorskip("torch")
    ours, _ = _run(tg, "float32", [(64, 128), (96, 32)], steps=5)
    theirs, _ = _run(torch, "float32", [(64, 128), (96, 32)], steps=5)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=0, atol=2e-5)


def test_bfloat16_rounding_is_to_nearest_even():
    """1 + 2**-8 lies halfway between bfloat16 neighbours 1 and 1 + 2**-7: to the even one (1);
    1 + 3 * 2**-8 goes up to 1 + 2**-6; NaN stays NaN."""
    values = np.array([1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-9, np.nan, -2.0], np.float32)
    rounded = _bfloat16(values)
    assert rounded[:3].tolist() == [1.0, 1 + 2**-6, 1.0]
    assert np.isnan(rounded[3]) and rounded[4] == -2.0


def test_newton_schulz_orthogonalises():
    """Without PyTorch: the singular values of the result lie in about [0.5, 1.5] (the quintic's
    purpose), for a tall matrix too (computed on its transpose)."""
    rng = np.random.default_rng(1)
    for shape in ((8, 16), (16, 8)):
        ortho = zeropower_via_newtonschulz(rng.standard_normal(shape), (3.4445, -4.775, 2.0315),
                                           5, 1e-7)
        assert ortho.shape == shape
        singular_values = np.linalg.svd(ortho.astype(np.float64), compute_uv=False)
        assert singular_values.min() > 0.5 and singular_values.max() < 1.5


@pytest.mark.parametrize("make, error, message", [
    (lambda p: tg.optim.Muon([p], lr=-1.0), ValueError,
     "Learning rate should be >= 0 but is: -1.0"),
    (lambda p: tg.optim.Muon([p], momentum=-1.0), ValueError,
     "momentum should be >= 0 but is: -1.0"),
    (lambda p: tg.optim.Muon([p], weight_decay=-1.0), ValueError,
     "weight decay should be >= 0 but is: -1.0"),
    (lambda p: tg.optim.Muon([p], adjust_lr_fn="other"), ValueError,
     "Adjust learning rate function other is not supported"),
    (lambda p: tg.optim.Muon([tg.zeros(3, requires_grad=True)]), ValueError,
     "Muon only supports 2D parameters whereas we found a parameter with size: "
     "torch.Size([3])"),
])
def test_muon_argument_errors(make, error, message):
    with pytest.raises(error) as info:
        make(tg.zeros(2, 3, requires_grad=True))
    assert str(info.value) == message


@pytest.mark.parametrize("options, message", [
    (dict(ns_steps=100), "Number of steps must be less than 100 for computational efficiency"),
    (dict(ns_coefficients=(1.0, 2.0)), "Coefficients must be a tuple of exactly 3 values"),
])
def test_muon_step_errors(options, message):
    p = tg.zeros(2, 3, requires_grad=True)
    p.grad = tg.ones(2, 3)
    optimizer = tg.optim.Muon([p], **options)
    with pytest.raises(ValueError) as info:
        optimizer.step()
    assert str(info.value) == message
