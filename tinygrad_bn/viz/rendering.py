"""Rendering: Graphviz's ``dot`` program turns a graph's DOT source into a picture file
(``render``, any format ``dot`` writes, named by Graphviz's suffix convention) or, in a
notebook, into the picture shown under a cell (``Graph``). Where ``dot`` is missing, both say
how to install Graphviz, and ``render`` keeps the DOT source in a file."""

from __future__ import annotations

import os
import shutil

import graphviz

INSTALL_HINT = (
    "Install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS) or `conda install graphviz` (conda)."
)


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program, which turns a graph's source into a picture, is missing."""


class Graph(graphviz.Digraph):
    """The ``graphviz.Digraph`` that ``draw_graph`` returns. In a notebook it shows as a picture;
    where Graphviz's ``dot`` is missing it shows the same install hint as ``render`` instead of
    graphviz's traceback."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {"text/plain": (
                "Graphviz's `dot` program was not found on PATH, so this graph cannot be shown "
                f"as a picture (its DOT source is in `.source`). {INSTALL_HINT}")}


def render(graph: graphviz.Digraph, path: str | os.PathLike[str], format: str | None = None,
           view: bool = False) -> str:
    """Write ``graph`` to ``path`` with Graphviz's ``dot`` and return the path written.

    Graphviz's convention: ``format`` (any format ``dot`` writes: ``"svg"``, ``"png"``,
    ``"pdf"``, ...) is added as the suffix when ``path`` has none (``render(g, "step",
    format="svg")`` writes ``step.svg``); without ``format`` the path's suffix says it, and a
    path with no suffix is SVG. A suffix that names another format than ``format`` raises.
    ``view=True`` opens the result with the system's viewer, as ``graphviz`` does.

    If ``dot`` is missing, the DOT source is written next to the path (suffix ``.dot``, or
    ``.1.dot``, ... rather than overwrite a file) and ``GraphvizNotFoundError`` names that
    file and says how to install Graphviz.
    """
    path, fmt = _output_path(os.fspath(path), format)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if shutil.which("dot") is None:
        dot_path = _write_new_file(os.path.splitext(path)[0], ".dot", graph.source)
        raise GraphvizNotFoundError(
            f"Graphviz's `dot` program was not found on PATH, so {path} was not rendered; the "
            f"graph's DOT source was written to {dot_path} instead. {INSTALL_HINT}"
        )
    data = graph.pipe(format=fmt)
    with open(path, "wb") as file:
        file.write(data)
    if view:
        graphviz.view(path)
    return path


def _output_path(path, format):
    """The path ``render`` writes and its format, by Graphviz's suffix convention."""
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    if format is None:
        if not suffix:
            return path + ".svg", "svg"
        if suffix not in graphviz.FORMATS:
            raise ValueError(
                f"render: cannot tell the format of {path!r}: '.{suffix}' is not a format "
                "Graphviz writes; pass format= (e.g. 'svg', 'png' or 'pdf')")
        return path, suffix
    if not isinstance(format, str) or format.lower() not in graphviz.FORMATS:
        raise ValueError(
            f"render: format must be one Graphviz's dot writes (e.g. 'svg', 'png', 'pdf'), "
            f"got {format!r}")
    fmt = format.lower()
    if suffix == fmt:
        return path, fmt
    if suffix in graphviz.FORMATS:
        raise ValueError(
            f"render: the path {path!r} ends in '.{suffix}' but format is {format!r}")
    return f"{path}.{fmt}", fmt


def _write_new_file(stem, suffix, text):
    """Write ``text`` to ``stem + suffix``, or, when that exists, to the first free
    ``stem.1 + suffix``, ``stem.2 + suffix``, ...: an existing file is never overwritten."""
    attempt = 0
    while True:
        path = stem + (f".{attempt}" if attempt else "") + suffix
        try:
            with open(path, "x", encoding="utf-8") as file:
                file.write(text)
            return path
        except FileExistsError:
            attempt += 1

