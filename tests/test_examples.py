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
from _shared.article_models import MLP, MLPWithBatchNorm, MLPWithoutBatchNorm

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCRIPTS = ("batch_statistics", "scale_and_shift", "running_statistics", "gradient_flow",
           "placement", "training_with_batchnorm", "batchnorm_comparison", "digits",
           "draw_graph", "backprop_steps", "batchnorm_graphs", "cnn_digits")
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


def spread_rows(printed, title):
    """The rows of a mean/std/min/max table that ``cli.print_spread_table`` printed after the
    line starting with ``title``: ``{label: [mean, std, min, max]}``."""
    lines = printed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    assert lines[start + 1].split() == ["mean", "std", "min", "max"]
    rows = {}
    for line in lines[start + 2:start + 4]:
        label, numbers = line[:-36].strip(), line[-36:].split()
        rows[label] = [float(number) for number in numbers]
    return rows


def assert_spread_printed(rows, label, values, digits):
    values = np.asarray(values)
    expected = [values.mean(), values.std(ddof=1), values.min(), values.max()]
    np.testing.assert_allclose(rows[label], expected, atol=0.51 * 10.0**-digits)


@pytest.mark.needs("dot")
def test_comparison_quick_runs_five_seeds_and_prints_their_mean_and_spread(tmp_path, capsys):
    result = run("batchnorm_comparison", "--epochs", "2", "--out", str(tmp_path))
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert "mean and standard deviation over 5 seeds (42 to 46)" in lines[1]
    assert lines[2].split() == ["epoch", "with", "BN", "(std)", "without", "BN", "(std)"]
    assert result["seeds"] == [42, 43, 44, 45, 46]
    assert result["with_bn"].shape == result["without_bn"].shape == (5, 2)
    for epoch in (0, 1):  # the per-epoch rows: mean and std over the seeds
        row = [float(value) for value in lines[3 + epoch].split()]
        assert row[0] == epoch + 1
        for column, runs in ((1, result["with_bn"]), (3, result["without_bn"])):
            np.testing.assert_allclose(row[column:column + 2], [runs[:, epoch].mean(),
                                       runs[:, epoch].std(ddof=1)], atol=5.1e-5)
    final = spread_rows(printed, "final training loss over 5 seeds (42 to 46):")
    assert_spread_printed(final, "with BN", result["with_bn"][:, -1], 4)
    assert_spread_printed(final, "without BN", result["without_bn"][:, -1], 4)
    evaluated = spread_rows(printed, "loss on all 1,000 samples in eval mode:")
    assert_spread_printed(evaluated, "with BN", result["with_bn_eval_loss"], 4)
    per_seed = lines[lines.index(next(line for line in lines if "per seed" in line)) + 1:][:5]
    assert [int(line.split()[0]) for line in per_seed] == [42, 43, 44, 45, 46]
    assert re.search(r"without BN ends lower in [0-5] of 5 seeds", printed)
    assert re.search(r"wall time:  5 seeds in [\d.]+ s; per run with BN", printed)
    # after one epoch the plain network is ahead on every BLAS kernel tried (Haswell, SkylakeX,
    # Sandybridge, Katmai): means 1.62 against 1.68, each with a std of about 0.004
    assert result["without_bn"][:, 0].mean() < result["with_bn"][:, 0].mean() - 0.03
    assert_figures(tmp_path, "loss_curves.png")
    svg = (tmp_path / "training_step.svg").read_text()
    assert "bn1: BatchNorm1d" in svg and "fc3.weight" in svg


def test_comparison_over_seeds_stacks_the_single_seed_runs(tmp_path):
    flags = ("--epochs", "1", "--depth", "3", "--lr", "0.05", "--batch-size", "100", "--out",
             str(tmp_path))
    three = run("batchnorm_comparison", *flags, "--seeds", "3", "--seed", "7")
    assert three["seeds"] == [7, 8, 9] and three["with_bn"].shape == (3, 1)
    for row, seed in enumerate(three["seeds"]):
        one = run("batchnorm_comparison", *flags, "--seeds", "1", "--seed", str(seed))
        assert one["with_bn"].shape == (1, 1)
        np.testing.assert_array_equal(one["with_bn"][0], three["with_bn"][row])
        np.testing.assert_array_equal(one["without_bn"][0], three["without_bn"][row])
    assert len(set(three["with_bn"][:, 0])) == 3  # each seed its own data and weights


