"""The backward steps rendered: one self-contained HTML page to click through, or numbered SVG
files.

``render_steps(steps, "backprop.html")`` writes one self-contained page (the drawing, the
captions, each frame's changes and the script inline, nothing fetched) with a slider,
previous/next buttons and arrow keys; ``render_steps(steps, "frames/")`` writes numbered SVG
files with the caption above each frame. Both return a ``StepsPage``, which a notebook shows
inline. Every frame is one drawing (``step_drawing.SharedDrawing``: Graphviz runs once) with
that frame's changes applied, so the page grows with the graph, not with the graph times its
ops.
"""

from __future__ import annotations

import html
import os
import re
import shutil

from .rendering import INSTALL_HINT, GraphvizNotFoundError
from .step_drawing import SharedDrawing
from .steps import BackwardSteps, Step


def render_steps(steps: BackwardSteps, path: str | os.PathLike[str] | None = None) -> StepsPage:
    """Render ``steps`` (from ``backward_steps``): ``path`` ending in ``.html`` writes one
    self-contained page; any other path (``"frames/"``, ``"frames"``) is a folder that gets
    ``step_01.svg``, ``step_02.svg``, ... with the caption above each frame. Returns a
    ``StepsPage`` (a notebook shows it inline), whose ``files`` lists what was written."""
    steps = list(steps) if not isinstance(steps, BackwardSteps) else steps
    if not steps:
        raise ValueError("render_steps: there are no steps to render")
    for step in steps:
        if not isinstance(step, Step):
            raise TypeError(
                f"render_steps expects the steps from backward_steps, got {type(step).__name__}")
    owner = steps[0].steps
    if any(step.steps is not owner for step in steps):
        raise ValueError("render_steps: the steps come from different backward_steps calls")
    if path is not None:
        path = os.fspath(path)
        suffix = os.path.splitext(path.rstrip("/\\"))[1].lower()
        if suffix not in ("", ".html", ".htm") and not os.path.isdir(path):
            raise ValueError(
                f"render_steps: path must end in .html (one page) or name a folder (numbered "
                f"SVG files), got {path!r}")
    _require_dot()
    page = StepsPage(steps, SharedDrawing(owner))
    if path is not None:
        if os.path.splitext(path.rstrip("/\\"))[1].lower() in (".html", ".htm") and \
                not os.path.isdir(path):
            folder = os.path.dirname(os.path.abspath(path))
            os.makedirs(folder, exist_ok=True)
            with open(path, "w", encoding="utf-8") as file:
                file.write(page.html)
            page.files = [path]
        else:
            page.files = page.write_frames(path)
    return page


def _require_dot():
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(
            f"Graphviz's `dot` program was not found on PATH, so the frames cannot be drawn. "
            f"{INSTALL_HINT}")


class StepsPage:
    """The rendered steps: ``html`` (the self-contained page), ``drawing`` (the
    ``SharedDrawing`` and its changes), ``files`` (what was written) and ``_repr_html_``, which
    shows the page inline in a notebook (in an iframe, so that several pages and their keys do
    not interfere)."""

    def __init__(self, steps, drawing):
        self.steps, self.drawing, self.files = steps, drawing, []
        self.html = _page(steps, drawing)

    def write_frames(self, folder: str | os.PathLike[str]) -> list[str]:
        """Write ``step_01.svg``, ... (caption above the frame) into ``folder``, each the
        shared drawing with its frame's changes applied; returns the paths."""
        os.makedirs(folder, exist_ok=True)
        digits = max(2, len(str(len(self.steps))))
        wanted = {step.number - 1: step for step in self.steps}
        paths = []
        for index, svg in enumerate(self.drawing.frame_svgs()):
            if index in wanted:
                step = wanted[index]
                path = os.path.join(folder, f"step_{step.number:0{digits}d}.svg")
                with open(path, "w", encoding="utf-8") as file:
                    file.write(_captioned_svg(step, svg))
                paths.append(path)
            if index >= max(wanted):
                break
        return paths

    def _repr_html_(self):
        height = min(900, 260 + _svg_size(self.drawing.svg)[1])
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
                f'style="width: 100%; height: {height:.0f}px; border: 1px solid #ddd"></iframe>')


