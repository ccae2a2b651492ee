"""Backpropagation step by step: the frames follow the engine's own order, their gradients are
the engine's (and what a plain backward leaves in ``.grad``), the user's ``.grad`` fields are
untouched, the captions state upstream x local for each input, every frame has one layout and
shows what Graphviz draws for it on its own, the frames are kept as changes and the page grows
with the graph (not its square), and the HTML page and SVG frames are self-contained and
escaped. (The page in a real browser: test_viz_browser.py.)"""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from _shared.article_models import MLPWithBatchNorm
from _shared.micrograd_expression import micrograd_expression

import tinygrad_bn as tg
from tinygrad_bn import nn, viz


SVG = "http://www.w3.org/2000/svg"
micrograd = micrograd_expression  # L = relu(a * b + c) * f, with its tensors by name


def mlp_step():
    tg.manual_seed(0)
    model = MLPWithBatchNorm(20, 16, 5)
    x, y = tg.randn(8, 20), tg.randint(0, 5, (8,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    return model, x, y, loss


def engine_order(output):
    """The ops in the order the engine runs them, seen by post-hooks on a real backward."""
    order, handles = [], []
    for op in tg.autograd.topological_order([output]):
        handles.append(op.register_hook(lambda grads_in, grads_out, op=op: order.append(op)))
    output.backward(retain_graph=True)
    for handle in handles:
        handle.remove()
    return order


def test_one_step_per_op_in_the_engines_order():
    model, _, _, loss = mlp_step()
    steps = viz.backward_steps(loss, model=model)
    expected = engine_order(loss)
    assert [step.op for step in steps] == expected and len(steps) == 8
    assert [step.number for step in steps] == list(range(1, 9))
    assert steps[0].title == "Step 1 of 8: CrossEntropy(reduction=mean)"
    assert steps[3].title == "Step 4 of 8: BatchNorm(eps=1e-05, training=True)"


def test_gradients_are_the_engines_and_no_grad_changes():
    model, _, _, loss = mlp_step()
    model.fc1.weight.grad = tg.ones(16, 20)  # a gradient the user already has stays as it is
    h = model.bn1.running_mean  # buffers have no grad; parameters below
    steps = viz.backward_steps(loss, model=model)
    assert model.fc1.weight.grad.tolist() == np.ones((16, 20)).tolist()
    assert all(p.grad is None for name, p in model.named_parameters() if name != "fc1.weight")
    assert h.grad is None
    model.zero_grad()
    loss.backward()  # the graph was kept: backward still runs, and agrees with every step
    sent = {id(step.op): step for step in steps}
    for name, param in model.named_parameters():
        received = [grad for step in steps for tensor, grad in zip(step.op.inputs, step.sent)
                    if tensor is param and grad is not None]
        np.testing.assert_allclose(sum(received), param.grad.numpy(), rtol=1e-6, err_msg=name)
    assert len(sent) == len(steps)


def test_retained_gradients_of_intermediates_are_left_alone():
    t = micrograd()
    t["e"].retain_grad()
    viz.backward_steps(t["L"])
    assert t["e"].grad is None and t["a"].grad is None
    t["L"].backward()
    assert t["e"].grad.item() == -2.0 and t["a"].grad.item() == 6.0


def test_captions_show_upstream_times_local_for_micrograd():
    t = micrograd()
    steps = viz.backward_steps(t["L"], names=t)
    assert [s.op.name for s in steps] == ["Mul", "ReLU", "Add", "Mul"]
    # numbers read as the drawing's labels, which print as tensors print (PyTorch's format);
    # the unnamed relu(d), which draw_graph leaves blank, is called by its role
    assert [step.lines for step in steps] == [
        ["from above: g = \u2202L/\u2202L = 1.",
         ("to ReLU's result (input 0): local \u2202L/\u2202(ReLU's result) = f = -2.  \u2192  "
          "sends g \u00b7 f = 1. \u00d7 -2. = -2."),
         ("to f (input 1): local \u2202L/\u2202f = ReLU's result = 4.  \u2192  sends g \u00b7 "
          "(ReLU's result) = 1. \u00d7 4. = 4.")],
        ["from above: g = \u2202L/\u2202(ReLU's result) = -2.",
         ("to d (input 0): local \u2202(ReLU's result)/\u2202d = 1 where d > 0, else 0 = 1.  "
          "\u2192  sends g where d > 0, else 0 = -2. \u00d7 1. = -2.")],
        ["from above: g = \u2202L/\u2202d = -2.",
         "to e (input 0): local \u2202d/\u2202e = 1  \u2192  sends g = -2.",
         "to c (input 1): local \u2202d/\u2202c = 1  \u2192  sends g = -2."],
        ["from above: g = \u2202L/\u2202e = -2.",
         ("to a (input 0): local \u2202e/\u2202a = b = -3.  \u2192  sends g \u00b7 b = -2. "
          "\u00d7 -3. = 6."),
         ("to b (input 1): local \u2202e/\u2202b = a = 2.  \u2192  sends g \u00b7 a = -2. "
          "\u00d7 2. = -4.")],
    ]
    last = steps[3]
    assert last.upstream.item() == -2.0
    assert [g.item() for g in last.sent] == [6.0, -4.0] and [v.item() for v in last.local] == [
        -3.0, 2.0]


def test_caption_numbers_read_as_the_drawings_labels():
    a = tg.tensor(0.5, requires_grad=True)
    b = tg.tensor(3.0, requires_grad=True)
    steps = viz.backward_steps(a * b, names={"a": a, "b": b})
    assert steps[0].lines[1:] == [
        ("to a (input 0): local \u2202output/\u2202a = b = 3.  \u2192  sends g \u00b7 b = 1. "
         "\u00d7 3. = 3."),
        ("to b (input 1): local \u2202output/\u2202b = a = 0.5000  \u2192  sends g \u00b7 a = "
         "1. \u00d7 0.5000 = 0.5000")]
    drawn = viz.draw_graph(a * b, names={"a": a, "b": b}, style="steps", backward=True).source
    frame = steps[0].graph.source
    for label in ("a\\nscalar\\ndata 0.5000\\ngrad 3.", "b\\nscalar\\ndata 3.\\ngrad 0.5000"):
        assert label in drawn and label in frame


def labels(source):
    """Node id -> label lines of a DOT source, gradient lines left out."""
    found = {}
    for node, label in re.findall(r'^\t+(\w+) \[label="((?:[^"\\]|\\.)*)"', source, re.M):
        found[node] = [line for line in label.split("\\n") if not line.startswith("grad ")]
    return found


@pytest.mark.parametrize("style", ["steps", "slide"])
def test_frames_name_tensors_as_draw_graph_does(style):
    t = micrograd()
    model, x, y, loss = mlp_step()
    cases = [(t["L"], dict(names=t)), (t["L"], {}),
             (loss, dict(model=model, names={"x": x, "y": y})), (loss, dict(model=model))]
    for output, arguments in cases:
        steps = viz.backward_steps(output, style=style, **arguments)
        drawn = labels(viz.draw_graph(output, style=style, show_values=True, show_legend=False,
                                      **arguments).source)
        assert len(drawn) > 5
        for index in (0, len(steps) - 1):
            assert labels(steps.frame(index).source) == drawn
        text = "\n".join(line for step in steps for line in step.lines)
        assert not re.search(r"\bt\d", text)  # no name draw_graph does not show


def test_the_article_mlp_captions_name_and_explain_every_input():
    tg.manual_seed(42)  # as examples/backprop_steps.py
    model = MLPWithBatchNorm(input_dim=20, hidden_dim=64, output_dim=5)
    x, y = tg.randn(32, 20), tg.randint(0, 5, (32,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    steps = viz.backward_steps(loss, model=model, names={"x": x, "y": y, "loss": loss},
                               style="slide")
    heads = [[line.split(":")[0] for line in step.lines[1:]] for step in steps]
    assert heads == [
        ["to Linear's result (input 0)", "to y (input 1)"],
        ["to ReLU's result (input 0)", "to fc3.weight (input 1)", "to fc3.bias (input 2)"],
        ["to BatchNorm's result (input 0)"],
        ["to Linear's result (input 0)", "to bn2.weight (input 1)", "to bn2.bias (input 2)"],
        ["to ReLU's result (input 0)", "to fc2.weight (input 1)"],
        ["to BatchNorm's result (input 0)"],
        ["to Linear's result (input 0)", "to bn1.weight (input 1)", "to bn1.bias (input 2)"],
        ["to x (input 0)", "to fc1.weight (input 1)"],
    ]
    assert steps[0].lines == [
        "from above: g = \u2202loss/\u2202loss = 1.",
        ("to Linear's result (input 0): local \u2202loss/\u2202(Linear's result) = "
         "softmax(Linear's result) - one-hot(y) in each row, / N for the mean  \u2192  sends "
         "g \u00b7 (softmax(Linear's result) - one-hot(y)) / N = (32, 5), max abs 0.0289"),
        "to y (input 1): receives no gradient (y does not require grad)"]
    assert steps[7].lines[1] == "to x (input 0): receives no gradient (x does not require grad)"
    # the Linear with a bias adds it, the one without does not
    assert steps[1].lines[1].startswith(
        "to ReLU's result (input 0): local \u2202(Linear's result)/\u2202(ReLU's result) = "
        "fc3.weight, as (Linear's result) = (ReLU's result) @ fc3.weight\u1d40 + fc3.bias  ")
    assert "(ReLU's result) @ fc2.weight\u1d40  \u2192" in steps[4].lines[1]
    assert steps[4].lines[2].startswith(  # a role opening a rule needs no brackets
        "to fc2.weight (input 1): local \u2202(Linear's result)/\u2202fc2.weight = ReLU's result, "
        "row by row  \u2192  sends g\u1d40 @ (ReLU's result) = (64, 64)")
    # the batch statistics are said, and every symbol is defined
    assert steps[3].lines[1].startswith(
        "to Linear's result (input 0): local \u2202(BatchNorm's result)/\u2202(Linear's result) "
        "= through x\u0302 = (input - mean) / \u03c3, with the batch's mean and \u03c3 = "
        "\u221a(var + eps) shared by every row (every row reaches every output row)  \u2192  "
        "sends (bn2.weight / \u03c3) \u00b7 (g - mean(g) - x\u0302 \u00b7 mean(g \u00b7 x\u0302)), "
        "means over the batch = (32, 64)")
    assert all("bias" not in line for line in steps[4].lines)


def test_a_sum_loss_is_not_divided_by_n():
    logits = tg.tensor([[1.0, 2.0]], requires_grad=True)
    loss = nn.functional.cross_entropy(logits, tg.tensor([1]), reduction="sum")
    line = viz.backward_steps(loss)[0].lines[1]
    assert "(softmax(Linear's result)" not in line and "/ N" not in line
    assert "local \u2202output/\u2202tensor" not in line
    assert line.startswith("to a leaf (input 0): local \u2202output/\u2202(a leaf) = "
                           "softmax(a leaf) - one-hot([1]) in each row  \u2192  "
                           "sends g \u00b7 (softmax(a leaf) - one-hot([1])) = ")


def marked_edges(steps, index):
    """Frame ``index``'s highlighted edges: (tail label, head label) -> colour."""
    picture = steps.picture

    def label(node):
        info = picture.nodes[node]
        return info["op"].name if info["kind"] == "op" else (info["name"] or info["kind"])

    _, edges, _ = steps.marks(index)
    return {(label(tail), label(head)): marks["color"] for (tail, head), marks in edges.items()}


RED, BLUE = "#d62728", "#1f77b4"


def test_only_inputs_that_receive_a_gradient_have_red_edges():
    t = micrograd()
    steps = viz.backward_steps(t["L"], names=t)
    # g arrives along the op's edge to its result (blue), and leaves to each input (red)
    assert marked_edges(steps, 0) == {("tensor", "Mul"): RED, ("f", "Mul"): RED,
                                      ("Mul", "L"): BLUE}
    assert marked_edges(steps, 3) == {("a", "Mul"): RED, ("b", "Mul"): RED, ("Mul", "e"): BLUE}
    x = tg.tensor([1.0, 2.0])  # an input, and a constant: neither receives a gradient
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    out = (x * w * 2).sum()
    steps = viz.backward_steps(out, names={"x": x, "w": w})
    assert marked_edges(steps, 2) == {("w", "Mul"): RED, ("Mul", "tensor"): BLUE}
    assert marked_edges(steps, 1) == {("tensor", "Mul"): RED, ("Mul", "tensor"): BLUE}
    assert steps[2].lines[1] == "to x (input 0): receives no gradient (x does not require grad)"
    assert steps[1].lines[2] == ("to the constant 2. (input 1): receives no gradient (a constant "
                                 "needs none)")
    frame = steps[2].graph.source
    assert re.search(r"t\d+ -> op0 \[[^\]]*color=\"#d62728\"", frame)  # w
    assert len(re.findall(r'color="#d62728"', frame)) == 2  # w's edge and w itself


def test_the_mlp_marks_no_edge_from_x_y_or_a_running_statistic():
    model, x, y, loss = mlp_step()
    for style in ("steps", "slide"):
        steps = viz.backward_steps(loss, model=model, names={"x": x, "y": y}, style=style)
        receiving = set()
        for index in range(len(steps)):
            receiving |= {tail for (tail, _), colour in marked_edges(steps, index).items()
                          if colour == RED}
        assert {"x", "y", "bn1.running_mean", "bn1.running_var"}.isdisjoint(receiving)
        assert {"fc1.weight", "bn1.weight", "fc3.bias"} <= receiving
        assert marked_edges(steps, len(steps) - 1).get(("x", "Linear")) is None
    model.eval()  # eval-mode batch norm reads its running statistics as inputs
    out = model(x).sum()
    steps = viz.backward_steps(out, model=model)
    tails = {tail for index in range(len(steps)) for (tail, _), colour
             in marked_edges(steps, index).items() if colour == RED}
    assert not any("running" in tail for tail in tails)
    # with the running statistics, each element's derivative is its own
    assert steps[3].title == "Step 4 of 8: BatchNorm(eps=1e-05, training=False)"
    assert steps[3].lines[1].startswith(
        "to Linear's result (input 0): local \u2202(BatchNorm's result)/\u2202(Linear's result) "
        "= bn2.weight / \u221a(running_var + eps), element by element  \u2192  sends g \u00b7 "
        "bn2.weight / \u221a(running_var + eps) = ")
    assert steps[7].lines[1] == ("to an input (8, 20) (input 0): receives no gradient (it does "
                                 "not require grad)")


def test_an_input_used_twice_is_told_apart_from_its_twin():
    a = tg.tensor([1.0], requires_grad=True)
    out = (a * 2) + (a * 3)
    steps = viz.backward_steps(out.sum())
    add = next(step for step in steps if step.op.name == "Add")
    assert add.lines[1].startswith("to Mul's result, input 0: local \u2202(Add's result)/"
                                   "\u2202(Mul's result, input 0) = 1")
    assert add.lines[2].startswith("to Mul's result, input 1: ")


def test_a_tensor_used_twice_receives_its_gradient_in_parts():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    out = (x * x.exp()).sum()
    steps = viz.backward_steps(out, names={"x": x})
    mul = next(s for s in steps if s.op.name == "Mul")
    assert "(part 1 of 2: the gradients from every use add up)" in mul.lines[1]
    frame = mul.graph.source
    assert re.search(r"x\\n\(2,\)\\ndata \[1., 2.\]\\ngrad \[[^\]]*\] \(part 1 of 2\)", frame)
    final = steps[-1].graph.source
    expected = (np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))
    assert f"grad [{expected[0]:.4f}, {expected[1]:.4f}]" in final


def test_frames_highlight_the_op_and_grey_what_backward_has_not_reached():
    t = micrograd()
    steps = viz.backward_steps(t["L"], names=t)
    first = steps[0].graph.source
    assert re.search(r'op3 \[label=Mul[^\]]*fillcolor="#ffe599"', first)  # the last Mul
    assert re.search(r'op0 \[label=Mul[^\]]*fillcolor="#f2f2f2"', first)  # not reached yet
    assert re.search(r'label="a\\n[^"]*\\ngrad \?"[^\]]*fontcolor="#a0a0a0"', first)
    last = steps[-1].graph.source
    assert "grad ?" not in last and 'fillcolor="#f2f2f2"' not in last


@pytest.mark.needs("dot")
def test_every_frame_has_the_same_layout():
    model, _, _, loss = mlp_step()
    steps = viz.backward_steps(loss, model=model, style="slide")
    sizes = steps.sizes()

    def positions(index):
        layout = json.loads(steps.frame(index, sizes).pipe(format="json"))
        return {o["name"]: o["pos"] for o in layout["objects"] if "pos" in o}

    first = positions(0)
    assert len(first) > 10
    for index in (3, len(steps) - 1):
        assert positions(index) == first


def chain(ops):
    """A chain of ``ops`` ops, alternately Mul and Tanh, ending in Sum."""
    h = tg.tensor([0.5, -0.3], requires_grad=True)
    for index in range(ops - 1):
        h = h * 1.01 if index % 2 == 0 else h.tanh()
    return h.sum()


def test_frames_are_kept_as_changes_that_grow_with_the_graph_not_its_square():
    small, large = (viz.backward_steps(chain(ops)) for ops in (20, 40))
    for steps in (small, large):
        # after the first frame (everything greyed), a step changes a few nodes and edges
        assert max(sum(map(len, changes)) for changes in steps.changes[1:]) <= 12

    def entries(steps):
        return sum(len(part) for changes in steps.changes for part in changes)
    assert entries(large) <= 2.1 * entries(small)


def test_backward_steps_refuses_what_it_cannot_show():
    with pytest.raises(TypeError, match="backward_steps expects a Tensor, got list"):
        viz.backward_steps([1.0])
    leaf = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="backward_steps: the output was not produced by an op"):
        viz.backward_steps(leaf)
    out = (leaf * 2).sum()
    with pytest.raises(ValueError, match=re.escape("backward_steps: style must be one of")):
        viz.backward_steps(out, style="poster")
    chain = leaf
    for _ in range(5):
        chain = chain * 1.5
    with pytest.raises(ValueError, match="the graph has 6 ops, more than max_ops=4"):
        viz.backward_steps(chain.sum(), max_ops=4)
    out.backward()
    with pytest.raises(RuntimeError, match=re.escape("backward() has already run through this "
                                                     "graph and freed what its ops saved")):
        viz.backward_steps(out)


def test_a_thousand_ops_are_accepted_by_default_and_more_refused():
    assert len(viz.backward_steps(chain(1000))) == 1000
    with pytest.raises(ValueError, match="the graph has 1,001 ops, more than max_ops=1000"):
        viz.backward_steps(chain(1001))


def test_custom_functions_with_several_outputs_are_refused_by_name():
    class Split(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, first, second):
            return first + 2 * second

    x = tg.tensor([1.0], requires_grad=True)
    first, second = Split.apply(x)
    with pytest.raises(NotImplementedError, match="Split has 2 outputs"):
        viz.backward_steps((first + second).sum())


@pytest.mark.needs("dot")
def test_render_steps_writes_one_self_contained_page(tmp_path):
    t = micrograd()
    steps = viz.backward_steps(t["L"], names=t)
    page = viz.render_steps(steps, tmp_path / "backprop.html")
    assert page.files == [str(tmp_path / "backprop.html")]
    text = (tmp_path / "backprop.html").read_text()
    assert text.startswith("<!DOCTYPE html>") and text.count('<section class="frame"') == 4
    assert text.count("<svg") == 1 and "<script>" in text and 'id="slider"' in text
    assert text.count('<script type="application/json" id="frame-changes">') == 1
    assert not re.search(r'(src|href)="(https?:)?//', text)  # nothing fetched: no CDN, no link
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', "")
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids)), "element ids are unique"
    shown = page._repr_html_()
    assert shown.startswith("<iframe srcdoc=\"&lt;!DOCTYPE html&gt;") and "<script>" not in shown


