"""Whether operations are recorded: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` and
``inference_mode``, per thread as in PyTorch, plus the innermost running module call.

The state lives in a ``threading.local``, so a ``no_grad`` block in one thread (an optimizer
step, an evaluation loop) never turns recording off in another. Each context manager remembers
the mode it found on entry and restores exactly that on exit; used as a decorator, every call
gets a fresh context, so one decorated function can run in several threads at once.
"""

import functools
import threading


class _ThreadState(threading.local):
    """Per-thread state; the class attributes are each new thread's starting values."""

    grad_enabled = True
    inference_mode = False
    module_call = None  # the innermost running nn.Module call (see ModuleCall)
    capture = None      # the jit capture this thread is recording (see tinygrad_bn.tracing)
    # whether the running backward pass was started by autograd.grad (or backward(inputs=)),
    # which the reentrant checkpoint cannot serve (PyTorch's _is_checkpoint_valid)
    in_grad_call = False
    # saved-tensor hooks (autograd/graph_api.py): the open saved_tensors_hooks blocks' (pack,
    # unpack) pairs, innermost last; the message of an open disable_saved_tensors_hooks block
    saved_tensors_hooks = ()
    saved_tensors_hooks_disabled = None
    graph_task = None   # the running backward pass (graph_api.GraphTask), for multi-grad hooks
    multithreading_enabled = True  # set_multithreading_enabled: read back, changes nothing


thread_state = _ThreadState()


def is_grad_enabled():
    """Whether new operations are recorded for backward in this thread (False inside
    ``no_grad``)."""
    return thread_state.grad_enabled


def is_inference_mode_enabled():
    """Whether this thread is inside ``inference_mode``."""
    return thread_state.inference_mode


class _GradModeContext:
    """Base of the mode switches: ``__enter__`` sets the mode, ``__exit__`` restores the one
    found on entry. Usable as ``with no_grad():``, ``@no_grad()`` and ``@no_grad``."""

    def __new__(cls, *args, **kwargs):
        # @no_grad without parentheses: the "argument" is the function to wrap.
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])
        return super().__new__(cls)

    def _target(self):
        """The ``(grad_enabled, inference_mode)`` this context switches to."""
        raise NotImplementedError

    def __enter__(self):
        state = thread_state
        self._previous = getattr(self, "_previous", [])
        self._previous.append((state.grad_enabled, state.inference_mode))
        state.grad_enabled, state.inference_mode = self._target()
        return self

    def __exit__(self, *exc_info):
        thread_state.grad_enabled, thread_state.inference_mode = self._previous.pop()
        return False

    def __call__(self, function):
        target = self._target

        @functools.wraps(function)
        def run_in_mode(*args, **kwargs):
            # What `with self:` does, with the previous mode in a local (each call and each
            # thread has its own), and no context object made per call.
            state = thread_state
            previous = state.grad_enabled, state.inference_mode
            state.grad_enabled, state.inference_mode = target()
            try:
                return function(*args, **kwargs)
            finally:
                state.grad_enabled, state.inference_mode = previous

        return run_in_mode


class no_grad(_GradModeContext):
    """Context manager and decorator under which operations build no graph.

    ``with no_grad(): y = x * 2`` gives ``y.requires_grad == False`` and records nothing;
    in-place updates of parameters (``w -= lr * w.grad``) are plain writes. Nesting restores the
    previous mode on exit. Affects only the calling thread.
    """

    def _target(self):
        return False, thread_state.inference_mode


class enable_grad(_GradModeContext):
    """Context manager and decorator that turns recording back on inside ``no_grad``."""

    def _target(self):
        return True, thread_state.inference_mode


