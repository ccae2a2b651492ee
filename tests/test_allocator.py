"""``ops.allocator.keep_freed_memory``: set on glibc Linux at import, left alone when the
environment says so. (What it buys is measured in ``benchmarks/``, not asserted here.)"""

import os
import platform
import subprocess
import sys

import pytest

from tinygrad_bn.ops.allocator import keep_freed_memory

glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not glibc, reason="mallopt is glibc's")
def test_thresholds_are_set_on_glibc():
    assert keep_freed_memory() is True


def test_environment_variable_leaves_malloc_alone():
    code = "from tinygrad_bn.ops.allocator import keep_freed_memory; print(keep_freed_memory())"
    env = dict(os.environ, TINYGRAD_BN_KEEP_FREED_MEMORY="0")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, check=True)
    assert result.stdout.strip() == "False"