GEOMETRY = {"x", "y", "cx", "cy", "rx", "ry", "d", "points", "width", "height", "viewBox",
            "transform"}


def drawn_content(svg):
    """What an SVG drawing shows, where things are aside: per node and edge group (by its
    title, and which of that title), each part's tag, attributes (colours, widths, fonts) and
    text."""
    content, seen = {}, {}
    for group in ET.fromstring(svg).iter(f"{{{SVG}}}g"):
        if group.get("class") in ("node", "edge"):
            title = group.findtext(f"{{{SVG}}}title")
            seen[title] = seen.get(title, 0) + 1
            content[title, seen[title]] = [
                [part.tag.split("}")[1],
                 {k: v for k, v in part.attrib.items() if k not in GEOMETRY}, part.text or ""]
                for part in group]
    return content


def graphviz_frames(steps):
    """Each frame as Graphviz draws it, on its own: the reference the shared drawing with a
    frame's changes must show."""
    return [drawn_content(steps.frame(index).pipe(format="svg").decode())
            for index in range(len(steps))]


@pytest.mark.needs("dot")
@pytest.mark.parametrize("style", ["steps", "slide", "default"])
def test_every_frame_shows_what_graphviz_draws_for_it(style, tmp_path):
    # the article's MLP (clusters, rows of parameters, BatchNorm buffers; slide draws each op
    # with its result) and micrograd's expression
    model, x, y, loss = mlp_step()
    mlp = viz.backward_steps(loss, model=model, names={"x": x, "y": y, "loss": loss},
                             style=style)
    t = micrograd()
    for steps in (mlp, viz.backward_steps(t["L"], names=t, style=style)):
        expected = graphviz_frames(steps)
        files = viz.render_steps(steps, tmp_path / style).files
        shown = [drawn_content(Path(file).read_text()) for file in files]
        assert len(shown) == len(steps)
        for index, (frame, reference) in enumerate(zip(shown, expected)):
            assert frame == reference, f"frame {index + 1} of {len(steps)}"
        assert shown[0] != shown[1]  # the comparison sees a frame's changes


