"""How a drawing looks: the colours and shapes of each kind of node and edge, the named styles
(``PRESETS``) that set sizes and what a label shows, and the marks a backward-step frame puts on
what backward has and has not reached.

Everything here is plain data: the Graphviz writer turns it into attributes, and the picture
model only names the kinds (``"parameter"``, ``"state"``, ...) that index these tables.
"""

from __future__ import annotations

from dataclasses import dataclass

STYLES = {
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#dae8fc",
           "color": "#6c8ebf"},
    "input": {"shape": "ellipse", "style": "filled", "fillcolor": "#f5f5f5",
              "color": "#666666"},
    "leaf": {"shape": "ellipse", "style": "filled", "fillcolor": "#d5e8d4",
             "color": "#82b366"},
    "parameter": {"shape": "ellipse", "style": "filled,bold", "fillcolor": "#ffe6cc",
                  "color": "#d79b00"},
    "buffer": {"shape": "ellipse", "style": "filled,dashed", "fillcolor": "#e1d5e7",
               "color": "#9673a6"},
    "tensor": {"shape": "ellipse", "style": "filled", "fillcolor": "#ffffff",
               "color": "#999999"},
    "output": {"shape": "ellipse", "style": "filled", "fillcolor": "#f8cecc",
               "color": "#b85450", "peripheries": "2"},
    "saved": {"shape": "note", "style": "filled", "fillcolor": "#fffbe6", "color": "#b8a04a"},
    "collapsed": {"shape": "box3d", "style": "filled", "fillcolor": "#fff2cc",
                  "color": "#d6b656"},
    # a stack of pages: the blocks drawn in full before and after it, repeated
    "folded": {"shape": "box3d", "style": "filled,dashed", "fillcolor": "#dae8fc",
               "color": "#6c8ebf", "margin": "0.2,0.1"},
}
LEGEND = {
    "input": "input (no grad)",
    "leaf": "leaf that requires grad",
    "parameter": "parameter",
    "buffer": "buffer (state, not trained)",
    "tensor": "intermediate result",
    "output": "output",
    "op": "op",
    "saved": "saved for backward",
    "collapsed": "collapsed part of the graph",
    "folded": "repeated blocks, folded",
}
TENSOR_KINDS = ("input", "leaf", "parameter", "buffer", "tensor", "output")
# Per kind of edge, how it is drawn. A weight of 4 pulls the forward data path (an op's
# result into the next op, an op into its result) straight.
EDGE_STYLES = {
    "input": {},                                       # a leaf into an op
    "data": {"weight": "4"},                           # an op's result into another op
    "result": {"weight": "4"},                         # an op to its result
    "state": {"style": "dashed"},                      # a buffer an op reads and updates
    "saved": {"style": "dotted", "arrowhead": "odot"},  # what an op saved for backward
    "collapsed": {},                                   # to or from a collapsed node
}
RANKDIRS = ("TB", "LR", "BT", "RL")


@dataclass(frozen=True)
class Style:
    """How a drawing looks; ``PRESETS`` holds the two that ``draw_graph(style=...)`` names.

    - ``fontsize``: points for node text (edge labels are 1 point smaller, cluster labels 1
      larger).
    - ``rankdir``: where the main path runs when the call does not say: ``"TB"`` (down) or
      ``"LR"`` (right).
    - ``show_values``: whether tensors print their values when the call does not say.
    - ``full_values``: tensors with at most this many elements print every value.
    - ``summary``: a larger tensor prints as ``"mean"`` (values: mean and std; gradients: norm
      and mean) or ``"max_abs"`` (its largest magnitude).
    - ``data_prefix``: the word before printed values (``"data"``), or ``""`` for none.
    - ``dtypes``: ``"always"`` or ``"mixed"`` (only on a tensor whose dtype is not the most
      common one among the drawn tensors).
    - ``legend``: whether a legend is drawn when ``show_legend`` does not say.
    - ``compact``: each op and its result are one node (the op's arguments on a second line),
      and parameters and buffers sit just outside their module's cluster, beside the op that
      reads them, instead of in a row of their own inside it: half the ranks, for a slide.
    - ``nodesep``, ``ranksep``: Graphviz's spacing within and between ranks, in inches.
    - ``fold_repeats``: when ``draw_graph(fold_repeats=...)`` does not say, runs of at least
      this many alike blocks of module calls fold to their first and last block and one node
      between (``folding.fold_repeats``); 0 never folds.
    - ``wrap_at_folds``: the main path goes on in a new line (a new column top to bottom)
      after each folded node, so that a folded deep network is about as wide as it is high.
    """

    fontsize: int
    rankdir: str
    show_values: bool
    full_values: int
    summary: str
    data_prefix: str
    dtypes: str
    legend: bool
    compact: bool
    nodesep: float
    ranksep: float
    fold_repeats: int = 0
    wrap_at_folds: bool = False


PRESETS = {
    "default": Style(fontsize=10, rankdir="LR", show_values=False, full_values=6,
                     summary="mean", data_prefix="", dtypes="always", legend=True,
                     compact=False, nodesep=0.25, ranksep=0.35),
    "slide": Style(fontsize=16, rankdir="LR", show_values=True, full_values=3,
                   summary="max_abs", data_prefix="data ", dtypes="mixed", legend=False,
                   compact=True, nodesep=0.2, ranksep=0.3, fold_repeats=3,
                   wrap_at_folds=True),
    "steps": Style(fontsize=14, rankdir="LR", show_values=True, full_values=6,
                   summary="max_abs", data_prefix="data ", dtypes="mixed", legend=False,
                   compact=False, nodesep=0.25, ranksep=0.35),
}

# How a backward-step frame marks what backward has and has not reached.
NOT_YET = {"fillcolor": "#f2f2f2", "color": "#c8c8c8", "fontcolor": "#a0a0a0"}
CURRENT_OP = {"fillcolor": "#ffe599", "color": "#bf9000", "penwidth": "3"}
FROM_ABOVE = {"color": "#1f77b4", "penwidth": "3"}
RECEIVING = {"color": "#d62728", "penwidth": "3"}
CURRENT_EDGE = {"color": "#d62728", "penwidth": "2.5"}


def _preset(style, caller):
    if style not in PRESETS:
        raise ValueError(f"{caller}: style must be one of {sorted(PRESETS)}, got {style!r}")
    return PRESETS[style]


def _rankdir(rankdir, caller):
    if rankdir not in RANKDIRS:
        raise ValueError(f"{caller}: rankdir must be one of {list(RANKDIRS)}, got {rankdir!r}")
    return rankdir
