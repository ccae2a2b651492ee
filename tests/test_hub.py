"""``tinygrad_bn.hub`` against ``torch.hub`` on the same local directories and hub cache
(neither touches the network here): entry points, their docs and results, the cache layout,
trust list and errors; checkpoints from ``file://`` URLs, and the refusal of network URLs."""

import hashlib
import os

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import hub

HUBCONF = '''
dependencies = DEPENDENCIES

import helper_module


def tiny_model(width=3, *, scale=1):
    """A tiny entry point: a list of its arguments."""
    return [helper_module.VALUE, width, scale]


def _private():
    return 0


not_callable = 5
'''


def write_repo(directory, dependencies=("os",)):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hubconf.py").write_text(HUBCONF.replace("DEPENDENCIES", repr(list(dependencies))))
    (directory / "helper_module.py").write_text("VALUE = 'helper'\n")
    return str(directory)


@pytest.fixture
def hub_dirs(tmp_path):
    """Each framework's hub dir pointed at ``tmp_path/hub`` for the test, then restored."""
    torch = pytest.importorskip("torch")
    saved = (hub._hub_dir, torch.hub._hub_dir)
    hub.set_dir(str(tmp_path / "hub"))
    torch.hub.set_dir(str(tmp_path / "hub"))
    yield tmp_path / "hub"
    hub._hub_dir, torch.hub._hub_dir = saved


def test_local_load_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    directory = write_repo(tmp_path / "repo")
    for module in (hub, torch.hub):
        assert module.load(directory, "tiny_model", 5, source="local", scale=2) == \
            ["helper", 5, 2]
        assert module.load(directory, "tiny_model", source="LOCAL") == ["helper", 3, 1]
    assert directory not in __import__("sys").path


@pytest.mark.parametrize("call, kind, message", [
    (lambda h, d: h.load(d, "tiny_model", source="pypi"), ValueError,
     'Unknown source: "pypi". Allowed values: "github" | "local".'),
    (lambda h, d: h.load(d, "missing", source="local"), RuntimeError,
     "Cannot find callable missing in hubconf"),
    (lambda h, d: h.load(d, "not_callable", source="local"), RuntimeError,
     "Cannot find callable not_callable in hubconf"),
    (lambda h, d: h.load(d, 3, source="local"), ValueError,
     "Invalid input: model should be a string of function name"),
])
def test_local_errors_match_torch(tmp_path, call, kind, message):
    torch = pytest.importorskip("torch")
    directory = write_repo(tmp_path / "repo")
    for module in (hub, torch.hub):
        with pytest.raises(kind) as error:
            call(module, directory)
        assert str(error.value) == message


def test_missing_dependencies_match_torch(tmp_path):
    torch = pytest.importorskip("torch")
    directory = write_repo(tmp_path / "repo", ("os", "no_such_package_xyz", "nor_this_one"))
    for module in (hub, torch.hub):
        with pytest.raises(RuntimeError) as error:
            module.load(directory, "tiny_model", source="local")
        assert str(error.value) == "Missing dependencies: no_such_package_xyz, nor_this_one"


def test_cached_repository_list_help_load_match_torch(hub_dirs):
    torch = pytest.importorskip("torch")
    write_repo(hub_dirs / "someone_models_main")
    for module in (hub, torch.hub):
        assert module.list("someone/models:main", trust_repo=True, verbose=False) == \
            ["tiny_model"]
        assert module.help("someone/models:main", "tiny_model", trust_repo=True) == \
            "A tiny entry point: a list of its arguments."
        assert module.load("someone/models:main", "tiny_model", 7, trust_repo=True,
                           verbose=False) == ["helper", 7, 1]
    # a repository already in the cache is trusted without being listed (PyTorch's rule)
    assert (hub_dirs / "trusted_list").read_text() == ""
    # without a ref, the cached main (or master) copy
    assert hub.load("someone/models", "tiny_model", trust_repo=True, verbose=False) == \
        ["helper", 3, 1]


