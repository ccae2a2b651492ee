"""Small programs written the way PyTorch teaching code writes them (micrograd, makemore, the
PyTorch tutorials), run on tinygrad_bn with only the import changed.

Each program is one function taking the library module as ``torch`` and returning its numbers
(losses, gradients, final parameters) as NumPy arrays or floats. For every program one test
runs it on tinygrad_bn and checks facts that need no PyTorch (the loss falls, a gradient equals
its hand-derived value), and one test runs the same function on PyTorch, when it is installed,
and requires agreement to 1e-10 in float64. Random inputs come from NumPy, since the two
libraries' generators differ.
"""

import math
import string
from collections import Counter

import numpy as np
import pytest

import tinygrad_bn as tg

RTOL, ATOL = 1e-10, 1e-12


def assert_same_numbers(ours, theirs):
    """The two libraries' results (dicts of arrays and floats) agree to float64 precision."""
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=RTOL, atol=ATOL, err_msg=key)


def allclose(torch, a, b):
    """``torch.allclose(a, b)``, as makemore's ``cmp`` calls it."""
    if hasattr(torch, "allclose"):
        return torch.allclose(a, b)
    # tinygrad_bn has no allclose yet; NumPy's has PyTorch's defaults (rtol=1e-5, atol=1e-8).
    return np.allclose(a.detach().numpy(), b.detach().numpy())


# ------------------------------------------------------------------ 1. micrograd scalar MLP


