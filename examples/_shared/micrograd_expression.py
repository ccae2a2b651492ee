"""micrograd's classic scalar expression, ``L = relu(a * b + c) * f``, as tinygrad_bn tensors:
the smallest graph that shows every rule of backpropagation (a product, a sum, a ReLU, a
tensor used by two ops' worth of chain rule). Shared by the drawing examples and their tests.
"""

import tinygrad_bn as tg


def micrograd_expression():
    """The tensors of ``L = relu(a * b + c) * f`` by name (``a = 2``, ``b = -3``, ``c = 10``,
    ``f = -2``; ``e = a * b``, ``d = e + c``), the leaves requiring grad."""
    a = tg.tensor(2.0, requires_grad=True)
    b = tg.tensor(-3.0, requires_grad=True)
    c = tg.tensor(10.0, requires_grad=True)
    f = tg.tensor(-2.0, requires_grad=True)
    e = a * b
    d = e + c
    L = d.relu() * f
    return {"a": a, "b": b, "c": c, "f": f, "e": e, "d": d, "L": L}
