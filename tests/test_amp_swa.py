"""Mixed precision and weight averaging against PyTorch 2.13 (CPU): ``amp.GradScaler`` (its
scale sequence, skipped steps, unscaled gradients bit for bit, state_dict, errors and the
deprecated ``cuda.amp``/``cpu.amp`` forms with their warnings), ``autocast`` (dtypes and values
under CPU float16 autocast), ``testing.assert_close`` (its messages) and
``optim.swa_utils`` (EMA/SWA averages, SWALR learning rates, update_bn)."""

import pickle
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg

INF, NAN = float("inf"), float("nan")
GRADIENT_SEQUENCE = [[1, 2, 3], [INF, 1, 1], [1, 1, 1], [1, NAN, 1], [1e-3, 2, 3], [1, 1, 1],
                     [1, 1, 1], [-INF, 1, 1], [5, 5, 5], [1, 1, 1], [1, 1, 1]]


def scaler_run(lib, make_scaler, gradients=GRADIENT_SEQUENCE, dtype=np.float32):
    """A scaled SGD loop over ``gradients``: after each update the scale, the tracker, what
    ``step`` returned, the unscaled gradient (bytes), the weights rounded to 6 digits (SGD's own
    last bit differs from PyTorch's) and the state_dict."""
    w = lib.tensor(np.array([1.0, 2.0, 3.0], dtype=dtype), requires_grad=True)
    optimizer = lib.optim.SGD([w], lr=0.1)
    scaler = make_scaler(lib)
    record = []
    for g in gradients:
        optimizer.zero_grad()
        loss = (w * lib.tensor(np.array(g, dtype=dtype))).sum()
        scaler.scale(loss).backward()
        returned = scaler.step(optimizer)
        unscaled = w.grad.numpy().copy()
        scaler.update()
        record.append((scaler.get_scale(), scaler._get_growth_tracker(), returned,
                       unscaled.tobytes(), np.round(w.detach().numpy(), 6).tolist(),
                       scaler.state_dict()))
    return record