def _svg_size(svg):
    """An SVG element's width and height in CSS pixels (Graphviz writes points)."""
    match = re.search(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', svg)
    return (float(match.group(1)) * 4 / 3, float(match.group(2)) * 4 / 3) if match else (0, 0)


def _captioned_svg(step, svg):
    """A frame as a standalone SVG: the title and caption lines, then the graph below."""
    width, height = (value * 3 / 4 for value in _svg_size(svg))  # in points, as Graphviz's
    size, leading = 14, 20
    texts = [(step.title, "bold")] + [(line, "normal") for line in step.lines]
    caption = len(texts) * leading + 16
    total_width = max(width, max(len(text) for text, _ in texts) * size * 0.6 + 32)
    body = ['<rect width="100%" height="100%" fill="white"/>']
    for row, (text, weight) in enumerate(texts):
        body.append(f'<text x="16" y="{24 + row * leading}" font-family="Helvetica, Arial, '
                    f'sans-serif" font-size="{size}" font-weight="{weight}">'
                    f'{html.escape(text)}</text>')
    inner = re.sub(r'^<svg([^>]*?width="[\d.]+)pt("[^>]*?height="[\d.]+)pt"',
                   rf'<svg x="0" y="{caption}"\1\2"', svg, count=1)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
            f' width="{total_width:.0f}pt" height="{caption + height:.0f}pt"'
            f' viewBox="0 0 {total_width:.0f} {caption + height:.0f}">\n'
            + "\n".join(body) + "\n" + inner + "\n</svg>\n")


PAGE_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #222; }
header { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd;
         padding: 10px 16px; z-index: 1; }
