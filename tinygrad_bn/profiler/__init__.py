"""``torch.profiler``: ``profile`` (a context manager, or ``start()``/``step()``/``stop()``)
with PyTorch's ``schedule`` of wait, warmup and active steps, ``on_trace_ready`` handlers such
as ``tensorboard_trace_handler``, ``record_function`` ranges, and the results as
``key_averages().table()`` or a Chrome trace.

The recording itself (what is timed, how the names are chosen, why it costs nothing when off,
how the jit behaves) is described in ``tinygrad_bn.autograd.profiler``. Only the CPU is
profiled: ``ProfilerActivity.CUDA`` and the other devices are accepted and ignored with
PyTorch's warning for a device that is not available.

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("model_inference"):
            model(x)
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
"""

from __future__ import annotations

import enum
import functools
import os
import socket
import time
import warnings
from collections.abc import Callable

from ..autograd.profiler import (
    _Recorder, record_function, start_recording, stop_recording,
)
from ..autograd.profiler_util import EventList

__all__ = ["ProfilerAction", "ProfilerActivity", "profile", "record_function", "schedule",
           "supported_activities", "tensorboard_trace_handler"]


class ProfilerActivity(enum.Enum):
    """The device groups a profiler can record, with PyTorch's values; tinygrad_bn records
    ``CPU``."""

    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5

    def __int__(self):
        return self.value


class ProfilerAction(enum.Enum):
    """What a schedule asks of the profiler at a step: nothing, warm up (not kept), record,
    or record and then hand the trace to ``on_trace_ready``."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities():
    """The activities this build can record: ``{ProfilerActivity.CPU}``."""
    return {ProfilerActivity.CPU}


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable:
    """PyTorch's schedule: skip ``skip_first`` steps, then cycles of ``wait`` idle steps,
    ``warmup`` steps and ``active`` recorded steps (the last of which is
    ``RECORD_AND_SAVE``), ``repeat`` times (0: until the profiler stops).
    ``skip_first_wait`` skips the first cycle's wait."""

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        num_steps = wait + warmup + active
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod_step = step % num_steps
        if mod_step < wait:
            return ProfilerAction.NONE
        if mod_step < wait + warmup:
            return ProfilerAction.WARMUP
        return (ProfilerAction.RECORD if mod_step < num_steps - 1
                else ProfilerAction.RECORD_AND_SAVE)

    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup="
            f"{warmup} (need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)
    return schedule_fn


def _default_schedule_fn(_: int) -> ProfilerAction:
    """Record every step, from start to stop."""
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False, use_python_export: bool = False):
    """An ``on_trace_ready`` handler writing each trace to ``dir_name`` as
    ``<worker_name>.<time_ns>.pt.trace.json`` (``.gz`` with ``use_gzip``), the files
    TensorBoard's profiler plugin reads; ``worker_name`` defaults to ``<hostname>_<pid>``."""

    def handler_fn(prof) -> None:
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as error:
                raise RuntimeError("Can't create directory: " + dir_name) from error
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker_name}.{time.time_ns()}.pt.trace.json"
        if use_gzip:
            file_name += ".gz"
        prof.export_chrome_trace(os.path.join(dir_name, file_name))

    return handler_fn


_warned_cycles = False


