"""``SummaryWriter``, PyTorch's logger for TensorBoard, and ``FileWriter``, the one event file
it writes through.

Events go through ``tensorboard``'s own ``EventFileWriter``, which queues them and writes them
from a background thread (at most ``max_queue`` pending, flushed every ``flush_secs``): what
TensorBoard reads is exactly what PyTorch's writer writes for the same calls.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime
from typing import Any

from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from .summary import default_bins, histogram, histogram_raw, scalar, text


class FileWriter:
    """One event file in ``log_dir`` (``events.out.tfevents.<time>.<host>.<pid>.<n><suffix>``),
    written asynchronously by ``tensorboard``'s ``EventFileWriter``."""

    def __init__(self, log_dir: str | os.PathLike, max_queue: int = 10, flush_secs: int = 120,
                 filename_suffix: str = "") -> None:
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs, filename_suffix)

    def get_logdir(self) -> str:
        """The directory the event file is in."""
        return self.event_writer.get_logdir()

    def add_event(self, event: Event, step: int | None = None,
                  walltime: float | None = None) -> None:
        """Stamp ``event`` with ``walltime`` (now, by default, in seconds since the epoch) and
        ``step`` (as an int, if given), and queue it."""
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary: Summary, global_step: int | None = None,
                    walltime: float | None = None) -> None:
        """Queue ``summary`` as an event at ``global_step``."""
        self.add_event(Event(summary=summary), global_step, walltime)

    def flush(self) -> None:
        """Write every queued event to disk."""
        self.event_writer.flush()

    def close(self) -> None:
        """Flush, then close the file."""
        self.event_writer.close()

    def reopen(self) -> None:
        """After ``close``, open a new event file in the same directory."""
        self.event_writer.reopen()


class SummaryWriter:
    """Write scalars, histograms and text for TensorBoard into event files under ``log_dir``,
    as ``torch.utils.tensorboard.SummaryWriter``::

        writer = SummaryWriter()                 # runs/Dec06_03-00-57_myhost
        writer.add_scalar("Loss/train", loss.item(), step)
        writer.close()                           # or: with SummaryWriter() as writer: ...

    ``log_dir`` defaults to ``runs/<%b%d_%H-%M-%S>_<hostname><comment>`` (``comment`` is
    ignored when ``log_dir`` is given). ``purge_step``: after a crash at step T+X and a restart
    from step T, TensorBoard hides the events of this ``log_dir`` at steps >= T. Events are
    queued (``max_queue`` of them) and written every ``flush_secs`` seconds, on ``flush()`` and
    on ``close()``; a writer used after ``close()`` opens a new event file. Values may be
    Python or NumPy numbers, NumPy arrays or tensors (detached first, so one that requires
    grad is fine) of one element.
    """

    def __init__(self, log_dir: str | os.PathLike | None = None, comment: str = "",
                 purge_step: int | None = None, max_queue: int = 10, flush_secs: int = 120,
                 filename_suffix: str = "") -> None:
        if not log_dir:
            now = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", now + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None  # opened now, and again after close()
        self._get_file_writer()
        self.default_bins = default_bins()

    def _get_file_writer(self) -> FileWriter:
        """The writer of the main event file, opened if it is not (first use, after close)."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs,
                                          self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                # TensorBoard drops earlier events at steps >= this one on a restart event
                self.file_writer.add_event(Event(step=self.purge_step,
                                                 file_version="brain.Event:2"))
                self.file_writer.add_event(Event(
                    step=self.purge_step, session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> str | os.PathLike:
        """The directory the event files are written in."""
        return self.log_dir

    def add_scalar(self, tag: str, scalar_value: Any, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """Log one number under ``tag`` (``"Loss/train"``: the part before ``/`` groups the
        charts) at ``global_step``; ``walltime`` overrides the time (seconds since the epoch).
        Stored as a 32-bit ``simple_value``, or with ``new_style`` as a tensor (64-bit with
        ``double_precision``)."""
        summary = scalar(tag, scalar_value, new_style=new_style,
                         double_precision=double_precision)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict[str, Any],
                    global_step: int | None = None, walltime: float | None = None) -> None:
        """Log several numbers in one chart ``main_tag``: each key of ``tag_scalar_dict`` is a
        run of its own, written in ``log_dir/<main_tag with / as _>_<key>``, as PyTorch does."""
        walltime = time.time() if walltime is None else walltime
        log_dir = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            run_dir = log_dir + "/" + main_tag.replace("/", "_") + "_" + tag
            writer = self.all_writers.get(run_dir)
            if writer is None:
                writer = self.all_writers[run_dir] = FileWriter(
                    run_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            writer.add_summary(scalar(main_tag, value), global_step, walltime)

    def add_histogram(self, tag: str, values: Any, global_step: int | None = None,
                      bins: Any = "tensorflow", walltime: float | None = None,
                      max_bins: int | None = None) -> None:
        """Log the histogram of ``values`` (a tensor or array of any shape). ``bins`` is
        ``"tensorflow"`` (TensorFlow's exponential edges, the default) or anything
        ``np.histogram`` takes (``"auto"``, ``"fd"``, a count, edges)."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._get_file_writer().add_summary(histogram(tag, values, bins, max_bins=max_bins),
                                            global_step, walltime)

    def add_histogram_raw(self, tag: str, min: float, max: float, num: int, sum: float,
                          sum_squares: float, bucket_limits: Any, bucket_counts: Any,
                          global_step: int | None = None,
                          walltime: float | None = None) -> None:
        """Log a histogram already counted: its statistics, and one right edge per count."""
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        summary = histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits,
                                bucket_counts)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Log ``text_string`` (Markdown), shown in TensorBoard's Text tab."""
        self._get_file_writer().add_summary(text(tag, text_string), global_step, walltime)

    def flush(self) -> None:
        """Write every queued event of every event file to disk."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self) -> None:
        """Flush and close every event file (a second ``close`` does nothing)."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        self.close()