@pytest.mark.needs("dot")
def test_the_page_grows_with_the_graph_not_with_its_square(tmp_path):
    sizes = {}
    for ops in (20, 40, 80):
        page = viz.render_steps(viz.backward_steps(chain(ops)), tmp_path / f"{ops}.html")
        sizes[ops] = len(page.html.encode())
        assert page.html.count("<svg") == 1
    # twice the ops, at most twice the bytes (a fixed part does not double)
    assert sizes[40] <= 2 * sizes[20] and sizes[80] <= 2 * sizes[40]
    assert sizes[80] - sizes[40] <= 2.1 * (sizes[40] - sizes[20])


@pytest.mark.needs("dot")
def test_a_mark_the_shared_drawing_cannot_restyle_is_refused_by_name():
    t = micrograd()
    steps = viz.backward_steps(t["L"], names=t)
    steps.changes[1][0]["op0"] = {"style": "dashed"}  # not a colour or a width
    with pytest.raises(NotImplementedError, match=re.escape(
            "the step player cannot restyle ['style'] over its shared drawing; frames may "
            "change ['color', 'fillcolor', 'fontcolor', 'penwidth']")):
        viz.render_steps(steps)


@pytest.mark.needs("dot")
def test_frame_changes_cannot_end_their_script_element():
    t = micrograd()
    drawing = viz.render_steps(viz.backward_steps(t["L"], names=t)).drawing
    drawing.changes[0][0] = drawing.changes[0][0][:2] + ["</script><script>alert(1)</script>&"]
    data = drawing.script_data()
    assert "<" not in data and ">" not in data and "&" not in data
    assert json.loads(data)["changes"][0][0][2] == "</script><script>alert(1)</script>&"