class _KinetoProfile:
    """The recording half of ``profile``: one recorder per cycle, and the results of the
    last (or, with ``acc_events``, of every) cycle."""

    def __init__(self, *, activities=None, record_shapes=False, profile_memory=False,
                 with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False,
                 custom_trace_id_callback=None, post_processing_timeout_s=None):
        self.activities = set(activities) if activities is not None else supported_activities()
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack, self.with_flops, self.with_modules = with_stack, with_flops, with_modules
        self.acc_events = acc_events
        self.experimental_config = experimental_config
        self.execution_trace_observer = execution_trace_observer
        self.use_device = None
        self.profiler = None  # the current cycle's recorder, as PyTorch names it
        self._recorders: list[_Recorder] = []
        self._metadata: dict[str, str] = {}
        self._events: EventList | None = None

    def start(self):
        self.prepare_trace()
        self.start_trace()

    def stop(self):
        self.stop_trace()

    def prepare_trace(self):
        global _warned_cycles
        for device in self.activities - {ProfilerActivity.CPU}:  # PyTorch's warning, each cycle
            name = device.name if device is not ProfilerActivity.PrivateUse1 else "privateuse1"
            warnings.warn(f"{name} is not available, disabling {name} profiling", stacklevel=3)
        if ProfilerActivity.CPU not in self.activities:
            raise AssertionError("No activities specified for the profiler")
        if self.profiler is not None and not self.acc_events and not _warned_cycles:
            _warned_cycles = True
            warnings.warn("Warning: Profiler clears events at the end of each cycle. Only "
                          "events from the current cycle will be reported. To keep events "
                          "across cycles, set acc_events=True.", stacklevel=2)
        if not self.acc_events:
            self._recorders = []
        self.profiler = _Recorder(self.record_shapes, self.profile_memory, self.with_stack)
        self._recorders.append(self.profiler)
        self._events = None

    def start_trace(self):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before starting trace")
        start_recording(self.profiler)

    def stop_trace(self):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before stopping trace")
        stop_recording(self.profiler)
        self._events = None

    def events(self) -> EventList:
        """The events recorded in the last cycle (every cycle with ``acc_events``)."""
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before accessing events")
        if self._events is None:
            events = EventList(profile_memory=self.profile_memory,
                               start_ns=self._recorders[0].wall_start_ns,
                               metadata=self._metadata)
            for recorder in self._recorders:
                offset = (recorder.start_ns - self._recorders[0].start_ns) / 1e3
                for event in recorder.events():
                    event.id = len(events)
                    if offset:
                        event.time_range = type(event.time_range)(
                            event.time_range.start + offset, event.time_range.end + offset)
                    events.append(event)
            self._events = events
        return self._events

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        """The events averaged per name (and input shapes, and stack entries, when asked):
        an ``EventList`` of ``FunctionEventAvg``."""
        return self.events().key_averages(group_by_input_shape, group_by_stack_n,
                                          group_by_overload_name)

    def export_chrome_trace(self, path: str, use_python_export: bool = False):
        """Write the events as Chrome trace JSON (gzip when ``path`` ends in ``.gz``)."""
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before exporting chrome trace")
        self.events().export_chrome_trace(path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total"):
        """Write the recorded stacks (``with_stack=True``) for flame-graph tools."""
        self.events().export_stacks(path, metric)

    def add_metadata(self, key: str, value: str):
        """Add a string entry to the top level of the exported trace."""
        self._metadata[key] = value

    def add_metadata_json(self, key: str, value: str):
        """Add an entry, given as JSON text, to the top level of the exported trace."""
        import json
        self._metadata[key] = json.loads(value)


class profile(_KinetoProfile):
    """``torch.profiler.profile``: records while its ``with`` block runs or between
    ``start()`` and ``stop()``. With a ``schedule``, ``step()`` marks each training step:
    steps the schedule says to record are recorded (each within a ``ProfilerStep#<n>``
    range), the others run untimed, and ``on_trace_ready(prof)`` is called at the end of
    each active span, with PyTorch's transitions and warnings for a schedule that skips a
    phase. Without one, everything from start to stop is recorded and ``on_trace_ready`` is
    called at the stop."""

    def __init__(self, *, activities=None, schedule: Callable | None = None,
                 on_trace_ready: Callable | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False,
                 with_flops: bool = False, with_modules: bool = False, experimental_config=None,
                 execution_trace_observer=None, acc_events: bool = False,
                 use_cuda: bool | None = None, custom_trace_id_callback=None,
                 post_processing_timeout_s: float | None = None):
        if activities is not None:
            activities_set = set()
            for item in activities:
                activities_set.update(item.keys() if isinstance(item, dict) else (item,))
        else:
            activities_set = supported_activities()
        if use_cuda is not None:
            warnings.warn("`use_cuda` is deprecated, use `activities` argument instead",
                          FutureWarning, stacklevel=2)
            if use_cuda:
                activities_set.add(ProfilerActivity.CUDA)
            else:
                activities_set.discard(ProfilerActivity.CUDA)
        if len(activities_set) == 0:
            raise AssertionError("No valid profiler activities found")
        super().__init__(activities=activities_set, record_shapes=record_shapes,
                         profile_memory=profile_memory, with_stack=with_stack,
                         with_flops=with_flops, with_modules=with_modules,
                         experimental_config=experimental_config,
                         execution_trace_observer=execution_trace_observer,
                         acc_events=acc_events)
        self.record_steps = bool(schedule)
        self.schedule = schedule if schedule else _default_schedule_fn
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.step_rec_fn: record_function | None = None
        self.current_action = self._checked(self.schedule(self.step_num))
        warn = functools.partial
        A = ProfilerAction
        self.action_map = {
            (A.NONE, A.NONE): [],
            (A.NONE, A.WARMUP): [self.prepare_trace],
            (A.NONE, A.RECORD): [self.prepare_trace, self.start_trace],
            (A.NONE, A.RECORD_AND_SAVE): [self.prepare_trace, self.start_trace],
            (A.WARMUP, A.NONE): [warn(warnings.warn, "Incorrect schedule: WARMUP followed by "
                                      "NONE"), self.start_trace, self.stop_trace],
            (A.WARMUP, A.WARMUP): [],
            (A.WARMUP, A.RECORD): [self.start_trace],
            (A.WARMUP, A.RECORD_AND_SAVE): [self.start_trace],
            (A.RECORD, A.NONE): [warn(warnings.warn, "Incorrect schedule: RECORD followed by "
                                      "NONE"), self.stop_trace],
            (A.RECORD, A.WARMUP): [warn(warnings.warn, "Incorrect schedule: RECORD followed "
                                        "by WARMUP"), self.stop_trace],
            (A.RECORD, A.RECORD): [],
            (A.RECORD, A.RECORD_AND_SAVE): [],
            (A.RECORD_AND_SAVE, A.NONE): [self.stop_trace, self._trace_ready],
            (A.RECORD_AND_SAVE, A.WARMUP): [self.stop_trace, self._trace_ready,
                                            self.prepare_trace],
            (A.RECORD_AND_SAVE, A.RECORD): [self.stop_trace, self._trace_ready,
                                            self.prepare_trace, self.start_trace],
            (A.RECORD_AND_SAVE, A.RECORD_AND_SAVE): [self.stop_trace, self._trace_ready,
                                                     self.prepare_trace, self.start_trace],
            (A.WARMUP, None): [self.start_trace, self.stop_trace],
            (A.RECORD, None): [self.stop_trace, self._trace_ready],
            (A.RECORD_AND_SAVE, None): [self.stop_trace, self._trace_ready],
        }

    @staticmethod
    def _checked(action):
        if action == ProfilerAction.DEVICE_STOPPED:
            raise ValueError("ProfilerAction.DEVICE_STOPPED is set internally by the profiler "
                             "and must not be returned by a user-provided schedule")
        return action

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_value, traceback_):
        self.stop()

    def start(self):
        """Begin: the transition from ``NONE`` to the schedule's first action."""
        self._transit_action(ProfilerAction.NONE, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    def stop(self):
        """End: close the step range, stop recording, and hand over the last trace."""
        if self.record_steps and self.step_rec_fn:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        self._transit_action(self.current_action, None)

    def step(self):
        """Signal that the next step has started: close this step's ``ProfilerStep#<n>``
        range and do what the schedule says for the next."""
        if self.record_steps and self.step_rec_fn:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        previous = self.current_action
        action = self._checked(self.schedule(self.step_num + 1))
        self.step_num += 1
        self.current_action = action
        self._transit_action(previous, action)
        if self.record_steps:
            self.step_rec_fn = record_function("ProfilerStep#" + str(self.step_num))
            self.step_rec_fn.__enter__()

    def _trace_ready(self):
        if self.on_trace_ready:
            self.on_trace_ready(self)

    def _transit_action(self, previous, current):
        for action in self.action_map.get((previous, current)) or ():
            action()
