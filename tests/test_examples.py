"""Every example runs (in a quick mode where it trains), prints the article's deterministic
numbers to the article's printed precision, and writes non-empty figures; without matplotlib
the scripts still print their numbers and say which extra to install. Every ``--help`` states
every default, bad flag values end in one line of error, and no example run here writes into
the repository: each writes under ``tmp_path``, and a fixture around this module checks it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_bn as tg
from article_models import MLP, MLPWithBatchNorm, MLPWithoutBatchNorm

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCRIPTS = ("batch_statistics", "scale_and_shift", "running_statistics", "gradient_flow",
           "placement", "training_with_batchnorm", "batchnorm_comparison", "digits",
           "draw_graph", "backprop_steps", "batchnorm_graphs")
# Folders the interpreter, pytest and the environment write into; everything else is watched.
SCRATCH = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache",
           "build", "dist"}
# What the examples write: a figure, page, graph, table or checkpoint that appears, changes or
# disappears anywhere else in the repository (out/ included, though git ignores it) is a test
# writing into the working tree. Sources are not watched, so editing one while the tests run is
# not mistaken for a test writing it.
OUTPUTS = {".png", ".svg", ".pdf", ".html", ".dot", ".gv", ".csv", ".npz", ".pt", ".pth",
           ".safetensors"}


def snapshot(root):
    """Every output file under ``root`` outside SCRATCH (and egg-info), with size and mtime."""
    files = {}
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if d not in SCRATCH and not d.endswith(".egg-info")]
        for name in names:
            path = Path(folder) / name
            if path.suffix.lower() not in OUTPUTS:
                continue
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            files[str(path.relative_to(root))] = (info.st_size, info.st_mtime_ns)
    return files


@pytest.fixture(scope="module", autouse=True)
def _examples_leave_the_repository_untouched():
    """Runs around every test of this module: works on a fresh clone (no git needed, and files
    git ignores, such as out/, count too)."""
    before = snapshot(ROOT)
    yield
    after = snapshot(ROOT)
    changed = sorted(path for path in before.keys() | after.keys()
                     if before.get(path) != after.get(path))
    assert not changed, f"the example tests wrote into the repository: {changed}"


def run(name, *args):
    """Import and run an example's main() in-process; return its result."""
    module = __import__(name)
    return module.main(list(args))


def assert_figures(folder, *names):
    for name in names:
        path = Path(folder) / name
        assert path.exists() and path.stat().st_size > 5_000, name


def test_batch_statistics(tmp_path, capsys):
    result = run("batch_statistics", "--out", str(tmp_path))
    printed = capsys.readouterr().out
    assert "Mean per feature: [15.18  9.91  9.35]" in printed
    assert "Std per feature:  [2.58 2.34 2.3 ]" in printed
    assert "Mean per feature: [-0. -0. -0.]" in printed
    assert "Std per feature:  [0.999999 0.999999 0.999999]" in printed
    np.testing.assert_array_equal(np.round(result["input_mean"], 2), [15.18, 9.91, 9.35])
    assert result["tinygrad_bn_difference"] < 1e-12
    assert_figures(tmp_path, "batch_statistics.png")


def test_scale_and_shift(tmp_path, capsys):
    result = run("scale_and_shift", "--out", str(tmp_path))
    printed = capsys.readouterr().out
    assert "Mean per feature: [ 1. -1.  5.]" in printed and "Std per feature:  [2.  0.5 3. ]" in (
        printed)
    np.testing.assert_allclose(result["module_output"].mean(axis=0), [1, -1, 5], atol=1e-12)
    np.testing.assert_allclose(result["module_output"].std(axis=0), [2, 0.5, 3], rtol=1e-5)
    assert_figures(tmp_path, "scale_and_shift.png")


