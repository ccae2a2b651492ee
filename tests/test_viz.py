"""Graph drawing: the DOT source is exactly the walked graph (one node per op and per tensor,
edges in input order), labels carry names, shapes and gradients, clusters match modules, big
graphs are summarised, and real renders to SVG and PNG go through the system's `dot`
(CI installs Graphviz, so these run there)."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _shared.article_models import MLP, MLPWithBatchNorm

import tinygrad_bn as tg
from tinygrad_bn import nn, viz
from tinygrad_bn.autograd import topological_order

ROOT = Path(__file__).resolve().parent.parent


def node_ids(source, prefix):
    return re.findall(rf"^\s*({prefix}\d+) \[", source, flags=re.MULTILINE)


def edges(source):
    return re.findall(r"^\s*(\S+) -> (\S+)(?: \[(.*)\])?$", source, flags=re.MULTILINE)


def label_of(source, node):
    return re.search(rf'^\s*{node} \[label="?(.*?)"? (?:color|fillcolor|shape)', source,
                     flags=re.MULTILINE).group(1)


def cluster_labels(source):
    """The label of every module cluster (the legend excluded)."""
    blocks = re.findall(r"subgraph cluster_\d+ \{\n\s*(.*)\n", source)
    matches = [re.search(r'label=(?:"([^"]*)"|(\S+))', block) for block in blocks]
    return [match.group(1) or match.group(2) for match in matches]


def training_step(batch=8):
    tg.manual_seed(0)
    model = MLPWithBatchNorm(20, 16, 5)
    x, y = tg.randn(batch, 20), tg.randint(0, 5, (batch,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    viz.retain_grads(loss)
    loss.backward()
    return model, x, y, loss


def test_one_node_per_op_and_per_tensor():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    h = a * b
    out = (h + h.exp() + 2.0).sum()
    source = viz.draw_graph(out).source
    ops = topological_order([out])
    tensors = {id(out)} | {id(t) for op in ops for t in op.inputs}
    assert len(node_ids(source, "op")) == len(ops) == 5
    # a, b, h, exp(h), h + exp(h), the constant 2.0, that plus 2.0, and the sum
    assert len(node_ids(source, "t")) == len(tensors) == 8
    assert len(edges(source)) - source.count("style=invis") == sum(
        len(op.inputs) + 1 for op in ops)


def test_edges_follow_input_order_and_repeat_for_a_reused_tensor():
    a = tg.tensor(3.0, requires_grad=True)
    b = tg.tensor(2.0, requires_grad=True)
    out = (a * a) - b
    source = viz.draw_graph(out, names={"a": a, "b": b}).source
    a_node = next(n for n in node_ids(source, "t") if label_of(source, n).startswith("a\\n"))
    b_node = next(n for n in node_ids(source, "t") if label_of(source, n).startswith("b\\n"))
    into_mul = [(t, attrs) for t, h, attrs in edges(source) if label_of(source, h) == "Mul"]
    assert into_mul == [(a_node, "label=0"), (a_node, "label=1")]  # two edges for a * a
    into_sub = [(t, attrs) for t, h, attrs in edges(source) if label_of(source, h) == "Sub"]
    assert into_sub[1] == (b_node, "label=1") and "label=0" in into_sub[0][1]


def test_labels_show_op_arguments_names_shapes_values_and_gradients():
    x = tg.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    out = x.sum(dim=1)
    out.backward(tg.ones(1))
    source = viz.draw_graph(out, names={"x": x}, show_values=True).source
    assert "Sum(dim=(1,), keepdim=False)" in source
    assert "x\\n(1, 3) float32\\n[1., -2., 3.] (flattened)\\ngrad [1., 1., 1.] (flattened)" in (
        source)
    without = viz.draw_graph(out, show_grads=False, show_shapes=False).source
    assert "\\ngrad" not in without and "float32" not in without


def test_training_step_labels_and_clusters_match_the_model():
    model, x, y, loss = training_step()
    source = viz.draw_graph(loss, model=model, names={"x": x, "y": y, "loss": loss}).source
    for name, param in model.named_parameters():
        assert f'"{name}\\n{tuple(param.shape)} float32\\ngrad norm' in source or (
            f'"{name}\\n{tuple(param.shape)} float32\\ngrad [' in source), name
    assert "bn1.running_mean" in source and "running mean" in source  # buffer feeding BatchNorm
    assert "BatchNorm(eps=1e-05, training=True)" in source
    assert "CrossEntropy(reduction=mean)" in source
    assert "loss\\nscalar float32\\ngrad 1." in source
    labels = sorted(cluster_labels(source))
    assert labels == sorted(["fc1: Linear", "bn1: BatchNorm1d", "relu: ReLU (call 1)",
                             "fc2: Linear", "bn2: BatchNorm1d", "relu: ReLU (call 2)",
                             "fc3: Linear", "CrossEntropyLoss"])
    fc1 = source.split('label="fc1: Linear"')[1].split("}")[0]
    assert "fc1.weight" in fc1 and "Linear" in fc1 and "bn1" not in fc1


def test_nested_modules_nest_clusters():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Sequential(nn.Linear(3, 3), nn.Tanh()), nn.Linear(3, 1))
    source = viz.draw_graph(model(tg.randn(2, 3)).sum(), model=model).source
    outer = source.index('label="0: Sequential"')
    inner = source.index('label="0.0: Linear"')
    assert outer < inner < source.index('label="1: Linear"')


def test_without_a_model_there_are_no_module_clusters():
    _, _, _, loss = training_step()
    source = viz.draw_graph(loss).source
    assert re.findall(r"subgraph (cluster_\d+)", source) == []
    assert "cluster_legend" in source


def test_large_graph_is_summarised_within_max_nodes():
    x = tg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001  # 5,000 ops and 10,001 tensors: over 10,000 nodes
    graph = viz.draw_graph(y, max_nodes=300)
    source = graph.source
    drawn = len(re.findall(r"^\s*(?!legend_)\S+ \[label=", source, flags=re.MULTILINE))
    assert drawn <= 300
    assert "Summarised for size:" in source and "nodes farthest from the output collapsed" in source
    assert re.search(r"\d+ earlier nodes collapsed\\nops: Mul x\d+", source)
    assert viz.draw_graph(y, max_nodes=50).source.count("->") < 60


def test_module_clusters_collapse_first_when_the_graph_is_too_big():
    model, _, _, loss = training_step()
    source = viz.draw_graph(loss, model=model, max_nodes=20).source
    assert "module clusters collapsed to one node each" in source
    assert "bn1: BatchNorm1d\\n1 op and 5 tensors collapsed" in source  # gamma, beta, 2 buffers, out
    assert len(re.findall(r"^\s*(?!legend_)\S+ \[label=", source, flags=re.MULTILINE)) <= 20


@pytest.mark.parametrize("style", ["default", "slide"])
def test_every_max_nodes_works_with_a_model_when_a_loss_module_makes_the_output(style):
    """The loss comes out of a module call (``CrossEntropyLoss``), so folding the clusters must
    keep the output node: it used to be folded away and the far-node pass then stopped with a
    bare StopIteration."""
    tg.manual_seed(0)
    model = MLPWithBatchNorm(20, 16, 5)
    loss = nn.CrossEntropyLoss()(model(tg.randn(8, 20)), tg.randint(0, 5, (8,)))
    for max_nodes in range(2, 61):
        source = viz.draw_graph(loss, model=model, max_nodes=max_nodes, style=style).source
        drawn = len(re.findall(r"^\s*(?!legend_|p_)\S+ \[label=", source, flags=re.MULTILINE))
        assert drawn <= max_nodes, (max_nodes, drawn)  # p_ nodes are the writer's layout points
        assert len(re.findall(r"^\s*(?!legend_)\S+ \[.*peripheries=2", source, re.MULTILINE)) == 1


def test_tensor_draw_is_a_shortcut_and_bad_arguments_raise():
    x = tg.tensor([1.0], requires_grad=True)
    y = x * 2
    assert y.draw().source == viz.draw_graph(y).source
    assert "output" in x.draw().source  # a leaf alone is drawn as one node
    with pytest.raises(TypeError, match="draw_graph expects a Tensor, got ndarray"):
        viz.draw_graph(np.ones(2))
    with pytest.raises(ValueError, match="max_nodes must be at least 2, got 1"):
        viz.draw_graph(x, max_nodes=1)
    with pytest.raises(ValueError, match="render: format must be one Graphviz's dot writes "
                       r"\(e.g. 'svg', 'png', 'pdf'\), got 'xyz'"):
        viz.render(x.draw(), "graph", format="xyz")


@pytest.mark.needs("dot")
def test_render_svg_and_png_with_the_system_dot(tmp_path):
    model, x, _, loss = training_step()
    graph = viz.draw_graph(loss, model=model, names={"x": x}, rankdir="TB")
    svg = viz.render(graph, tmp_path / "step.svg")
    png = viz.render(graph, tmp_path / "step.png")
    assert Path(svg).read_text().lstrip().startswith("<?xml") and "fc1.weight" in Path(
        svg).read_text()
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and Path(png).stat().st_size > 10_000
    pdf = viz.render(graph, tmp_path / "nested" / "step", format="pdf")
    assert Path(pdf).read_bytes()[:4] == b"%PDF"


def test_missing_dot_raises_with_install_hints_and_writes_the_source(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    graph = (tg.tensor([1.0], requires_grad=True) * 2).draw()
    with pytest.raises(viz.GraphvizNotFoundError) as error:
        viz.render(graph, tmp_path / "graph.svg")
    message = str(error.value)
    assert "Graphviz's `dot` program was not found on PATH" in message
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz"):
        assert hint in message
    assert (tmp_path / "graph.dot").read_text() == graph.source
    assert not (tmp_path / "graph.svg").exists()


def test_missing_dot_never_overwrites_an_existing_dot_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    (tmp_path / "graph.dot").write_text("my own notes")
    graph = (tg.tensor([1.0], requires_grad=True) * 2).draw()
    for expected in ("graph.1.dot", "graph.2.dot"):
        with pytest.raises(viz.GraphvizNotFoundError, match=re.escape(str(tmp_path / expected))):
            viz.render(graph, tmp_path / "graph.svg")
        assert (tmp_path / expected).read_text() == graph.source
    assert (tmp_path / "graph.dot").read_text() == "my own notes"


@pytest.mark.needs("dot")
def test_example_script_writes_the_docs_pictures(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "draw_graph.py"), "--out",
                             str(tmp_path), "--png"], capture_output=True, text=True, check=True)
    for name in ("scalar_graph", "training_step", "article_mlp_slide", "mlp_depth8_slide",
                 "mlp_depth32_slide"):
        text = (tmp_path / f"{name}.svg").read_text()
        assert text.lstrip().startswith("<?xml") and "</svg>" in text
        assert f"wrote {tmp_path / name}.svg" in result.stdout
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    assert "grad 6." in (tmp_path / "scalar_graph.svg").read_text()  # dL/da of micrograd's example
    assert "bn2: BatchNorm1d" in (tmp_path / "article_mlp_slide.svg").read_text()
    for depth in (8, 32):
        text = (tmp_path / f"mlp_depth{depth}_slide.svg").read_text()
        assert f"\u00d7 {depth - 2} more blocks" in text and f"fc{depth}: Linear" in text


def test_labels_print_small_values_as_pytorch_does():
    x = tg.tensor([1e-5, 3e-6], requires_grad=True)
    (x * 2).sum().backward()
    source = viz.draw_graph(x * 2, names={"x": x}, show_values=True).source
    assert "[1.0000e-05, 3.0000e-06]" in source and "[2., 2.]" in source
    mixed = viz.draw_graph(x * tg.tensor([0.5, 2.0]), show_values=True).source
    assert "[0.5000, 2.0000]" in mixed  # not whole: every element keeps its decimals


HOSTILE_NAMES = [
    '<<TABLE><TR><TD HREF="javascript:alert(1)">x</TD></TR></TABLE>>',
    '<<TABLE><TR><TD><IMG SRC="/etc/passwd"/></TD></TR></TABLE>>',
    "ends with a backslash\\",
    "bold <b>text</b> and a \"quote\" and \\n",
    "nul\x00byte and a tab\t",
    "long " + "x" * 16_000,
]


@pytest.mark.needs("dot")
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_shown_as_text_and_render(tmp_path, name):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    # without shapes the name is the whole label, which Graphviz would read as HTML
    graph = viz.draw_graph((x * 2).sum(), names={name: x}, show_shapes=False)
    svg_path = viz.render(graph, tmp_path / "g.svg")
    svg = Path(svg_path).read_text()
    assert "<a " not in svg and "<image" not in svg and "xlink:href" not in svg
    visible = name if len(name) <= viz.MAX_LINE_CHARACTERS else \
        name[:viz.MAX_LINE_CHARACTERS - 1] + "\u2026"
    visible = visible.replace("\x00", "\\x00").replace("\t", "\\x09")
    expected = (visible.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace('"', "&quot;"))
    assert expected in svg


@pytest.mark.needs("dot")
def test_module_names_and_custom_op_names_are_escaped(tmp_path):
    class Evil(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad

    Evil.__name__ = "<<B>evil</B>>"
    model = nn.ModuleDict({'<<I>x</I>>': nn.Linear(2, 2)})
    out = Evil.apply(model['<<I>x</I>>'](tg.ones(1, 2))).sum()
    source = viz.draw_graph(out, model=model).source
    assert "label=<<" not in source and 'label="<<I>x</I>>: Linear"' in source
    svg = Path(viz.render(viz.draw_graph(out, model=model), tmp_path / "m.svg")).read_text()
    assert "&lt;&lt;I&gt;x&lt;/I&gt;&gt;: Linear" in svg and "&lt;&lt;B&gt;evil" in svg


def test_huge_graphs_keep_the_nodes_nearest_the_output():
    x = tg.ones(2, requires_grad=True)
    w = tg.ones(2, requires_grad=True)
    y = x
    for _ in range(300):
        y = (y * w + x).relu()
    graph = viz.draw_graph(y, max_nodes=20)
    node_lines = [line for line in graph.body
                  if "[label=" in line and "->" not in line and "legend_" not in line]
    assert len(node_lines) == 20
    assert "1,783 earlier nodes collapsed" in graph.source
    assert "ops: Mul x298, Add x297, ReLU x297" in graph.source
    assert "c_far -> t0" in graph.source  # the kept input made by a collapsed op
    assert 'label="Summarised for size: 1,783 nodes farthest' in graph.source


def test_collapsing_many_module_calls_keeps_one_node_per_top_module():
    model = nn.Sequential(*[nn.Sequential(nn.Linear(2, 2), nn.ReLU()) for _ in range(50)])
    out = model(tg.ones(1, 2)).sum()
    graph = viz.draw_graph(out, model=model, max_nodes=120)
    assert graph.source.count("shape=box3d") == 50 + 1  # one per block, plus the legend's
    assert "50 module clusters collapsed to one node each" in graph.source
    # inside each block: Linear and ReLU; weight, bias and both results
    assert "2 ops and 4 tensors collapsed" in graph.source


def deep_mlp_step(depth=5, batch=8):
    tg.manual_seed(0)
    model = MLP(20, 16, 5, depth=depth)
    x, y = tg.randn(batch, 20), tg.randint(0, 5, (batch,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    return model, x, y, loss


def drawn_nodes(source):
    """Node ids with a label (the legend's and the writer's layout points excluded)."""
    return re.findall(r"^\s*(?!legend_|p_)(\S+) \[label=", source, flags=re.MULTILINE)


FOLDED_DEPTH_5 = "\u00d7 3 more blocks\\nlike these\\n(fc2 \u2026 fc4)"


def test_the_slide_style_folds_repeated_blocks_and_the_default_style_draws_every_op():
    model, x, y, loss = deep_mlp_step()
    slide = viz.draw_graph(loss, model=model, style="slide").source
    assert FOLDED_DEPTH_5 in slide and "shape=box3d" in slide
    # the first and last blocks stay whole, the three between are gone
    for cluster in ("fc1: Linear", "bn1: BatchNorm1d", "fc5: Linear", "bn5: BatchNorm1d",
                    "relu: ReLU (call 1)", "relu: ReLU (call 5)", "fc6: Linear"):
        assert cluster in cluster_labels(slide), cluster
    assert not any(name in slide for name in ("fc2:", "bn3", "fc4.weight", "(call 2)"))
    default = viz.draw_graph(loss, model=model).source
    assert "more blocks" not in default and "fc3: Linear" in cluster_labels(default)
    assert "more blocks" not in viz.draw_graph(loss, model=model, style="slide",
                                               fold_repeats=False).source
    folded_default = viz.draw_graph(loss, model=model, fold_repeats=True).source
    assert FOLDED_DEPTH_5 in folded_default
    # the default style's row of fc5's inputs: the path comes from the folded node through it
    assert re.search(r"^\s*f_op\d+ -> p_op\d+ \[arrowhead=none", folded_default, re.MULTILINE)
    assert "more blocks" not in viz.draw_graph(loss, model=model, fold_repeats=6).source
    assert FOLDED_DEPTH_5 in viz.draw_graph(loss, model=model, fold_repeats=5).source
    for bad in (2, 0, -1, 2.5, "yes"):
        with pytest.raises(ValueError, match=re.escape(
                "draw_graph: fold_repeats must be True, False or a number of blocks of at least "
                f"3 (the first and last are drawn, the rest folded), got {bad!r}")):
            viz.draw_graph(loss, model=model, fold_repeats=bad)


def test_folding_keeps_the_gradient_path_and_the_shown_blocks_values_and_gradients():
    model, x, y, loss = deep_mlp_step()
    source = viz.draw_graph(loss, model=model, names={"x": x, "y": y, "loss": loss},
                            style="slide", backward=True).source
    folded = re.search(r"^\s*(f_op\d+) \[label=", source, flags=re.MULTILINE).group(1)
    into, out_of = ([tail for tail, head, _ in edges(source) if head == folded],
                    [head for tail, head, _ in edges(source) if tail == folded])
    assert len(into) == len(out_of) == 1  # one path in, one path out: nothing else was cut
    assert "group=main" in re.search(rf"^\s*{folded} \[.*$", source, re.MULTILINE).group(0)
    # into it: block 1's ReLU; out of it: block 5's Linear, which shows its gradient
    assert label_of(source, into[0]).startswith("ReLU\\n\u2192 (8, 16)\\ndata max abs")
    assert re.match(r"Linear\\n\u2192 \(8, 16\)\\ndata max abs [\d.]+\\ngrad max abs [\d.]+",
                    label_of(source, out_of[0]))
    for name in ("fc1.weight", "bn1.bias", "fc5.weight", "bn5.weight", "fc6.bias"):
        assert re.search(rf"{name}\\n\(\d+(, \d+)?,?\)\\ndata max abs [\d.]+\\ngrad max abs",
                         source), name
    assert len(re.findall(r"peripheries=2", source)) == 1  # the loss, with its gradient
    assert "loss\\nscalar\\ndata" in source and "grad 1." in source


@pytest.mark.parametrize("style", ["default", "slide"])
def test_every_max_nodes_works_after_folding(style):
    """Folding comes first, then the size limit: every limit holds, the output stays one node."""
    model, _, _, loss = deep_mlp_step()
    for max_nodes in range(2, 70):
        source = viz.draw_graph(loss, model=model, max_nodes=max_nodes, style=style,
                                fold_repeats=True).source
        assert len(drawn_nodes(source)) <= max_nodes, max_nodes
        assert len(re.findall(r"^\s*(?!legend_)\S+ \[.*peripheries=2", source, re.MULTILINE)) == 1


# ---------------------------------------------------------------------- styles and options


def small_model_step(**kwargs):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    x, y = tg.randn(5, 3), tg.randint(0, 2, (5,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    return model, x, y, loss, viz.draw_graph(loss, model=model, names={"x": x, "loss": loss},
                                             **kwargs)


@pytest.mark.parametrize("style", sorted(viz.PRESETS))
def test_every_style_draws_and_show_legend_overrides_it(style):
    *_, graph = small_model_step(style=style)
    assert ("cluster_legend" in graph.source) == viz.PRESETS[style].legend
    for shown in (True, False):
        *_, graph = small_model_step(style=style, show_legend=shown)
        assert ("cluster_legend" in graph.source) == shown


def test_bad_style_and_rankdir_name_the_value():
    x = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=re.escape("draw_graph: style must be one of ['default', "
                                                  "'slide', 'steps'], got 'poster'")):
        viz.draw_graph(x * 2, style="poster")
    with pytest.raises(ValueError, match=re.escape("draw_graph: rankdir must be one of ['TB', "
                                                  "'LR', 'BT', 'RL'], got 'up'")):
        viz.draw_graph(x * 2, rankdir="up")


def test_slide_labels_use_data_and_grad_with_max_abs_and_merge_op_with_result():
    *_, graph = small_model_step(style="slide", backward=True)
    source = graph.source
    assert re.search(r"0.weight\\n\(4, 3\)\\ndata max abs [\d.]+\\ngrad max abs", source)
    assert "Linear\\n\u2192 (5, 4)\\ndata max abs" in source  # an op and its result, one node
    assert "BatchNorm\\neps=1e-05, training=True\\n\u2192 (5, 4)" in source
    assert "float32" not in source and "int64" in source  # y's dtype is the odd one out
    assert "label=0" not in source  # no position labels: the names say which input is which


def test_a_graph_of_one_dtype_shows_no_dtype_in_the_slide_style():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    source = viz.draw_graph((x * 3).sum(), names={"x": x}, style="slide").source
    assert "float32" not in source and "x\\n(2,)\\ndata [1., 2.]" in source


def test_backward_true_runs_backward_and_shows_every_intermediate_gradient():
    x = tg.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    out = h.relu().sum()
    source = viz.draw_graph(out, names={"x": x, "h": h}, backward=True).source
    assert x.grad is not None and x.grad.tolist() == [3.0, 0.0]
    assert "h\\n(2,) float32\\ngrad [1., 0.]" in source  # an intermediate, never retained by hand
    assert source.count("\\ngrad ") == 4  # x, h, relu(h) and the sum: every tensor but the 3


def test_backward_true_refuses_what_it_cannot_run():
    x = tg.tensor([1.0])
    with pytest.raises(RuntimeError, match=re.escape("draw_graph(backward=True): the output "
                                                     "does not require grad")):
        viz.draw_graph(x * 2, backward=True)
    w = tg.tensor([1.0], requires_grad=True)
    out = (w * 2).sum()
    out.backward()
    with pytest.raises(RuntimeError, match=re.escape("backward() has already run through this")):
        viz.draw_graph(out, backward=True)


def test_backward_true_refuses_to_add_to_a_gradient_left_from_training():
    """After a training step the parameters hold gradients; backward would add to them and the
    picture would show the sum (0.0762 drawn as 0.1524). It names the tensor and what to do."""
    model, x, y, _ = training_step()
    before = model.fc1.weight.grad.numpy().copy()
    loss = nn.CrossEntropyLoss()(model(x), y)
    with pytest.raises(RuntimeError, match=re.escape(
            "draw_graph(backward=True): 'fc1.weight' already has a gradient from an earlier "
            "backward, and backward would add to it, so the picture would show the sum; zero the "
            "gradients first")):
        viz.draw_graph(loss, model=model, backward=True)
    np.testing.assert_array_equal(model.fc1.weight.grad.numpy(), before)  # untouched
    model.zero_grad()
    viz.draw_graph(loss, model=model, backward=True)
    np.testing.assert_allclose(model.fc1.weight.grad.numpy(), before, rtol=1e-5, atol=1e-7)
    w = tg.tensor([1.0], requires_grad=True)
    w.grad = tg.zeros(1)  # zeroed, not None: nothing to add to
    viz.draw_graph((w * 2).sum(), backward=True)
    assert w.grad.tolist() == [2.0]


def test_show_saved_works_with_backward_true():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    out = (x.exp() * x).sum()
    source = viz.draw_graph(out, names={"x": x}, show_saved=True, backward=True).source
    assert "saved tensors not shown" not in source
    assert "style=dotted" in source
    assert x.grad is not None


def test_show_saved_draws_what_each_op_saved_and_says_when_it_was_freed():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    out = (x.exp() * x).sum()
    source = viz.draw_graph(out, names={"x": x}, show_saved=True).source
    assert "saved[0]\\n(2,) float32\\n= output" in source  # Exp saves its result
    assert "saved[1]\\n(2,) float32\\n= input 1" in source  # Mul saves the other factor, x
    assert source.count("arrowhead=odot") == source.count('"saved[')
    out.backward()
    freed = viz.draw_graph(out, show_saved=True).source
    assert "saved[" not in freed and "saved tensors not shown: backward() freed them" in freed


def test_small_constants_show_their_values_and_buffer_views_their_names():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]], requires_grad=True)
    out = (x * tg.tensor([0.5, 2.0, 1.0])).sum() + 1e-5
    source = viz.draw_graph(out).source
    assert "[0.5000, 2.0000, 1.0000]" in source and "1.0000e-05" in source
    bn = nn.BatchNorm1d(3, fused=False)
    bn(tg.randn(4, 3))
    bn.eval()
    drawn = viz.draw_graph(bn(x).sum(), model=bn).source
    assert '"running_mean\\n(1, 3) float32' in drawn  # read through a reshape, named
    std = np.sqrt(bn.running_var.numpy() + bn.eps).reshape(1, 3)  # a constant here, shown
    assert "[" + ", ".join(f"{v:.4f}" for v in std.ravel()) + "] (flattened)" in drawn


def test_the_derived_batchnorm_graph_shows_eps():
    bn = nn.BatchNorm1d(3, eps=1e-3, fused=False)
    out = bn(tg.randn(4, 3, requires_grad=True)).sum()
    source = viz.draw_graph(out, model=bn, style="slide").source
    assert "scalar\\ndata 0.0010" in source  # PyTorch prints tensor(1e-3) as 0.0010


def test_inputs_inside_a_cluster_keep_their_order():
    *_, graph = small_model_step()
    source = graph.source
    rows = re.findall(r"\{\s*rank=same\s*((?:\S+ -> \S+ \[style=invis\]\s*)+)\}", source)
    chains = [re.findall(r"(\S+) -> ", row) + [re.findall(r"-> (\S+) ", row)[-1]]
              for row in rows]
    labels = {node: label_of(source, node).split("\\n")[0] for chain in chains
              for node in chain[1:]}
    named = [[labels[node] for node in chain[1:]] for chain in chains]
    assert ["1.weight", "1.bias", "1.running_mean", "1.running_var"] in [
        [name.strip('"') for name in row] for row in named]
    assert ["3.weight", "3.bias"] in [[name.strip('"') for name in row] for row in named]


@pytest.mark.needs("dot")
def test_render_follows_graphvizs_suffix_convention(tmp_path, monkeypatch):
    graph = (tg.tensor([1.0], requires_grad=True) * 2).draw()
    assert viz.render(graph, tmp_path / "step", format="svg") == str(tmp_path / "step.svg")
    assert (tmp_path / "step.svg").read_text().lstrip().startswith("<?xml")
    assert viz.render(graph, tmp_path / "step") == str(tmp_path / "step.svg")  # SVG by default
    assert viz.render(graph, tmp_path / "v1.2", format="png") == str(tmp_path / "v1.2.png")
    assert viz.render(graph, tmp_path / "g.gif") == str(tmp_path / "g.gif")  # any dot format
    assert (tmp_path / "g.gif").read_bytes()[:3] == b"GIF"
    with pytest.raises(ValueError, match=r"render: the path '.*step.png' ends in '.png' but "
                       "format is 'svg'"):
        viz.render(graph, tmp_path / "step.png", format="svg")
    with pytest.raises(ValueError, match=r"render: cannot tell the format of '.*step.v1': "
                       "'.v1' is not a format Graphviz writes"):
        viz.render(graph, tmp_path / "step.v1")
    opened = []
    monkeypatch.setattr(viz.graphviz, "view", opened.append)
    path = viz.render(graph, tmp_path / "shown.svg", view=True)
    assert opened == [path]


@pytest.mark.needs("dot")
def test_notebook_display_without_dot_gives_the_install_hint(monkeypatch):
    graph = (tg.tensor([1.0], requires_grad=True) * 2).draw()
    assert "image/svg+xml" in graph._repr_mimebundle_()
    monkeypatch.setenv("PATH", "")
    shown = graph._repr_mimebundle_()
    assert list(shown) == ["text/plain"]
    assert "Graphviz's `dot` program was not found" in shown["text/plain"]
    assert "apt-get install graphviz" in shown["text/plain"]


@pytest.mark.needs("dot")
def test_the_readme_snippet_draws_the_readme_picture(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", readme, flags=re.DOTALL).group(1)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    sys.path.insert(0, str(ROOT / "examples"))
    import draw_graph

    assert namespace["graph"].source == draw_graph.readme_graph().source
    assert "docs/training_step.svg" in readme

    def texts(svg):
        return sorted(re.findall(r"<text[^>]*>([^<]*)</text>", svg))

    drawn = (tmp_path / "step.svg").read_text()
    assert texts((ROOT / "docs" / "training_step.svg").read_text()) == texts(drawn), (
        "docs/training_step.svg is out of date: python examples/draw_graph.py --out docs")


@pytest.mark.needs("dot")
def test_batchnorm_graphs_example_draws_fused_and_derived_with_the_same_gradients(tmp_path):
    sys.path.insert(0, str(ROOT / "examples"))
    import batchnorm_graphs

    result = batchnorm_graphs.main(["--out", str(tmp_path)])
    assert result["difference"] < 1e-5
    fused = (tmp_path / "batchnorm_fused.svg").read_text()
    derived = (tmp_path / "batchnorm_derived.svg").read_text()
    assert "BatchNorm" in fused and "Sqrt" not in fused
    for op in ("Mean", "Sub", "Sqrt", "Div"):
        assert f">{op}</text>" in derived
    assert "data 1.0000e&#45;05" in derived  # eps, a constant, shows its value
    combined = (tmp_path / "batchnorm_fused_vs_derived.svg").read_text()
    assert combined.count("<svg") == 3 and "every input reaches every output" in combined