def test_comparison_is_deterministic_and_uses_the_flags(tmp_path):
    flags = ("--epochs", "1", "--depth", "3", "--lr", "0.05", "--batch-size", "100", "--seed", "7",
             "--seeds", "2", "--out", str(tmp_path))
    first = run("batchnorm_comparison", *flags)
    again = run("batchnorm_comparison", *flags)
    np.testing.assert_array_equal(first["with_bn"], again["with_bn"])
    np.testing.assert_array_equal(first["without_bn"], again["without_bn"])


def test_article_flag_runs_the_articles_single_seed_and_says_so(tmp_path, capsys):
    result = run("batchnorm_comparison", "--article", "--out", str(tmp_path))
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert "(depth 2, hidden 64, Adam lr 0.01, batch 32, 50 epochs)" in lines[0]
    assert lines[1].strip().startswith("one run, seed 42 (the article's run, --article): a single "
                                       "seed, whose digits change with the BLAS kernel")
    assert lines[2].split() == ["epoch", "with", "BN", "without", "BN"]
    assert [line.split()[0] for line in lines[3:53]] == [str(n) for n in range(1, 51)]
    assert result["seeds"] == [42] and result["with_bn"].shape == (1, 50)
    assert f"final loss (seed 42): with BN {result['with_bn'][0, -1]:.4f}" in printed
    # the ordering, with margins that hold on every BLAS kernel tried (with BN 0.347 to 0.364,
    # without 0.0035 to 0.0050): not a seed's digits
    assert result["with_bn"][0, -1] > 0.2 and result["without_bn"][0, -1] < 0.02
    plain = run("batchnorm_comparison", "--seeds", "1", "--out", str(tmp_path))
    np.testing.assert_array_equal(plain["with_bn"], result["with_bn"])  # = --seeds 1
    assert "(the article's run" not in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--seed", "7"], "--article runs the article's --seed 42, got --seed 7 (one run with other "
                      "settings: --seeds 1)"),
    (["--depth", "3"], "--article runs the article's --depth 2, got --depth 3"),
    (["--epochs", "2"], "--article runs the article's --epochs 50, got --epochs 2"),
    (["--lr", "0.1"], "--article runs the article's --lr 0.01, got --lr 0.1"),
    (["--seeds", "3"], "--article runs one seed, got --seeds 3"),
    (["--sweep"], "--article runs the article's single comparison, not the --sweep"),
])
def test_article_flag_refuses_other_settings(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("batchnorm_comparison", "--article", *args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err.splitlines()[-1]


def test_spread_is_mean_sample_std_min_and_max_over_seeds():
    from _shared import cli
    stats = cli.spread([[1.0, 4.0], [3.0, 8.0]])  # two seeds' curves of two epochs
    np.testing.assert_array_equal(stats["mean"], [2, 6])
    np.testing.assert_allclose(stats["std"], [np.sqrt(2), np.sqrt(8)])  # ddof=1
    np.testing.assert_array_equal(stats["min"], [1, 4])
    np.testing.assert_array_equal(stats["max"], [3, 8])
    assert cli.spread([0.5])["std"] == 0  # one seed: no spread, not nan
    assert cli.describe_seeds([3]) == "seed 3" and cli.describe_seeds([0, 1]) == (
        "2 seeds (0 to 1)")


def test_mean_and_band_draws_a_mean_line_and_a_min_max_band():
    plt = pytest.importorskip("matplotlib.pyplot")
    from _shared import plotting
    figure, axis = plt.subplots()
    runs = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [2.0, 5.0, 2.0]])
    plotting.mean_and_band(axis, [1, 2, 3], runs, "net", "tab:blue")
    (line,) = axis.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [2, 3, 2])
    (band,) = axis.collections
    vertices = band.get_paths()[0].vertices
    assert vertices[:, 1].min() == 1 and vertices[:, 1].max() == 5
    assert [text.get_text() for text in axis.legend().get_texts()] == ["net: mean",
                                                                       "net: min-max"]
    single, axis = plt.subplots()
    plotting.mean_and_band(axis, [1, 2, 3], runs[:1], "net", "tab:blue")
    assert len(axis.get_lines()) == 1 and not axis.collections
    plt.close(figure)
    plt.close(single)


