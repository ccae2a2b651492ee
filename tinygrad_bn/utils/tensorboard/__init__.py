"""``tinygrad_bn.utils.tensorboard`` mirrors ``torch.utils.tensorboard``: a ``SummaryWriter`` that
writes scalars, histograms and text into event files TensorBoard reads
(``writer.add_scalar("Loss/train", loss.item(), step)``).

The files are written by the ``tensorboard`` package's own writer and protocol buffers, which
is an optional extra: ``pip install tinygrad_bn[tensorboard]``. Importing this module without
it raises ``ImportError`` saying so, at import as PyTorch's does.
"""

_MISSING = ("TensorBoard logging requires TensorBoard version 1.15 or above, which is not "
            "installed: install it with `pip install tinygrad_bn[tensorboard]` (or `pip install "
            "tensorboard`).")


def _version(text):
    """``"2.21.0"`` -> ``(2, 21)``: the major and minor numbers of a version string."""
    numbers = []
    for part in text.split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit()) if part[:1].isdigit() else ""
        numbers.append(int(digits) if digits else 0)
    return tuple(numbers)


try:
    import tensorboard
except ImportError as error:
    raise ImportError(_MISSING) from error

if _version(getattr(tensorboard, "__version__", "0")) < (1, 15):
    raise ImportError(_MISSING.replace("which is not installed",
                                       f"and version {tensorboard.__version__} is installed"))

from tensorboard.summary.writer.record_writer import RecordWriter  # noqa: E402

from .writer import FileWriter, SummaryWriter  # noqa: E402

del tensorboard

__all__ = ["FileWriter", "RecordWriter", "SummaryWriter"]
