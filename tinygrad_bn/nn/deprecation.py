"""Deprecated names kept for old programs, warning as PyTorch warns: ``deprecated_class``
marks a class whose instantiation and subclassing warn (PyTorch's ``@deprecated`` from
``typing_extensions``, category ``FutureWarning``)."""

from __future__ import annotations

import functools
import warnings


def deprecated_class(message: str, category: type[Warning] = FutureWarning):
    """A class decorator: making an instance of the class itself, and defining a subclass,
    warn ``message`` with ``category``, pointing at the caller, as
    ``typing_extensions.deprecated`` does."""

    def decorate(cls):
        original_new = cls.__new__

        @functools.wraps(original_new)
        def __new__(subclass, *args, **kwargs):
            if subclass is cls:
                warnings.warn(message, category=category, stacklevel=2)
            if original_new is not object.__new__:
                return original_new(subclass, *args, **kwargs)
            return original_new(subclass)

        def __init_subclass__(subclass, *args, **kwargs):
            warnings.warn(message, category=category, stacklevel=2)
            return super(cls, subclass).__init_subclass__(*args, **kwargs)

        cls.__new__ = staticmethod(__new__)
        cls.__init_subclass__ = classmethod(__init_subclass__)
        cls.__deprecated__ = message
        return cls

    return decorate