@pytest.mark.needs("dot")
def test_render_steps_writes_numbered_svg_frames_with_captions(tmp_path):
    t = micrograd()
    steps = viz.backward_steps(t["L"], names=t)
    page = viz.render_steps(steps, tmp_path / "frames")
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert names == ["step_01.svg", "step_02.svg", "step_03.svg", "step_04.svg"]
    assert page.files == [str(tmp_path / "frames" / name) for name in names]
    frame = (tmp_path / "frames" / "step_04.svg").read_text()
    assert frame.startswith("<?xml") and "Step 4 of 4: Mul" in frame
    assert "sends g \u00b7 b = -2. \u00d7 -3. = 6." in frame
    assert viz.render_steps(steps[1:3], str(tmp_path / "two") + "/").files[-1].endswith(
        "step_03.svg")


def test_render_steps_refuses_bad_arguments(tmp_path):
    t = micrograd()
    steps = viz.backward_steps(t["L"], names=t)
    with pytest.raises(ValueError, match=r"render_steps: path must end in .html \(one page\) or "
                       r"name a folder \(numbered SVG files\), got '.*frames.png'"):
        viz.render_steps(steps, tmp_path / "frames.png")
    with pytest.raises(ValueError, match="render_steps: there are no steps to render"):
        viz.render_steps([])
    with pytest.raises(TypeError, match="render_steps expects the steps from backward_steps, "
                       "got int"):
        viz.render_steps([1, 2])
    other = viz.backward_steps(micrograd()["L"])
    with pytest.raises(ValueError, match="the steps come from different backward_steps calls"):
        viz.render_steps([steps[0], other[1]])


