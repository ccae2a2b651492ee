"""``python -m tinygrad_bn``: what a bug report needs to know about this installation, in the
spirit of PyTorch's ``python -m torch.utils.collect_env``: tinygrad_bn's and NumPy's versions,
whether Graphviz's ``dot`` (graph rendering) and a headless Chromium (the step-by-step page's
browser tests) are on PATH, and whether PyTorch is importable (the comparison tests run only
then). PyTorch is looked up with ``importlib.util.find_spec`` and read from its installed
metadata, never imported: the package does not depend on it."""

import importlib.metadata
import importlib.util
import os
import platform
import shutil
import subprocess
import sys

import numpy

from . import __version__

BROWSERS = ("chromium", "chromium-browser", "google-chrome")  # the names tests/chromium.py tries
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _dot():
    """``dot``'s path and the version line it prints, or None when it is not on PATH."""
    path = shutil.which("dot")
    if path is None:
        return None
    try:
        result = subprocess.run([path, "-V"], capture_output=True, text=True, timeout=10,
                                check=False)
        version = (result.stderr or result.stdout).strip()
    except (OSError, subprocess.SubprocessError):
        version = ""
    return f"{path} ({version})" if version else path


def _browser():
    """The path of the first headless-capable browser found on PATH, or None."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path is not None:
            return path
    return None


def _torch():
    """PyTorch's installed version when it is importable, or None (without importing it)."""
    if importlib.util.find_spec("torch") is None:
        return None
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return "importable (version unknown)"


def collect_env():
    """The report as (label, value) pairs, in the order it is printed."""
    dot, browser, torch = _dot(), _browser(), _torch()
    threads = ", ".join(f"{name}={os.environ[name]}" for name in THREAD_VARIABLES
                        if name in os.environ) or "not set (BLAS picks its own thread count)"
    return [
        ("tinygrad_bn", f"{__version__} ({os.path.dirname(os.path.abspath(__file__))})"),
        ("Python", f"{platform.python_version()} ({sys.executable})"),
        ("platform", platform.platform()),
        ("NumPy", numpy.__version__),
        ("BLAS threads", threads),
        ("Graphviz dot", dot or "not found on PATH: graphs are written as .dot source only "
                                "(apt-get install graphviz, brew install graphviz or "
                                "conda install graphviz)"),
        ("Chromium", browser or "not found on PATH: the browser tests of the step-by-step page "
                                "are skipped (apt-get install chromium)"),
        ("PyTorch", torch or "not importable: the comparison tests are skipped"),
    ]


def main():
    rows = collect_env()
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label + ':':<{width + 1}} {value}")


if __name__ == "__main__":
    main()
