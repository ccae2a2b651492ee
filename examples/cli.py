"""Command-line plumbing shared by the example scripts: a parser whose ``--help`` shows the
script's whole docstring and every flag's default, checks that turn a bad flag value into one
line of error (``parser.error``) instead of a traceback, and progress (a count and the time
left) for the long runs, through tqdm when it is installed (the ``examples`` extra)."""

import argparse
import sys
import time


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The docstring as written (its line breaks and usage lines) and ``(default: ...)`` after
    every flag's help that has a default worth stating (not a switch's False, not a None whose
    meaning the help text gives)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def make_parser(doc):
    """An ``ArgumentParser`` described by the script's whole docstring ``doc``."""
    return argparse.ArgumentParser(description=doc, formatter_class=HelpFormatter)



def require_positive(parser, args, *names):
    """``parser.error`` (exit status 2, one line on stderr) unless each named flag is > 0."""
    for name in names:
        value = getattr(args, name.replace("-", "_"))
        if value is not None and not value > 0:
            parser.error(f"--{name} must be positive, got {value}")


def last_batch_of_one(n_samples, batch_size):
    """True when batches of ``batch_size`` leave exactly one sample for the last batch, which
    ``BatchNorm1d`` refuses in training (it cannot take a variance over one value)."""
    return batch_size < n_samples and n_samples % batch_size == 1


def drop_last_note(n_samples, batch_size):
    """What the scripts print when they drop that one-sample batch, as PyTorch's
    ``DataLoader(drop_last=True)`` would (the article's scripts use the default,
    ``drop_last=False``, and would fail on it)."""
    return (f"note: {n_samples} samples in batches of {batch_size} leave 1 sample in the last "
            f"batch, which BatchNorm1d cannot normalise in training; dropping it each epoch "
            f"(DataLoader(drop_last=True)), so {n_samples - 1} samples are trained on")


def progress(total, desc, unit="run"):
    """A progress counter over ``total`` steps showing how many are done and the time left:
    tqdm's bar on stderr when tqdm is installed, else one line per step on stderr. Use it as a
    context manager; call ``.update()`` after each step and ``.write(line)`` to print a result
    line (on stdout) without breaking the bar."""
    try:
        from tqdm import tqdm
    except ImportError:
        return PlainProgress(total, desc, unit)
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True)


class PlainProgress:
    """tqdm's ``update``/``write``/``close`` without tqdm: a line per step on stderr."""

    def __init__(self, total, desc, unit):
        self.total, self.desc, self.unit, self.done = total, desc, unit, 0
        self.start = time.perf_counter()

    def update(self, n=1):
        self.done += n
        elapsed = time.perf_counter() - self.start
        left = elapsed / self.done * (self.total - self.done)
        print(f"{self.desc}: {self.done}/{self.total} {self.unit}s done, {elapsed:.0f} s elapsed, "
              f"about {left:.0f} s left", file=sys.stderr, flush=True)

    @staticmethod
    def write(line):
        print(line, flush=True)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
