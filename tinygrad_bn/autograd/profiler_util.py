"""The profiler's results, as ``torch.autograd.profiler_util`` holds them: one ``FunctionEvent``
per timed range (an op's forward, a backward node, a ``record_function`` block), an
``EventList`` of them with ``key_averages()`` (one ``FunctionEventAvg`` per name, or per name
and input shapes), ``table()`` printing PyTorch's layout and ``export_chrome_trace()``.

Times are microseconds (floats) from the start of the profiling session, as PyTorch's
``time_range``; ``self`` times are an event's own time less its children's (the events that
started and ended inside it on the same thread).
"""

from __future__ import annotations

import os
from collections import namedtuple

Interval = namedtuple("Interval", ["start", "end"])


def _format_time(time_us):
    """PyTorch's time text: ``12.345us``, ``1.234ms`` or ``1.234s``."""
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_time_us):
    """A share of the total as ``12.34%`` (``NaN`` of a zero total)."""
    if total_time_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_time_us:.2f}%"


def _format_memory(nbytes):
    """PyTorch's memory text: ``24 B``, ``1.50 KB``, ``2.00 MB``, ``1.00 GB``."""
    for limit, unit in ((1024 ** 3, "GB"), (1024 ** 2, "MB"), (1024, "KB")):
        if abs(nbytes) >= limit:
            return f"{nbytes * 1.0 / limit:.2f} {unit}"
    return f"{nbytes} B"


class _FormattedTimes:
    """The ``*_str`` properties of PyTorch's events, for a class with the times."""

    @property
    def cpu_time(self):
        """Average CPU time of one call, in microseconds."""
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    cpu_time_str = property(lambda self: _format_time(self.cpu_time))
    cpu_time_total_str = property(lambda self: _format_time(self.cpu_time_total))
    self_cpu_time_total_str = property(lambda self: _format_time(self.self_cpu_time_total))
    device_time = device_time_total = self_device_time_total = 0.0
    device_time_str = device_time_total_str = self_device_time_total_str = property(
        lambda self: _format_time(0.0))
    cuda_time = cuda_time_total = self_cuda_time_total = 0.0
    device_memory_usage = self_device_memory_usage = 0
    cuda_memory_usage = self_cuda_memory_usage = 0
    node_id = -1
    is_async = is_remote = is_legacy = False
    use_device = None
    flops = 0
    overload_name = ""


class FunctionEvent(_FormattedTimes):
    """One timed range: ``name`` (``aten::mm``, a ``record_function`` label, ...), ``id``,
    ``thread``, ``time_range`` (start and end, microseconds), ``input_shapes`` (one list per
    tensor input, with ``record_shapes``), ``stack`` (``file(line): function`` entries,
    innermost first, with ``with_stack``), ``cpu_children`` and ``cpu_parent``,
    ``cpu_memory_usage`` (bytes of the arrays the range made, itself and its children, with
    ``profile_memory``), ``is_user_annotation`` (a ``record_function`` range) and ``scope``
    (0 forward, 1 backward)."""

    count = 1

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=None, stack=None,
                 memory=0, is_user_annotation=False, scope=0):
        self.id, self.thread = id, thread
        # As PyTorch, ProfilerStep#<n> ranges share one name (and so one row of
        # key_averages); the trace keeps the numbered name.
        self.trace_name = name
        self.name = "ProfilerStep*" if name.startswith("ProfilerStep#") else name
        self.time_range = Interval(start_us, end_us)
        self.input_shapes = [] if input_shapes is None else input_shapes
        self.stack = [] if stack is None else stack
        self.own_memory = memory
        self.is_user_annotation, self.scope = is_user_annotation, scope
        self.cpu_children: list[FunctionEvent] = []
        self.cpu_parent: FunctionEvent | None = None
        self.sequence_nr = -1
        self.device_type = "DeviceType.CPU"

    key = property(lambda self: self.name)

    @property
    def cpu_time_total(self):
        return self.time_range.end - self.time_range.start

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(child.cpu_time_total for child in self.cpu_children)

    @property
    def cpu_memory_usage(self):
        return self.own_memory + sum(child.cpu_memory_usage for child in self.cpu_children)

    @property
    def self_cpu_memory_usage(self):
        return self.own_memory

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} overload_name= "
                f"device_type={self.device_type} node_id=-1 cpu_time={self.cpu_time_str} "
                f"start_us={self.time_range.start} end_us={self.time_range.end} "
                f"cpu_children={[child.id for child in self.cpu_children]} "
                f"None_time={self.device_time_str} name={self.name} thread={self.thread} "
                f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage} "
                "None_memory_usage=0 is_async=False is_remote=False "
                f"seq_nr={self.sequence_nr} is_legacy=False>")


