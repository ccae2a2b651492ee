"""``RemovableHandle``: what every ``register_*hook`` returns, so a hook can be taken out again;
``LeafHooks``: the hooks of a leaf tensor (gradient and post-accumulate-grad hooks)."""

import itertools


class RemovableHandle:
    """Removes one hook from the ordered dict it was registered in: ``handle.remove()``, or
    leaving a ``with handle:`` block. Removing twice is harmless."""

    _ids = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict = hooks_dict
        self.id = next(RemovableHandle._ids)
        # PyTorch's extra_dict: more dicts (one or a list) whose entry under this id goes too
        self.extra_dicts = (extra_dict,) if isinstance(extra_dict, dict) else \
            tuple(extra_dict or ())

    @classmethod
    def append(cls, hooks_dict, hook):
        """Register ``hook`` at the end of ``hooks_dict`` and return its handle."""
        if not callable(hook):
            raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
        handle = cls(hooks_dict)
        hooks_dict[handle.id] = hook
        return handle

    def remove(self):
        """Unregister the hook this handle was returned for; removing it twice does nothing. Using
        the handle as a ``with`` block removes it on exit."""
        self.hooks_dict.pop(self.id, None)
        for extra in self.extra_dicts:
            extra.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
        return False


class LeafHooks(dict):
    """A leaf tensor's hooks (``tensor._hooks``): its gradient hooks, by handle id, as the
    dict's items, and its ``register_post_accumulate_grad_hook`` hooks in
    ``post_accumulate``. True when either holds a hook, so that the engine's one test of
    ``tensor._hooks`` (and a jit capture's refusal of hooked leaves) sees both."""

    __slots__ = ("post_accumulate",)

    def __init__(self):
        super().__init__()
        self.post_accumulate = {}

    def __bool__(self):
        return bool(len(self) or self.post_accumulate)
