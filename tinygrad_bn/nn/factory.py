"""``nn.factory_kwargs``: the ``device``/``dtype``/``memory_format`` keywords a module passes
on to the factory functions that make its parameters, checked (PyTorch's helper)."""


def factory_kwargs(kwargs):
    """A new dict of the factory keywords in ``kwargs`` (``device``, ``dtype``,
    ``memory_format``, plus those in an explicit ``factory_kwargs`` entry); PyTorch's
    ``TypeError`` for any other key or for a key given both ways."""
    if kwargs is None:
        return {}
    simple_keys = {"device", "dtype", "memory_format"}
    expected_keys = simple_keys | {"factory_kwargs"}
    if not kwargs.keys() <= expected_keys:
        raise TypeError(f"unexpected kwargs {kwargs.keys() - expected_keys}")
    result = dict(kwargs.get("factory_kwargs", {}))
    for key in simple_keys:
        if key in kwargs:
            if key in result:
                raise TypeError(f"{key} specified twice, in **kwargs and in factory_kwargs")
            result[key] = kwargs[key]
    return result