def micrograd_scalar_mlp(torch, reset="zero_"):
    """micrograd's MLP(3, [4, 4, 1]) on 0-d tensors: neurons are sums of products through
    ``tanh``, trained for 20 steps of manual SGD on a squared-error loss over 4 samples.
    ``reset`` picks how gradients are cleared: ``p.grad.zero_()`` or ``p.grad = None``."""
    rng = np.random.default_rng(0)

    def scalar(value):
        return torch.tensor(value, dtype=torch.float64, requires_grad=True)

    sizes = [3, 4, 4, 1]
    layers = [
        [([scalar(w) for w in rng.uniform(-1, 1, nin)], scalar(rng.uniform(-1, 1)))
         for _ in range(nout)]
        for nin, nout in zip(sizes, sizes[1:])
    ]
    params = [p for layer in layers for w, b in layer for p in w + [b]]

    def mlp(x):
        for layer in layers:
            x = [torch.tanh(sum((wi * xi for wi, xi in zip(w, x)), b)) for w, b in layer]
        return x[0]

    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(20):
        ypred = [mlp(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 0.05 * p.grad
        for p in params:
            if reset == "zero_":
                p.grad.zero_()
            else:
                p.grad = None
        losses.append(loss.item())
    return {
        "losses": np.array(losses),
        "params": np.array([p.item() for p in params]),
        "predictions": np.array([mlp(x).item() for x in xs]),
    }


def scalar_gradient_accumulation(torch):
    """One 0-d tensor used three times: its gradients add up, ``w.grad == 15 * x``."""
    w = torch.tensor(-0.7, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(1.3, dtype=torch.float64)
    h = w * x
    (h * 3 + h * 5 + h * 7).backward()
    return {"w.grad": w.grad.item(), "x": x.item()}


def test_micrograd_scalar_mlp_trains():
    losses = micrograd_scalar_mlp(tg, "zero_")["losses"]
    assert losses[-1] < 0.2 * losses[0]
    assert np.all(np.diff(losses) < 0)
    np.testing.assert_array_equal(losses, micrograd_scalar_mlp(tg, "none")["losses"])


def test_scalar_gradient_accumulation():
    result = scalar_gradient_accumulation(tg)
    assert result["w.grad"] == 15 * result["x"]


@pytest.mark.parametrize("reset", ["zero_", "none"])
def test_micrograd_scalar_mlp_matches_pytorch(reset):
    torch = pytest.importorskip("torch")
    assert_same_numbers(micrograd_scalar_mlp(tg, reset), micrograd_scalar_mlp(torch, reset))
    assert_same_numbers(scalar_gradient_accumulation(tg), scalar_gradient_accumulation(torch))


# ------------------------------------------------------------------ 2. linear regression


def linear_regression(torch):
    """Linear regression with raw tensors: ``loss = ((x @ w + b - y) ** 2).mean()``, manual SGD
    under ``no_grad`` and ``grad.zero_()``, 50 steps on 64 noisy samples of a known line."""
    rng = np.random.default_rng(1)
    features = rng.normal(size=(64, 3))
    true_w, true_b = np.array([2.0, -3.4, 1.5]), 4.2
    targets = features @ true_w + true_b + 0.01 * rng.normal(size=64)
    x, y = torch.tensor(features), torch.tensor(targets)
    w = torch.tensor(rng.normal(0.0, 0.01, size=3), requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    initial_w = w.detach().numpy().copy()
    lr = 0.1
    losses, first_grads = [], None
    for _ in range(50):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        if first_grads is None:
            first_grads = (w.grad.numpy().copy(), b.grad.numpy().copy())
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
        losses.append(loss.item())
    return {
        "losses": np.array(losses), "w": w.detach().numpy().copy(), "b": b.detach().numpy().copy(),
        "first w.grad": first_grads[0], "first b.grad": first_grads[1],
        "initial w": initial_w, "features": features, "targets": targets,
    }


def test_linear_regression_converges():
    result = linear_regression(tg)
    assert np.all(np.diff(result["losses"]) < 0)
    np.testing.assert_allclose(result["w"], [2.0, -3.4, 1.5], atol=0.05)
    np.testing.assert_allclose(result["b"], [4.2], atol=0.05)
    # At the start (b = 0): dL/dw = 2/N X^T (X w0 - y) and dL/db = 2 mean(X w0 - y).
    x, y = result["features"], result["targets"]
    residual = x @ result["initial w"] - y
    np.testing.assert_allclose(result["first w.grad"], 2 / 64 * x.T @ residual, rtol=1e-12)
    np.testing.assert_allclose(result["first b.grad"], [2 * residual.mean()], rtol=1e-12)


def test_linear_regression_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert_same_numbers(linear_regression(tg), linear_regression(torch))


# ------------------------------------------------------------------ 3. nn.Module through .data


def module_data_updates(torch, update):
    """``nn.Sequential(Linear, Tanh, Linear).double()`` with weights copied from NumPy, trained
    30 steps with ``model.zero_grad()`` and updates written through ``.data``: ``p.data -= lr *
    p.grad`` (``update="isub"``) or ``p.data.add_(p.grad, alpha=-lr)`` (``update="add_"``)."""
    nn = torch.nn
    rng = np.random.default_rng(2)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    with torch.no_grad():
        for layer in (model[0], model[2]):
            layer.weight.copy_(torch.tensor(rng.normal(0.0, 0.5, size=tuple(layer.weight.shape))))
            layer.bias.copy_(torch.tensor(rng.normal(0.0, 0.1, size=tuple(layer.bias.shape))))
    inputs = rng.normal(size=(32, 3))
    x, y = torch.tensor(inputs), torch.tensor(np.sin(inputs.sum(1, keepdims=True)))
    loss_fn = nn.MSELoss()
    lr = 0.1
    losses = []
    for _ in range(30):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            if update == "isub":
                p.data -= lr * p.grad
            else:
                p.data.add_(p.grad, alpha=-lr)
        losses.append(loss.item())
    result = {"losses": np.array(losses)}
    for i, p in enumerate(model.parameters()):
        result[f"param {i}"] = p.detach().numpy().copy()
        if p.numel() > 1:
            result[f"std {i}"] = p.data.std().item()
    return result


def test_module_data_updates_train():
    result = module_data_updates(tg, "isub")
    assert result["losses"][-1] < 0.5 * result["losses"][0]
    for i in range(3):  # the last parameter, the output bias, has one element
        np.testing.assert_allclose(result[f"std {i}"], np.std(result[f"param {i}"], ddof=1),
                                   rtol=1e-12)
    np.testing.assert_allclose(result["losses"], module_data_updates(tg, "add_")["losses"],
                               rtol=1e-14)


def parameter_data(torch):
    """What ``p.data`` is: a Tensor outside the graph that shares ``p``'s memory, so writing
    through it (``p.data[0, 0] = 5.0``, ``p.data.mul_(2)``) changes ``p``."""
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    p = model.double()[0].weight
    data = p.data
    facts = {"is Tensor": isinstance(data, torch.Tensor), "p requires grad": p.requires_grad,
             "data requires grad": data.requires_grad, "data is leaf": data.is_leaf,
             "same memory": data.data_ptr() == p.data_ptr()}
    data[0, 0] = 5.0
    data.mul_(2)
    facts["p[0, 0]"] = p[0, 0].item()
    facts["p equals data"] = np.array_equal(p.detach().numpy(), data.numpy())
    return facts


def test_parameter_data_shares_memory_outside_the_graph():
    assert parameter_data(tg) == {
        "is Tensor": True, "p requires grad": True, "data requires grad": False,
        "data is leaf": True, "same memory": True, "p[0, 0]": 10.0, "p equals data": True}


def test_parameter_data_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert parameter_data(tg) == parameter_data(torch)


@pytest.mark.parametrize("update", ["isub", "add_"])
def test_module_data_updates_match_pytorch(update):
    torch = pytest.importorskip("torch")
    assert_same_numbers(module_data_updates(tg, update), module_data_updates(torch, update))


# ------------------------------------------------------------------ 4. makemore bigram counts

WORDS = ["emma", "olivia", "ava", "isabella", "sophia"]


def bigram_model(torch):
    """makemore's bigram model: counts ``N[ix1, ix2] += 1`` in an int64 table, smoothed
    probabilities ``P = (N + 1).double(); P /= P.sum(1, keepdim=True)``, and the average
    negative log likelihood of the names, by loop and vectorised."""
    chars = sorted(string.ascii_lowercase)
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    N = torch.zeros((27, 27), dtype=torch.int64)
    for w in WORDS:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            N[ix1, ix2] += 1
    P = (N + 1).double()
    P /= P.sum(1, keepdim=True)

    log_likelihood = 0.0
    n = 0
    xs, ys = [], []
    for w in WORDS:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            prob = P[ix1, ix2]
            logprob = torch.log(prob)
            log_likelihood += logprob
            n += 1
            xs.append(ix1)
            ys.append(ix2)
    nll = -log_likelihood
    xs, ys = torch.tensor(xs), torch.tensor(ys)
    vectorised = -P[xs, ys].log().mean()
    return {"N": N.numpy().copy(), "P": P.numpy().copy(), "nll": (nll / n).item(),
            "vectorised nll": vectorised.item()}


def test_bigram_counts_match_pure_python():
    result = bigram_model(tg)
    counts = Counter()
    for w in WORDS:
        chs = "." + w + "."
        counts.update(zip(chs, chs[1:]))
    index = {c: i for i, c in enumerate("." + string.ascii_lowercase)}
    expected = np.zeros((27, 27), dtype=np.int64)
    for (a, b), count in counts.items():
        expected[index[a], index[b]] = count
    assert result["N"].dtype == np.int64
    np.testing.assert_array_equal(result["N"], expected)
    np.testing.assert_allclose(result["P"].sum(1), 1.0, rtol=1e-14)
    probs = (expected + 1) / (expected + 1).sum(1, keepdims=True)
    logprobs = [math.log(probs[index[a], index[b]])
                for (a, b), count in counts.items() for _ in range(count)]
    np.testing.assert_allclose(result["nll"], -sum(logprobs) / len(logprobs), rtol=1e-12)
    np.testing.assert_allclose(result["vectorised nll"], result["nll"], rtol=1e-12)


def test_bigram_model_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = bigram_model(tg), bigram_model(torch)
    np.testing.assert_array_equal(ours["N"], theirs["N"])
    assert_same_numbers(ours, theirs)


# ------------------------------------------------------------------ 5. makemore manual backprop


def manual_backprop(torch):
    """makemore part 4: an MLP with hand-written batch norm, every intermediate kept with
    ``retain_grad()``, then gradients derived by hand and compared with autograd's by
    ``cmp``-style ``allclose`` checks."""
    F = torch.nn.functional
    rng = np.random.default_rng(3)
    vocab_size, n_embd, block_size, n_hidden, n = 27, 4, 3, 16, 8
    C = torch.tensor(rng.normal(size=(vocab_size, n_embd)))
    fan_in = n_embd * block_size
    W1 = torch.tensor(rng.normal(size=(fan_in, n_hidden)) * (5 / 3) / fan_in ** 0.5)
    b1 = torch.tensor(rng.normal(size=n_hidden) * 0.1)
    W2 = torch.tensor(rng.normal(size=(n_hidden, vocab_size)) * 0.1)
    b2 = torch.tensor(rng.normal(size=vocab_size) * 0.1)
    bngain = torch.tensor(rng.normal(size=(1, n_hidden)) * 0.1 + 1.0)
    bnbias = torch.tensor(rng.normal(size=(1, n_hidden)) * 0.1)
    parameters = [C, W1, b1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True
    Xb = torch.tensor(rng.integers(0, vocab_size, size=(n, block_size)))
    Yb = torch.tensor(rng.integers(0, vocab_size, size=n))

    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff ** 2
    bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)  # NumPy's spelling, as makemore writes it
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()

    for p in parameters:
        p.grad = None
    for t in [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes,
              logits, h, hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani,
              embcat, emb]:
        t.retain_grad()
    loss.backward()

    loss_fast = F.cross_entropy(logits, Yb)
    hpreact_fast = bngain * (hprebn - hprebn.mean(0, keepdim=True)) / torch.sqrt(
        hprebn.var(0, keepdim=True, unbiased=True) + 1e-5) + bnbias

    dlogprobs = torch.zeros_like(logprobs)
    dlogprobs[range(n), Yb] = -1.0 / n
    dprobs = (1.0 / probs) * dlogprobs
    dlogits = F.softmax(logits, 1)
    dlogits[range(n), Yb] -= 1
    dlogits /= n
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - h ** 2) * dh
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnbias = dhpreact.sum(0, keepdim=True)
    dhprebn = bngain * bnvar_inv / n * (
        n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.view(emb.shape)
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]

    checks = {"logprobs": (dlogprobs, logprobs), "probs": (dprobs, probs),
              "logits": (dlogits, logits), "h": (dh, h), "W2": (dW2, W2), "b2": (db2, b2),
              "hpreact": (dhpreact, hpreact), "bngain": (dbngain, bngain),
              "bnbias": (dbnbias, bnbias), "hprebn": (dhprebn, hprebn),
              "embcat": (dembcat, embcat), "W1": (dW1, W1), "b1": (db1, b1),
              "emb": (demb, emb), "C": (dC, C)}
    result = {"loss": loss.item(), "loss_fast": loss_fast.item(),
              "hpreact": hpreact.detach().numpy().copy(),
              "hpreact_fast": hpreact_fast.detach().numpy().copy(),
              "allclose": np.array([allclose(torch, d, t.grad) for d, t in checks.values()])}
    for name, (d, t) in checks.items():
        result[f"d{name}"] = d.detach().numpy().copy()
        result[f"{name}.grad"] = t.grad.numpy().copy()
    result["bnvar.grad"] = bnvar.grad.numpy().copy()
    return result


def test_manual_backprop_matches_autograd():
    result = manual_backprop(tg)
    assert result["allclose"].all()
    names = [key[1:] for key in result if key.startswith("d")]
    assert len(names) == 15
    for name in names:
        np.testing.assert_allclose(result[f"d{name}"], result[f"{name}.grad"], rtol=1e-9,
                                   atol=1e-15, err_msg=name)
    np.testing.assert_allclose(result["loss_fast"], result["loss"], rtol=1e-14)
    np.testing.assert_allclose(result["hpreact_fast"], result["hpreact"], rtol=1e-12, atol=1e-14)
    assert abs(result["loss"] - math.log(27)) < 0.5  # near uniform at initialisation


def test_manual_backprop_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert_same_numbers(manual_backprop(tg), manual_backprop(torch))


def test_sum_accepts_keepdims():
    counts = tg.tensor(np.arange(6.0).reshape(2, 3))
    assert counts.sum(1, keepdims=True).shape == (2, 1)
    assert counts.mean(0, keepdims=True).shape == (1, 3)
    assert counts.max(1, keepdims=True).values.shape == (2, 1)


# ------------------------------------------------------------------ 6. custom autograd Functions


def make_functions(torch):
    """The custom Functions of PyTorch's tutorials, defined on ``torch.autograd.Function``."""

    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    class MulConstant(torch.autograd.Function):
        @staticmethod
        def forward(ctx, tensor, constant):
            ctx.constant = constant
            return tensor * constant

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.constant, None

    class DoubleWithMask(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            mask = x > 0
            ctx.mark_non_differentiable(mask)
            return x * 2, mask

        @staticmethod
        def backward(ctx, grad_output, grad_mask):
            return grad_output * 2

    return LegendrePolynomial3, MulConstant, DoubleWithMask


def legendre_fit(torch):
    """PyTorch's tutorial: fit ``y = sin(x)`` with ``a + b * P3(c + d * x)``, ``P3`` a custom
    Function, 200 steps of manual SGD (lr 5e-6) with ``a.grad = None``."""
    LegendrePolynomial3, _, _ = make_functions(torch)
    points = np.linspace(-math.pi, math.pi, 2000)
    x = torch.tensor(points)
    y = torch.tensor(np.sin(points))  # tinygrad_bn has no torch.sin (reported)
    a = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
    b = torch.full((), -1.0, dtype=torch.float64, requires_grad=True)
    c = torch.full((), 0.0, dtype=torch.float64, requires_grad=True)
    d = torch.full((), 0.3, dtype=torch.float64, requires_grad=True)
    learning_rate = 5e-6
    losses = []
    for t in range(200):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return {"losses": np.array(losses), "abcd": np.array([a.item(), b.item(), c.item(), d.item()])}


def custom_function_gradients(torch):
    """``MulConstant.apply(x, 3.0)`` (a non-tensor argument, gradient ``None``) and
    ``DoubleWithMask`` (a second, non-differentiable output) in one backward pass."""
    _, MulConstant, DoubleWithMask = make_functions(torch)
    x = torch.tensor(np.array([1.5, -2.0, 0.5]), requires_grad=True)
    y, mask = DoubleWithMask.apply(x)
    z = MulConstant.apply(y, 3.0)
    (z * mask).sum().backward()
    return {"z": z.detach().numpy().copy(), "mask": mask.numpy().copy(),
            "mask requires grad": mask.requires_grad, "x.grad": x.grad.numpy().copy()}


def custom_functions_gradcheck(torch, gradcheck):
    """``gradcheck`` on each custom Function (the first output of ``DoubleWithMask``)."""
    LegendrePolynomial3, MulConstant, DoubleWithMask = make_functions(torch)
    x = torch.tensor(np.array([0.3, -0.8, 1.2]), requires_grad=True)
    return [gradcheck(LegendrePolynomial3.apply, (x,)),
            gradcheck(lambda t: MulConstant.apply(t, 3.0), (x,)),
            gradcheck(lambda t: DoubleWithMask.apply(t)[0], (x,))]


def test_legendre_fit_trains():
    result = legendre_fit(tg)
    losses = result["losses"]
    assert np.all(np.diff(losses) < 0) and losses[-1] < 0.5 * losses[0]
    LegendrePolynomial3, _, _ = make_functions(tg)
    x = tg.tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = LegendrePolynomial3.apply(x)
    assert y.grad_fn.name == "LegendrePolynomial3"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.5 * (5 * np.array([0.5, -1.0]) ** 2 - 1))


def test_custom_function_gradients():
    result = custom_function_gradients(tg)
    assert result["mask requires grad"] is False
    np.testing.assert_array_equal(result["mask"], [True, False, True])
    np.testing.assert_array_equal(result["z"], [9.0, -12.0, 3.0])
    np.testing.assert_array_equal(result["x.grad"], [6.0, 0.0, 6.0])


def test_custom_functions_pass_gradcheck():
    assert custom_functions_gradcheck(tg, tg.gradcheck) == [True, True, True]


def test_custom_functions_pass_autograd_gradcheck():
    assert custom_functions_gradcheck(tg, tg.autograd.gradcheck) == [True, True, True]


def test_custom_functions_match_pytorch():
    torch = pytest.importorskip("torch")
    assert_same_numbers(legendre_fit(tg), legendre_fit(torch))
    assert_same_numbers(custom_function_gradients(tg), custom_function_gradients(torch))
    assert custom_functions_gradcheck(torch, torch.autograd.gradcheck) == [True, True, True]


# ------------------------------------------------------------------ 7. tensor hooks


def gradient_hooks(torch):
    """``register_hook`` on an intermediate (scales its gradient), on a leaf (shifts it), and
    the handle's ``remove()``."""
    x = torch.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g * 3)
    h.sum().backward()
    scaled = x.grad.numpy().copy()

    x.grad = None
    handle = x.register_hook(lambda g: g + 1)
    (x * 2).sum().backward()
    shifted = x.grad.numpy().copy()

    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    return {"scaled": scaled, "shifted": shifted, "removed": x.grad.numpy().copy()}


def test_gradient_hooks():
    result = gradient_hooks(tg)
    np.testing.assert_array_equal(result["scaled"], [6.0, 6.0, 6.0])
    np.testing.assert_array_equal(result["shifted"], [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(result["removed"], [2.0, 2.0, 2.0])


def test_gradient_hooks_match_pytorch():
    torch = pytest.importorskip("torch")
    assert_same_numbers(gradient_hooks(tg), gradient_hooks(torch))


# ------------------------------------------------------------------ 8. anomaly mode


def nan_backward(torch, anomaly):
    """``log`` of a negative number, squared: the forward gives NaN and so does ``Mul``'s
    backward. With ``anomaly`` the pass runs inside ``torch.autograd.detect_anomaly()``."""
    x = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    if anomaly:
        with torch.autograd.detect_anomaly():
            y = torch.log(x)
            (y * y).sum().backward()
    else:
        y = torch.log(x)
        (y * y).sum().backward()
    return {"x.grad": x.grad.item()}


# tinygrad_bn lets NumPy's "invalid value encountered in log" through; PyTorch is silent.
@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")
def test_anomaly_mode_names_the_op():
    with pytest.warns(UserWarning,
                      match=r"^Error detected in Mul\. Traceback of forward call") as record:
        with pytest.raises(RuntimeError) as error:
            nan_backward(tg, anomaly=True)
    assert str(error.value) == "Function 'Mul' returned nan values in its 0th output."
    assert any("(y * y).sum().backward()" in str(w.message) for w in record)
    assert not tg.is_anomaly_enabled()
    assert math.isnan(nan_backward(tg, anomaly=False)["x.grad"])


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled:UserWarning")
def test_anomaly_mode_matches_pytorch():
    torch = pytest.importorskip("torch")
    for lib, node in [(tg, "Mul"), (torch, "MulBackward0")]:
        with pytest.warns(UserWarning, match=rf"Error detected in {node}\.") as record:
            with pytest.raises(RuntimeError,
                               match=rf"^Function '{node}' returned nan values in its 0th output"):
                nan_backward(lib, anomaly=True)
        assert any("(y * y).sum().backward()" in str(w.message) for w in record)
        assert not lib.is_anomaly_enabled()
    assert_same_numbers(nan_backward(tg, anomaly=False), nan_backward(torch, anomaly=False))
