"""Command-line plumbing shared by the example scripts: a parser whose ``--help`` shows the
script's whole docstring and every flag's default, checks that turn a bad flag value into one
line of error (``parser.error``) instead of a traceback, and progress (a count and the time
left) for the long runs, through tqdm when it is installed (the ``examples`` extra), and the
``--seeds``/``--seed`` flags with the mean, standard deviation and min-max the scripts report over
the seeds (one seed of a float32 training run is not evidence: its last digits, and sometimes
which network wins, change with the BLAS kernel the CPU gets)."""

import argparse
import sys
import time

import numpy as np

DEFAULT_SEEDS = 5


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



def add_seed_arguments(parser, first_seed, what):
    """``--seeds N`` (how many runs, default DEFAULT_SEEDS) and ``--seed S`` (the first): the
    runs use seeds S, S + 1, ..., S + N - 1, one after another in this process; ``what`` says
    what a seed draws."""
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, metavar="N",
                        help="how many seeds to run (--seed, --seed + 1, ...), one after another; "
                             "the tables and plots give the mean and spread over them, and "
                             "--seeds 1 gives one seed's run")
    parser.add_argument("--seed", type=int, default=first_seed,
                        help=f"the first seed (each seed draws {what})")


def seed_list(args):
    """The seeds ``add_seed_arguments``' flags ask for: ``[seed, seed + 1, ...]``."""
    return list(range(args.seed, args.seed + args.seeds))


def describe_seeds(seeds):
    """``"seed 42"`` or ``"5 seeds (42 to 46)"``."""
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    return f"{len(seeds)} seeds ({seeds[0]} to {seeds[-1]})"


def spread(values):
    """Mean, standard deviation (the sample's, ``ddof=1``; 0 for one value), min and max of
    ``values`` over the seeds (the first axis): a dict of floats, or of arrays when each seed
    gave a curve."""
    values = np.asarray(values, dtype=np.float64)
    std = values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros_like(values[0])
    return {"mean": values.mean(axis=0), "std": std, "min": values.min(axis=0),
            "max": values.max(axis=0)}


def print_spread_table(title, rows, digits=4):
    """One line per configuration: mean, std and min-max of its per-seed ``values``.
    ``rows`` is ``[(label, values), ...]``."""
    width = max(len(label) for label, _ in rows)
    print(title)
    print(f"  {'':<{width}}  {'mean':>{digits + 4}}  {'std':>{digits + 4}}  "
          f"{'min':>{digits + 4}}  {'max':>{digits + 4}}")
    for label, values in rows:
        stats = spread(values)
        print(f"  {label:<{width}}  " + "  ".join(
            f"{stats[key]:>{digits + 4}.{digits}f}" for key in ("mean", "std", "min", "max")))


def print_epoch_table(with_bn, without_bn, digits=4, std_width=8):
    """Per epoch, the mean and std over seeds of both networks' numbers (``with_bn`` and
    ``without_bn`` are ``(seeds, epochs)`` arrays), with ``digits`` decimals."""
    a, b = spread(with_bn), spread(without_bn)
    print(f"{'epoch':>5}  {'with BN':>8} {'(std)':>{std_width}}  {'without BN':>10} "
          f"{'(std)':>{std_width}}")
    for epoch in range(with_bn.shape[1]):
        print(f"{epoch + 1:>5}  {a['mean'][epoch]:>8.{digits}f} "
              f"{a['std'][epoch]:>{std_width}.{digits}f}  {b['mean'][epoch]:>10.{digits}f} "
              f"{b['std'][epoch]:>{std_width}.{digits}f}")


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