def test_sweep_writes_table_and_heatmap(tmp_path, monkeypatch, capsys):
    compare = __import__("batchnorm_comparison")
    monkeypatch.setattr(compare, "SWEEP", {"depth": (2, 3), "lr": (0.01, 0.1),
                                              "batch_size": (250, 500, 1000)})
    rows = run("batchnorm_comparison", "--sweep", "--epochs", "1", "--seeds", "2", "--out",
               str(tmp_path))["sweep"]
    assert len(rows) == 12
    table = (tmp_path / "sweep.csv").read_text().splitlines()
    assert table[0] == ("depth,lr,batch_size,seeds,final_loss_with_bn_mean,final_loss_with_bn_std,"
                        "final_loss_with_bn_min,final_loss_with_bn_max,final_loss_without_bn_mean,"
                        "final_loss_without_bn_std,final_loss_without_bn_min,"
                        "final_loss_without_bn_max,seeds_bn_lower")
    assert len(table) == 13
    first = table[1].split(",")
    assert first[:4] == ["2", "0.01", "250", "2"] and first[-1] in ("0", "1", "2")
    single = [compare.compare(2, 0.01, 250, 1, seed) for seed in (42, 43)]
    np.testing.assert_allclose(float(first[4]), np.mean([r["with_bn"][-1] for r in single]),
                               rtol=1e-5)
    assert_figures(tmp_path, "sweep_heatmap.png")
    captured = capsys.readouterr()
    assert "24/24" in captured.err  # progress: tqdm's count, 12 settings x 2 seeds
    assert "mean over 2 seeds (42 to 43)" in captured.out


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


def test_digits_quick_runs_five_seeds_and_prints_their_mean_and_spread(tmp_path, capsys):
    result = run("digits", "--epochs", "2", "--out", str(tmp_path))
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert "1348 training and 449 held-out images" in lines[0]
    assert "mean and standard deviation over 5 seeds (0 to 4)" in lines[1]
    assert result["seeds"] == [0, 1, 2, 3, 4]
    with_bn, without_bn = result["with BN"], result["without BN"]
    assert with_bn.shape == without_bn.shape == (5, 2)
    row = [float(value) for value in lines[4].split()]  # epoch 2: mean and std
    np.testing.assert_allclose(row, [2, with_bn[:, 1].mean(), with_bn[:, 1].std(ddof=1),
                                     without_bn[:, 1].mean(), without_bn[:, 1].std(ddof=1)],
                               atol=5.1e-4)
    final = spread_rows(printed, "final held-out accuracy over 5 seeds (0 to 4):")
    assert_spread_printed(final, "with BN", with_bn[:, -1], 3)
    assert_spread_printed(final, "without BN", without_bn[:, -1], 3)
    assert re.search(r"BN ahead in [0-5] of 5 seeds, behind in [0-5]", printed)
    assert [int(line.split()[0]) for line in lines if re.match(r"\s+\d \s+0\.\d+ .*[+-]0", line)
            ] == [0, 1, 2, 3, 4]  # one line per seed, with BN minus without BN
    # margins that hold on every BLAS kernel tried: accuracies after 2 epochs are 0.93 to 0.97
    assert with_bn.min() > 0.85 and without_bn.min() > 0.85
    assert with_bn.mean() > 0.9 and without_bn.mean() > 0.9
    assert_figures(tmp_path, "digits_accuracy.png")


def test_cnn_digits_quick_trains_a_convolutional_network(capsys):
    result = run("cnn_digits", "--epochs", "2")
    printed = capsys.readouterr().out
    assert "1348 training and 449 held-out 1x8x8 images" in printed
    assert "(conv1): Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))" in printed
    assert "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)" in printed
    rows = [line.split() for line in printed.splitlines() if re.match(r"\s+[12]\s+\d", line)]
    np.testing.assert_allclose([[float(v) for v in row] for row in rows],
                               [[1, result["losses"][0], result["accuracies"][0]],
                                [2, result["losses"][1], result["accuracies"][1]]], atol=5.1e-4)
    # a margin: seeds 0 to 4 give 0.93 to 0.97 after 2 epochs
    assert result["losses"][1] < result["losses"][0]
    assert result["accuracies"][1] > 0.85