def test_running_statistics(tmp_path, capsys):
    result = run("running_statistics", "--out", str(tmp_path))
    printed = capsys.readouterr().out
    assert "Running mean: [4.969 5.058 5.017]" in printed
    assert "Running var:  [4.407 3.521 3.494]" in printed
    np.testing.assert_array_equal(np.round(result["article_mean"], 3), [4.969, 5.058, 5.017])
    np.testing.assert_array_equal(np.round(result["article_var"], 3), [4.407, 3.521, 3.494])
    # PyTorch's convention: the same means; variances from the unbiased estimate, ~32/31 larger
    np.testing.assert_allclose(result["ours_mean"], result["article_mean"], rtol=1e-12)
    ratio = (result["ours_var"] - 0.9**100) / (result["article_var"] - 0.9**100)
    np.testing.assert_allclose(ratio, 32 / 31, rtol=1e-9)
    assert "32/31 larger" in printed
    assert_figures(tmp_path, "running_mean.png", "running_var.png")


def test_gradient_flow(capsys):
    result = run("gradient_flow")
    printed = capsys.readouterr().out
    assert "Analytical: -0.297074" in printed and "Numerical:  -0.297074" in printed
    assert "Relative error: 2.23e-12" in printed
    assert round(result["analytical"], 6) == -0.297074
    assert 1e-13 < result["relative_error"] < 1e-11
    np.testing.assert_allclose(result["fused"], result["closed_form"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result["composed"], result["closed_form"], rtol=1e-10, atol=1e-13)


def test_placement(capsys):
    result = run("placement")
    printed = capsys.readouterr().out
    assert result == {"before": 41_994, "after": 42_186}
    assert "BN before activation: 41,994" in printed and "BN after activation:  42,186" in printed


def test_training_with_batchnorm_quick(tmp_path, capsys):
    result = run("training_with_batchnorm", "--epochs", "2", "--out", str(tmp_path))
    printed = capsys.readouterr().out
    assert "Gamma (scale): mean=" in printed and "Batches tracked: 64" in printed
    assert result["losses"][1] < result["losses"][0] and result["running_var"] > 0
    assert_figures(tmp_path, "training_with_batchnorm.png")


@pytest.mark.needs("dot")
def test_comparison_quick(tmp_path, capsys):
    result = run("batchnorm_comparison", "--epochs", "2", "--out", str(tmp_path))
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert lines[1].split() == ["epoch", "with", "BN", "without", "BN"]
    assert lines[2].split()[0] == "1" and lines[3].split()[0] == "2"
    assert "final loss: with BN" in printed and "wall time:" in printed
    assert len(result["with_bn"]) == len(result["without_bn"]) == 2
    assert_figures(tmp_path, "loss_curves.png")
    svg = (tmp_path / "training_step.svg").read_text()
    assert "bn1: BatchNorm1d" in svg and "fc3.weight" in svg


def test_comparison_is_deterministic_and_uses_the_flags(tmp_path):
    flags = ("--epochs", "1", "--depth", "3", "--lr", "0.05", "--batch-size", "100", "--seed", "7",
             "--out", str(tmp_path))
    first = run("batchnorm_comparison", *flags)
    again = run("batchnorm_comparison", *flags)
    assert first["with_bn"] == again["with_bn"] and first["without_bn"] == again["without_bn"]


def test_sweep_writes_table_and_heatmap(tmp_path, monkeypatch, capsys):
    comparison = __import__("batchnorm_comparison")
    monkeypatch.setattr(comparison, "SWEEP", {"depth": (2, 3), "lr": (0.01, 0.1),
                                              "batch_size": (250, 500, 1000)})
    rows = run("batchnorm_comparison", "--sweep", "--epochs", "1", "--out", str(tmp_path))["sweep"]
    assert len(rows) == 12
    table = (tmp_path / "sweep.csv").read_text().splitlines()
    assert table[0] == "depth,lr,batch_size,final_loss_with_bn,final_loss_without_bn"
    assert len(table) == 13
    assert_figures(tmp_path, "sweep_heatmap.png")
    assert "12/12" in capsys.readouterr().err  # progress: tqdm's count


def test_depth_two_mlp_is_exactly_the_articles_classes():
    for batchnorm, article_class in ((True, MLPWithBatchNorm), (False, MLPWithoutBatchNorm)):
        tg.manual_seed(3)
        general = MLP(20, 64, 5, depth=2, batchnorm=batchnorm)
        tg.manual_seed(3)
        article = article_class(20, 64, 5)
        assert list(general.state_dict()) == list(article.state_dict())
        for a, b in zip(general.state_dict().values(), article.state_dict().values()):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    with pytest.raises(ValueError, match="depth must be at least 1, got 0"):
        MLP(20, 64, 5, depth=0)


def test_digits_quick(tmp_path, capsys):
    curves = run("digits", "--epochs", "2", "--out", str(tmp_path))
    printed = capsys.readouterr().out
    assert "1348 training and 449 held-out images" in printed
    assert all(accuracy > 0.8 for accuracy in curves["with BN"] + curves["without BN"])
    assert_figures(tmp_path, "digits_accuracy.png")


def without_module(tmp_path, module):
    """An environment in which importing ``module`` fails, as if it were not installed."""
    blocker = tmp_path / "blocker"
    blocker.mkdir(exist_ok=True)
    (blocker / "sitecustomize.py").write_text(f"import sys\nsys.modules[{module!r}] = None\n")
    return {**os.environ, "PYTHONPATH": str(blocker)}


def test_without_matplotlib_scripts_print_numbers_and_say_what_to_install(tmp_path):
    env = without_module(tmp_path, "matplotlib")
    result = subprocess.run([sys.executable, str(EXAMPLES / "running_statistics.py"), "--out",
                             str(tmp_path / "figures")], capture_output=True, text=True, env=env,
                            check=True)
    assert "Running mean: [4.969 5.058 5.017]" in result.stdout
    assert 'matplotlib is not installed, so no figure was drawn (pip install -e ".[examples]")' in (
        result.stdout)
    assert not (tmp_path / "figures").exists()


@pytest.mark.needs("dot")
def test_main_command_line_runs_as_a_script(tmp_path):
    result = subprocess.run([sys.executable, str(EXAMPLES / "batchnorm_comparison.py"),
                             "--epochs", "1", "--out", str(tmp_path)], capture_output=True,
                            text=True, check=True, cwd=tmp_path)
    assert "final loss: with BN" in result.stdout
    assert (tmp_path / "loss_curves.png").stat().st_size > 5_000
    assert (tmp_path / "training_step.svg").stat().st_size > 5_000


def test_digits_without_scikit_learn_says_what_to_install(tmp_path):
    result = subprocess.run([sys.executable, str(EXAMPLES / "digits.py"), "--epochs", "1"],
                            capture_output=True, text=True, env=without_module(tmp_path, "sklearn"))
    assert result.returncode == 1
    assert 'scikit-learn is not installed: pip install -e ".[examples]"' in result.stderr


def test_comparison_without_dot_still_prints_and_plots_and_says_how_to_install(tmp_path):
    env = {**os.environ, "PATH": ""}  # no `dot` on PATH
    result = subprocess.run([sys.executable, str(EXAMPLES / "batchnorm_comparison.py"),
                             "--epochs", "1", "--out", str(tmp_path)], capture_output=True,
                            text=True, check=True, env=env)
    assert "final loss: with BN" in result.stdout
    assert "Graphviz's `dot` program was not found on PATH" in result.stdout
    assert "apt-get install graphviz" in result.stdout
    assert (tmp_path / "loss_curves.png").exists() and (tmp_path / "training_step.dot").exists()


@pytest.mark.parametrize("name", SCRIPTS)
def test_help_shows_the_whole_docstring_and_every_default(name, capsys):
    module = __import__(name)
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    printed = capsys.readouterr().out
    first_paragraph = " ".join(module.__doc__.split("\n\n")[0].split())
    assert first_paragraph in " ".join(printed.split())  # not cut after its first line
    options = printed.split("options:", 1)[1]
    entries = re.split(r"\n  (?=-)", options)[1:]
    assert entries and entries[0].startswith("-h, --help")
    for entry in entries[1:]:
        takes_value = re.match(r"--[\w-]+ [A-Z_]+", entry)
        assert not takes_value or "(default: " in " ".join(entry.split()), entry


@pytest.mark.parametrize("name", ["gradient_flow", "placement"])
def test_scripts_that_draw_nothing_take_no_out_flag(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(name, "--out", "anywhere")
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --out anywhere" in capsys.readouterr().err


@pytest.mark.parametrize("name, args, message", [
    ("batchnorm_comparison", ["--epochs", "0"], "--epochs must be positive, got 0"),
    ("batchnorm_comparison", ["--batch-size", "0"], "--batch-size must be positive, got 0"),
    ("batchnorm_comparison", ["--batch-size", "-32"], "--batch-size must be positive, got -32"),
    ("batchnorm_comparison", ["--depth", "0"], "--depth must be positive, got 0"),
    ("batchnorm_comparison", ["--lr", "0"], "--lr must be positive, got 0.0"),
    ("batchnorm_comparison", ["--sweep", "--epochs", "-1"], "--epochs must be positive, got -1"),
    ("digits", ["--epochs", "0"], "--epochs must be positive, got 0"),
    ("digits", ["--batch-size", "0"], "--batch-size must be positive, got 0"),
    ("training_with_batchnorm", ["--epochs", "0"], "--epochs must be positive, got 0"),
])
def test_bad_flag_values_end_in_one_line_of_error(name, args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(name, *args)
    assert exit_info.value.code == 2
    printed = capsys.readouterr()
    assert printed.err.splitlines()[-1].endswith(f": error: {message}")  # prog: error: ...
    assert "Traceback" not in printed.err and printed.out == ""


def test_batch_size_leaving_one_sample_drops_the_last_batch_and_says_so(tmp_path, capsys):
    # 1000 = 333 * 3 + 1: the last batch of one would make BatchNorm1d raise in training
    result = run("batchnorm_comparison", "--epochs", "1", "--batch-size", "3", "--out",
                 str(tmp_path))
    printed = capsys.readouterr().out
    assert ("note: 1000 samples in batches of 3 leave 1 sample in the last batch, which "
            "BatchNorm1d cannot normalise in training; dropping it each epoch "
            "(DataLoader(drop_last=True)), so 999 samples are trained on") in printed
    assert len(result["with_bn"]) == 1 and np.isfinite(result["with_bn"][0])
    # the article's batch size leaves 8 samples in the last batch: kept, no note
    run("batchnorm_comparison", "--epochs", "1", "--out", str(tmp_path))
    assert "note:" not in capsys.readouterr().out


def test_digits_batch_size_leaving_one_sample_drops_it(tmp_path, capsys):
    run("digits", "--epochs", "1", "--batch-size", "1347", "--out", str(tmp_path))
    assert "1348 samples in batches of 1347 leave 1 sample" in capsys.readouterr().out


def test_progress_without_tqdm_prints_a_count_and_the_time_left(tmp_path):
    result = subprocess.run([sys.executable, str(EXAMPLES / "digits.py"), "--epochs", "2",
                             "--out", str(tmp_path)], capture_output=True, text=True,
                            env=without_module(tmp_path, "tqdm"), check=True)
    lines = result.stderr.splitlines()
    assert [line.split(",")[0] for line in lines] == [
        f"training: {n}/4 epochs done" for n in range(1, 5)]
    assert lines[-1].endswith("about 0 s left")
    assert "   2 " in result.stdout  # the per-epoch table still prints
