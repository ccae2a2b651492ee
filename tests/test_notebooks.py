"""The notebooks in notebooks/ run from top to bottom without an error, print the numbers the
text promises, write nothing into the repository, and are stored with their outputs stripped.

They run in a Jupyter kernel started with this interpreter (so it finds the installed
tinygrad_bn), from the notebooks/ folder as a user would open them."""

import json
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NAMES = ("backprop_from_scratch", "batch_normalization")

# Strings each notebook's outputs must contain: the numbers its prose relies on.
EXPECTED = {
    "backprop_from_scratch": [
        "L = -8",
        "by hand and autograd agree on every gradient",
        "dL/da: finite difference 6.000000, autograd 6",
        "dL/db: finite difference -4.000000, autograd -4",
        "gradcheck on scalars: True",
        "gradcheck on vectors: True",
        "Step 4 of 4: Mul",
        "sends g · b = -2. × -3. = 6.",
        "from above: g = ∂L/∂(ReLU's result) = -2.",
        "gradients: {'a': 0.0, 'b': 0.0, 'c': 0.0, 'f': 0.0}",
        ">2.</text>", ">&#45;3.</text>",  # the picture shows the values of a and b, as it says
    ],
    "batch_normalization": [
        "Input  mean per feature: [15.18  9.91  9.35]",
        "Output std per feature:  [0.999999 0.999999 0.999999]",
        "Relative error:",
        "gradcheck of batch_norm (fused=True): True",
        "gradcheck of batch_norm (fused=False): True",
        "running_var ratio ours / article: [1.0323 1.0323 1.0323]",
        "depth 8, lr 0.1",
    ],
}


def outputs_text(notebook):
    """Every stream, text/plain and SVG output of the executed notebook, joined. Stream chunks are
    joined as they are: one print can arrive in several chunks when the machine is busy, and a
    separator between them would split its line."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output["text"])
            elif "data" in output:
                parts.append(output["data"].get("text/plain", "") + "\n")
                parts.append(output["data"].get("image/svg+xml", ""))  # drawn graphs' labels
    return "".join(parts)


def tree_snapshot():
    """Files of the repository a notebook could write to (outside ignored caches)."""
    return {p for p in ROOT.rglob("*")
            if not any(part in (".venv", ".git", "__pycache__", ".pytest_cache", ".hypothesis")
                       for part in p.relative_to(ROOT).parts)}


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_without_outputs(name):
    notebook = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, \
                f"{name}.ipynb is stored with outputs; strip them before committing"


@pytest.mark.needs("dot")
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name, monkeypatch, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    # The kernel is this interpreter (which has tinygrad_bn installed), whatever "python3" kernel
    # Jupyter may have registered elsewhere: JUPYTER_PATH is searched first.
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tinygrad_bn tests)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # no __pycache__ in examples/
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    before = tree_snapshot()
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    seconds = time.perf_counter() - start
    printed = outputs_text(notebook)
    missing = [text for text in EXPECTED[name] if text not in printed]
    assert not missing, f"{name}.ipynb did not print {missing}; it printed:\n{printed}"
    assert tree_snapshot() == before, f"{name}.ipynb wrote into the repository"
    assert seconds < 60, f"{name}.ipynb took {seconds:.0f} s"
    print(f"{name}.ipynb ran in {seconds:.1f} s")
