"""``unique``, ``histc``, ``histogram``; ``multinomial``, ``bernoulli``, ``normal`` and the
``*_like`` factories with ``Generator`` objects; NumPy's ``axis=``/``keepdims=`` spellings.

Deterministic results are compared with PyTorch when it is installed. Random draws cannot be
(the streams differ): they are checked for reproducibility under a seed, for the support they
must respect, and for their distribution against the expected frequencies."""

import re

import numpy as np
import pytest

import tinygrad_bn as tg

COUNTING = {
    "unique": lambda lib: lib.unique(lib.tensor([3, 1, 3, 2, 1])),
    "unique_floats": lambda lib: lib.tensor([2.5, -1.0, 2.5]).unique(),
    "unique_inverse_counts": lambda lib: list(lib.unique(
        lib.tensor([[3, 1], [1, 2]]), return_inverse=True, return_counts=True)),
    "unique_dim": lambda lib: list(lib.unique(lib.tensor([[1, 2], [1, 2], [0, 5]]), dim=0,
                                              return_inverse=True, return_counts=True)),
    "unique_dim_1": lambda lib: lib.unique(lib.tensor([[1, 1, 0], [2, 2, 5]]), dim=1),
    "histc": lambda lib: lib.histc(lib.tensor([1.0, 2.0, 1.0, 4.0]), bins=4, min=0, max=3),
    "histc_own_range": lambda lib: lib.tensor([1.0, 2.0, 1.0, 4.0]).histc(bins=3),
    "histc_constant": lambda lib: lib.histc(lib.tensor([2.0, 2.0]), bins=3),
    "histc_float64": lambda lib: lib.histc(lib.arange(10.0, dtype=lib.float64), 5, 0, 9),
    "histogram": lambda lib: list(lib.histogram(lib.tensor([1.0, 2.0, 1.0]), bins=4,
                                                range=(0.0, 3.0))),
    "histogram_edges": lambda lib: list(lib.histogram(lib.tensor([1.0, 2.0, 1.0]),
                                                      bins=lib.tensor([0.0, 1.0, 2.5]))),
    "histogram_weight_density": lambda lib: list(lib.histogram(
        lib.tensor([1.0, 2.0, 1.0]), bins=2, weight=lib.tensor([1.0, 0.5, 2.0]), density=True)),
}


def _plain(value):
    """A result as a list of (dtype name, values) pairs, one per tensor."""
    if isinstance(value, list):
        return [pair for v in value for pair in _plain(v)]
    return [(str(value.dtype).replace("torch.", ""), value.detach().numpy())]


@pytest.mark.parametrize("name", COUNTING)
def test_counting_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = _plain(COUNTING[name](tg)), _plain(COUNTING[name](torch))
    assert [dtype for dtype, _ in ours] == [dtype for dtype, _ in theirs]
    for (_, a), (_, b) in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_counting_without_pytorch():
    assert tg.unique(tg.tensor([3, 1, 3, 2])).tolist() == [1, 2, 3]
    values, inverse, counts = tg.unique(tg.tensor([[3, 1], [1, 2]]), return_inverse=True,
                                        return_counts=True)
    assert values[inverse].tolist() == [[3, 1], [1, 2]] and counts.tolist() == [2, 1, 1]
    assert tg.histc(tg.tensor([1.0, 2.0, 1.0, 4.0]), bins=4, min=0, max=3).tolist() == \
        [0.0, 2.0, 1.0, 0.0]
    hist, edges = tg.histogram(tg.tensor([1.0, 2.0, 1.0]), bins=4, range=(0.0, 3.0))
    assert hist.tolist() == [0.0, 2.0, 1.0, 0.0] and edges.tolist() == [0, 0.75, 1.5, 2.25, 3]
    assert repr(tg.histogram(tg.tensor([1.0]), bins=1, range=(0.0, 2.0))) == (
        "torch.return_types.histogram(\nhist=tensor([1.]),\nbin_edges=tensor([0., 2.]))")


