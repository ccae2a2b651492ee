"""``torch.hub`` without the network: entry points of a ``hubconf.py`` loaded from a local
directory (``source="local"``) or from a repository already in the hub cache, and checkpoints
from ``file://`` URLs.

PyTorch downloads ``owner/repo[:ref]`` from GitHub into ``get_dir()/<owner>_<repo>_<ref>``
and checkpoints into ``get_dir()/checkpoints``; tinygrad_bn reads those same places but never
downloads: a repository or URL that is not there already raises ``RuntimeError`` saying so
(put the files in place, or use ``source="local"`` / a ``file://`` URL). Everything else is
PyTorch's: the cache layout and ``TORCH_HOME``/``XDG_CACHE_HOME``, the trusted-repository
list and prompt, ``dependencies`` checked before an entry point runs, the hub directory on
``sys.path`` while ``hubconf.py`` is imported, the checkpoint's hash-prefix check, and the
error messages.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import sys
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import urlopen

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load",
           "load_state_dict_from_url", "set_dir"]

ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
VAR_DEPENDENCY = "dependencies"
MODULE_HUBCONF = "hubconf.py"
READ_DATA_CHUNK = 128 * 1024
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_TRUSTED_REPO_OWNERS = ("facebookresearch", "facebookincubator", "pytorch", "fairinternal")

_hub_dir: str | None = None


def _no_network(what: str, where: str) -> RuntimeError:
    return RuntimeError(f"{what} is not available offline: tinygrad_bn.hub does not access the "
                        f"network. Put it at {where} (where torch.hub would download it), or "
                        "load from a local directory (source='local') or a file:// URL.")


def _get_torch_home() -> str:
    return os.path.expanduser(os.getenv(ENV_TORCH_HOME, os.path.join(
        os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "torch")))


def get_dir() -> str:
    """The hub cache directory: the one ``set_dir`` gave, else ``$TORCH_HOME/hub`` (by
    default ``~/.cache/torch/hub``)."""
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Use ``d`` as the hub cache directory from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


def _import_module(name, path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise AssertionError(f"failed to load spec from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _add_to_sys_path(path):
    sys.path.insert(0, path)
    try:
        yield
    finally:
        sys.path.remove(path)


def _check_module_exists(name):
    import importlib.util
    return importlib.util.find_spec(name) is not None


def _check_dependencies(module):
    dependencies = getattr(module, VAR_DEPENDENCY, None) if VAR_DEPENDENCY in dir(module) \
        else None
    if dependencies is not None:
        missing = [package for package in dependencies if not _check_module_exists(package)]
        if missing:
            raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")


def _load_entry_from_hubconf(module, model):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    _check_dependencies(module)
    entry = getattr(module, model, None) if model in dir(module) else None
    if entry is None or not callable(entry):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return entry


def _parse_repo_info(github):
    """``(owner, name, ref)`` of ``owner/name[:ref]``; without a ref, the ``main`` or
    ``master`` copy in the cache (PyTorch asks GitHub which exists)."""
    repo_info, ref = github.split(":") if ":" in github else (github, None)
    repo_owner, repo_name = repo_info.split("/")
    if ref is None:
        for possible_ref in ("main", "master"):
            if os.path.exists(f"{get_dir()}/{repo_owner}_{repo_name}_{possible_ref}"):
                ref = possible_ref
                break
        if ref is None:
            raise RuntimeError("It looks like there is no internet connection and the repo could "
                               f"not be found in the cache ({get_dir()})")
    return repo_owner, repo_name, ref


def _check_repo_is_trusted(repo_owner, repo_name, owner_name_branch, trust_repo):
    hub_dir = get_dir()
    filepath = os.path.join(hub_dir, "trusted_list")
    if not os.path.exists(filepath):
        Path(filepath).touch()
    with open(filepath) as file:
        trusted_repos = tuple(line.strip() for line in file)
    trusted_repos_legacy = next(os.walk(hub_dir))[1]
    owner_name = "_".join([repo_owner, repo_name])
    is_trusted = (owner_name in trusted_repos or owner_name_branch in trusted_repos_legacy
                  or repo_owner in _TRUSTED_REPO_OWNERS)
    if trust_repo is False or (trust_repo == "check" and not is_trusted):
        response = input(f"The repository {owner_name} does not belong to the list of trusted "
                         "repositories and as such cannot be downloaded. Do you trust this "
                         "repository and wish to add it to the trusted list of repositories "
                         "(y/N)?")
        if response.lower() in ("y", "yes"):
            if is_trusted:
                print("The repository is already trusted.")
        elif response.lower() in ("n", "no", ""):
            raise Exception("Untrusted repository.")
        else:
            raise ValueError(f"Unrecognized response {response}.")
    if not is_trusted:
        with open(filepath, "a") as file:
            file.write(owner_name + "\n")


def _get_cache_or_reload(github, force_reload, trust_repo, verbose=True,
                         skip_validation=False):
    """The cached directory of ``github`` (``owner/name[:ref]``); never downloads."""
    hub_dir = get_dir()
    os.makedirs(hub_dir, exist_ok=True)
    repo_owner, repo_name, ref = _parse_repo_info(github)
    owner_name_branch = "_".join([repo_owner, repo_name, ref.replace("/", "_")])
    repo_dir = os.path.join(hub_dir, owner_name_branch)
    _check_repo_is_trusted(repo_owner, repo_name, owner_name_branch, trust_repo=trust_repo)
    if force_reload or not os.path.exists(repo_dir):
        raise _no_network(f"The repository {github}" + (" (force_reload=True)"
                                                         if force_reload else ""), repo_dir)
    if verbose:
        sys.stderr.write(f"Using cache found in {repo_dir}\n")
    return repo_dir


def _hub_module(repo_dir):
    with _add_to_sys_path(repo_dir):
        return _import_module(MODULE_HUBCONF, os.path.join(repo_dir, MODULE_HUBCONF))


def list(github, force_reload=False, skip_validation=False, trust_repo="check", verbose=True):
    """The entry points (public callables) of a cached repository's ``hubconf.py``."""
    module = _hub_module(_get_cache_or_reload(github, force_reload, trust_repo,
                                              verbose=verbose,
                                              skip_validation=skip_validation))
    return [name for name in dir(module)
            if callable(getattr(module, name)) and not name.startswith("_")]


