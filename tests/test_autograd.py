"""The backward engine: graph shapes (diamonds, reuse, long chains), accumulation, graph
release, gradient mode, retain_grad and autograd.grad."""

import gc
import inspect
import sys
import weakref
from contextlib import contextmanager

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import RELEASED_GRAPH_MESSAGE, topological_order


@contextmanager
def recursion_limit(frames_above_here):
    """Allow only a few Python frames beyond the current depth: recursion would fail."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + frames_above_here)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def test_diamond_graph_accumulates_both_paths():
    a = tg.tensor([2.0, -3.0], requires_grad=True)
    b = a + a
    c = b * b  # c = 4 a^2, dc/da = 8 a
    c.sum().backward()
    np.testing.assert_allclose(a.grad.detach().numpy(), 8 * a.detach().numpy())


def test_shared_intermediate_used_by_several_ops():
    x = tg.tensor([1.5], dtype=tg.float64, requires_grad=True)
    h = x.exp()
    y = h * h + h.log() + h  # e^{2x} + x + e^x
    y.backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), 2 * np.exp(3.0) + 1 + np.exp(1.5))


def test_an_op_using_one_tensor_twice_records_two_inputs():
    a = tg.tensor([3.0], requires_grad=True)
    y = a * a
    assert len(y.grad_fn.inputs) == 2
    assert y.grad_fn.inputs[0] is a and y.grad_fn.inputs[1] is a
    y.backward()
    assert a.grad.item() == 6.0


def test_chain_of_100000_ops_backpropagates_without_recursion():
    x = tg.tensor([1.0], dtype=tg.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    with recursion_limit(40):
        y.backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), [1.00001**100_000], rtol=1e-9)


def test_topological_order_puts_every_node_after_its_inputs():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h + h.exp()) * h
    order = topological_order([y])
    position = {id(node): i for i, node in enumerate(order)}
    assert len(order) == 4  # Mul(x*2), Exp, Add, Mul: each once though reached three times
    for node in order:
        for t in node.inputs:
            if t.grad_fn is not None:
                assert position[id(t.grad_fn)] < position[id(node)]


def _postorder(roots):
    """A recursive depth-first search over ``node.producers``: the order topological_order
    documents (which fixes the order in which a value's gradients are summed, hence the bits)."""
    order, seen = [], set()

    def visit(node):
        if node is None or id(node) in seen:
            return
        seen.add(id(node))
        for producer in node.producers:
            visit(producer)
        order.append(node)

    for root in roots:
        visit(root.grad_fn)
    return order


def test_topological_order_is_the_depth_first_postorder_on_chains_and_branches():
    # Chains of layers (one producer each, the rest leaves), a chain that branches after a few
    # nodes, a node fed twice by one producer, several roots.
    rng = np.random.default_rng(0)
    for trial in range(200):
        leaves = [tg.randn(3, requires_grad=True) for _ in range(2)] + [tg.randn(3)]
        values = list(leaves)
        for _ in range(int(rng.integers(1, 10))):
            if rng.random() < 0.7:
                a, b = values[-1], leaves[int(rng.integers(len(leaves)))]
            else:
                a, b = (values[int(i)] for i in rng.integers(len(values), size=2))
            kind = int(rng.integers(4))
            values.append(a * b if kind == 0 else a + b if kind == 1 else a.tanh() if kind == 2
                          else a * a)
        roots = [values[-1]] if trial % 4 else [values[-1], values[len(values) // 2]]
        assert [id(n) for n in topological_order(roots)] == [id(n) for n in _postorder(roots)]
        assert [id(n) for n in topological_order(iter(roots))] == \
            [id(n) for n in _postorder(roots)]  # any iterable of tensors


def test_gradients_accumulate_over_two_backward_calls():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), 3 + 2 * x.detach().numpy())
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), [3.0, 3.0])


def test_leaf_grad_is_never_an_alias_of_another_array():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([5.0, 7.0], requires_grad=True)
    seed = tg.tensor([1.0, 1.0])
    (a + b).backward(seed)  # Add passes the same array to both inputs
    a.grad.data += 100
    np.testing.assert_array_equal(b.grad.detach().numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(seed.detach().numpy(), [1.0, 1.0])


def test_backward_frees_saved_arrays_and_a_second_backward_says_retain_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    assert y.grad_fn.next_functions[0][0].saved is None
    with pytest.raises(RuntimeError) as error:
        y.backward()
    assert str(error.value) == RELEASED_GRAPH_MESSAGE
    assert "retain_graph=True" in str(error.value)


def test_retain_graph_allows_a_second_backward():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), 4 * x.detach().numpy())


