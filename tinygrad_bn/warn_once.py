"""PyTorch's switch for its once-per-process warnings (``TORCH_WARN_ONCE``):
``torch.set_warn_always(True)`` makes them warn every time, which tests of warnings rely on.
The warnings themselves (a float of a tensor that requires grad, ``scatter``'s ``reduce=``,
``index_reduce``'s beta notice, ``create_graph``'s reference cycle) each keep whether they were
given; they ask ``warn_always()`` too."""

_always = [False]


def warn_always() -> bool:
    """Whether once-per-process warnings are given every time (``set_warn_always(True)``)."""
    return _always[0]