@pytest.mark.parametrize("options", [
    {}, {"growth_interval": 2}, {"growth_interval": 1},
    {"init_scale": 3.0, "growth_factor": 3.3, "backoff_factor": 0.3, "growth_interval": 1},
    {"init_scale": 2.0**127, "growth_interval": 1},  # growth stops short of float32 overflow
    {"init_scale": 1e-3, "backoff_factor": 0.1},
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_scaler_sequence_matches_pytorch(options, dtype):
    torch = pytest.importorskip("torch")
    ours = scaler_run(tg, lambda lib: lib.amp.GradScaler("cpu", **options), dtype=dtype)
    theirs = scaler_run(torch, lambda lib: lib.amp.GradScaler("cpu", **options), dtype=dtype)
    assert ours == theirs


def test_grad_scaler_skips_the_step_on_infs_and_returns_what_step_returns():
    w = tg.tensor([1.0, 2.0], requires_grad=True)

    class Counting(tg.optim.SGD):
        def step(self):
            super().step()
            return "stepped"

    optimizer = Counting([w], lr=1.0)
    scaler = tg.amp.GradScaler("cpu", init_scale=4.0)
    scaler.scale((w * tg.tensor([INF, 1.0])).sum()).backward()
    assert scaler.step(optimizer) is None and w.tolist() == [1.0, 2.0]
    scaler.update()
    assert scaler.get_scale() == 2.0
    optimizer.zero_grad()
    scaler.scale((w * tg.tensor([1.0, 1.0])).sum()).backward()
    assert scaler.step(optimizer) == "stepped" and w.tolist() == [0.0, 1.0]


def test_unscale_then_clip_then_step_matches_pytorch_bit_for_bit():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    g = (rng.standard_normal(64) * 10.0 ** rng.integers(-8, 8, 64)).astype(np.float32)
    results = []
    for lib in (tg, torch):
        w = lib.tensor(np.zeros(64, np.float32), requires_grad=True)
        optimizer = lib.optim.SGD([w], lr=0.1)
        scaler = lib.amp.GradScaler("cpu", init_scale=3.7)
        scaler.scale((w * lib.tensor(g)).sum()).backward()
        scaler.unscale_(optimizer)
        results.append(w.grad.numpy().copy())
        with pytest.raises(RuntimeError, match=r"^unscale_\(\) has already been called on this "
                           r"optimizer since the last update\(\)\.$"):
            scaler.unscale_(optimizer)
        scaler.step(optimizer)
        with pytest.raises(RuntimeError, match=r"^step\(\) has already been called since the "
                           r"last update\(\)\.$"):
            scaler.step(optimizer)
        with pytest.raises(RuntimeError, match=r"^unscale_\(\) is being called after step\(\)\.$"):
            scaler.unscale_(optimizer)
    assert results[0].tobytes() == results[1].tobytes()


def test_grad_scaler_errors_match_pytorch():
    w = tg.tensor(np.zeros(3, np.float16), requires_grad=True)
    optimizer = tg.optim.SGD([w], lr=0.1)
    scaler = tg.amp.GradScaler("cpu")
    scaler.scale((w * 2).sum()).backward()
    with pytest.raises(ValueError, match="^Attempting to unscale FP16 gradients.$"):
        scaler.step(optimizer)
    with pytest.raises(RuntimeError, match="^Closure use is not currently supported if "
                       "GradScaler is enabled.$"):
        scaler.step(optimizer, closure=None)
    fresh = tg.amp.GradScaler("cpu")
    for call, name in ((lambda: fresh.step(optimizer), "step"), (fresh.update, "update"),
                       (lambda: fresh.unscale_(optimizer), "unscale_")):
        with pytest.raises(AssertionError, match=f"^Attempted {name} but _scale is None.  This "
                           "may indicate your script did not use scaler.scale"):
            call()
    with pytest.raises(AssertionError, match=r"^The growth factor must be > 1\.0\.$"):
        tg.amp.GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(AssertionError, match=r"^The backoff factor must be < 1\.0\.$"):
        tg.amp.GradScaler("cpu", backoff_factor=1.0)
    with pytest.raises(ValueError, match="^outputs must be a Tensor or an iterable of Tensors$"):
        scaler.scale([w, (w, 3)])
    with pytest.raises(RuntimeError, match="^The source state dict is empty"):
        scaler.load_state_dict({})
    scaler.update(8.0)
    assert scaler.get_scale() == 8.0
    scaler.update(tg.tensor(4.0))
    assert scaler.get_scale() == 4.0
    with pytest.raises(AssertionError, match="^new_scale should be a float or a 1-element"):
        scaler.update(tg.tensor([4.0, 2.0]))


def test_scale_of_lists_tuples_and_iterables_as_pytorch():
    scaler = tg.amp.GradScaler("cpu", init_scale=2.0)
    x = tg.tensor([1.0, 3.0])
    nested = scaler.scale((x, [x, x.half()]))
    assert type(nested) is tuple and type(nested[1]) is list
    assert nested[1][0].tolist() == [2.0, 6.0] and nested[1][1].dtype == tg.float16
    scaled = scaler.scale(iter([x]))
    assert type(scaled) is map and next(scaled).tolist() == [2.0, 6.0]


def test_disabled_scaler_is_a_pass_through():
    w = tg.tensor([1.0], requires_grad=True)
    optimizer = tg.optim.SGD([w], lr=1.0)
    scaler = tg.amp.GradScaler("cpu", enabled=False)
    loss = (w * 3).sum()
    assert scaler.scale(loss) is loss and not scaler.is_enabled()
    loss.backward()
    assert scaler.step(optimizer) is None and w.tolist() == [-2.0]
    scaler.update()
    scaler.unscale_(optimizer)
    assert scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    scaler.load_state_dict({})


def test_state_dict_round_trip_and_pickle():
    scaler = tg.amp.GradScaler("cpu", init_scale=16.0, growth_interval=3)
    assert scaler.state_dict() == {"scale": 16.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                   "growth_interval": 3, "_growth_tracker": 0}
    w = tg.tensor([1.0], requires_grad=True)
    optimizer = tg.optim.SGD([w], lr=1.0)
    for _ in range(2):
        optimizer.zero_grad()
        scaler.scale(w.sum()).backward()
        scaler.step(optimizer)
        scaler.update()
    state = scaler.state_dict()
    assert state["_growth_tracker"] == 2
    other = tg.amp.GradScaler("cpu")
    other.load_state_dict(state)
    assert other.state_dict() == state
    copy = pickle.loads(pickle.dumps(scaler))
    assert copy.state_dict() == state and copy._scale is None
    scaler.set_growth_factor(4.0), scaler.set_backoff_factor(0.25), scaler.set_growth_interval(7)
    assert (scaler.get_growth_factor(), scaler.get_backoff_factor(),
            scaler.get_growth_interval()) == (4.0, 0.25, 7)


def test_cuda_scaler_warns_and_disables_as_pytorch_without_cuda():
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scaler = lib.cuda.amp.GradScaler(enabled=True)
        assert [(w.category, str(w.message)) for w in caught] == [
            (FutureWarning, "`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                            "`torch.amp.GradScaler('cuda', args...)` instead."),
            (UserWarning, "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling.")]
        assert not scaler.is_enabled() and scaler.get_scale() == 1.0
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert not lib.cuda.amp.GradScaler(enabled=False).is_enabled()
            assert not lib.amp.GradScaler().is_enabled()  # device="cuda" by default
        assert [str(w.message)[:30] for w in caught] == [
            "`torch.cuda.amp.GradScaler(arg", "torch.cuda.amp.GradScaler is e"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert lib.cpu.amp.GradScaler().is_enabled()
        assert [str(w.message) for w in caught] == [
            "`torch.cpu.amp.GradScaler(args...)` is deprecated. Please use "
            "`torch.amp.GradScaler('cpu', args...)` instead."]
    assert tg.cuda.is_available() is False and tg.cuda.device_count() == 0
    assert tg.cpu.is_available() is True and tg.cpu.device_count() == 1


# ---------------------------------------------------------------------- optim.swa_utils

def averaging_run(lib, dtype, kind, use_buffers):
    """An AveragedModel of a Linear-BatchNorm-Linear model whose parameters and buffers are set
    to the same random values in both libraries at each of 7 updates; its state_dict."""
    su = lib.optim.swa_utils
    options = {"swa": {}, "swa_avg_fn": {"avg_fn": su.get_swa_avg_fn()},
               "ema_avg_fn": {"avg_fn": su.get_ema_avg_fn(0.9)},
               "ema_multi": {"multi_avg_fn": su.get_ema_multi_avg_fn(0.9)},
               "swa_multi": {"multi_avg_fn": su.get_swa_multi_avg_fn()}}[kind]
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Linear(4, 2))
    model = model.to(getattr(lib, dtype))
    averaged = su.AveragedModel(model, use_buffers=use_buffers, **options)
    rng = np.random.default_rng(1)
    for _ in range(7):
        with lib.no_grad():
            for t in list(model.parameters()) + list(model.buffers()):
                if t.is_floating_point():
                    t.copy_(lib.tensor(rng.standard_normal(tuple(t.shape))))
                else:
                    t.add_(3)
        averaged.update_parameters(model)
    return {k: v.detach().numpy().copy() for k, v in averaged.state_dict().items()}


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("kind", ["swa", "swa_avg_fn", "ema_avg_fn", "ema_multi", "swa_multi"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_averaged_model_matches_pytorch(dtype, kind, use_buffers):
    torch = pytest.importorskip("torch")
    if kind == "swa_multi" and use_buffers:  # PyTorch's addcdiv refuses the int64 buffer
        for lib in (tg, torch):
            with pytest.raises(RuntimeError, match="^Integer division with addcdiv is no longer"):
                averaging_run(lib, dtype, kind, use_buffers)
        return
    ours, theirs = averaging_run(tg, dtype, kind, use_buffers), averaging_run(torch, dtype,
                                                                               kind, use_buffers)
    assert list(ours) == list(theirs) == [
        "n_averaged", "module.0.weight", "module.0.bias", "module.1.weight", "module.1.bias",
        "module.1.running_mean", "module.1.running_var", "module.1.num_batches_tracked",
        "module.2.weight", "module.2.bias"]
    for key in ours:
        assert ours[key].dtype == theirs[key].dtype
        assert ours[key].tobytes() == theirs[key].tobytes(), key
    assert ours["n_averaged"] == 7


def test_averaged_model_forward_errors_and_device():
    model = tg.nn.Linear(2, 1)
    averaged = tg.optim.swa_utils.AveragedModel(model)
    x = tg.ones(3, 2)
    assert averaged(x).tolist() == model(x).tolist()
    assert averaged.module is not model and averaged.n_averaged.dtype == tg.int64
    with pytest.raises(AssertionError, match="^Only one of avg_fn and multi_avg_fn should be "
                       "provided$"):
        tg.optim.swa_utils.AveragedModel(model, avg_fn=tg.optim.swa_utils.get_swa_avg_fn(),
                                         multi_avg_fn=tg.optim.swa_utils.get_swa_multi_avg_fn())
    for make in (tg.optim.swa_utils.get_ema_avg_fn, tg.optim.swa_utils.get_ema_multi_avg_fn):
        with pytest.raises(ValueError, match=r"^Invalid decay value 1.5 provided. Please provide "
                           r"a value in \[0,1\] range.$"):
            make(1.5)


@pytest.mark.parametrize("options", [
    {"swa_lr": 0.05}, {"swa_lr": [0.05, 0.01], "anneal_epochs": 3, "anneal_strategy": "linear"},
    {"swa_lr": 0.2, "anneal_epochs": 0}, {"swa_lr": 0.02, "anneal_epochs": 1},
])
def test_swalr_rates_match_pytorch_bit_for_bit(options):
    torch = pytest.importorskip("torch")
    rates = []
    for lib in (tg, torch):
        w1, w2 = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        optimizer = lib.optim.SGD([{"params": [w1]}, {"params": [w2], "lr": 0.3}], lr=0.1)
        scheduler = lib.optim.swa_utils.SWALR(optimizer, **options)
        seen = [scheduler.get_last_lr()]
        for _ in range(14):
            optimizer.step()
            scheduler.step()
            seen.append(scheduler.get_last_lr())
        rates.append(seen)
        state = scheduler.state_dict()
        assert "optimizer" not in state and "anneal_func" not in state
        scheduler.load_state_dict(state)
        assert scheduler.anneal_func == (scheduler._linear_anneal if options.get(
            "anneal_strategy") == "linear" else scheduler._cosine_anneal)
    assert rates[0] == rates[1]


def test_swalr_errors_match_pytorch():
    w = tg.zeros(2, requires_grad=True)
    optimizer = tg.optim.SGD([w], lr=0.1)
    SWALR = tg.optim.swa_utils.SWALR
    with pytest.raises(ValueError, match="^swa_lr must have the same length as "
                       "optimizer.param_groups. swa_lr has 2 values, param_groups has 1.$"):
        SWALR(optimizer, swa_lr=[1, 2])
    with pytest.raises(ValueError, match="^anneal_strategy must be one of 'cos' or 'linear', "
                       "instead got foo$"):
        SWALR(optimizer, swa_lr=1, anneal_strategy="foo")
    for epochs in (-1, 1.0):
        with pytest.raises(ValueError, match=f"^anneal_epochs must be equal or greater than 0, "
                           f"got {epochs}$"):
            SWALR(optimizer, swa_lr=1, anneal_epochs=epochs)


def test_update_bn_recomputes_statistics_as_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    batches = [rng.standard_normal((6, 3)) for _ in range(4)]
    weight, bias = rng.standard_normal((4, 3)), rng.standard_normal(4)
    results = []
    for lib in (tg, torch):
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4, momentum=0.3))
        model = model.double().eval()
        with lib.no_grad():
            model[0].weight.copy_(lib.tensor(weight))
            model[0].bias.copy_(lib.tensor(bias))
        loader = [(lib.tensor(b), 0) for b in batches]
        lib.optim.swa_utils.update_bn(loader, model)
        results.append((model[1].running_mean.numpy().copy(), model[1].running_var.numpy().copy(),
                        (model.training, model[1].momentum, int(model[1].num_batches_tracked))))
    for ours, theirs in zip(results[0][:2], results[1][:2]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13)
    assert results[0][2] == results[1][2] == (False, 0.3, 4)
    plain = tg.nn.Linear(2, 2)
    tg.optim.swa_utils.update_bn([tg.ones(1, 2)], plain)  # no batch norm: nothing happens


# ---------------------------------------------------------------------- testing.assert_close

def assert_close_cases(lib):
    T = lib.tensor
    nan, inf = float("nan"), float("inf")
    return [
        (T([1., 2., 3.]), T([1., 2.1, 3.]), {}),
        (T([1., 2., 3.]), T([1., 4., 5.]), {"msg": lambda m: f"Header\n\n{m}\n\nFooter"}),
        (T([1., 2., 3.]), T([1., 4., 5.]), {"msg": "Argh"}),
        (T([[1., nan], [0., 1.]]), T([[1., nan], [1e-9, 1.]]), {}),
        (T([[1., nan], [0., 1.]]), T([[1., nan], [0., 1.]]), {"equal_nan": True}),
        (T([1., nan]), T([1., nan]), {}),
        (T([1, 2, 3]), T([1, 2, 4]), {}),
        (T([True, False]), T([True, True]), {}),
        (T([1, 2], dtype=lib.uint8), T([3, 1], dtype=lib.uint8), {}),
        (T([1., 2.], dtype=lib.float64), T([1., 2.00001], dtype=lib.float64), {}),
        (T([1., 2.], dtype=lib.float16), T([1., 2.01], dtype=lib.float16), {}),
        (T(1.0), T(1.1), {}),
        (T([1., 2.]), T([1., 2.], dtype=lib.float64), {}),
        (T([1., 2.]), T([1., 2.2], dtype=lib.float64), {"check_dtype": False}),
        (T([1., 2.]), T([1., 2., 3.]), {}),
        (T([1., 2.]), T([1., 2.5]), {"rtol": 0.1, "atol": 0}),
        (T([1., 2.]), T([1., 2.5]), {"rtol": 0.1}),
        (T([1., 2.]), T([1., 2.5]), {"rtol": 0.0, "atol": 0.0}),
        (T([[1., 2.], [3., 4.]]).t(), T([[1., 3.], [2., 4.]]), {"check_stride": True}),
        (T([0., 1e-6, 5.]), T([0., 0., 5.0001]), {}),
        (T([inf, 1.]), T([inf, 1.]), {}),
        (T([inf, 1.]), T([-inf, 1.]), {}),
        (1, 1.0, {}), (1.0, 1.1, {}), (1, 2, {}), (True, False, {}), (None, 1, {}),
        ([T([1.]), T([2.])], [T([1.]), T([2.5])], {}),
        ({"a": T([1.]), "b": [1, 2]}, {"a": T([1.]), "b": [1, 3]}, {}),
        ({"a": 1}, {"b": 1}, {}),
        ([1, 2], [1, 2, 3], {}),
        (np.array([1., 2.]), np.array([1., 3.]), {}),
        ("a", "b", {}),
    ]


def raised(function):
    try:
        function()
    except Exception as error:  # noqa: BLE001 - the comparison is of any error
        return type(error), str(error)
    return None


def test_assert_close_messages_match_pytorch():
    torch = pytest.importorskip("torch")
    for (a, e, options), (ta, te, torch_options) in zip(assert_close_cases(tg),
                                                        assert_close_cases(torch)):
        ours = raised(lambda: tg.testing.assert_close(a, e, **options))
        theirs = raised(lambda: torch.testing.assert_close(ta, te, **torch_options))
        assert ours == theirs


def test_assert_close_message_format():
    with pytest.raises(AssertionError) as caught:
        tg.testing.assert_close(tg.tensor([1., 2., 3.]), tg.tensor([1., 2.1, 3.]))
    assert str(caught.value) == (
        "Tensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\n"
        "Greatest absolute difference: 0.09999990463256836 at index (1,) (up to 1e-05 allowed)\n"
        "Greatest relative difference: 0.04761900380253792 at index (1,) (up to 1.3e-06 "
        "allowed)")
    with pytest.raises(AssertionError, match=r"^Scalars are not close!\n\nExpected 1.1 but got "
                       r"1.0.\nAbsolute difference: 0.10000000000000009 \(up to 1e-07 allowed\)"):
        tg.testing.assert_close(1.0, 1.1)
    with pytest.raises(AssertionError, match=r"\n\nThe failure occurred for item \[1\]$"):
        tg.testing.assert_close([1, 2], [1, 3])
    with pytest.raises(TypeError, match="^No comparison pair was able to handle inputs of type"):
        tg.testing.assert_close("a", "b")
    tg.testing.assert_close(tg.tensor([1., 2.]), tg.tensor([1., 2. + 1e-6]))
    tg.testing.assert_close({"x": [tg.tensor(1), 2.0]}, {"x": [tg.tensor(1), 2.0]})


def test_make_tensor_ranges_and_options():
    tg.manual_seed(0)
    x = tg.testing.make_tensor(3, 4, dtype=tg.float32, device="cpu")
    assert x.shape == (3, 4) and x.dtype == tg.float32 and ((x >= -9) & (x < 9)).all()
    y = tg.testing.make_tensor((50,), dtype=tg.int64, device="cpu", low=-2, high=2,
                               exclude_zero=True)
    assert ((y >= -2) & (y < 2) & (y != 0)).all() and y.dtype == tg.int64
    b = tg.testing.make_tensor(10, dtype=tg.bool, device="cpu")
    assert b.dtype == tg.bool
    u = tg.testing.make_tensor(30, dtype=tg.uint8, device="cpu")
    assert ((u >= 0) & (u < 10)).all()
    g = tg.testing.make_tensor(2, 3, dtype=tg.float64, device="cpu", requires_grad=True,
                               noncontiguous=True)
    assert g.requires_grad and g.shape == (2, 3) and not g.is_contiguous()
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        with pytest.raises(ValueError, match="^`low` must be less than `high`, but got 3 >= 1$"):
            lib.testing.make_tensor(2, dtype=lib.float32, device="cpu", low=3, high=1)
        with pytest.raises(ValueError, match="^`requires_grad=True` is not supported for "
                           "boolean and integral dtypes, but got dtype=torch.int64$"):
            lib.testing.make_tensor(2, dtype=lib.int64, device="cpu", requires_grad=True)
        with pytest.raises(ValueError, match=r"^The value interval specified by `low` and "
                           r"`high` is \[300, 400\), but torch.uint8 only supports \[0, 256\)$"):
            lib.testing.make_tensor(2, dtype=lib.uint8, device="cpu", low=300, high=400)


# ---------------------------------------------------------------------- autocast

def test_autocast_state_nesting_decorator_and_threads():
    import threading
    assert not tg.is_autocast_enabled("cpu") and not tg.is_autocast_enabled()
    with tg.autocast("cpu", dtype=tg.float16) as region:
        assert region is not None and tg.is_autocast_enabled("cpu")
        assert tg.get_autocast_dtype("cpu") == tg.float16
        assert not tg.is_autocast_enabled()  # no argument: CUDA's state, as PyTorch
        with tg.autocast("cpu", enabled=False):
            assert not tg.is_autocast_enabled("cpu") and (tg.ones(2, 2) @ tg.ones(2, 2)).dtype \
                == tg.float32
        with tg.autocast("cpu"):  # dtype=None takes the dtype of the moment: float16
            assert (tg.ones(2, 2) @ tg.ones(2, 2)).dtype == tg.float16
        seen = []
        thread = threading.Thread(target=lambda: seen.append(
            (tg.is_autocast_enabled("cpu"), (tg.ones(2, 2) @ tg.ones(2, 2)).dtype)))
        thread.start(), thread.join()
        assert seen == [(False, tg.float32)]  # the state is per thread
    assert not tg.is_autocast_enabled("cpu") and (tg.ones(2, 2) @ tg.ones(2, 2)).dtype == \
        tg.float32

    @tg.autocast("cpu", dtype=tg.float16)
    def product(a, b):
        return a @ b

    assert product(tg.ones(2, 2), tg.ones(2, 2)).dtype == tg.float16
    assert product.__name__ == "product"
    assert (tg.ones(2, 2) @ tg.ones(2, 2)).dtype == tg.float32

    @tg.autocast("cpu", enabled=False)
    def plain(a, b):
        return a @ b

    assert plain(tg.ones(2, 2), tg.ones(2, 2)).dtype == tg.float32


def test_autocast_errors_and_warnings_match_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        with pytest.raises(ValueError, match="^Expected `device_type` of type `str`, got: "):
            lib.autocast(lib.device("cpu"))
        with pytest.raises(TypeError, match=r"^autocast\(\)\(func\) requires a callable, but "
                           "got int. Did you mean to use autocast as a context manager?"):
            lib.autocast("cpu", dtype=lib.float16)(3)
        with pytest.raises(RuntimeError, match="device type at start of device string: foo$"):
            lib.autocast("foo")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            regions = [lib.cpu.amp.autocast(dtype=lib.float16), lib.cuda.amp.autocast(),
                       lib.autocast("cpu", dtype=lib.float32), lib.autocast("cuda"),
                       lib.amp.autocast("cuda", enabled=False)]
        assert [(w.category, str(w.message)) for w in caught] == [
            (FutureWarning, "`torch.cpu.amp.autocast(args...)` is deprecated. Please use "
                            "`torch.amp.autocast('cpu', args...)` instead."),
            (FutureWarning, "`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                            "`torch.amp.autocast('cuda', args...)` instead."),
            (UserWarning, "CUDA is not available or torch_xla is imported. Disabling autocast."),
            (UserWarning, "In CPU autocast, but the target dtype is not supported. Disabling "
                          "autocast.\nCPU Autocast only supports dtypes of torch.bfloat16, "
                          "torch.float16 currently."),
            (UserWarning, "CUDA is not available or torch_xla is imported. Disabling autocast.")]
        assert [r._enabled for r in regions] == [True, False, False, False, False]
        assert lib.get_autocast_dtype("cuda") == lib.float16


def test_bfloat16_autocast_raises_naming_the_dtype_unless_disabled():
    message = "tinygrad_bn has no bfloat16 dtype"
    with pytest.raises(RuntimeError, match=message):
        tg.autocast("cpu")  # PyTorch's CPU default is bfloat16
    with pytest.raises(RuntimeError, match=message):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            tg.cpu.amp.autocast()
    with pytest.raises(RuntimeError, match=message):
        tg.autocast("cpu", dtype=tg.bfloat16)
    assert tg.get_autocast_dtype("cpu") is tg.bfloat16  # PyTorch's default, as a name
    with pytest.raises(RuntimeError, match=message):
        tg.set_autocast_enabled("cpu", True)
    with tg.autocast("cpu", enabled=False):  # a no-op region never raises
        assert (tg.ones(2, 2) @ tg.ones(2, 2)).dtype == tg.float32
    tg.set_autocast_dtype("cpu", tg.float16)
    try:
        tg.set_autocast_enabled("cpu", True)
        assert (tg.ones(2, 2) @ tg.ones(2, 2)).dtype == tg.float16
        tg.set_autocast_enabled("cpu", False)
    finally:
        from tinygrad_bn import autocast_state
        autocast_state.set_state("cpu", False, autocast_state.BFLOAT16)
    assert (tg.ones(2, 2) @ tg.ones(2, 2)).dtype == tg.float32


def autocast_cases(lib):
    """Ops and layers run under ``autocast("cpu", dtype=float16)`` on float32 or float16
    inputs (``d``): the same random values in both libraries."""
    F, nn = lib.nn.functional, lib.nn
    rng = np.random.default_rng(0)

    def r(*shape, d=None, low=None):
        values = (rng.standard_normal(shape) if low is None
                  else rng.uniform(low, 1 - low, shape)).astype(np.float32)
        return lib.tensor(values).to(d or lib.float32)

    def labels(*values):
        return lib.tensor(list(values))

    def unpool_arguments(d):
        out, indices = F.max_pool2d(r(1, 2, 4, 4), 2, return_indices=True)
        return out.to(d), indices

    def spd(n, d):  # symmetric positive definite
        a = rng.standard_normal((n, n)).astype(np.float32)
        return lib.tensor(a @ a.T + n * np.eye(n, dtype=np.float32)).to(d)

    def layer(factory, *shape, self_attention=False):
        def run(d):
            module = factory()
            values = np.random.default_rng(5)
            with lib.no_grad():
                for p in module.parameters():
                    p.copy_(lib.tensor(values.standard_normal(tuple(p.shape)) * 0.3))
            x = r(*shape, d=d)
            out = module(x, x, x) if self_attention else module(x)
            return out[0] if isinstance(out, tuple) else out
        return run

    return {
        # PyTorch's lower-precision list: float16
        "matmul": lambda d: r(4, 5, d=d) @ r(5, 3, d=d),
        "matmul_mixed": lambda d: r(4, 5, d=d) @ r(5, 3),
        "mm": lambda d: lib.mm(r(4, 5, d=d), r(5, 3, d=d)),
        "bmm": lambda d: lib.bmm(r(2, 4, 5, d=d), r(2, 5, 3, d=d)),
        "addmm": lambda d: lib.addmm(r(4, 3, d=d), r(4, 5, d=d), r(5, 3, d=d)),
        "baddbmm": lambda d: lib.baddbmm(r(2, 4, 3, d=d), r(2, 4, 5, d=d), r(2, 5, 3, d=d)),
        "addbmm": lambda d: lib.addbmm(r(4, 3, d=d), r(2, 4, 5, d=d), r(2, 5, 3, d=d)),
        "addr_not_listed": lambda d: lib.addr(r(4, 3, d=d), r(4, d=d), r(3, d=d)),
        "addmv_not_listed": lambda d: lib.addmv(r(4, d=d), r(4, 5, d=d), r(5, d=d)),
        "einsum": lambda d: lib.einsum("ij,jk->ik", r(4, 5, d=d), r(5, 3, d=d)),
        "einsum_row_dot": lambda d: lib.einsum("ij,ij->i", r(4, 5, d=d), r(4, 5, d=d)),
        "einsum_outer": lambda d: lib.einsum("i,j->ij", r(4, d=d), r(5, d=d)),  # no bmm: as given
        "einsum_product": lambda d: lib.einsum("ij,ij->ij", r(4, 5, d=d), r(4, 5, d=d)),
        "tensordot": lambda d: lib.tensordot(r(4, 5, d=d), r(5, 3, d=d), 1),
        "linear": lambda d: F.linear(r(4, 5, d=d), r(3, 5), r(3)),
        "conv1d": lambda d: F.conv1d(r(2, 3, 8, d=d), r(4, 3, 3, d=d)),
        "conv2d": lambda d: F.conv2d(r(2, 3, 8, 8, d=d), r(4, 3, 3, 3, d=d), r(4, d=d)),
        "conv3d": lambda d: F.conv3d(r(1, 2, 4, 4, 4, d=d), r(3, 2, 2, 2, 2, d=d)),
        "conv_transpose1d": lambda d: F.conv_transpose1d(r(2, 3, 8, d=d), r(3, 4, 3, d=d), r(4)),
        "prelu": lambda d: F.prelu(r(2, 3, d=d), r(1, d=d)),
        "sdpa": lambda d: F.scaled_dot_product_attention(r(2, 3, 4, d=d), r(2, 3, 4, d=d),
                                                         r(2, 3, 4, d=d), attn_mask=r(3, 3)),
        # PyTorch's float32 list: float32
        "cross_entropy": lambda d: F.cross_entropy(r(4, 5, d=d), labels(0, 1, 2, 3)),
        "nll_loss": lambda d: F.nll_loss(r(4, 5, d=d), labels(0, 1, 2, 3)),
        "mse_loss": lambda d: F.mse_loss(r(4, 5, d=d), r(4, 5, d=d)),
        "l1_loss": lambda d: F.l1_loss(r(4, 5, d=d), r(4, 5, d=d)),
        "smooth_l1_loss": lambda d: F.smooth_l1_loss(r(4, 5, d=d), r(4, 5, d=d)),
        "huber_loss": lambda d: F.huber_loss(r(4, 5, d=d), r(4, 5, d=d)),
        "bce": lambda d: F.binary_cross_entropy(r(4, 5, d=d, low=0.05), r(4, 5, d=d, low=0.05)),
        "bce_logits": lambda d: F.binary_cross_entropy_with_logits(r(4, 5, d=d),
                                                                   r(4, 5, d=d, low=0.05)),
        "kl_div": lambda d: F.kl_div(r(4, 5, d=d), r(4, 5, d=d, low=0.05), reduction="batchmean"),
        "soft_margin": lambda d: F.soft_margin_loss(r(4, 5, d=d), r(4, 5, d=d).sign()),
        "cosine_embedding": lambda d: F.cosine_embedding_loss(r(4, 5, d=d), r(4, 5, d=d),
                                                              lib.ones(4)),
        "margin_ranking": lambda d: F.margin_ranking_loss(r(4, d=d), r(4, d=d), lib.ones(4)),
        "hinge_embedding": lambda d: F.hinge_embedding_loss(r(4, d=d), lib.ones(4)),
        "poisson_nll": lambda d: F.poisson_nll_loss(r(4, d=d), r(4, d=d, low=0.05)),
        "triplet_margin": lambda d: F.triplet_margin_loss(r(4, 5, d=d), r(4, 5, d=d),
                                                          r(4, 5, d=d)),
        "multi_margin": lambda d: F.multi_margin_loss(r(4, 5, d=d), labels(0, 1, 2, 3)),
        "multilabel_margin": lambda d: F.multilabel_margin_loss(
            r(4, 5, d=d), lib.zeros(4, 5, dtype=lib.int64)),
        "ctc_loss": lambda d: F.ctc_loss(F.log_softmax(r(6, 2, 4, d=d), -1),
                                         lib.tensor([[1, 2], [1, 3]]), lib.tensor([6, 6]),
                                         lib.tensor([2, 2])),
        "prod": lambda d: r(4, 5, d=d).prod(),
        "cdist": lambda d: lib.cdist(r(3, 4, d=d), r(2, 4, d=d)),
        "cdist_matmul_form": lambda d: lib.cdist(r(30, 4, d=d), r(2, 4, d=d)),
        "trace": lambda d: lib.trace(r(4, 4, d=d)),
        "pad_reflect2d": lambda d: F.pad(r(1, 2, 5, 5, d=d), (2, 2, 2, 2), mode="reflect"),
        "pad_replicate3d": lambda d: F.pad(r(1, 2, 3, 5, 5, d=d), (1, 1, 2, 2, 2, 2),
                                           mode="replicate"),
        "avg_pool3d": lambda d: F.avg_pool3d(r(1, 2, 4, 4, 4, d=d), 2),
        "max_pool3d": lambda d: F.max_pool3d(r(1, 2, 4, 4, 4, d=d), 2),
        "adaptive_avg_pool3d": lambda d: F.adaptive_avg_pool3d(r(1, 2, 4, 4, 4, d=d), 2),
        "adaptive_max_pool3d": lambda d: F.adaptive_max_pool3d(r(1, 2, 4, 4, 4, d=d), 2),
        "fractional_max_pool2d": lambda d: F.fractional_max_pool2d(
            r(1, 2, 6, 6, d=d), 2, output_size=3, _random_samples=lib.full((1, 2, 2), 0.5)),
        "max_unpool2d": lambda d: F.max_unpool2d(*unpool_arguments(d), 2),
        "grid_sample": lambda d: F.grid_sample(r(1, 2, 4, 4, d=d), r(1, 3, 3, 2, d=d) * 0.5,
                                               align_corners=False),
        "linalg.inv": lambda d: lib.linalg.inv(spd(3, d)),
        "inverse": lambda d: lib.inverse(spd(3, d)),
        "linalg.cholesky": lambda d: lib.linalg.cholesky(spd(3, d)),
        "cholesky_inverse": lambda d: lib.cholesky_inverse(spd(3, d).tril()),
        "linalg.solve": lambda d: lib.linalg.solve(spd(3, d), r(3, 2, d=d)),
        "linalg.lstsq": lambda d: lib.linalg.lstsq(r(4, 3, d=d), r(4, 2, d=d))[0],
        "linalg.svdvals": lambda d: lib.linalg.svdvals(r(4, 3, d=d)),
        "linalg.eigvalsh": lambda d: lib.linalg.eigvalsh(spd(3, d)),
        "linalg.cond": lambda d: lib.linalg.cond(spd(3, d)),
        "linalg.tensorinv": lambda d: lib.linalg.tensorinv(spd(4, d).reshape(4, 2, 2), ind=1),
        "pinverse": lambda d: lib.pinverse(r(4, 3, d=d)),
        "triangular_solve": lambda d: lib.triangular_solve(r(3, 2, d=d), spd(3, d).tril(),
                                                           upper=False)[0],
        # lower precision, reached through matmul
        "linalg.multi_dot": lambda d: lib.linalg.multi_dot([r(3, 4, d=d), r(4, 5, d=d),
                                                            r(5, 2, d=d)]),
        "matrix_power": lambda d: lib.matrix_power(r(3, 3, d=d), 3),
        "linalg.vecdot": lambda d: lib.linalg.vecdot(r(3, 4, d=d), r(3, 4, d=d)),
        # neither list: the dtype given
        "linalg.det": lambda d: lib.linalg.det(spd(3, lib.float32)).to(d) + r(1, d=d),
        "linalg.matrix_norm": lambda d: lib.linalg.matrix_norm(r(3, 3, d=d)),
        "bilinear": lambda d: F.bilinear(r(2, 3), r(2, 4), r(5, 3, 4), r(5)),
        "affine_grid": lambda d: F.affine_grid(r(1, 2, 3, d=d), (1, 1, 4, 4),
                                               align_corners=False),
        "pad_reflect3d": lambda d: F.pad(r(1, 2, 3, 5, 5, d=d), (1, 1, 2, 2, 2, 2),
                                         mode="reflect"),
        "pad_circular": lambda d: F.pad(r(1, 2, 5, 5, d=d), (2, 2, 2, 2), mode="circular"),
        "softmax": lambda d: F.softmax(r(4, 5, d=d), -1),
        "layer_norm": lambda d: F.layer_norm(r(4, 5, d=d), (5,)),
        "sum": lambda d: r(4, 5, d=d).sum(),
        "dot": lambda d: r(5, d=d).dot(r(5, d=d)),
        "mv": lambda d: r(4, 5, d=d).mv(r(5, d=d)),
        "einsum_one_operand": lambda d: lib.einsum("ij->j", r(4, 5, d=d)),
        "gelu": lambda d: F.gelu(r(4, 5, d=d)),
        "cosine_similarity": lambda d: F.cosine_similarity(r(4, 5, d=d), r(4, 5, d=d)),
        "multilabel_soft_margin": lambda d: F.multilabel_soft_margin_loss(r(4, 5, d=d),
                                                                          lib.ones(4, 5)),
        "cat_promotes": lambda d: lib.cat([r(2, d=d), r(2)]),
        "add_promotes": lambda d: r(2, d=d) + r(2),
        # layers
        "Linear": layer(lambda: nn.Linear(5, 3), 4, 5),
        "Conv2d": layer(lambda: nn.Conv2d(2, 3, 3), 1, 2, 5, 5),
        "LayerNorm": layer(lambda: nn.LayerNorm(5), 2, 5),  # float16 in, float32 weights
        "BatchNorm1d": layer(lambda: nn.BatchNorm1d(5), 4, 5),
        "PReLU": layer(lambda: nn.PReLU(), 2, 5),
        "GRU": layer(lambda: nn.GRU(3, 4), 5, 2, 3),
        "RNN": layer(lambda: nn.RNN(3, 4), 5, 2, 3),
        "LSTMCell": layer(lambda: nn.LSTMCell(3, 4), 2, 3),
        "GRUCell": layer(lambda: nn.GRUCell(3, 4), 2, 3),
        "MultiheadAttention": layer(lambda: nn.MultiheadAttention(8, 2), 3, 2, 8,
                                    self_attention=True),
        "TransformerEncoderLayer": layer(
            lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0).eval(), 3, 2, 8),
    }


def under_autocast(lib, case, dtype):
    with lib.autocast("cpu", dtype=lib.float16):
        return case(getattr(lib, dtype))


@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_autocast_dtypes_and_values_match_pytorch(dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = autocast_cases(tg), autocast_cases(torch)
    for name in ours:
        a, b = under_autocast(tg, ours[name], dtype), under_autocast(torch, theirs[name], dtype)
        assert str(a.dtype) == str(b.dtype)[6:], name
        # float16 results are PyTorch's but for an occasional float16 ulp (conv, batch norm
        # accumulate in another order), float32 ones to rounding (a transformer layer's pass
        # through float16 matrix products: to float16 rounding carried on)
        tolerance = (1e-3 if a.dtype == tg.float16 else
                     1e-4 if name == "TransformerEncoderLayer" else 2e-6)
        np.testing.assert_allclose(a.detach().numpy().astype(np.float64),
                                   b.detach().float().numpy().astype(np.float64),
                                   rtol=tolerance, atol=tolerance, err_msg=name)


def test_autocast_backward_gives_float32_gradients_and_in_place_ops_are_not_cast():
    w = tg.ones(3, 2, requires_grad=True)
    x = tg.full((4, 2), 0.1)
    with tg.autocast("cpu", dtype=tg.float16):
        out = tg.nn.functional.linear(x, w)
        assert out.dtype == tg.float16 and out.grad_fn is not None
    out.float().sum().backward()
    assert w.grad.dtype == tg.float32 and np.allclose(w.grad.numpy(), 0.4, rtol=1e-3)
    a = tg.tensor(np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32))
    expected = a.numpy() + a.numpy() @ a.numpy()
    with tg.autocast("cpu", dtype=tg.float16):
        a.addmm_(a.clone(), a.clone())  # as PyTorch: addmm_ is not on autocast's list
    assert a.dtype == tg.float32 and np.allclose(a.numpy(), expected, rtol=1e-6, atol=1e-6)


def mixed_precision_training(lib, steps=8):
    """An MLP with a LayerNorm trained with SGD under float16 autocast and a GradScaler, its
    unscaled gradients clipped (steps skipped on overflows); per step the dtypes, loss and
    scale, then the weights."""
    rng = np.random.default_rng(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.LayerNorm(16), nn.Linear(16, 3))
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.5))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scaler = lib.amp.GradScaler("cpu", init_scale=2.0**20, growth_interval=3)
    log = []
    for _ in range(steps):
        x = lib.tensor(rng.standard_normal((8, 6)).astype(np.float32))
        y = lib.tensor(rng.integers(0, 3, 8))
        optimizer.zero_grad()
        with lib.autocast("cpu", dtype=lib.float16):
            hidden = model[0](x)
            out = model(x)
            loss = lib.nn.functional.cross_entropy(out, y)
        scaler.scale(loss).backward()
        log.append(([str(t.dtype)[-7:] for t in (hidden, out, loss, model[0].weight.grad)],
                    loss.item(), scaler.get_scale()))
        scaler.unscale_(optimizer)  # the usual clipping of unscaled gradients
        lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
    return log, [p.detach().numpy().copy() for p in model.parameters()]


def test_mixed_precision_mlp_training_matches_pytorch():
    torch = pytest.importorskip("torch")
    (ours, our_weights), (theirs, their_weights) = (mixed_precision_training(tg),
                                                    mixed_precision_training(torch))
    assert [entry[0] for entry in ours] == [entry[0] for entry in theirs] == [
        ["float16", "float16", "float32", "float32"]] * 8
    assert [entry[2] for entry in ours] == [entry[2] for entry in theirs]
    np.testing.assert_allclose([entry[1] for entry in ours], [entry[1] for entry in theirs],
                               rtol=1e-4)
    for a, b in zip(our_weights, their_weights):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def custom_functions(lib):
    class CastMatmul(lib.autograd.Function):
        @staticmethod
        @lib.amp.custom_fwd(device_type="cpu", cast_inputs=lib.float32)
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            ctx.inside = (lib.is_autocast_enabled("cpu"), (a @ b).dtype)
            return a.mm(b)

        @staticmethod
        @lib.amp.custom_bwd(device_type="cpu")
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            return grad.mm(b.t()), a.t().mm(grad)

    class Recorded(lib.autograd.Function):
        @staticmethod
        @lib.amp.custom_fwd(device_type="cpu")
        def forward(ctx, a, b):
            return a.mm(b)

        @staticmethod
        @lib.amp.custom_bwd(device_type="cpu")
        def backward(ctx, grad):
            ctx.backward_state = (lib.is_autocast_enabled("cpu"), (grad @ grad).dtype)
            return grad.float(), grad.float()

    return CastMatmul, Recorded


def test_custom_fwd_and_bwd_match_pytorch():
    torch = pytest.importorskip("torch")
    seen = []
    for lib in (tg, torch):
        CastMatmul, Recorded = custom_functions(lib)
        a = lib.ones(2, 2, requires_grad=True)
        b = lib.ones(2, 2, requires_grad=True)
        with lib.autocast("cpu", dtype=lib.float16):
            y = CastMatmul.apply(a.half(), b)
            z = Recorded.apply(a, b)
        (y.sum() + z.float().sum()).backward()
        seen.append([str(y.dtype)[-7:], str(z.dtype)[-7:], str(a.grad.dtype)[-7:],
                     a.grad.tolist(), y.grad_fn.ctx.inside[0] if lib is tg else None,
                     str(y.grad_fn.ctx.inside[1] if lib is tg else "")[-7:] or None,
                     z.grad_fn.ctx.backward_state[0] if lib is tg else None])
        with pytest.raises(ValueError, match="^Expected `device_type` of type `str`"):
            lib.amp.custom_fwd(device_type=None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.cuda.amp.custom_fwd(lambda ctx: 0)
            lib.cuda.amp.custom_bwd(lambda ctx: 0)
            assert lib.is_autocast_cpu_enabled() is False
            assert lib.get_autocast_gpu_dtype() == lib.float16
        assert [(w.category, str(w.message).split(" (Triggered")[0]) for w in caught] == [
            (FutureWarning, "`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
                            "`torch.amp.custom_fwd(args..., device_type='cuda')` instead."),
            (FutureWarning, "`torch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
                            "`torch.amp.custom_bwd(args..., device_type='cuda')` instead."),
            (DeprecationWarning, "torch.is_autocast_cpu_enabled() is deprecated. Please use "
                                 "torch.is_autocast_enabled('cpu') instead."),
            (DeprecationWarning, "torch.get_autocast_gpu_dtype() is deprecated. Please use "
                                 "torch.get_autocast_dtype('cuda') instead.")]
    assert seen[0][:4] == seen[1][:4] == ["float32", "float16", "float32",
                                          [[3.0, 3.0], [3.0, 3.0]]]
    # ours: forward ran with autocast off on float32 inputs; backward in the forward's state
    assert seen[0][4:] == [False, "float32", True]


def test_jit_never_replays_across_a_change_of_the_autocast_state():
    model = tg.nn.Linear(4, 3)
    rng = np.random.default_rng(0)

    @tg.jit
    def predict(x):
        with tg.no_grad():
            return model(x)

    def call():
        x = rng.standard_normal((2, 4)).astype(np.float32)
        out = predict(tg.tensor(x))
        with tg.no_grad():
            eager = model(tg.tensor(x))
        assert out.dtype == eager.dtype and np.array_equal(out.numpy(), eager.numpy())
        return out.dtype

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tg.TracerWarning)
        assert [call() for _ in range(3)] == [tg.float32] * 3  # captured and replayed
        with tg.autocast("cpu", dtype=tg.float16):
            assert [call() for _ in range(3)] == [tg.float16] * 3
        assert [call() for _ in range(3)] == [tg.float32] * 3

        @tg.jit
        def predict_in_region(x):  # captured under autocast: refused, runs eagerly
            with tg.no_grad():
                return model(x)

        with tg.autocast("cpu", dtype=tg.float16):
            with pytest.warns(tg.TracerWarning, match="autocast"):
                predict_in_region(tg.ones(2, 4))
            assert predict_in_region(tg.ones(2, 4)).dtype == tg.float16
        assert [predict_in_region(tg.ones(2, 4)).dtype for _ in range(3)] == [tg.float32] * 3


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_lerp_rounds_once_as_pytorch(dtype):
    """The EMA of swa_utils is a lerp: PyTorch's rounds once (a fused multiply-add), from the
    nearer end; ours gives the same bits, for number, tensor and broadcast weights."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((64, 64)).astype(dtype) for _ in range(2))
    weights = [0.001, 1 / 3, 0.7, -0.2, 1.0, 1.7, rng.uniform(-1, 2, (64, 64)).astype(dtype),
               rng.uniform(-1, 2, 64).astype(dtype)]
    for weight in weights:
        ours = tg.lerp(tg.tensor(a), tg.tensor(b),
                       tg.tensor(weight) if isinstance(weight, np.ndarray) else weight)
        theirs = torch.lerp(torch.tensor(a), torch.tensor(b),
                            torch.tensor(weight) if isinstance(weight, np.ndarray) else weight)
        assert ours.numpy().tobytes() == theirs.numpy().tobytes()


def test_out_forms_are_not_autocast_as_pytorch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32)
    for lib in (tg, torch):
        x, out = lib.tensor(a), lib.zeros(4, 4)
        with lib.autocast("cpu", dtype=lib.float16):
            lib.mm(x, x, out=out)
            assert lib.matmul(x, x).dtype == lib.float16
            with pytest.raises(RuntimeError, match="^Expected out tensor to have dtype float, "
                               "but got c10::Half instead$"):
                lib.mm(x, x, out=lib.zeros(4, 4, dtype=lib.float16))
        assert out.dtype == lib.float32 and np.array_equal(out.numpy(), a @ a)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_recomputes_in_the_forward_autocast_state(use_reentrant):
    """A checkpointed block run under float16 autocast is recomputed under it during a backward
    outside the region (PyTorch's checkpoint records the autocast state): the gradients equal
    PyTorch's bit for bit (recomputed in float32 they differed by 0.08)."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        rng = np.random.default_rng(0)
        first, second = lib.nn.Linear(4, 8), lib.nn.Linear(8, 3)
        with lib.no_grad():
            for p in list(first.parameters()) + list(second.parameters()):
                p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
        x = lib.tensor(rng.standard_normal((5, 4)).astype(np.float32), requires_grad=True)
        with lib.autocast("cpu", dtype=lib.float16):
            hidden = lib.utils.checkpoint.checkpoint(lambda h: first(h).relu(), x,
                                                     use_reentrant=use_reentrant)
            out = second(hidden)
        out.float().square().sum().backward()
        results.append((str(hidden.dtype)[-7:], first.weight.grad.numpy().tobytes(),
                        x.grad.numpy().tobytes()))
    assert results[0] == results[1] and results[0][0] == "float16"