def test_ops_that_save_nothing_can_backward_twice_as_in_pytorch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, 2.0])


def test_graph_and_activations_are_freed_by_reference_counting_alone():
    gc.disable()
    try:
        x = tg.randn(8, 4, requires_grad=True)
        hidden = (x * 2).relu()
        loss = hidden.sum()
        loss.backward()
        hidden_ref = weakref.ref(hidden)
        del hidden, loss
        assert hidden_ref() is None  # no reference cycle kept it alive
    finally:
        gc.enable()


def test_no_grad_builds_no_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        y = x * 2 + 1
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf


def test_no_grad_as_decorator_with_and_without_call():
    x = tg.tensor([1.0], requires_grad=True)

    @tg.no_grad()
    def called(t):
        return t * 2

    @tg.no_grad
    def bare(t):
        return t * 2

    assert called.__name__ == "called"
    assert not called(x).requires_grad and not bare(x).requires_grad
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad_and_nesting_restores():
    x = tg.tensor([1.0], requires_grad=True)
    with tg.no_grad():
        with tg.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
        with tg.no_grad():
            pass
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_call_and_context():
    x = tg.tensor([1.0], requires_grad=True)
    with tg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tg.is_grad_enabled()
    tg.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        tg.set_grad_enabled(True)


def test_no_grad_restores_mode_when_the_block_raises():
    with pytest.raises(ValueError):
        with tg.no_grad():
            raise ValueError("inside")
    assert tg.is_grad_enabled()


def test_detach_shares_data_and_leaves_the_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad
    assert np.shares_memory(d.detach().numpy(), y.detach().numpy())
    z = d * x  # only the x path gets gradient
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, 4.0])


def test_requires_grad_underscore_and_leaves():
    x = tg.ones(2)
    assert x.is_leaf and not x.requires_grad
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    assert not y.is_leaf and y.requires_grad
    assert (x * 2).grad_fn.name == "Mul"


def test_backward_with_explicit_gradient():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward(tg.tensor([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, 0.0, -6.0])


def test_backward_on_a_leaf():
    x = tg.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_intermediate_grads_are_kept_only_with_retain_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    k = x * 4
    h.retain_grad()
    assert h.retains_grad and not k.retains_grad
    loss = (h * k).sum()
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(h.grad.detach().numpy(), k.detach().numpy())
    assert k.grad is None
    loss.backward()  # accumulates, like a leaf's grad
    np.testing.assert_array_equal(h.grad.detach().numpy(), 2 * k.detach().numpy())


def test_autograd_grad_returns_without_accumulating():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    h = x * w
    gx, gh = tg.autograd.grad((h * h).sum(), [x, h])
    np.testing.assert_array_equal(gx.detach().numpy(), 2 * h.detach().numpy() * w.detach().numpy())
    np.testing.assert_array_equal(gh.detach().numpy(), 2 * h.detach().numpy())
    assert x.grad is None and w.grad is None


def test_autograd_grad_unused_input():
    x = tg.tensor([1.0], requires_grad=True)
    unused = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        tg.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = tg.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.item() == 2.0 and gu is None


def test_a_custom_function_plugs_into_the_engine():
    class Cube(tg.autograd.Op):
        """x**3, gradient 3 x**2."""

        def forward(self, a):
            self.saved = (a,)
            return a**3

        def backward(self, grad_output):
            (a,) = self.saved
            return (3 * a * a * grad_output,)

    x = tg.tensor([1.0, -2.0], dtype=tg.float64, requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name == "Cube" and repr(y.grad_fn) == "Cube()"
    assert tg.gradcheck(lambda t: Cube.apply(t), x)


def test_node_fields_describe_the_op():
    x = tg.randn(2, 3, requires_grad=True)
    y = x.sum(dim=1, keepdim=True)
    node = y.grad_fn
    assert node.name == "Sum"
    assert len(node.inputs) == 1 and node.inputs[0] is x
    assert node.argument_values() == {"dim": (1,), "keepdim": True}
    assert repr(node) == "Sum(dim=(1,), keepdim=True)"
