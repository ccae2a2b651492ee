"""The step-by-step page in a real browser (Debian's headless Chromium, which ``.ci/run``
installs; without it these tests skip, naming the install command, and in CI they fail): it loads from a file with nothing
fetched, the Next button, the arrow keys and the slider move between frames, exactly one frame
shows, the page's script draws each frame as the SVG frame files show it (forwards, backwards
and jumping), and a screenshot of it is taken."""

import pytest
from test_viz_steps import drawn_content
from _shared.article_models import MLPWithBatchNorm
from _shared.micrograd_expression import micrograd_expression
from chromium import Browser, find_browser

import tinygrad_bn as tg
from tinygrad_bn import nn, viz


pytestmark = [pytest.mark.needs("chromium"), pytest.mark.needs("dot")]


@pytest.fixture
def browser(tmp_path):
    executable = find_browser()
    profile = tmp_path / "profile"
    profile.mkdir()
    with Browser(executable, str(profile)) as opened:
        yield opened


VISIBLE = ("(function () { var shown = Array.prototype.filter.call("
           "document.querySelectorAll('.frame'), function (f) { return !f.hidden; });"
           " return shown.map(function (f) { return [f.id, f.getAttribute('data-op'),"
           " f.querySelector('h2').textContent, f.getBoundingClientRect().height > 0]; }); })()")


def micrograd_page(tmp_path):
    names = micrograd_expression()
    steps = viz.backward_steps(names["L"], names=names)
    return viz.render_steps(steps, tmp_path / "backprop.html").files[0]


def test_next_three_times_shows_the_fourth_frame(browser, tmp_path):
    path = micrograd_page(tmp_path)
    browser.open(f"file://{path}")
    assert browser.evaluate(VISIBLE) == [["step-1", "Mul", "Step 1 of 4: Mul", True]]
    for _ in range(3):
        browser.click("#next")
    assert browser.evaluate(VISIBLE) == [["step-4", "Mul", "Step 4 of 4: Mul", True]]
    assert browser.evaluate("document.getElementById('counter').textContent") == "Step 4 of 4"
    assert browser.evaluate("document.getElementById('next').disabled") is True
    assert browser.evaluate("document.getElementById('slider').value") == "4"
    # the fourth frame: the first Mul highlighted, a and b receiving 6 and -4
    caption = browser.evaluate("document.querySelector('#step-4 .caption').innerText")
    assert "sends g \u00b7 b = -2. \u00d7 -3. = 6." in caption
    shot = browser.screenshot(tmp_path / "fourth_frame.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_arrow_keys_and_the_slider_move_between_frames(browser, tmp_path):
    path = micrograd_page(tmp_path)
    browser.open(f"file://{path}")
    browser.press("ArrowRight")
    browser.press("ArrowRight")
    assert browser.evaluate(VISIBLE)[0][:2] == ["step-3", "Add"]
    browser.press("ArrowLeft")
    assert browser.evaluate(VISIBLE)[0][:2] == ["step-2", "ReLU"]
    browser.press("End")
    assert browser.evaluate(VISIBLE)[0][0] == "step-4"
    browser.click("#previous")
    assert browser.evaluate(VISIBLE)[0][0] == "step-3"
    browser.evaluate("(function () { var s = document.getElementById('slider'); s.value = 1;"
                     " s.dispatchEvent(new Event('input')); })()")
    assert browser.evaluate(VISIBLE)[0][0] == "step-1"
    assert browser.evaluate("document.getElementById('previous').disabled") is True


def test_the_mlp_page_loads_with_every_frame_drawn(browser, tmp_path):
    tg.manual_seed(0)
    model = MLPWithBatchNorm(20, 64, 5)
    x, y = tg.randn(32, 20), tg.randint(0, 5, (32,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    steps = viz.backward_steps(loss, model=model, names={"x": x, "y": y, "loss": loss},
                               style="slide")
    path = viz.render_steps(steps, tmp_path / "mlp.html").files[0]
    browser.open(f"file://{path}")
    for number in range(1, 5):
        frame = browser.evaluate(VISIBLE)
        assert frame[0][0] == f"step-{number}" and frame[0][3] is True
        # the highlighted op is scrolled into view
        visible = browser.evaluate(
            "(function () { var f = document.querySelector('.frame:not([hidden])');"
            " var titles = document.querySelectorAll('g.node > title'); for (var i = 0; i <"
            " titles.length; i++) { if (titles[i].textContent === f.getAttribute('data-node'))"
            " { var r = titles[i].parentNode.getBoundingClientRect(); return r.right > 0 &&"
            " r.left < window.innerWidth; } } return false; })()")
        assert visible is True
        browser.screenshot(tmp_path / f"mlp_{number}.png")
        browser.click("#next")


# The page's drawing as ``test_viz_steps.drawn_content`` reads an SVG: per node and edge group,
# by title and which of that title, each part's tag, attributes aside from geometry, and text.
DRAWN = ("(function () { var geometry = " + repr(sorted(
    ["x", "y", "cx", "cy", "rx", "ry", "d", "points", "width", "height", "viewBox",
     "transform"])) + "; var seen = {}, out = [];"
    " document.querySelectorAll('.picture g.node, .picture g.edge').forEach(function (g) {"
    " var title = g.querySelector('title').textContent; seen[title] = (seen[title] || 0) + 1;"
    " out.push([title, seen[title], Array.prototype.map.call(g.children, function (part) {"
    " var attributes = {}; Array.prototype.forEach.call(part.attributes, function (a) {"
    " if (geometry.indexOf(a.name) < 0) { attributes[a.name] = a.value; } });"
    " return [part.tagName, attributes, part.textContent]; })]); }); return out; })()")


def page_drawing(browser):
    return {(title, count): parts for title, count, parts in browser.evaluate(DRAWN)}


@pytest.mark.parametrize("style", ["steps", "slide"])
def test_the_script_draws_every_frame_as_the_frame_files_show_it(browser, tmp_path, style):
    tg.manual_seed(0)
    model = MLPWithBatchNorm(20, 16, 5)
    x, y = tg.randn(8, 20), tg.randint(0, 5, (8,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    steps = viz.backward_steps(loss, model=model, names={"x": x, "y": y, "loss": loss},
                               style=style)
    page = viz.render_steps(steps, tmp_path / "mlp.html")
    expected = [drawn_content(svg) for svg in page.drawing.frame_svgs()]
    browser.open(f"file://{page.files[0]}")
    assert page_drawing(browser) == expected[0]
    for number in range(2, len(steps) + 1):
        browser.click("#next")
        assert page_drawing(browser) == expected[number - 1], f"step {number}"
    for number in (3, 1, len(steps), 2):  # back, to the start, to the end, a jump back
        browser.evaluate("(function () { var s = document.getElementById('slider');"
                         f" s.value = {number}; s.dispatchEvent(new Event('input')); }})()")
        assert browser.evaluate(VISIBLE)[0][0] == f"step-{number}"
        assert page_drawing(browser) == expected[number - 1], f"step {number}"