class inference_mode(_GradModeContext):
    """``no_grad`` for code that only evaluates (PyTorch's ``inference_mode``).

    ``inference_mode(False)`` changes nothing. tinygrad_bn has no separate inference tensors:
    results are ordinary tensors that require no grad.
    """

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def _target(self):
        state = thread_state
        if not self.mode:
            return state.grad_enabled, state.inference_mode
        return False, True


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off in this thread at once (``set_grad_enabled(False)``), or for a
    ``with`` block after which the mode from before the call comes back."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled expects a bool mode, got {mode!r}")
        self.mode = mode
        self._before_call = thread_state.grad_enabled
        thread_state.grad_enabled = mode

    def _target(self):
        return self.mode, thread_state.inference_mode

    def __enter__(self):
        # The mode was already set in __init__; what comes back on exit is the mode before it.
        state = thread_state
        self._previous = [(getattr(self, "_before_call", state.grad_enabled), state.inference_mode)]
        state.grad_enabled = self.mode
        return self

    def __call__(self, function):
        thread_state.grad_enabled = self._before_call  # as a decorator it changes nothing now
        return super().__call__(function)


# --------------------------------------------------------------------------- anomaly mode


class _AnomalyMode:
    """Process-wide, as in PyTorch: ``enabled`` makes every new node remember the stack that
    created it; ``check_nan`` makes backward check each gradient an op returns."""

    enabled = False
    check_nan = True


def is_anomaly_enabled():
    """Whether anomaly detection is on (``set_detect_anomaly`` / ``detect_anomaly``); off by
    default, process-wide as in PyTorch."""
    return _AnomalyMode.enabled


def is_anomaly_check_nan_enabled():
    """Whether anomaly detection also checks every gradient backward computes for nan (True by
    default, the ``check_nan`` argument of ``set_detect_anomaly``)."""
    return _AnomalyMode.check_nan


class set_detect_anomaly:
    """Turn anomaly detection on or off (``set_detect_anomaly(True)``), at once, or for a
    ``with`` block after which the previous setting comes back.

    With it on, each node records the user's line that created it, and backward raises
    ``RuntimeError("Function 'Log' returned nan values in its 0th output.")`` when an op's
    gradient contains NaN, with the forward traceback of that line attached. Off by default: it
    slows every op down.
    """

    def __init__(self, mode, check_nan=True):
        self._previous = (_AnomalyMode.enabled, _AnomalyMode.check_nan)
        _AnomalyMode.enabled, _AnomalyMode.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        _AnomalyMode.enabled, _AnomalyMode.check_nan = self._previous
        return False


class detect_anomaly:
    """Context manager (and decorator) with anomaly detection on inside it; see
    ``set_detect_anomaly``."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self._previous = []

    def __enter__(self):
        self._previous.append((_AnomalyMode.enabled, _AnomalyMode.check_nan))
        _AnomalyMode.enabled, _AnomalyMode.check_nan = True, bool(self.check_nan)
        return self

    def __exit__(self, *exc_info):
        _AnomalyMode.enabled, _AnomalyMode.check_nan = self._previous.pop()
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def run_with_anomaly_detection(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return function(*args, **kwargs)

        return run_with_anomaly_detection


# --------------------------------------------------------------------------- multithreading


def is_multithreading_enabled():
    """Whether multithreaded backward is enabled in this thread (True unless
    ``set_multithreading_enabled(False)``). tinygrad_bn's backward always runs on the calling
    thread, PyTorch's CPU-only behaviour, so the setting is only read back."""
    return thread_state.multithreading_enabled


class set_multithreading_enabled:  # noqa: N801 - PyTorch's name
    """Set the per-thread flag at once (``set_multithreading_enabled(False)``), or for a
    ``with`` block (or a decorated function), after which the previous value comes back."""

    def __init__(self, mode):
        self.prev = thread_state.multithreading_enabled
        thread_state.multithreading_enabled = bool(mode)
        self.mode = mode

    def __enter__(self):
        return None

    def __exit__(self, *exc_info):
        thread_state.multithreading_enabled = self.prev
        return False

    def clone(self):
        """A new context manager with the same mode (PyTorch's ``clone``)."""
        return self.__class__(self.mode)

    def __call__(self, function):
        mode = self.mode
        thread_state.multithreading_enabled = self.prev  # as a decorator it changes nothing now

        @functools.wraps(function)
        def in_mode(*args, **kwargs):
            with set_multithreading_enabled(mode):
                return function(*args, **kwargs)
        return in_mode