def test_render_steps_without_dot_says_how_to_install_it(monkeypatch):
    steps = viz.backward_steps(micrograd()["L"])
    monkeypatch.setenv("PATH", "")
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz"):
        viz.render_steps(steps)


@pytest.mark.needs("dot")
def test_hostile_names_stay_text_in_the_page(tmp_path):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    name = '</li><script>alert(1)</script><img src=x onerror=alert(2)>'
    steps = viz.backward_steps((x * 2).sum(), names={name: x})
    text = Path(viz.render_steps(steps, tmp_path / "page.html").files[0]).read_text()
    assert "<script>alert(1)" not in text and "<img src=x" not in text
    assert "&lt;/li&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.needs("dot")
def test_example_script_writes_both_pages(tmp_path):
    import backprop_steps

    pages = backprop_steps.main(["--out", str(tmp_path), "--frames"])
    assert len(pages["backprop_scalar"].steps) == 4 and len(pages["backprop_mlp"].steps) == 8
    for name in ("backprop_scalar", "backprop_mlp"):
        assert (tmp_path / f"{name}.html").read_text().startswith("<!DOCTYPE html>")
        assert (tmp_path / name / "step_01.svg").exists()


def test_a_tensor_output_takes_its_gradient_as_backward_does():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    steps = viz.backward_steps(y, names={"x": x, "y": y}, gradient=tg.tensor([1.0, -1.0]))
    assert steps[0].upstream.tolist() == [1.0, -1.0] and steps[0].sent[0].tolist() == [3.0, -3.0]
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        viz.backward_steps(y)


def test_rules_write_a_constant_as_its_value_and_a_role_in_brackets_where_needed():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    out = ((x ** 2 / 2).exp().abs()).sum()
    lines = {step.op.name: step.lines[1] for step in viz.backward_steps(out, names={"x": x})}
    assert lines["Pow"].startswith(
        "to x (input 0): local \u2202(Pow's result)/\u2202x = 2. \u00b7 x^(2. - 1) = [2., 4.]  "
        "\u2192  sends g \u00b7 2. \u00b7 x^(2. - 1) = ")
    assert lines["Div"].startswith("to Pow's result (input 0): local \u2202(Div's result)/"
                                   "\u2202(Pow's result) = 1 / 2. = [0.5000, 0.5000]  \u2192  "
                                   "sends g / 2. = ")
    assert lines["Exp"].startswith("to Div's result (input 0): local \u2202(Exp's result)/"
                                   "\u2202(Div's result) = exp(Div's result) = Exp's result = ")
    assert "sends g \u00b7 (Exp's result) = " in lines["Exp"]
    assert lines["Abs"].startswith("to Exp's result (input 0): local \u2202(Abs's result)/"
                                   "\u2202(Exp's result) = sign(Exp's result) = [1., 1.]  ")
