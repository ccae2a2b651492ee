"""``torch.accelerator`` as scripts use it on a machine without a GPU. PyTorch's examples now
open with ``use_accel = torch.accelerator.is_available()`` and ``device =
torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")``: here
``is_available()`` is False, ``current_accelerator()`` is None and ``device_count()`` is 0, and
the calls that need a device raise PyTorch's RuntimeError, as PyTorch's do without one."""

NO_ACCELERATOR = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """False: tinygrad_bn computes on the CPU only."""
    return False


def current_accelerator(check_available: bool = False):
    """None: there is no accelerator (PyTorch's answer on a CPU-only build, checked or not)."""
    return None


def device_count() -> int:
    """0: no accelerator devices."""
    return 0


def _none_available(*args, **kwargs):
    """PyTorch's RuntimeError for a call that needs an accelerator device."""
    raise RuntimeError(NO_ACCELERATOR)


current_device_index = current_device_idx = set_device_index = set_device_idx = _none_available
synchronize = current_stream = set_stream = empty_cache = _none_available
memory_allocated = max_memory_allocated = memory_reserved = _none_available
max_memory_reserved = memory_stats = reset_peak_memory_stats = _none_available


class device_index:
    """A context manager switching to accelerator ``device`` for its block: with ``None`` it
    does nothing; with an index it raises PyTorch's RuntimeError on entering (no devices)."""

    def __init__(self, device, /):
        self.device = device

    def __enter__(self):
        if self.device is not None:
            _none_available()

    def __exit__(self, *exc_info):
        return False