def help(github, model, force_reload=False, skip_validation=False, trust_repo="check"):
    """The docstring of entry point ``model`` of a cached repository's ``hubconf.py``."""
    module = _hub_module(_get_cache_or_reload(github, force_reload, trust_repo, verbose=True,
                                              skip_validation=skip_validation))
    return _load_entry_from_hubconf(module, model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo="check", force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """Call entry point ``model`` of ``hubconf.py`` with ``args`` and ``kwargs``:
    ``source="local"`` reads ``repo_or_dir`` as a directory; ``source="github"`` (the
    default) reads ``owner/name[:ref]`` from the hub cache (never downloaded here)."""
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        repo_or_dir = _get_cache_or_reload(repo_or_dir, force_reload, trust_repo,
                                           verbose=verbose, skip_validation=skip_validation)
    return _load_local(repo_or_dir, model, *args, **kwargs)


def _load_local(hubconf_dir, model, *args, **kwargs):
    with _add_to_sys_path(hubconf_dir):
        module = _import_module(MODULE_HUBCONF, os.path.join(hubconf_dir, MODULE_HUBCONF))
        entry = _load_entry_from_hubconf(module, model)
        return entry(*args, **kwargs)


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None,
                         progress: bool = True) -> None:
    """Copy the object at ``url`` (a ``file://`` URL; other schemes need the network and are
    refused) to ``dst`` through a temporary file, checking that its SHA-256 starts with
    ``hash_prefix`` when given. ``progress`` is accepted (no progress bar is drawn)."""
    if urlparse(url).scheme != "file":
        raise _no_network(f"The URL {url}", os.path.expanduser(dst))
    dst = os.path.expanduser(dst)
    for _ in range(tempfile.TMP_MAX):
        tmp_dst = dst + "." + uuid.uuid4().hex + ".partial"
        try:
            file = open(tmp_dst, "x+b")
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(errno.EEXIST, "No usable temporary file name found")
    try:
        sha256 = hashlib.sha256() if hash_prefix is not None else None
        with urlopen(url) as source:
            while True:
                buffer = source.read(READ_DATA_CHUNK)
                if len(buffer) == 0:
                    break
                file.write(buffer)
                if sha256 is not None:
                    sha256.update(buffer)
        file.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                                   f'"{digest}")')
        shutil.move(file.name, dst)
    finally:
        file.close()
        if os.path.exists(file.name):
            os.remove(file.name)


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location: Any = None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None,
                             weights_only: bool = False) -> dict[str, Any]:
    """``load`` the checkpoint at ``url``, cached in ``model_dir`` (default
    ``get_dir()/checkpoints``) under its file name (or ``file_name``): a cached file is used
    as is, else it is copied from a ``file://`` URL; with ``check_hash`` its SHA-256 must
    start with the hex digits after the last ``-`` of the name (``resnet18-5c106cde.pth``)."""
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(filename)
            hash_prefix = match.group(1) if match else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    from .serialization import load as load_file
    return load_file(cached_file, map_location=map_location, weights_only=weights_only)