def test_cache_dir_defaults_match_torch(monkeypatch, tmp_path):
    torch = pytest.importorskip("torch")
    saved = (hub._hub_dir, torch.hub._hub_dir)
    try:
        hub._hub_dir = torch.hub._hub_dir = None
        monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
        assert hub.get_dir() == torch.hub.get_dir() == str(tmp_path / "home" / "hub")
        monkeypatch.delenv("TORCH_HOME")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert hub.get_dir() == torch.hub.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")
        hub.set_dir("~/somewhere")
        assert hub.get_dir() == os.path.expanduser("~/somewhere")
    finally:
        hub._hub_dir, torch.hub._hub_dir = saved
    assert tg.hub is hub


def test_uncached_repositories_and_network_urls_are_refused(hub_dirs, tmp_path):
    with pytest.raises(RuntimeError, match="no internet connection and the repo could not be "
                                           "found in the cache"):
        hub.load("someone/absent", "tiny_model", trust_repo=True)
    with pytest.raises(RuntimeError, match="The repository someone/absent:main is not available "
                                           "offline: tinygrad_bn.hub does not access the network"):
        hub.load("someone/absent:main", "tiny_model", trust_repo=True)
    write_repo(hub_dirs / "someone_models_main")
    with pytest.raises(RuntimeError, match=r"\(force_reload=True\) is not available offline"):
        hub.load("someone/models:main", "tiny_model", trust_repo=True, force_reload=True)
    with pytest.raises(RuntimeError, match="The URL https://example.com/m.pt is not available "
                                           "offline"):
        hub.load_state_dict_from_url("https://example.com/m.pt", model_dir=str(tmp_path / "c"))
    assert not os.path.exists(tmp_path / "c" / "m.pt")


def test_untrusted_repository_prompt(hub_dirs, monkeypatch):
    write_repo(hub_dirs / "stranger_repo_main")
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    with pytest.raises(Exception, match="Untrusted repository."):
        hub.load("stranger/repo:main", "tiny_model", trust_repo=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "maybe")
    with pytest.raises(ValueError, match="Unrecognized response maybe."):
        hub.load("stranger/repo:main", "tiny_model", trust_repo=False)
    # a directory of that name already in the cache counts as trusted (PyTorch's legacy rule)
    assert hub.load("stranger/repo:main", "tiny_model", verbose=False) == ["helper", 3, 1]


def test_state_dict_from_file_url_with_hash_check(tmp_path, capsys):
    state = tg.nn.Linear(3, 2).state_dict()
    source = tmp_path / "weights.npz"
    tg.save(state, str(source))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    named = tmp_path / f"linear-{digest[:8]}.npz"
    named.write_bytes(source.read_bytes())
    cache = tmp_path / "checkpoints"
    loaded = hub.load_state_dict_from_url(named.as_uri(), model_dir=str(cache), check_hash=True)
    assert list(loaded) == list(state)
    for key in state:
        np.testing.assert_array_equal(loaded[key].numpy(), state[key].numpy())
    assert f'Downloading: "{named.as_uri()}" to {cache / named.name}' in capsys.readouterr().out
    # cached now: the URL is not read again
    named.unlink()
    assert list(hub.load_state_dict_from_url(named.as_uri(), model_dir=str(cache))) == \
        list(state)
    bad = tmp_path / "linear-00000000.npz"
    bad.write_bytes(source.read_bytes())
    with pytest.raises(RuntimeError) as error:
        hub.load_state_dict_from_url(bad.as_uri(), model_dir=str(cache), check_hash=True)
    assert str(error.value) == f'invalid hash value (expected "00000000", got "{digest}")'
    assert sorted(p.name for p in cache.iterdir()) == [named.name]  # no partial file left
    renamed = hub.load_state_dict_from_url(source.as_uri(), model_dir=str(cache),
                                           file_name="other.npz")
    assert list(renamed) == list(state) and (cache / "other.npz").exists()