def test_digits_one_seed_is_labelled_and_is_that_seed_of_the_multi_seed_run(tmp_path, capsys):
    three = run("digits", "--epochs", "1", "--seeds", "3", "--seed", "5", "--out", str(tmp_path))
    one = run("digits", "--epochs", "1", "--seeds", "1", "--seed", "6", "--out", str(tmp_path))
    np.testing.assert_array_equal(one["with BN"][0], three["with BN"][1])
    np.testing.assert_array_equal(one["without BN"][0], three["without BN"][1])
    printed = capsys.readouterr().out
    assert "held-out accuracy, one run (seed 6): a single seed, whose digits change with the " \
           "BLAS kernel" in printed
    assert f"final held-out accuracy (seed 6): with BN {one['with BN'][0, -1]:.3f}" in printed


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
    assert "final training loss over 5 seeds (42 to 46):" in result.stdout
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
    assert "final training loss over 5 seeds" in result.stdout
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
    ("batchnorm_comparison", ["--seeds", "0"], "--seeds must be positive, got 0"),
    ("digits", ["--seeds", "-2"], "--seeds must be positive, got -2"),
    ("digits", ["--epochs", "0"], "--epochs must be positive, got 0"),
    ("digits", ["--batch-size", "0"], "--batch-size must be positive, got 0"),
    ("cnn_digits", ["--epochs", "0"], "--epochs must be positive, got 0"),
    ("cnn_digits", ["--lr", "-1"], "--lr must be positive, got -1.0"),
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
    result = run("batchnorm_comparison", "--epochs", "1", "--batch-size", "3", "--seeds", "1",
                 "--out", str(tmp_path))
    printed = capsys.readouterr().out
    assert ("note: 1000 samples in batches of 3 leave 1 sample in the last batch, which "
            "BatchNorm1d cannot normalise in training; dropping it each epoch "
            "(DataLoader(drop_last=True)), so 999 samples are trained on") in printed
    assert result["with_bn"].shape == (1, 1) and np.isfinite(result["with_bn"][0, 0])
    # the article's batch size leaves 8 samples in the last batch: kept, no note
    run("batchnorm_comparison", "--epochs", "1", "--seeds", "1", "--out", str(tmp_path))
    assert "note:" not in capsys.readouterr().out


def test_digits_batch_size_leaving_one_sample_drops_it(tmp_path, capsys):
    run("digits", "--epochs", "1", "--batch-size", "1347", "--out", str(tmp_path))
    assert "1348 samples in batches of 1347 leave 1 sample" in capsys.readouterr().out


def test_progress_without_tqdm_prints_a_count_and_the_time_left(tmp_path):
    result = subprocess.run([sys.executable, str(EXAMPLES / "digits.py"), "--epochs", "2",
                             "--seeds", "2", "--out", str(tmp_path)], capture_output=True,
                            text=True, env=without_module(tmp_path, "tqdm"), check=True)
    lines = result.stderr.splitlines()
    assert [line.split(",")[0] for line in lines] == [
        f"training: {n}/8 epochs done" for n in range(1, 9)]  # 2 seeds x 2 networks x 2 epochs
    assert lines[-1].endswith("about 0 s left")
    assert "   2 " in result.stdout  # the per-epoch table still prints


def test_every_file_at_the_top_of_examples_is_a_script_to_run():
    """What the scripts share lives in examples/_shared/, so a reader who lists examples/ sees
    only programs that do something when run."""
    folder = Path(__file__).resolve().parent.parent / "examples"
    scripts = sorted(folder.glob("*.py"))
    assert len(scripts) >= 10
    for script in scripts:
        assert 'if __name__ == "__main__":' in script.read_text(), f"{script.name} is not a script"
    shared = {p.stem for p in (folder / "_shared").glob("*.py")}
    assert {"article_models", "cli", "micrograd_expression", "numpy_batchnorm",
            "plotting"} <= shared
