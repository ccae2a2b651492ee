#!/usr/bin/env bash
# Create .venv and install tinygrad_bn into it with one extra: `bash setup.sh examples` or
# `bash setup.sh test` (the README's two commands start with it; .ci/run uses it too).
#
# On a bare Debian or Ubuntu machine it first installs, with apt-get, what is missing: the
# python3-venv package (without it `python3 -m venv` cannot make a virtual environment), and
# the system programs the extra needs: Graphviz's `dot` (pictures), and for `test` a headless
# Chromium (the step-by-step page's browser tests). That needs root or sudo; without them, it
# says what is missing and goes on where it can (the tests that need a missing program are
# skipped, naming it). Elsewhere it is `python3 -m venv .venv && .venv/bin/pip install -e
# ".[EXTRA]"`.
set -euo pipefail
cd "$(dirname "$0")"

extra="${1:-examples}"

can_install() {
    command -v apt-get >/dev/null 2>&1 \
        && { [ "$(id -u)" -eq 0 ] || sudo -n true >/dev/null 2>&1; }
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || { echo "tinygrad_bn needs Python 3.10 or newer; python3 is $(python3 -V 2>&1)" >&2; exit 1; }

missing=()
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
if [ "$extra" = test ]; then
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
        || missing+=(chromium)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    if can_install; then
        echo "== installing ${missing[*]} (missing) with apt-get"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    else
        echo "== missing: ${missing[*]}; install them with your package manager (this script" \
             "can only do it with apt-get as root or with sudo)" >&2
    fi
fi

echo "== creating the virtual environment .venv and installing tinygrad_bn[$extra]"
export PIP_QUIET=1 PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m venv .venv
.venv/bin/pip install -e ".[$extra]"