class FunctionEventAvg(_FormattedTimes):
    """The sum of the events of one ``key``: ``count``, ``cpu_time_total``,
    ``self_cpu_time_total``, ``cpu_memory_usage``, ``self_cpu_memory_usage``, and ``cpu_time``
    (the average of a call); ``input_shapes`` and ``stack`` of the first event (blanked by
    ``key_averages`` unless it grouped by them), as PyTorch's."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.input_shapes = self.stack = self.scope = None
        self.cpu_children = self.cpu_parent = None
        self.is_user_annotation = False
        self.device_type = "DeviceType.CPU"

    def add(self, other):
        """Add an event (or another average) of the same key; returns ``self``."""
        if self.key is None:
            self.key = other.key
            self.cpu_parent, self.cpu_children = other.cpu_parent, other.cpu_children
            self.input_shapes, self.stack, self.scope = other.input_shapes, other.stack, \
                other.scope
            self.is_user_annotation = other.is_user_annotation
        if other.key != self.key:
            raise AssertionError(f"Expected keys to match, but got {other.key} vs {self.key}")
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.count += other.count
        return self

    __iadd__ = add

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str}  self_cuda_time={self.self_device_time_total_str} "
                f"cuda_time={self.device_time_str} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage} cuda_memory_usage=0>")


class EventList(list):
    """A list of ``FunctionEvent`` (or of ``FunctionEventAvg``, from ``key_averages``)."""

    def __init__(self, *args, profile_memory=False, start_ns=0, metadata=None, **kwargs):
        kwargs.pop("use_device", None)
        kwargs.pop("with_flops", None)
        super().__init__(*args, **kwargs)
        self._profile_memory = profile_memory
        self._start_ns = start_ns
        self._metadata = {} if metadata is None else metadata

    @property
    def self_cpu_time_total(self):
        """The sum of the events' self times, in microseconds."""
        return sum(event.self_cpu_time_total for event in self)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        """One ``FunctionEventAvg`` per event name (and per input shapes, and per first
        ``group_by_stack_n`` stack entries, when asked), in order of first appearance."""
        stats: dict[tuple, FunctionEventAvg] = {}
        for event in self:
            key = (event.key, event.is_user_annotation)
            if group_by_input_shapes:
                key += (str(event.input_shapes),)
            if group_by_stack_n > 0:
                key += tuple(event.stack[:group_by_stack_n])
            if key not in stats:
                stats[key] = FunctionEventAvg()
            stats[key].add(event)
        averages = EventList(stats.values(), profile_memory=self._profile_memory,
                             start_ns=self._start_ns, metadata=self._metadata)
        for average in averages:
            average.stack = (average.stack or [])[:group_by_stack_n]
            if not group_by_input_shapes:
                average.input_shapes = ""
        return averages

    def total_average(self):
        """One ``FunctionEventAvg`` of every event, keyed ``Total``."""
        total = FunctionEventAvg()
        for event in self:
            total.cpu_time_total += event.cpu_time_total
            total.self_cpu_time_total += event.self_cpu_time_total
            total.cpu_memory_usage += event.cpu_memory_usage
            total.self_cpu_memory_usage += event.self_cpu_memory_usage
            total.count += event.count
        total.key = "Total"
        return total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False, time_unit=None):
        """The events as PyTorch's text table: Name, Self CPU %, Self CPU, CPU total %, CPU
        total, CPU time avg, (CPU Mem, Self CPU Mem with ``profile_memory``), # of Calls,
        (Input Shapes when there are any; Source Location when stacks were kept), sorted by
        the attribute ``sort_by`` (descending), at most ``row_limit`` rows (-1: all), closed
        by ``Self CPU time total``."""
        return _build_table(self, sort_by, header, row_limit, max_src_column_width,
                            max_name_column_width, max_shapes_column_width,
                            self._profile_memory, top_level_events_only, time_unit)

    def __str__(self):
        return self.table()

    def export_chrome_trace(self, path):
        """Write the events as Chrome trace JSON (``chrome://tracing``, Perfetto): complete
        (``"ph": "X"``) events with ``ts`` and ``dur`` in microseconds, one thread per
        recording thread; gzip-compressed when ``path`` ends in ``.gz``."""
        _write_chrome_trace(self, path, self._start_ns, self._metadata)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Write each event's stack (outermost first, ``;``-joined) and its ``metric`` in
        integer microseconds, one line each: the input of flame-graph tools."""
        with open(path, "w") as file:
            for event in self:
                if event.stack:
                    stack = ";".join(reversed(event.stack)).replace(" ", "_")
                    file.write(f"{stack} {int(getattr(event, metric))}\n")


def _build_table(events, sort_by, header, row_limit, max_src_column_width,
                 max_name_column_width, max_shapes_column_width, profile_memory,
                 top_level_events_only, time_unit):
    if len(events) == 0:
        return ""
    has_input_shapes = any(event.input_shapes for event in events)
    if sort_by is not None:
        # As PyTorch, a device's name in sort_by means the (here always zero) device times.
        attribute = sort_by.replace("cuda", "device").replace("xpu", "device") \
            .replace("privateuse1", "device")
        events = sorted(events, key=lambda event: getattr(event, attribute), reverse=True)
    name_width = min(max(len(event.key) for event in events) + 4, max_name_column_width)
    shapes_width = min(max(len(str(event.input_shapes)) for event in events) + 4,
                       max_shapes_column_width)
    stacks = [event.stack for event in events if event.stack]
    src_width = None
    if stacks:
        src_width = min(max(len(entry) for stack in stacks for entry in stack) + 4,
                        max_src_column_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [(name_width, ">")] + [(12, ">")] * (len(headers) - 1)
    if has_input_shapes:
        headers.append("Input Shapes")
        widths.append((shapes_width, ">"))
    if stacks:
        headers.append("Source Location")
        widths.append((src_width, "<"))
    row_format = "".join("{: " + align + str(width) + "}  " for width, align in widths)
    separator = "".join("-" * width + "  " for width, _ in widths)
    line_length = sum(width + 2 for width, _ in widths) - 2

    def time_text(time_us):
        if time_unit == "s":
            return f"{time_us / 1e6:.3f}s"
        if time_unit == "ms":
            return f"{time_us / 1e3:.3f}ms"
        if time_unit == "us":
            return f"{time_us:.3f}us"
        return _format_time(time_us)

    def trim_path(path):
        if len(path) > src_width:
            path = path[len(path) - src_width:]
            if len(path) > 3:
                path = "..." + path[3:]
        return path

    total = sum(event.self_cpu_time_total for event in events)
    lines = []
    if header is not None:
        lines += ["=" * line_length, header]
    if top_level_events_only:
        lines += ["=" * line_length, "This report only display top-level ops statistics"]
    lines += [separator, row_format.format(*headers), separator]
    shown = 0
    for event in events:
        if shown == row_limit:
            break
        if top_level_events_only and event.cpu_parent is not None:
            continue
        shown += 1
        name = event.key
        if len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        row = [name, _format_time_share(event.self_cpu_time_total, total),
               time_text(event.self_cpu_time_total),
               _format_time_share(event.cpu_time_total, total), time_text(event.cpu_time_total),
               time_text(event.cpu_time)]
        if profile_memory:
            row += [_format_memory(event.cpu_memory_usage),
                    _format_memory(event.self_cpu_memory_usage)]
        row.append(event.count)
        if has_input_shapes:
            row.append(str(event.input_shapes)[:shapes_width])
        if stacks:
            row.append(trim_path(event.stack[0]) if event.stack else "")
        lines.append(row_format.format(*row))
        if stacks:
            blank = [""] * (len(headers) - 1)
            for entry in (event.stack or [])[1:]:
                lines.append(row_format.format(*(blank + [trim_path(entry)])))
            lines.append(row_format.format(*([""] * len(headers))))
    lines += [separator, f"Self CPU time total: {time_text(total)}"]
    return "\n".join(lines) + "\n"


def _write_chrome_trace(events, path, start_ns, metadata):
    import gzip  # here, not with the package: gzip and json cost ~30 ms of import time
    import json
    pid = os.getpid()
    threads = sorted({event.thread for event in events})
    trace = [{"ph": "M", "name": "process_name", "ts": 0, "pid": pid, "tid": 0,
              "args": {"name": "python"}},
             {"ph": "M", "name": "process_labels", "ts": 0, "pid": pid, "tid": 0,
              "args": {"labels": "CPU"}}]
    for thread in threads:
        trace.append({"ph": "M", "name": "thread_name", "ts": 0, "pid": pid, "tid": thread,
                      "args": {"name": f"thread {thread} (python)"}})
    for number, event in enumerate(events):
        args = {"External id": event.id, "Ev Idx": number}
        if event.input_shapes:
            args["Input Dims"] = event.input_shapes
        if event.stack:
            args["Call stack"] = ";".join(event.stack)
        trace.append({"ph": "X", "cat": "user_annotation" if event.is_user_annotation
                      else "cpu_op", "name": event.trace_name, "pid": pid, "tid": event.thread,
                      "ts": event.time_range.start, "dur": event.cpu_time_total, "args": args})
    document = {"schemaVersion": 1, "deviceProperties": [], **metadata,
                "displayTimeUnit": "ms", "baseTimeNanoseconds": start_ns,
                "traceEvents": trace, "traceName": str(path)}
    text = json.dumps(document)
    if str(path).endswith(".gz"):
        with gzip.open(path, "wt") as file:
            file.write(text)
    else:
        with open(path, "w") as file:
            file.write(text)