def test_unique_has_no_derivative():
    x = tg.tensor([3.0, 1.0, 3.0], requires_grad=True)
    values = x.unique()
    assert values.requires_grad and values.grad_fn.name == "Unique"
    with pytest.raises(RuntimeError, match="the derivative for 'unique' is not implemented."):
        (values.sum() + x.sum()).backward()


@pytest.mark.parametrize("action, error, message", [
    (lambda: tg.histc(tg.tensor([1, 2])), NotImplementedError,
     "\"histogram_cpu\" not implemented for 'Long'"),
    (lambda: tg.histc(tg.tensor([1.0, 2.0]), bins=0), RuntimeError,
     "torch.histogram(): bins must be > 0, but got 0 for dimension 0"),
    (lambda: tg.histc(tg.tensor([1.0, 2.0]), min=3, max=1), RuntimeError,
     "torch.histc: max must be larger than min"),
    (lambda: tg.histogram(tg.tensor([1, 2]), bins=2), NotImplementedError,
     "\"histogramdd\" not implemented for 'Long'"),
    (lambda: tg.histogram(tg.tensor([1.0]), bins=tg.tensor([1.0])), RuntimeError,
     "bins tensor should have one dimension and at least 2 elements"),
    (lambda: tg.histogram(tg.tensor([1.0]), bins=tg.tensor([1.0, 0.0])), RuntimeError,
     "torch.histogram(): bin edges must be increasing"),
    (lambda: tg.histogram(tg.tensor([1.0, 2.0]), bins=2, weight=tg.ones(3)), RuntimeError,
     "if weight tensor is provided it should have the same shape as the input tensor"),
    (lambda: tg.unique(tg.tensor([1, 2]), dim=3), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 3)"),
    (lambda: tg.multinomial(tg.tensor([0.0, 0.0]), 1), RuntimeError,
     "invalid multinomial distribution (sum of probabilities <= 0)"),
    (lambda: tg.multinomial(tg.tensor([[1.0, 1.0], [0.0, 0.0]]), 1), RuntimeError,
     "invalid multinomial distribution (sum of probabilities <= 0)"),
    (lambda: tg.multinomial(tg.tensor([1.0, -1.0]), 1), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    (lambda: tg.multinomial(tg.tensor([1.0, float("nan")]), 1), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    (lambda: tg.multinomial(tg.tensor([1.0, 1.0]), 3), RuntimeError,
     "cannot sample n_sample > prob_dist.size(-1) samples without replacement"),
    (lambda: tg.multinomial(tg.ones(2, 2, 2), 1), RuntimeError, "prob_dist must be 1 or 2 dim"),
    (lambda: tg.multinomial(tg.tensor([1.0, 0.0]), 0), RuntimeError,
     "cannot sample n_sample <= 0 samples"),
    (lambda: tg.multinomial(tg.tensor([1, 2]), 1), RuntimeError,
     "multinomial only supports floating-point dtypes for input, got: Long"),
    (lambda: tg.bernoulli(tg.tensor([0.5, 1.5])), RuntimeError,
     "Expected p_in >= 0 && p_in <= 1 to be true, but got false."),
    (lambda: tg.normal(tg.zeros(2), tg.tensor([1.0, -1.0])), RuntimeError,
     "normal expects all elements of std >= 0.0"),
    (lambda: tg.normal(0.0, -1.0, size=(2,)), RuntimeError,
     "normal expects std >= 0.0, but found std -1"),  # PyTorch prints -1.0 as -1
    (lambda: tg.normal(0.0, 1.0), TypeError, "normal() with a number mean and std needs size="),
    (lambda: tg.Generator(device="cuda"), RuntimeError, "runs on the CPU"),
    (lambda: tg.Generator().manual_seed(1.5), TypeError, "manual_seed expected an int seed"),
    (lambda: tg.Generator().set_state("x"), TypeError,
     "set_state expects a state returned by Generator.get_state()"),
    (lambda: tg.ones(2).sum(dim=0, axis=0), TypeError,
     "sum() got both 'dim' and its NumPy alias 'axis'"),
])
def test_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


# ---------------------------------------------------------------------- sampling


def test_multinomial_with_replacement_follows_the_weights():
    g = tg.Generator().manual_seed(2147483647)
    weights = tg.tensor([0.1, 0.0, 0.6, 0.3], dtype=tg.float64)
    draws = tg.multinomial(weights, 20000, replacement=True, generator=g)
    assert draws.dtype == tg.int64 and draws.shape == (20000,)
    frequencies = np.bincount(draws.numpy(), minlength=4) / 20000
    assert frequencies[1] == 0  # weight 0 is never drawn
    np.testing.assert_allclose(frequencies, [0.1, 0.0, 0.6, 0.3], atol=0.015)


def test_multinomial_without_replacement_draws_distinct_categories_in_weight_order():
    g = tg.Generator().manual_seed(0)
    rows = tg.tensor([[1.0, 0.0, 5.0, 1.0], [0.0, 2.0, 0.0, 1.0]])
    draws = rows.multinomial(4, generator=g)
    assert draws.shape == (2, 4)
    for row, weights in zip(draws.tolist(), rows.tolist()):
        assert sorted(row) == [0, 1, 2, 3]
        # categories of weight 0 come after every category with weight
        positive = [i for i, w in enumerate(weights) if w > 0]
        assert set(row[:len(positive)]) == set(positive)
    firsts = [tg.multinomial(tg.tensor([1.0, 3.0]), 1, generator=g).item() for _ in range(4000)]
    assert abs(np.mean(firsts) - 0.75) < 0.03


def test_multinomial_reproducible_under_a_seed():
    p = tg.tensor([0.2, 0.5, 0.3])
    tg.manual_seed(5)
    first = tg.multinomial(p, 10, replacement=True).tolist()
    tg.manual_seed(5)
    assert tg.multinomial(p, 10, replacement=True).tolist() == first
    g1, g2 = tg.Generator().manual_seed(3), tg.Generator().manual_seed(3)
    assert p.multinomial(3, generator=g1).tolist() == p.multinomial(3, generator=g2).tolist()


def test_makemore_style_sampling_loop():
    """The bigram sampler of the makemore lecture: a generator object through rand, randn,
    multinomial and randint."""
    g = tg.Generator().manual_seed(2147483647)
    counts = (tg.rand((27, 27), generator=g) * 10).floor() + 1
    probabilities = counts / counts.sum(1, keepdims=True)
    index, name = 0, []
    while True:
        index = tg.multinomial(probabilities[index], num_samples=1, replacement=True,
                               generator=g).item()
        if index == 0 or len(name) > 50:
            break
        name.append(index)
    batch = tg.randint(0, 27, (32,), generator=g)
    assert 0 <= batch.min().item() and batch.max().item() < 27
    assert all(0 < i < 27 for i in name)


def test_bernoulli_normal_and_like_factories():
    g = tg.Generator().manual_seed(1)
    draws = tg.bernoulli(tg.full((10000,), 0.3), generator=g)
    assert draws.dtype == tg.float32 and set(draws.tolist()) <= {0.0, 1.0}
    assert abs(draws.mean().item() - 0.3) < 0.02
    assert tg.tensor([0.0, 1.0]).bernoulli().tolist() == [0.0, 1.0]
    samples = tg.normal(tg.full((20000,), 3.0), tg.full((20000,), 2.0), generator=g)
    assert abs(samples.mean().item() - 3.0) < 0.05 and abs(samples.std().item() - 2.0) < 0.05
    assert tg.normal(0.0, 1.0, size=(2, 3)).shape == (2, 3)
    x = tg.ones(2, 3, dtype=tg.float64)
    assert tg.rand_like(x).dtype == tg.float64 and tg.randn_like(x).shape == (2, 3)
    ints = tg.randint_like(x, 5)
    assert ints.dtype == tg.float64 and ints.min().item() >= 0 and ints.max().item() < 5
    assert tg.randint_like(tg.ones(4, dtype=tg.int64), 3, 6).min().item() >= 3


def test_generator_state_and_seeds():
    g = tg.Generator()
    assert g.initial_seed() == 67280421310721 and str(g.device) == "cpu"
    state = g.get_state()
    first = tg.randn(3, generator=g).tolist()
    g.set_state(state)
    assert tg.randn(3, generator=g).tolist() == first
    tg.manual_seed(11)
    assert tg.initial_seed() == 11
    saved = tg.get_rng_state()
    a = tg.rand(2).tolist()
    tg.set_rng_state(saved)
    assert tg.rand(2).tolist() == a
    assert isinstance(g.seed(), int)


@pytest.mark.parametrize("function", [
    lambda lib, g: lib.randn(3, generator=g), lambda lib, g: lib.rand(3, generator=g),
    lambda lib, g: lib.randint(0, 9, (3,), generator=g), lambda lib, g: lib.randperm(5, generator=g),
    lambda lib, g: lib.empty(3).normal_(generator=g), lambda lib, g: lib.empty(3).uniform_(generator=g),
    lambda lib, g: lib.nn.init.kaiming_uniform_(lib.empty(3, 2), generator=g),
    lambda lib, g: lib.nn.init.xavier_normal_(lib.empty(3, 2), generator=g),
    lambda lib, g: lib.multinomial(lib.ones(4), 2, generator=g),
    lambda lib, g: lib.bernoulli(lib.full((4,), 0.5), generator=g),
    lambda lib, g: lib.rand_like(lib.ones(3), generator=g),
    lambda lib, g: lib.nn.functional.dropout(lib.ones(6), 0.5, generator=g)
    if lib is tg else lib.ones(6),
])
def test_every_random_function_takes_a_generator(function):
    first = function(tg, tg.Generator().manual_seed(4)).tolist()
    tg.manual_seed(99)
    assert function(tg, tg.Generator().manual_seed(4)).tolist() == first


# ---------------------------------------------------------------------- NumPy spellings


def test_axis_and_keepdims_are_accepted_where_pytorch_accepts_them():
    x = tg.arange(6.0).reshape(2, 3)
    assert x.sum(axis=1, keepdims=True).shape == (2, 1)
    assert tg.sum(x, axis=0).tolist() == [3.0, 5.0, 7.0]
    assert x.mean(axis=0).tolist() == [1.5, 2.5, 3.5]
    assert x.max(axis=1).values.tolist() == [2.0, 5.0]
    assert x.argmax(axis=1).tolist() == [2, 2]
    assert x.softmax(axis=1).shape == (2, 3) and x.std(axis=0).shape == (3,)
    assert tg.cat([x, x], axis=1).shape == (2, 6) and tg.stack([x, x], axis=0).shape == (2, 2, 3)
    assert x.unsqueeze(axis=0).shape == (1, 2, 3) and x.cumsum(axis=1)[0].tolist() == [0, 1, 3]


def test_axis_spellings_match_pytorch():
    torch = pytest.importorskip("torch")
    for lib_call in (lambda T: T.arange(6.0).reshape(2, 3).sum(axis=1, keepdims=True),
                     lambda T: T.arange(6.0).reshape(2, 3).amax(axis=0),
                     lambda T: T.cat([T.ones(2, 1), T.zeros(2, 1)], axis=1),
                     lambda T: T.arange(6.0).reshape(2, 3).var(axis=1, keepdims=True)):
        assert lib_call(tg).tolist() == lib_call(torch).tolist()