h1 { font-size: 18px; margin: 0 0 8px 0; }
.controls { display: flex; align-items: center; gap: 12px; }
.controls button { font-size: 15px; padding: 4px 12px; }
.controls input[type=range] { flex: 1; max-width: 480px; }
#counter { font-weight: bold; min-width: 110px; }
.help { color: #777; font-size: 13px; }
.frame { padding: 8px 16px; }
.frame h2 { font-size: 17px; margin: 4px 0; }
.caption { font-size: 15px; line-height: 1.45; margin: 0 0 8px 0; padding: 0; list-style: none; }
.caption li { margin: 0; }
.legend { font-size: 13px; color: #555; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px -2px 10px;
               border: 3px solid; }
.picture { overflow: auto; padding: 0 16px 16px 16px; }
.picture svg { display: block; height: auto; max-width: none; }
"""

PAGE_SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById('frame-changes').textContent);
  var frames = document.querySelectorAll('.frame');
  var slider = document.getElementById('slider');
  var previous = document.getElementById('previous');
  var next = document.getElementById('next');
  var counter = document.getElementById('counter');
  var picture = document.querySelector('.picture svg');
  var current = 0;
  // The drawing's groups that frames change, their shapes and texts (title left out), and
  // every change to each, in frame order: an element's state at a frame is its latest change.
  var groups = [], parts = [], history = [];
  for (var e = 0; e < data.elements.length; e++) {
    groups.push(document.getElementById(data.elements[e]));
    parts.push(Array.prototype.filter.call(groups[e].children,
      function (part) { return part.tagName !== 'title'; }));
    history.push([]);
  }
  data.changes.forEach(function (entries, frame) {
    entries.forEach(function (entry) { history[entry[0]].push([frame, entry]); });
  });
  var nodes = {};
  var titles = picture.querySelectorAll('g.node > title');
  for (var t = 0; t < titles.length; t++) { nodes[titles[t].textContent] = titles[t].parentNode; }
  function restyle(element, entry) {
    var look = data.looks[entry[1]], texts = [];
    for (var i = 0; i < parts[element].length; i++) {
      var part = parts[element][i];
      for (var name in look[i]) {
        if (look[i][name] === null) { part.removeAttribute(name); }
        else { part.setAttribute(name, look[i][name]); }
      }
      if (part.tagName === 'text') { texts.push(part); }
    }
    if (entry.length > 2) { texts[texts.length - 1].textContent = entry[2]; }
  }
  var drawn = -1;  // the frame the drawing shows
  function draw(frame) {
    var touched = {};
    for (var f = Math.min(drawn, frame) + 1; f <= Math.max(drawn, frame); f++) {
      data.changes[f].forEach(function (entry) { touched[entry[0]] = true; });
    }
    for (var element in touched) {
      var changes = history[element], latest = changes[0][1];
      for (var k = 1; k < changes.length && changes[k][0] <= frame; k++) { latest = changes[k][1]; }
      restyle(+element, latest);
    }
    drawn = frame;
  }
  // The drawing fits the window's width unless its text would shrink below 60%: then it
  // keeps its own size and scrolls, the op being processed scrolled into view.
  function fit() {
    var natural = parseFloat(picture.getAttribute('width')) * 4 / 3;
    var room = document.body.clientWidth - 32;
    picture.style.width = Math.max(Math.min(natural, room), 0.6 * natural) + 'px';
  }
  function show(index) {
    current = Math.max(0, Math.min(frames.length - 1, index));
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = i !== current; }
    draw(+frames[current].getAttribute('data-frame'));
    slider.value = current + 1;
    counter.textContent = 'Step ' + (current + 1) + ' of ' + frames.length;
    previous.disabled = current === 0;
    next.disabled = current === frames.length - 1;
    var focus = nodes[frames[current].getAttribute('data-node')];
    if (focus) { focus.scrollIntoView({block: 'nearest', inline: 'nearest'}); }
  }
  previous.addEventListener('click', function () { show(current - 1); });
  next.addEventListener('click', function () { show(current + 1); });
  slider.addEventListener('input', function () { show(slider.value - 1); });
  document.addEventListener('keydown', function (event) {
    if (event.target === slider) { return; }  // the slider moves itself with the arrows
    if (event.key === 'ArrowRight') { show(current + 1); event.preventDefault(); }
    if (event.key === 'ArrowLeft') { show(current - 1); event.preventDefault(); }
    if (event.key === 'Home') { show(0); event.preventDefault(); }
    if (event.key === 'End') { show(frames.length - 1); event.preventDefault(); }
  });
  window.addEventListener('resize', fit);
  fit();
  show(0);
})();
"""


def _page(steps, drawing):
    """The self-contained HTML page: the drawing, every caption and every frame's changes
    inline, one caption shown at a time over the drawing as that frame changes it."""
    total = len(steps)
    title = f"Backpropagation step by step: {total} ops"
    sections = []
    for step in steps:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in step.lines)
        sections.append(
            f'<section class="frame" id="step-{step.number}" data-frame="{step.number - 1}" '
            f'data-node="{html.escape(drawing.focus[step.number - 1])}" '
            f'data-op="{html.escape(step.op.name)}" hidden>\n'
            f"<h2>{html.escape(step.title)}</h2>\n<ul class=\"caption\">{items}</ul>\n"
            "</section>")
    compact = steps[0].steps.picture.look.compact
    legend = ('<div class="legend">'
              '<span style="border-color:#bf9000;background:#ffe599"></span>the op being '
              'processed' + (" (with its output, where g arrives)" if compact else
                             ' <span style="border-color:#1f77b4"></span>its output (g '
                             'arrives here)')
              + ' <span style="border-color:#d62728"></span>inputs receiving a gradient '
              '<span style="border-color:#c8c8c8;background:#f2f2f2"></span>not reached yet'
              '</div>')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n<body>\n"
        f"<header>\n<h1>{html.escape(title)}</h1>\n<div class=\"controls\">\n"
        '<button id="previous" type="button">&#9664; Previous</button>\n'
        f'<input id="slider" type="range" min="1" max="{total}" value="1" '
        'aria-label="step">\n<button id="next" type="button">Next &#9654;</button>\n'
        f'<span id="counter">Step 1 of {total}</span>\n'
        '<span class="help">arrow keys step, Home/End jump</span>\n</div>\n'
        f"{legend}\n</header>\n<main>\n" + "\n".join(sections) + "\n"
        f'<div class="picture">{drawing.svg}</div>\n</main>\n'
        '<script type="application/json" id="frame-changes">'
        f"{drawing.script_data()}</script>\n"
        f"<script>{PAGE_SCRIPT}</script>\n</body>\n</html>\n")
