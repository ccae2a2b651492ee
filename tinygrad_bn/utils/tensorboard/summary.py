"""The summaries a ``SummaryWriter`` writes, built as ``tensorboard``'s protocol buffers the way
PyTorch's ``torch.utils.tensorboard.summary`` builds them, so the event files hold the same
values: a scalar (``simple_value``, or a one-element tensor in the new style), a histogram
(NumPy's bins, trimmed to the occupied range as TensorBoard's ``histogram.cc`` does) and text.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

from ...tensor import Tensor


def make_np(value: Any) -> np.ndarray:
    """``value`` as a NumPy array: an array as it is, a Python or NumPy scalar as a one-element
    array, a tensor detached (one that requires grad too, as in PyTorch)."""
    if isinstance(value, np.ndarray):
        return value
    if np.isscalar(value):
        return np.array([value])
    if isinstance(value, Tensor):
        return value.detach().numpy()
    raise NotImplementedError(
        f"Got {type(value)}, but numpy array or torch tensor are expected.")


def scalar(tag: str, value: Any, new_style: bool = False,
           double_precision: bool = False) -> Summary:
    """A ``Summary`` of one number under ``tag``: ``simple_value`` (a 32-bit float), or with
    ``new_style`` a tensor of the ``scalars`` plugin (``double_precision``: a 64-bit one)."""
    array = make_np(value).squeeze()
    if array.ndim != 0:
        # PyTorch's words, with the run of spaces its line continuation leaves in them
        raise AssertionError("Tensor should contain one element (0 dimensions).             "
                             f"Was given size: {array.size} and {array.ndim} dimensions.")
    number = float(array)
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=number)])
    if double_precision:
        tensor = TensorProto(double_val=[number], dtype="DT_DOUBLE")
    else:
        tensor = TensorProto(float_val=[number], dtype="DT_FLOAT")
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=metadata)])


def default_bins() -> list[float]:
    """TensorFlow's histogram bin edges, as PyTorch's ``SummaryWriter`` makes them: 0, and
    ``±1e-12 * 1.1**k`` up to 1e20 on either side (1,549 edges)."""
    edges, edge = [], 1e-12
    while edge < 1e20:
        edges.append(edge)
        edge *= 1.1
    return [-e for e in reversed(edges)] + [0] + edges


def histogram(tag: str, values: Any, bins: Any, max_bins: int | None = None) -> Summary:
    """A ``Summary`` holding the histogram of ``values`` (any shape, as float64) under ``tag``:
    ``np.histogram(values, bins)`` merged down to at most ``max_bins`` buckets, then trimmed to
    the occupied buckets plus one empty bucket on the left (TensorBoard keeps only right
    edges), with min, max, count, sum and sum of squares."""
    values = make_np(values).astype(float)
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        group = len(counts) // max_bins
        remainder = len(counts) % group
        if remainder:
            counts = np.pad(counts, [[0, group - remainder]])
        counts = counts.reshape(-1, group).sum(axis=-1)
        limits = np.concatenate([limits[:-1:group], limits[-1:]])
    occupied = np.cumsum(np.greater(counts, 0))
    start, end = np.searchsorted(occupied, [0, occupied[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return histogram_raw(tag, values.min(), values.max(), len(values), values.sum(),
                         values.dot(values), limits.tolist(), counts.tolist())


def histogram_raw(tag: str, min: float, max: float, num: int, sum: float, sum_squares: float,
                  bucket_limits: Any, bucket_counts: Any) -> Summary:
    """A ``Summary`` holding a histogram given by its statistics and buckets (``bucket_limits``
    the right edges, one per count), under ``tag``."""
    histo = HistogramProto(min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
                           bucket_limit=bucket_limits, bucket=bucket_counts)
    return Summary(value=[Summary.Value(tag=tag, histo=histo)])


def text(tag: str, text_string: str) -> Summary:
    """A ``Summary`` of the text plugin holding ``text_string`` (Markdown) under
    ``tag + "/text_summary"``, PyTorch's tag."""
    content = TextPluginData(version=0).SerializeToString()
    metadata = SummaryMetadata(
        plugin_data=SummaryMetadata.PluginData(plugin_name="text", content=content))
    tensor = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf_8")],
                         tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=metadata,
                                        tensor=tensor)])
