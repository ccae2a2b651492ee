"""A differential fuzzer for ``tinygrad_bn.jit``: random training steps, run eagerly and jitted.

The rule it checks: a jitted function either gives exactly eager mode's results (float64,
bitwise: every returned value, every parameter, buffer and ``.grad``, the optimizer's and the
scheduler's state, after every call), or it warns with a ``TracerWarning`` and gives eager
mode's results. A silent difference, or an exception eager mode does not raise, is a FAIL.

Three pieces:

* **The generator.** ``draw(seed)`` picks a ``Spec`` at random: the model (Linear with or
  without bias, BatchNorm1d and LayerNorm variants, ReLU/Tanh/Sigmoid, Dropout at p=0 or in
  eval mode, an Embedding in front of id inputs; in a Sequential, a ModuleList or a custom
  Module), the loss (CrossEntropyLoss and its options, NLLLoss, MSELoss, BCEWithLogitsLoss and
  hand-written ones that index the log-probabilities), data-dependent indexing and masking,
  tensors entering the step in other ways (``detach()``, ``.data``, ``tg.tensor`` of lists, a
  frozen teacher, constants), the optimizer and scheduler, how gradients are cleared, what the
  step returns, its arguments (aliased, Python numbers, a mask), the calls (6 to 8; the first
  two sometimes on the same batch, the last sometimes smaller, one sometimes with an
  out-of-range label) and the events between calls (hyperparameters changed, train/eval,
  freezing, rebinding the model or optimizer, anomaly mode). ``render(spec)`` writes the
  program as Python source, a ``build()`` that a user could have written, so every program can
  be printed, read and rerun: ``python tests/jit_fuzz.py --show SEED``.
* **The harness.** ``execute(program, use_jit)`` builds the program afresh and makes its calls,
  with its events between them, recording what each call returned (or raised), the whole state
  after it, and the TracerWarnings; ``check(seed)`` does that eagerly and under ``tg.jit`` and
  compares, giving an ``Outcome``: ``replayed``, ``fell back`` (with the warnings' reasons),
  ``not replayed`` (equal, no warning, but no call was replayed: every call had a new argument
  signature), ``FAIL`` (with the first difference) or ``EAGER-ERROR`` (eager mode raised where
  the program did not mean it to: a generator bug, or an eager-mode bug).
* **The report.** ``summarize(outcomes)`` counts the classes, groups fallbacks by reason and
  lists the FAILs with their seeds, features and first differences; ``shrink(spec)`` removes
  features one by one while the program still fails, to name what a FAIL needs.

Run it as a script::

    python tests/jit_fuzz.py --programs 200 --seed 0     # the summary
    python tests/jit_fuzz.py --show 17                   # program 17's source
    python tests/jit_fuzz.py --repro 17                  # run it, call by call
    python tests/jit_fuzz.py --programs 200 --shrink     # and shrink every FAIL

``tests/test_jit_fuzz.py`` runs a few hundred programs in the test suite.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
import sys
import time
import traceback
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

if __name__ == "__main__":  # run as a script from anywhere: import this checkout's package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinygrad_bn as tg  # noqa: E402
from tinygrad_bn.tracing import TracerWarning  # noqa: E402

# Sizes of every program: batch, input features, hidden width, classes (= outputs), the
# vocabulary and the sequence length of id inputs, and the smaller last batch.
BATCH, FEATURES, HIDDEN, CLASSES, VOCAB, LENGTH, EMBED, SMALL_BATCH = 8, 5, 6, 4, 7, 3, 2, 5


# --------------------------------------------------------------------------- the spec


@dataclass
class Block:
    """One hidden block: ``Linear(bias)``, then a norm layer, an activation and a Dropout, each
    optional. ``norm`` is None, ``"batchnorm"`` or ``"layernorm"`` with ``norm_options`` (the
    constructor's keyword arguments that differ from the defaults)."""

    bias: bool = True
    norm: str | None = None
    norm_options: dict = field(default_factory=dict)
    act: str | None = "relu"
    dropout: float | None = None


@dataclass
class Spec:
    """Every choice that makes one program; the defaults make the plainest program (a
    Linear-ReLU-Linear classifier trained with SGD and CrossEntropyLoss), which is what
    ``shrink`` falls back to feature by feature. ``render`` turns a spec into source."""

    seed: int
    scope: str = "global"          # step finds model/optimizer as module globals or closure cells
    inputs: str = "dense"          # "dense" features, or "ids" (an Embedding first)
    container: str = "sequential"  # "sequential", "modulelist" (a loop), "custom" (body + head)
    blocks: list = field(default_factory=lambda: [Block()])
    head_bias: bool = True
    start_eval: bool = False       # model.eval() right after it is built
    task: str = "classify"         # "classify" (int labels), "regress", "binary" (0/1 targets)
    loss: str = "cross_entropy"
    loss_options: dict = field(default_factory=dict)
    input_entry: str = "plain"     # x = x.clone() / x.detach() / x.detach().clone() / x.data
    transforms: list = field(default_factory=list)  # applied to the logits
    aux: list = field(default_factory=list)         # terms added to the loss
    optimizer: str = "sgd"
    optimizer_options: dict = field(default_factory=lambda: {"lr": 0.1})
    scheduler: str | None = None
    scheduler_inside: bool = True  # scheduler.step() in the step, or after each call
    zero_grad: str = "optimizer"   # how (and whether) the step clears gradients
    retain_graph: bool = False     # backward(retain_graph=True), then a second backward
    returns: str = "loss"
    arguments: str = "plain"       # extra arguments: "scale_const", "scale_changing", "k_int",
    #                                "mask", "alias" (step(x, z, y), first called with z is x)
    calls: int = 6
    same_first_batch: bool = False  # calls 0 and 1 get the very same batch
    smaller_last: bool = False      # the last call gets a smaller batch
    bad_call: int | None = None     # the call given an out-of-range label (or id)
    events: list = field(default_factory=list)  # (call, kind, value): made before that call


LOSSES = {
    "classify": ["cross_entropy", "cross_entropy_f", "nll", "nll_f", "hand_arange",
                 "hand_gather", "hand_index_select", "hand_one_hot"],
    "regress": ["mse", "mse_f", "hand_mse", "huber"],
    "binary": ["bce_logits", "bce_logits_f", "bce_sigmoid"],
}
LOSS_WEIGHTS = {"classify": [0.34, 0.14, 0.08, 0.08, 0.09, 0.09, 0.09, 0.09]}
DEFAULT_LOSS = {"classify": "cross_entropy", "regress": "mse", "binary": "bce_logits"}
LEAN_LOSSES = {"cross_entropy", "cross_entropy_f", "mse", "mse_f", "hand_mse", "bce_logits",
               "bce_logits_f", "bce_sigmoid"}
LEAN_RETURNS = ["loss", "loss_logits", "lr", "last_lr", "const", "none", "state_dict"]
MODULE_LOSSES = {"cross_entropy", "nll", "mse", "huber", "bce_logits", "bce_sigmoid"}
TRANSFORMS = ["masked_fill_data", "masked_fill_detached", "where", "clamp_const", "clamp_data",
              "temperature"]
AUX = ["bool_index", "bool_rows", "topk", "argmax_gather", "comparison_weight",
       "detach_center", "data_scale", "tensor_list", "arange", "ones", "teacher_detach",
       "teacher_no_grad"]
INPUT_ENTRIES = ["plain", "clone", "detach", "detach_clone", "data"]
OPTIMIZERS = ["sgd", "adam", "adamw", "rmsprop", "adagrad"]
SCHEDULERS = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
              "OneCycleLR", "ReduceLROnPlateau"]
ZERO_GRADS = ["optimizer", "optimizer_keep", "grad_none_loop", "model", "end", "none"]
RETURNS = ["loss", "loss_logits", "dict", "lr", "last_lr", "grad", "state_dict", "const",
           "item", "none"]
ARGUMENTS = ["plain", "scale_const", "scale_changing", "k_int", "mask", "alias"]
EVENTS = ["lr", "betas", "momentum", "weight_decay", "bn_momentum", "bn_eps", "label_smoothing",
          "reduction", "dropout_p", "eval", "train", "freeze", "rebind_model",
          "rebind_optimizer", "anomaly"]


def draw(seed: int) -> Spec:
    """The spec of program ``seed``: every choice drawn from a NumPy generator seeded with it
    (so the same seed always gives the same program)."""
    r = np.random.default_rng([seed, 0x9E17])

    def pick(options, p=None):
        return options[int(r.choice(len(options), p=p))]

    def chance(p):
        return bool(r.random() < p)

    s = Spec(seed)
    # A third of the programs are "lean": none of the data-dependent features that the jit
    # refuses today, so that replays (with events, schedulers, BatchNorm...) get exercised too.
    lean = chance(0.3)
    s.scope = pick(["global", "closure"])
    s.inputs = "ids" if not lean and chance(0.2) else "dense"
    s.container = pick(["sequential", "modulelist", "custom"], [0.5, 0.25, 0.25])
    s.blocks = [_draw_block(pick, chance) for _ in range(1 if chance(0.6) else 2)]
    s.head_bias = chance(0.8)
    # Dropout(0.5) is kept only in programs that start in eval mode (else it is Dropout(0.0))
    s.start_eval = chance(0.6 if any(b.dropout for b in s.blocks) else 0.08)
    s.task = pick(["classify", "regress", "binary"], [0.6, 0.25, 0.15])
    losses = [name for name in LOSSES[s.task] if not lean or name in LEAN_LOSSES]
    weights = LOSS_WEIGHTS.get(s.task) if not lean else None
    s.loss = pick(losses, weights)
    s.loss_options = _draw_loss_options(s.loss, pick, chance)
    # 0 to 3 extras: how the input enters, transforms of the logits, terms added to the loss
    pool = ([("input_entry", e) for e in INPUT_ENTRIES[1:]] + [("transforms", t) for t in
            TRANSFORMS] + [("aux", a) for a in AUX])
    extras = 0 if lean else pick([0, 1, 2, 3], [0.2, 0.4, 0.27, 0.13])
    for number in r.choice(len(pool), extras, replace=False):
        name, extra = pool[int(number)]
        if name == "input_entry":
            s.input_entry = extra
        else:
            getattr(s, name).append(extra)
    s.optimizer = pick(OPTIMIZERS, [0.35, 0.25, 0.15, 0.15, 0.1])
    s.optimizer_options = _draw_optimizer_options(s.optimizer, pick, chance)
    if chance(0.35):
        # OneCycleLR cycles a momentum (or Adam's beta1): Adagrad has neither and refuses it
        s.scheduler = pick([name for name in SCHEDULERS
                            if (name != "OneCycleLR" or s.optimizer != "adagrad")
                            and (name != "ReduceLROnPlateau" or not lean)])
        s.scheduler_inside = s.scheduler == "ReduceLROnPlateau" or chance(0.6)
    s.zero_grad = pick(ZERO_GRADS, [0.45, 0.12, 0.12, 0.11, 0.1, 0.1])
    s.retain_graph = chance(0.1)
    if lean:
        s.returns = pick(LEAN_RETURNS)
        s.arguments = pick(["plain", "scale_const", "mask", "alias"], [0.6, 0.15, 0.1, 0.15])
    else:
        s.returns = pick(RETURNS, [0.3, 0.1, 0.1, 0.08, 0.08, 0.08, 0.08, 0.07, 0.04, 0.07])
        s.arguments = pick(ARGUMENTS, [0.5, 0.1, 0.08, 0.1, 0.1, 0.12])
    s.calls = int(r.integers(6, 9))
    s.same_first_batch = chance(0.35)
    s.smaller_last = chance(0.3)
    if chance(0.2):
        s.bad_call = int(r.integers(2, s.calls))
    for _ in range(pick([0, 1, 2, 3], [0.35, 0.35, 0.2, 0.1])):
        kinds = [k for k in EVENTS if _event_applies(s, k)]
        kind = pick(kinds)
        s.events.append((int(r.integers(1, s.calls)), kind, _draw_event_value(s, kind, pick)))
    s.events.sort(key=lambda event: event[0])
    return s


def _draw_block(pick, chance):
    """A random hidden block (see ``Block``)."""
    block = Block(bias=chance(0.6), act=pick(["relu", "tanh", "sigmoid", None],
                                             [0.55, 0.2, 0.15, 0.1]))
    norm = pick([None, "batchnorm", "layernorm"], [0.45, 0.4, 0.15])
    block.norm = norm
    if norm == "batchnorm":
        options = {}
        if chance(0.4):
            options["momentum"] = pick([0.3, 0.9, None], [0.45, 0.45, 0.1])
        if chance(0.3):
            options["eps"] = 1e-3
        if chance(0.2):
            options["affine"] = False
        if chance(0.15):
            options["track_running_stats"] = False
        block.norm_options = options
    elif norm == "layernorm":
        block.norm_options = {"elementwise_affine": False} if chance(0.3) else {}
    if chance(0.25):
        block.dropout = pick([0.0, 0.5])  # p=0.5 only in programs that start in eval mode
    return block


def _draw_loss_options(loss, pick, chance):
    """Random non-default options of the loss (``True`` for a weight: ``render`` makes it)."""
    options = {}
    if loss in ("cross_entropy", "cross_entropy_f", "nll", "nll_f", "mse", "bce_logits",
                "huber"):
        if chance(0.3):
            options["reduction"] = "sum"
    if loss in ("cross_entropy", "cross_entropy_f"):
        if chance(0.3):
            options["label_smoothing"] = 0.1
    if loss in ("cross_entropy", "cross_entropy_f", "nll", "nll_f"):
        if chance(0.25):
            options["weight"] = True
        if chance(0.2):
            options["ignore_index"] = 0
    if loss == "bce_logits" and chance(0.5):
        options["pos_weight"] = True
    return options


def _draw_optimizer_options(name, pick, chance):
    """Random keyword arguments of the optimizer."""
    if name == "sgd":
        options = {"lr": pick([0.1, 0.05])}
        if chance(0.5):
            options["momentum"] = 0.9
            if chance(0.5):
                options["nesterov"] = True
        if chance(0.3):
            options["weight_decay"] = 1e-3
    elif name in ("adam", "adamw"):
        options = {"lr": pick([0.01, 0.001])}
        if chance(0.3):
            options["betas"] = (0.8, 0.99)
        if name == "adamw" or chance(0.3):
            options["weight_decay"] = pick([1e-2, 0.1])
        if chance(0.25):
            options["amsgrad"] = True
    elif name == "rmsprop":
        options = {"lr": 0.01}
        if chance(0.4):
            options["momentum"] = 0.9
        if chance(0.3):
            options["centered"] = True
        if chance(0.3):
            options["alpha"] = 0.9
    else:
        options = {"lr": 0.1}
    return options


def _has_norm(spec, norm):
    return any(b.norm == norm for b in spec.blocks)


def _has_dropout(spec):
    return any(b.dropout is not None for b in spec.blocks)


def _event_applies(spec, kind):
    """Whether an event of this kind means something in this program (``render`` leaves out the
    ones that do not, e.g. after ``shrink`` removed the BatchNorm an event changed)."""
    if kind == "betas":
        return spec.optimizer in ("adam", "adamw")
    if kind == "momentum":  # (PyTorch's RMSprop keeps no momentum buffer if it had none)
        return spec.optimizer == "sgd" or (spec.optimizer == "rmsprop"
                                           and "momentum" in spec.optimizer_options)
    if kind in ("bn_momentum", "bn_eps"):
        return _has_norm(spec, "batchnorm")
    if kind == "label_smoothing":
        return spec.loss == "cross_entropy"
    if kind == "reduction":
        return spec.loss in MODULE_LOSSES
    if kind == "dropout_p":
        return _has_dropout(spec)
    return True


def _draw_event_value(spec, kind, pick):
    """The new value an event sets (None for events that set nothing)."""
    values = {"lr": [0.05, 0.2, 0.0], "betas": [(0.5, 0.9), (0.95, 0.9999)],
              "momentum": [0.5, 0.0], "weight_decay": [0.01, 0.1],
              "bn_momentum": [0.5, 0.01, None], "bn_eps": [1e-3, 0.1],
              "label_smoothing": [0.2, 0.0], "dropout_p": [0.3, 0.0]}
    return pick(values[kind]) if kind in values else None


def _bad_call_applies(spec):
    """An out-of-range label needs labels used as indices; an out-of-range id needs ids."""
    return spec.task == "classify" or spec.inputs == "ids"


def _step_source(source):
    """The text of the step function in a program's source."""
    return source.split("    def step(", 1)[1].split("\n\n", 1)[0]


# Every feature family the generator notes, with what the source of a program that has it must
# contain (a regular expression, or a test of the source): tests/test_jit_fuzz.py checks that
# each family is generated, so that the fuzzer cannot silently lose one.
FAMILIES = {
    "scope:global": r"global model, optimizer",
    "scope:closure": lambda source: "global model" not in source,
    "container:sequential": r"return nn\.Sequential\(",
    "container:modulelist": r"nn\.ModuleList\(\[",
    "container:custom": r"self\.head = nn\.Linear",
    "layer:embedding": r"nn\.Embedding\(",
    "layer:linear_nobias": r"nn\.Linear\(\d+, \d+, bias=False\)",
    "layer:batchnorm": r"nn\.BatchNorm1d\(",
    "batchnorm:momentum": r"nn\.BatchNorm1d\(\d+, momentum=",
    "batchnorm:eps": r"nn\.BatchNorm1d\(.*eps=0\.001",
    "batchnorm:affine": r"nn\.BatchNorm1d\(.*affine=False",
    "batchnorm:track_running_stats": r"nn\.BatchNorm1d\(.*track_running_stats=False",
    "layer:layernorm": r"nn\.LayerNorm\(",
    "layer:relu": r"nn\.ReLU\(\)",
    "layer:tanh": r"nn\.Tanh\(\)",
    "layer:sigmoid": r"nn\.Sigmoid\(\)",
    "layer:dropout_p0": r"nn\.Dropout\(0\.0\)",
    "layer:dropout_eval": r"nn\.Dropout\(0\.5\)(.|\n)*    model\.eval\(\)",
    "loss:cross_entropy": r"criterion = nn\.CrossEntropyLoss\(",
    "loss:cross_entropy_f": r"F\.cross_entropy\(logits, y",
    "loss:nll": r"criterion = nn\.NLLLoss\(",
    "loss:nll_f": r"F\.nll_loss\(F\.log_softmax\(",
    "loss:hand_written": r"logp = logits\.log_softmax\(dim=1\)",
    "loss:hand_arange": r"-logp\[tg\.arange\(x\.shape\[0\]\), y\]\.mean\(\)",
    "loss:hand_gather": r"-logp\.gather\(1, y\[:, None\]\)",
    "loss:hand_index_select": r"logp\.index_select\(1, y\)",
    "loss:hand_one_hot": r"F\.one_hot\(y, ",
    "loss:mse": r"criterion = nn\.MSELoss\(",
    "loss:mse_f": r"F\.mse_loss\(logits, y",
    "loss:hand_mse": r"\(\(logits - y\) \*\* 2\)\.mean\(\)",
    "loss:huber": r"criterion = nn\.HuberLoss\(",
    "loss:bce_logits": r"criterion = nn\.BCEWithLogitsLoss\(",
    "loss:bce_logits_f": r"F\.binary_cross_entropy_with_logits\(",
    "loss:bce_sigmoid": r"criterion\(logits\.sigmoid\(\), y\)",
    "loss:reduction": r"reduction='sum'",
    "loss:label_smoothing": r"label_smoothing=0\.1",
    "loss:class_weight": r"weight=class_weight",
    "loss:ignore_index": r"ignore_index=0",
    "loss:pos_weight": r"pos_weight=tg\.full\(",
    "index:masked_fill_data": r"\.masked_fill\((x\[:, :1\]|logits\.detach\(\)) > ",
    "index:masked_fill_arg": r"\.masked_fill\(mask, ",
    "index:where": r"tg\.where\(logits > 0",
    "index:bool_index": r"logits\[(logits|x\[:, 0\]) > ",
    "index:clamp_tensor": r"\.clamp\(min=(-2 \* tg\.ones|logits\.detach\(\))",
    "index:topk": r"\.topk\(",
    "index:argmax": r"\.argmax\(dim=1\)",
    "index:gather": r"\.gather\(1, ",
    "index:comparison": r"(logits > 0|\] > |\) == )",
    "entry:clone": r"x = x\.clone\(\)",
    "entry:detach": r"\.detach\(\)",
    "entry:detach_clone": r"x = x\.detach\(\)\.clone\(\)",
    "entry:data": r"x\.data",
    "entry:tensor_list": r"tg\.tensor\(\[",
    "entry:teacher": r"teacher\(x\)",
    "entry:ones": r"tg\.ones\(",
    "entry:arange": r"tg\.arange\(",
    "entry:python_constant": r"logits = logits / 2\.0",
    "optim:sgd": r"optim\.SGD\(",
    "optim:adam": r"optim\.Adam\(",
    "optim:adamw": r"optim\.AdamW\(",
    "optim:rmsprop": r"optim\.RMSprop\(",
    "optim:adagrad": r"optim\.Adagrad\(",
    "optim:momentum": r"optim\.\w+\(.*momentum=0\.9",
    "optim:nesterov": r"nesterov=True",
    "optim:weight_decay": r"optim\.\w+\(.*weight_decay=",
    "optim:betas": r"betas=\(0\.8, 0\.99\)",
    "optim:amsgrad": r"amsgrad=True",
    "optim:centered": r"centered=True",
    "optim:alpha": r"alpha=0\.9",
    "sched:inside": lambda source: "scheduler.step(" in _step_source(source),
    "sched:outside": r"def after_call\(\):\n        scheduler\.step\(\)",
    "zero_grad:optimizer": lambda source: "optimizer.zero_grad()\n" in _step_source(source),
    "zero_grad:optimizer_keep": r"optimizer\.zero_grad\(set_to_none=False\)",
    "zero_grad:grad_none_loop": r"for p in model\.parameters\(\):\n            p\.grad = None",
    "zero_grad:model": r"model\.zero_grad\(\)",
    "zero_grad:end": r"optimizer\.step\(\)\n(.*\n)?        optimizer\.zero_grad\(\)\n",
    "zero_grad:none": lambda source: not re.search(r"zero_grad|grad = None",
                                                   _step_source(source)),
    "step:retain_graph": r"loss\.backward\(retain_graph=True\)\n        \(0\.5 \* loss\)",
    "return:loss": r"return loss\n",
    "return:loss_logits": r"return loss, logits\n",
    "return:dict": r'return \{"loss": loss, "accuracy"',
    "return:lr": r'return loss, optimizer\.param_groups\[0\]\["lr"\]',
    "return:last_lr": r"return loss, scheduler\.get_last_lr\(\)",
    "return:grad": r"return loss, model.*\.weight\.grad",
    "return:state_dict": r"return loss, model\.state_dict\(\)\[",
    "return:const": r'return loss, "done", 3',
    "return:item": r"return loss\.item\(\)",
    "return:none": r"return None",
    "arg:alias": r"def step\(x, z, y\)(.|\n)*\(X\[0\], X\[0\], Y\[0\]\)",
    "arg:float": r"def step\(x, y, scale\)(.|\n)*, Y\[0\], 0\.5\)",
    "arg:float_changing": r"def step\(x, y, scale\)(.|\n)*, 0\.75\),",
    "arg:int": r"def step\(x, y, k\)(.|\n)*, Y\[0\], 1\),",
    "arg:mask": r"def step\(x, y, mask\)(.|\n)*, M\[0\]\),",
    "event:lr": r'def before_call_\d+(.|\n)*param_groups\[0\]\["lr"\] = ',
    "event:betas": r'param_groups\[0\]\["betas"\] = ',
    "event:momentum": r'param_groups\[0\]\["momentum"\] = ',
    "event:weight_decay": r'param_groups\[0\]\["weight_decay"\] = ',
    "event:bn_momentum": r"\]\.momentum = ",
    "event:bn_eps": r"\]\.eps = ",
    "event:label_smoothing": r"criterion\.label_smoothing = ",
    "event:reduction": r"criterion\.reduction = ",
    "event:dropout_p": r"\]\.p = ",
    "event:train_eval": r"    model\.(eval|train)\(\)",
    "event:requires_grad": r"model[.\[].*\.requires_grad_\(False\)",
    "event:rebind": lambda source: source.count("optimizer = make_optimizer(model)") > 1,
    "event:anomaly": r"tg\.autograd\.set_detect_anomaly\(True\)",
    "event:bad_label": r"# an out-of-range (label|id)(.|\n)*# eager raises",
    "data:same_first_batch": r"\(X\[0\].*\),  # the same batch again",
    "data:smaller_last": rf"sizes = \[.*, {SMALL_BATCH}\]",
}


def has_family(program, family):
    """Whether a program's source shows the feature family (``FAMILIES``' marker for it)."""
    marker = FAMILIES[family]
    return marker(program.source) if callable(marker) else bool(re.search(marker, program.source))


# --------------------------------------------------------------------------- rendering


@dataclass
class Program:
    """One generated program: its ``spec``, its ``source`` (defines ``build()``, which returns
    the step function, the calls' arguments, the events and a ``state()`` of the objects to
    compare), the human-readable ``features`` and the feature families (``tags``) it has."""

    spec: Spec
    source: str
    features: list
    tags: set
    _code: Any = None

    @property
    def code(self):
        if self._code is None:
            self._code = compile(self.source, f"<jit fuzz program {self.spec.seed}>", "exec")
        return self._code


def _kwargs(options, formats=None):
    """``options`` as keyword-argument source text."""
    formats = formats or {}
    return ", ".join(f"{k}={formats.get(k, repr)(v)}" for k, v in options.items())


class _Writer:
    """Collects one program's lines and the features it notes while ``render`` writes them."""

    def __init__(self):
        self.lines = []
        self.features = []
        self.tags = set()

    def note(self, tag, detail=""):
        self.tags.add(tag)
        self.features.append(tag + detail)

    def __call__(self, indent, *lines):
        for line in lines:
            self.lines.append(" " * (4 * indent) + line if line else "")


def _layers(spec, w):
    """The model's layers as constructor source, noting their features; and the indices of the
    BatchNorm1d and of the Dropout layers in that list (for the events that change them)."""
    layers, batchnorms, dropouts = [], [], []
    width = FEATURES
    if spec.inputs == "ids":
        w.note("layer:embedding")
        layers += [f"nn.Embedding({VOCAB}, {EMBED})", "nn.Flatten()"]
        width = LENGTH * EMBED
    for block in spec.blocks:
        if block.bias:
            layers.append(f"nn.Linear({width}, {HIDDEN})")
        else:
            w.note("layer:linear_nobias")
            layers.append(f"nn.Linear({width}, {HIDDEN}, bias=False)")
        width = HIDDEN
        options = _kwargs(block.norm_options)
        if block.norm == "batchnorm":
            w.note("layer:batchnorm", f"({options})" if options else "")
            for key in block.norm_options:
                w.note(f"batchnorm:{key}")
            batchnorms.append(len(layers))
            layers.append(f"nn.BatchNorm1d({HIDDEN}{', ' + options if options else ''})")
        elif block.norm == "layernorm":
            w.note("layer:layernorm", f"({options})" if options else "")
            layers.append(f"nn.LayerNorm({HIDDEN}{', ' + options if options else ''})")
        if block.act is not None:
            w.note(f"layer:{block.act}")
            layers.append({"relu": "nn.ReLU()", "tanh": "nn.Tanh()",
                           "sigmoid": "nn.Sigmoid()"}[block.act])
        if block.dropout is not None:
            p = block.dropout if spec.start_eval else 0.0
            w.note("layer:dropout_eval" if p else "layer:dropout_p0", f"(p={p})")
            dropouts.append(len(layers))
            layers.append(f"nn.Dropout({p})")
    layers.append(f"nn.Linear({width}, {CLASSES})" if spec.head_bias
                  else f"nn.Linear({width}, {CLASSES}, bias=False)")
    if not spec.head_bias:
        w.note("layer:linear_nobias", "(head)")
    return layers, batchnorms, dropouts


def _paths(spec, count):
    """For each layer index: its source path from ``model`` and its state_dict key prefix."""
    if spec.container == "sequential":
        return [(f"model[{i}]", f"{i}.") for i in range(count)]
    if spec.container == "modulelist":
        return [(f"model.layers[{i}]", f"layers.{i}.") for i in range(count)]
    return [(f"model.body[{i}]", f"body.{i}.") for i in range(count - 1)] + [("model.head",
                                                                              "head.")]


def render(spec: Spec) -> Program:
    """Write the program a spec describes, as the source of a module defining ``build()``."""
    w = _Writer()
    w.note(f"scope:{spec.scope}")
    w.note(f"container:{spec.container}")
    layers, batchnorms, dropouts = _layers(spec, w)
    paths = _paths(spec, len(layers))
    w(0, "import numpy as np", "", "import tinygrad_bn as tg",
      "from tinygrad_bn import nn, optim", "from tinygrad_bn.nn import functional as F", "", "")
    w(0, "def build():")
    w(1, f'"""Program {spec.seed} of tests/jit_fuzz.py: the step, its calls, events, state."""')
    if spec.scope == "global":
        w(1, "global model, optimizer, scheduler, criterion, teacher")
    w(1, "tg.set_default_dtype(tg.float64)", f"tg.manual_seed({spec.seed})",
      f"rng = np.random.default_rng({spec.seed})", "")
    _render_setup(spec, w, layers)
    _render_step(spec, w, paths, batchnorms)
    batch, bad = _render_data(spec, w)
    befores = _render_events(spec, w, paths, batchnorms, dropouts)
    if spec.scheduler and not spec.scheduler_inside:
        w(1, "def after_call():", "    scheduler.step()", "")
    w(1, "def state():", '    """The objects whose state is compared after every call."""',
      "    return dict(model=model, optimizer=optimizer, scheduler=scheduler, "
      "criterion=criterion, teacher=teacher)", "")
    _render_calls(spec, w, batch, bad)
    after = "after_call" if spec.scheduler and not spec.scheduler_inside else "None"
    w(1, f"return dict(step=step, calls=calls, before={{{', '.join(befores)}}}, after={after}, "
         "state=state)")
    header = [f"# tinygrad_bn jit fuzz program, seed {spec.seed}",
              f"# reproduce: python tests/jit_fuzz.py --repro {spec.seed}"]
    return Program(spec, "\n".join(header + w.lines) + "\n", list(w.features), set(w.tags))


def _render_setup(spec, w, layers):
    """``make_model``, ``make_optimizer``, ``make_scheduler`` and the objects they make; the
    criterion (and class weights) and the frozen teacher."""
    if spec.container == "sequential":
        w(1, "def make_model():", "    return nn.Sequential(")
        w(3, *[layer + "," for layer in layers])
        w(2, ")")
    else:
        w(1, "class Net(nn.Module):", "    def __init__(self):", "        super().__init__()")
        if spec.container == "modulelist":
            w(3, "self.layers = nn.ModuleList([")
            w(4, *[layer + "," for layer in layers])
            w(3, "])", "")
            w(2, "def forward(self, x):", "    for layer in self.layers:",
              "        x = layer(x)", "    return x")
        else:
            w(3, "self.body = nn.Sequential(")
            w(4, *[layer + "," for layer in layers[:-1]])
            w(3, ")", f"self.head = {layers[-1]}", "")
            w(2, "def forward(self, x):", "    return self.head(self.body(x))")
        w(1, "", "def make_model():", "    return Net()")
    w(0, "")
    optimizer_class = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
                       "adagrad": "Adagrad"}[spec.optimizer]
    w.note(f"optim:{spec.optimizer}", f"({_kwargs(spec.optimizer_options)})")
    for key in spec.optimizer_options:
        if key != "lr":
            w.note(f"optim:{key}")
    w(1, "def make_optimizer(model):",
      f"    return optim.{optimizer_class}(model.parameters(), "
      f"{_kwargs(spec.optimizer_options)})", "")
    if spec.scheduler is not None:
        arguments = {"StepLR": "step_size=2, gamma=0.5", "MultiStepLR": "milestones=[2, 4], "
                     "gamma=0.5", "ExponentialLR": "gamma=0.9", "CosineAnnealingLR": "T_max=5",
                     "LambdaLR": "lambda epoch: 1.0 / (1 + epoch)",
                     "OneCycleLR": "max_lr=0.1, total_steps=40",
                     "ReduceLROnPlateau": "factor=0.5, patience=1"}[spec.scheduler]
        w.note("sched:" + ("inside" if spec.scheduler_inside else "outside"), f"({spec.scheduler})")
        w(1, "def make_scheduler(optimizer):",
          f"    return optim.lr_scheduler.{spec.scheduler}(optimizer, {arguments})", "")

    w(1, "model = make_model()")
    if spec.start_eval:
        w.note("event:train_eval", "(built in eval mode)")
        w(1, "model.eval()")
    w(1, "optimizer = make_optimizer(model)")
    w(1, "scheduler = make_scheduler(optimizer)" if spec.scheduler else "scheduler = None")
    options = dict(spec.loss_options)
    formats = {}
    if options.pop("weight", False):
        w.note("loss:class_weight")
        w(1, "class_weight = tg.tensor([1.0, 2.0, 0.5, 1.5])")
        options["weight"] = "class_weight"
        formats["weight"] = str
    if options.pop("pos_weight", False):
        w.note("loss:pos_weight")
        options["pos_weight"] = f"tg.full(({CLASSES},), 2.0)"
        formats["pos_weight"] = str
    for key in spec.loss_options:
        if key not in ("weight", "pos_weight"):
            w.note(f"loss:{key}")
    loss_kwargs = _kwargs(options, formats)
    w.note(f"loss:{spec.loss}", f"({loss_kwargs})" if loss_kwargs else "")
    criterion = {"cross_entropy": "nn.CrossEntropyLoss", "nll": "nn.NLLLoss",
                 "mse": "nn.MSELoss", "huber": "nn.HuberLoss", "bce_logits":
                 "nn.BCEWithLogitsLoss", "bce_sigmoid": "nn.BCELoss"}.get(spec.loss)
    w(1, f"criterion = {criterion}({loss_kwargs})" if criterion else "criterion = None")
    if {"teacher_detach", "teacher_no_grad"} & set(spec.aux):
        w(1, "teacher = make_model()  # frozen: its outputs are targets",
          "teacher.eval()", "teacher.requires_grad_(False)")
    else:
        w(1, "teacher = None")
    w(0, "")


def _render_step(spec, w, paths, batchnorms):
    """The training step: clear gradients, forward, transforms, loss and extra terms,
    backward, optimizer (and scheduler) step, return."""
    extra = {"plain": "", "scale_const": ", scale", "scale_changing": ", scale", "k_int": ", k",
             "mask": ", mask", "alias": ""}[spec.arguments]
    signature = "x, z, y" if spec.arguments == "alias" else f"x, y{extra}"
    w(1, f"def step({signature}):")
    clear = {"optimizer": "optimizer.zero_grad()",
             "optimizer_keep": "optimizer.zero_grad(set_to_none=False)",
             "model": "model.zero_grad()"}
    w.note(f"zero_grad:{spec.zero_grad}")
    if spec.zero_grad in clear:
        w(2, clear[spec.zero_grad])
    elif spec.zero_grad == "grad_none_loop":
        w(2, "for p in model.parameters():", "    p.grad = None")
    if spec.input_entry != "plain":
        w.note(f"entry:{spec.input_entry}")
        w(2, "x = " + {"clone": "x.clone()", "detach": "x.detach()",
                       "detach_clone": "x.detach().clone()", "data": "x.data"}[spec.input_entry])
    w(2, "logits = model(x)")
    threshold = "0.5" if spec.inputs == "dense" else str(VOCAB // 2)
    for transform in spec.transforms:
        w.note({"masked_fill_data": "index:masked_fill_data", "masked_fill_detached":
                "index:masked_fill_data", "where": "index:where", "clamp_const":
                "index:clamp_tensor", "clamp_data": "index:clamp_tensor", "temperature":
                "entry:python_constant"}[transform], f"({transform})")
        w(2, {"masked_fill_data": f"logits = logits.masked_fill(x[:, :1] > {threshold}, 0.0)",
              "masked_fill_detached": "logits = logits.masked_fill(logits.detach() > 1.0, 1.0)",
              "where": "logits = tg.where(logits > 0, logits, 0.5 * logits)",
              "clamp_const": f"logits = logits.clamp(min=-2 * tg.ones({CLASSES}), "
                             f"max=tg.full(({CLASSES},), 2.0))",
              "clamp_data": "logits = logits.clamp(min=logits.detach().mean(0) - 1.0, "
                            "max=logits.detach().mean(0) + 1.0)",
              "temperature": "logits = logits / 2.0"}[transform])
    if spec.arguments in ("scale_const", "scale_changing"):
        w.note("arg:float" if spec.arguments == "scale_const" else "arg:float_changing")
        w(2, "logits = logits * scale")
    if spec.arguments == "mask":
        w.note("arg:mask")
        w.note("index:masked_fill_arg")
        w(2, "logits = logits.masked_fill(mask, -1.0)")
    _render_loss(spec, w)
    for term in spec.aux:
        _render_aux(spec, w, term, threshold)
    if spec.arguments == "k_int":
        w.note("arg:int")
        w.note("index:topk")
        w(2, "loss = loss + 0.01 * logits.topk(k, dim=1).values.sum()")
    if spec.arguments == "alias":
        w.note("arg:alias")
        w(2, "loss = loss + 0.1 * (logits - model(z)).pow(2).mean()")
    if spec.retain_graph:
        w.note("step:retain_graph")
        w(2, "loss.backward(retain_graph=True)", "(0.5 * loss).backward()")
    else:
        w(2, "loss.backward()")
    w(2, "optimizer.step()")
    if spec.scheduler and spec.scheduler_inside:
        w(2, "scheduler.step(loss)" if spec.scheduler == "ReduceLROnPlateau"
          else "scheduler.step()")
    if spec.zero_grad == "end":
        w(2, "optimizer.zero_grad()")
    _render_return(spec, w, paths, batchnorms)
    w(0, "")


def _render_data(spec, w):
    """The batches, one per call (arrays from a seeded NumPy generator), the aliases, masks and
    out-of-range labels; returns the batch each call uses and the call with a bad label."""
    dense = spec.inputs == "dense"
    w(1, "# the data: one batch per call")
    sizes = [BATCH] * spec.calls
    if spec.smaller_last:
        w.note("data:smaller_last")
        sizes[-1] = SMALL_BATCH
    w(1, f"sizes = {sizes}")
    if dense:
        w(1, f"X = [tg.from_numpy(rng.standard_normal((n, {FEATURES}))) for n in sizes]")
    else:
        w(1, f"X = [tg.from_numpy(rng.integers(0, {VOCAB}, (n, {LENGTH}))) for n in sizes]")
    if spec.task == "classify":
        w(1, f"Y = [tg.from_numpy(rng.integers(0, {CLASSES}, n)) for n in sizes]")
    elif spec.task == "regress":
        w(1, f"Y = [tg.from_numpy(rng.standard_normal((n, {CLASSES}))) for n in sizes]")
    else:
        w(1, f"Y = [tg.from_numpy((rng.random((n, {CLASSES})) < 0.5).astype(np.float64)) "
             "for n in sizes]")
    if spec.arguments == "alias":  # fresh data: an offset of x would vanish in a BatchNorm
        w(1, f"Z = [tg.from_numpy(rng.standard_normal((n, {FEATURES}))) for n in sizes]" if dense
          else f"Z = [tg.from_numpy(rng.integers(0, {VOCAB}, (n, {LENGTH}))) for n in sizes]")
    if spec.arguments == "mask":
        w(1, f"M = [tg.from_numpy(rng.random((n, {CLASSES})) < 0.3) for n in sizes]")
    batch = [0 if i == 1 and spec.same_first_batch else i for i in range(spec.calls)]
    if spec.same_first_batch:
        w.note("data:same_first_batch")
    bad = spec.bad_call if spec.bad_call is not None and _bad_call_applies(spec) else None
    if bad is not None:
        w.note("event:bad_label", f"@{bad}")
        if spec.task == "classify":
            w(1, f"Y_bad = Y[{batch[bad]}].clone()",
              f"Y_bad[0] = {CLASSES}  # an out-of-range label")
        else:
            w(1, f"X_bad = X[{batch[bad]}].clone()", f"X_bad[0, 0] = {VOCAB}  # an out-of-range id")
    w(0, "")
    return batch, bad


def _render_calls(spec, w, batch, bad):
    """``calls``: the arguments of each call."""
    w(1, "calls = [")
    for i in range(spec.calls):
        x = "X_bad" if i == bad and spec.task != "classify" else f"X[{batch[i]}]"
        y = "Y_bad" if i == bad and spec.task == "classify" else f"Y[{batch[i]}]"
        if spec.arguments == "alias":
            args = f"{x}, {x}, {y}" if i < 2 else f"{x}, Z[{batch[i]}], {y}"
        else:
            args = f"{x}, {y}" + {"plain": "", "scale_const": ", 0.5",
                                  "scale_changing": f", {0.5 + 0.25 * i}",
                                  "k_int": f", {1 + i % 2}", "mask": f", M[{batch[i]}]",
                                  "alias": ""}[spec.arguments]
        comments = []
        if i == 1 and spec.same_first_batch:
            comments.append("the same batch again")
        if i == bad:
            comments.append("eager raises")
        w(2, f"({args}),{'  # ' + '; '.join(comments) if comments else ''}")
    w(1, "]")


def _render_loss(spec, w):
    """``loss = ...`` for the spec's loss."""
    options = {k: v for k, v in spec.loss_options.items() if k not in ("weight", "pos_weight")}
    if spec.loss_options.get("weight"):
        options["weight"] = "class_weight"
    functional = _kwargs(options, {"weight": str})
    functional = ", " + functional if functional else ""
    if spec.loss in MODULE_LOSSES:
        if spec.loss == "nll":
            w(2, "loss = criterion(logits.log_softmax(dim=1), y)")
        elif spec.loss == "bce_sigmoid":
            w(2, "loss = criterion(logits.sigmoid(), y)")
        else:
            w(2, "loss = criterion(logits, y)")
        return
    if spec.loss.startswith("hand_"):
        w.note("loss:hand_written")
        w(2, "logp = logits.log_softmax(dim=1)")
    w(2, {"cross_entropy_f": f"loss = F.cross_entropy(logits, y{functional})",
          "nll_f": f"loss = F.nll_loss(F.log_softmax(logits, dim=1), y{functional})",
          "hand_arange": "loss = -logp[tg.arange(x.shape[0]), y].mean()",
          "hand_gather": "loss = -logp.gather(1, y[:, None]).mean()",
          "hand_index_select": "loss = -(logp.index_select(1, y) * tg.eye(x.shape[0])).sum() "
                               "/ x.shape[0]",
          "hand_one_hot": f"loss = -(logp * F.one_hot(y, {CLASSES})).sum(dim=1).mean()",
          "mse_f": f"loss = F.mse_loss(logits, y{functional})",
          "hand_mse": "loss = ((logits - y) ** 2).mean()",
          "bce_logits_f": "loss = F.binary_cross_entropy_with_logits(logits, y)"}[spec.loss])
    if spec.loss == "hand_gather":
        w.note("index:gather")
    if spec.loss == "hand_arange":
        w.note("entry:arange")


def _render_aux(spec, w, term, threshold):
    """``loss = loss + ...``: one auxiliary term."""
    tags = {"bool_index": ["index:bool_index", "index:comparison"],
            "bool_rows": ["index:bool_index", "index:comparison"], "topk": ["index:topk"],
            "argmax_gather": ["index:argmax", "index:gather"],
            "comparison_weight": ["index:comparison"], "detach_center": ["entry:detach"],
            "data_scale": ["entry:data"], "tensor_list": ["entry:tensor_list"],
            "arange": ["entry:arange"], "ones": ["entry:ones"],
            "teacher_detach": ["entry:teacher", "entry:detach"],
            "teacher_no_grad": ["entry:teacher"]}[term]
    for tag in tags:
        w.note(tag, f"({term})")
    values = ", ".join(str(v) for v in [0.5, -1.0, 2.0, 1.0][:CLASSES])
    if term == "teacher_no_grad":
        w(2, "with tg.no_grad():", "    target = teacher(x)",
          "loss = loss + 0.1 * F.mse_loss(logits, target)")
        return
    w(2, "loss = loss + " + {
        "bool_index": "0.01 * logits[logits > 0].sum()",
        "bool_rows": f"0.01 * logits[x[:, 0] > {threshold}].pow(2).sum()",
        "topk": "0.01 * logits.topk(2, dim=1).values.sum()",
        "argmax_gather": "0.01 * logits.gather(1, logits.argmax(dim=1)[:, None]).sum()",
        "comparison_weight": "0.01 * (logits * (logits > 0).double()).sum()",
        "detach_center": "0.01 * (logits - logits.detach().mean(0)).pow(2).mean()",
        "data_scale": "0.01 * x.data.double().abs().mean() * logits.mean()",
        "tensor_list": f"0.01 * (logits * tg.tensor([{values}])).mean()",
        "arange": f"0.001 * (logits.sum(0) * tg.arange({CLASSES})).sum()",
        "ones": f"0.01 * (logits @ tg.ones({CLASSES})).mean()",
        "teacher_detach": "0.1 * F.mse_loss(logits, teacher(x).detach())",
    }[term])


def _render_return(spec, w, paths, batchnorms):
    """The step's ``return``: the loss, or the loss with something else (a state_dict value is
    a BatchNorm's running mean when there is one, else the head's weight)."""
    head = paths[-1][0]
    labels = "y" if spec.task == "classify" else "y.argmax(dim=1)"
    returns = spec.returns
    if returns == "last_lr" and spec.scheduler is None:
        returns = "lr"
    w.note(f"return:{returns}")
    if returns == "dict":
        w.note("index:argmax", "(accuracy)")
        w.note("index:comparison", "(accuracy)")
    blocks = [b for b in spec.blocks if b.norm == "batchnorm"]
    tracked = [i for i, b in zip(batchnorms, blocks)
               if b.norm_options.get("track_running_stats", True)]
    key = paths[tracked[0]][1] + "running_mean" if tracked else paths[-1][1] + "weight"
    w(2, {"loss": "return loss", "loss_logits": "return loss, logits",
          "dict": f'return {{"loss": loss, "accuracy": (logits.argmax(dim=1) == {labels})'
                  '.double().mean(), "batch": x.shape[0]}',
          "lr": 'return loss, optimizer.param_groups[0]["lr"]',
          "last_lr": "return loss, scheduler.get_last_lr()",
          "grad": f"return loss, {head}.weight.grad",
          "state_dict": f'return loss, model.state_dict()["{key}"]',
          "const": 'return loss, "done", 3', "item": "return loss.item()",
          "none": "return None"}[returns])


def _event_detail(call, kind, value):
    """How the feature list shows an event: ``@call`` and what it sets."""
    if kind in ("eval", "train", "rebind_model", "rebind_optimizer"):
        return f"@{call}={kind.replace('rebind_', '')}"
    if kind in ("freeze", "anomaly", "reduction"):
        return f"@{call}"
    return f"@{call}={value!r}"


def _render_events(spec, w, paths, batchnorms, dropouts):
    """One ``before_call_<i>()`` per call that has events; the entries of the ``before`` dict."""
    declare = "global" if spec.scope == "global" else "nonlocal"
    by_call = defaultdict(list)
    for call, kind, value in spec.events:
        if _event_applies(spec, kind) and 0 < call < spec.calls:
            by_call[call].append((kind, value))
    first = paths[0][0]
    entries = []
    for call, events in sorted(by_call.items()):
        body = []
        rebinds = False
        for kind, value in events:
            w.note("event:" + {"eval": "train_eval", "train": "train_eval", "freeze":
                               "requires_grad", "rebind_model": "rebind",
                               "rebind_optimizer": "rebind"}.get(kind, kind),
                   _event_detail(call, kind, value))
            group = 'optimizer.param_groups[0]'
            if kind in ("lr", "betas", "momentum", "weight_decay"):
                body.append(f'{group}["{kind}"] = {value!r}')
            elif kind == "bn_momentum":
                body += [f"{paths[i][0]}.momentum = {value!r}" for i in batchnorms]
            elif kind == "bn_eps":
                body += [f"{paths[i][0]}.eps = {value!r}" for i in batchnorms]
            elif kind == "label_smoothing":
                body.append(f"criterion.label_smoothing = {value!r}")
            elif kind == "reduction":
                now = spec.loss_options.get("reduction", "mean")
                body.append(f'criterion.reduction = "{"mean" if now == "sum" else "sum"}"')
            elif kind == "dropout_p":
                body += [f"{paths[i][0]}.p = {value!r}" for i in dropouts]
            elif kind == "eval":
                body.append("model.eval()")
            elif kind == "train":
                body.append("model.train()")
            elif kind == "freeze":
                body.append(f"{first}.requires_grad_(False)")
            elif kind == "anomaly":
                body.append("tg.autograd.set_detect_anomaly(True)")
            else:
                rebinds = True
                if kind == "rebind_model":
                    body += [f"tg.manual_seed({spec.seed + 1})", "model = make_model()"]
                body.append("optimizer = make_optimizer(model)")
                if spec.scheduler:
                    body.append("scheduler = make_scheduler(optimizer)")
        w(1, f"def before_call_{call}():")
        if rebinds:
            w(2, f"{declare} model, optimizer, scheduler")
        w(2, *body)
        w(0, "")
        entries.append(f"{call}: before_call_{call}")
    return entries


# --------------------------------------------------------------------------- the harness


class Array:
    """A copy of a tensor's (or an ndarray's) values, compared by dtype, shape and values."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = np.array(array, copy=True)

    def __repr__(self):
        return f"Array({self.array.dtype}{list(self.array.shape)})"


def freeze(value):
    """A copy of a returned value (or of state) that later steps cannot change: tensors and
    arrays become ``Array``; tuples (named ones too) and lists keep their type name."""
    if isinstance(value, tg.Tensor):
        return Array(value.detach().numpy())
    if isinstance(value, (np.ndarray, np.generic)):
        return Array(value)
    if isinstance(value, dict):
        return {k: freeze(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(freeze(v) for v in value))
    return value


def difference(a, b, path="") -> str | None:
    """Where two frozen values differ, in words (None when equal): arrays by dtype, shape and
    values (NaN equal to NaN, as bitwise reproducible NaNs are), containers element by element,
    the rest by type and ``==``."""
    if isinstance(a, Array) or isinstance(b, Array):
        if not (isinstance(a, Array) and isinstance(b, Array)):
            return f"{path}: {_short(a)} vs {_short(b)}"
        x, y = a.array, b.array
        if x.dtype != y.dtype or x.shape != y.shape:
            return f"{path}: {x.dtype}{list(x.shape)} vs {y.dtype}{list(y.shape)}"
        if np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"):
            return None
        if x.dtype.kind in "fc":
            wrong = ~((x == y) | (np.isnan(x) & np.isnan(y)))
            gap = np.nanmax(np.abs(x - y)) if wrong.any() else 0.0
            return (f"{path}: values differ at {int(wrong.sum())} of {x.size} elements "
                    f"(largest gap {gap:.3g})")
        return f"{path}: values differ ({x.ravel()[:6].tolist()} vs {y.ravel()[:6].tolist()})"
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: keys {sorted(map(str, a))} vs {sorted(map(str, b))}"
        for key in a:
            found = difference(a[key], b[key], f"{path}[{key!r}]" if path else str(key))
            if found:
                return found
        return None
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == 2 and len(b) == 2 \
            and isinstance(a[1], tuple) and isinstance(b[1], tuple):
        if a[0] != b[0] or len(a[1]) != len(b[1]):
            return f"{path}: {a[0]} of {len(a[1])} vs {b[0]} of {len(b[1])}"
        for i, (x, y) in enumerate(zip(a[1], b[1])):
            found = difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if type(a) is not type(b):
        return f"{path}: {_short(a)} vs {_short(b)}"
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return None
    try:
        same = bool(a == b)
    except Exception:  # noqa: BLE001 - incomparable values are different
        same = False
    return None if same else f"{path}: {_short(a)} vs {_short(b)}"


def _short(value):
    """``repr(value)``, cut to 80 characters."""
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def snapshot(objects, seen):
    """The whole state of ``objects`` (``state()``'s dict of model, optimizer, scheduler,
    criterion, teacher), frozen, and of every object bound to those names at an earlier call
    (``seen`` keeps them, so a rebinding does not hide what happened to the old model)."""
    for kind, obj in objects.items():
        if obj is not None:
            known = seen.setdefault(kind, [])
            if not any(o is obj for o in known):
                known.append(obj)
    state = {}
    for kind, objs in seen.items():
        for number, obj in enumerate(objs):
            label = kind if number == 0 else f"{kind}#{number}"
            if isinstance(obj, tg.nn.Module):
                for name, p in obj.named_parameters():
                    state[f"{label}.{name}"] = freeze(p)
                    state[f"{label}.{name}.grad"] = freeze(p.grad)
                    state[f"{label}.{name}.requires_grad"] = p.requires_grad
                for name, b in obj.named_buffers():
                    state[f"{label}.{name}"] = freeze(b)
                state[f"{label}.training"] = tuple(m.training for m in obj.modules())
            elif isinstance(obj, tg.optim.Optimizer):
                state[f"{label}.state_dict"] = freeze(obj.state_dict())
            else:  # a scheduler
                state[f"{label}.last_epoch"] = obj.last_epoch
                state[f"{label}.last_lr"] = freeze(obj.get_last_lr())
    return state


@dataclass
class Run:
    """One run of a program: per call what it gave (``("returned", frozen)`` or ``("raised",
    type name, message)``), the state after it and whether a plan answered it (``"replay"``)
    or it ran eagerly (``"eager"``: a capture or a fallback); the TracerWarnings; the replay
    count; ``crash``, a traceback if something outside the step calls raised."""

    results: list = field(default_factory=list)
    states: list = field(default_factory=list)
    phases: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    replays: int = 0
    crash: str | None = None


def execute(program: Program, use_jit: bool) -> Run:
    """Build the program afresh and make its calls (with ``tg.jit`` around the step when
    ``use_jit``), its events before them, recording everything ``check`` compares. The global
    settings a program changes (default dtype, anomaly mode) are restored afterwards."""
    run = Run()
    dtype, anomaly = tg.get_default_dtype(), tg.is_anomaly_enabled()
    namespace = {"__name__": f"jit_fuzz_program_{program.spec.seed}"}
    step = None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                exec(program.code, namespace)  # noqa: S102 - the generated program
                session = namespace["build"]()
                step = tg.jit(session["step"]) if use_jit else session["step"]
                seen = {}
                for i, args in enumerate(session["calls"]):
                    if i in session["before"]:
                        session["before"][i]()
                    replays = step.replays if use_jit else 0
                    try:
                        run.results.append(("returned", freeze(step(*args))))
                        phase = "replay" if use_jit and step.replays > replays else "eager"
                    except Exception as error:  # noqa: BLE001 - compared with the other run
                        run.results.append(("raised", type(error).__name__, str(error)))
                        phase = "eager or a replay that raised"
                    run.phases.append(phase)
                    if session["after"] is not None:
                        session["after"]()
                    run.states.append(snapshot(session["state"](), seen))
            except Exception:  # noqa: BLE001 - reported as the run's crash
                run.crash = traceback.format_exc(limit=-4)
        run.warnings = [str(w.message) for w in caught if issubclass(w.category, TracerWarning)]
        run.replays = step.replays if use_jit and step is not None else 0
    finally:
        tg.set_default_dtype(dtype)
        tg.autograd.set_detect_anomaly(anomaly)
    return run


@dataclass
class Outcome:
    """What ``check`` found for one program: ``status`` (``"replayed"``, ``"fell back"``,
    ``"not replayed"``, ``"FAIL"`` or ``"EAGER-ERROR"``), the warnings' normalised reasons, the
    first difference (FAIL) or the eager error, notes on eager behaviour, the replay count."""

    seed: int
    status: str
    features: list
    reasons: list = field(default_factory=list)
    difference: str | None = None
    notes: list = field(default_factory=list)
    replays: int = 0
    spec: Spec | None = None

    def report(self) -> str:
        """The FAIL (or eager error) in a few lines, with what a developer needs to rebuild it."""
        lines = [f"seed {self.seed}: {self.status}: {self.difference}",
                 f"  features: {', '.join(self.features)}",
                 f"  rebuild: python tests/jit_fuzz.py --repro {self.seed}"]
        return "\n".join(lines)


def reason(message: str) -> str:
    """A TracerWarning's reason without the function name, kernel numbers, program lines and
    returned numbers, for grouping."""
    text = re.sub(r"^jit: \S+ runs eagerly for these arguments: ", "", message)
    text = re.sub(r"kernel \d+", "kernel N", text)
    text = re.sub(r"<jit fuzz program \d+>:\d+", "<program>:LINE", text)
    text = re.sub(r"Python number [-+.\w]+", "Python number X", text)
    return re.sub(r"ran \d+ and \d+ kernels", "ran N and M kernels", text)


def first_difference(eager: Run, jitted: Run) -> str | None:
    """The first way the jitted run differs from the eager one, call by call (what the call
    returned or raised, then the state after it), or None."""
    if jitted.crash:
        return f"the jitted run crashed outside the step: {jitted.crash.strip().splitlines()[-1]}"
    for i, (e, j) in enumerate(zip(eager.results, jitted.results)):
        where = f"call {i} ({jitted.phases[i]})"
        if e[0] != j[0]:
            if j[0] == "raised":
                return f"{where}: jit raised {j[1]}: {j[2]!r}; eager returned"
            return f"{where}: eager raised {e[1]}: {e[2]!r}; jit returned"
        if e[0] == "raised":
            if e[1:] != j[1:]:
                return f"{where}: eager raised {e[1]}: {e[2]!r}; jit raised {j[1]}: {j[2]!r}"
        else:
            found = difference(e[1], j[1], "return value")
            if found:
                return f"{where}: {found}"
        found = difference(eager.states[i], jitted.states[i])
        if found:
            return f"{where}: state {found}"
    if len(eager.results) != len(jitted.results):
        return f"{len(eager.results)} calls eagerly, {len(jitted.results)} jitted"
    return None


def check_program(program: Program) -> Outcome:
    """Run a program eagerly and jitted and classify the result."""
    spec = program.spec
    eager = execute(program, use_jit=False)
    outcome = Outcome(spec.seed, "", program.features, spec=spec)
    bad = spec.bad_call if spec.bad_call is not None and _bad_call_applies(spec) else None
    unexpected = [f"call {i}: eager raised {r[1]}: {r[2]}" for i, r in enumerate(eager.results)
                  if r[0] == "raised" and i != bad]
    if eager.crash or unexpected:
        outcome.status = "EAGER-ERROR"
        outcome.difference = eager.crash.strip().splitlines()[-1] if eager.crash else unexpected[0]
        return outcome
    if bad is not None and eager.results[bad][0] != "raised":
        outcome.notes.append(f"eager accepted the out-of-range label/id at call {bad}")
    jitted = execute(program, use_jit=True)
    outcome.replays = jitted.replays
    outcome.reasons = [reason(m) for m in jitted.warnings]
    outcome.difference = first_difference(eager, jitted)
    if outcome.difference:
        outcome.status = "FAIL"
    elif jitted.warnings:
        outcome.status = "fell back"
    elif jitted.replays:
        outcome.status = "replayed"
    else:
        outcome.status = "not replayed"
    return outcome


def check(seed: int) -> Outcome:
    """Generate program ``seed`` and check it."""
    return check_program(render(draw(seed)))


# --------------------------------------------------------------------------- shrinking


def _simplifications(spec: Spec):
    """Specs one step plainer than ``spec``, each with one feature removed or set to default."""
    defaults = Spec(spec.seed)
    for i in range(len(spec.events)):
        yield dataclasses.replace(spec, events=spec.events[:i] + spec.events[i + 1:])
    for name in ("bad_call", "input_entry", "returns", "arguments", "zero_grad", "retain_graph",
                 "scheduler", "smaller_last", "start_eval", "head_bias", "scope", "container",
                 "same_first_batch"):
        if getattr(spec, name) != getattr(defaults, name):
            yield dataclasses.replace(spec, **{name: getattr(defaults, name)})
    for name in ("transforms", "aux"):
        items = getattr(spec, name)
        for i in range(len(items)):
            yield dataclasses.replace(spec, **{name: items[:i] + items[i + 1:]})
    if spec.optimizer != "sgd" or spec.optimizer_options != {"lr": 0.1}:
        yield dataclasses.replace(spec, optimizer="sgd", optimizer_options={"lr": 0.1})
    for key in spec.optimizer_options:
        if key != "lr":
            options = {k: v for k, v in spec.optimizer_options.items()
                       if k != key and not (key == "momentum" and k == "nesterov")}
            yield dataclasses.replace(spec, optimizer_options=options)
    if spec.task != "classify" or spec.loss != "cross_entropy":
        yield dataclasses.replace(spec, task="classify", loss="cross_entropy", loss_options={})
    if spec.loss != DEFAULT_LOSS[spec.task]:
        yield dataclasses.replace(spec, loss=DEFAULT_LOSS[spec.task], loss_options={})
    for key in spec.loss_options:
        yield dataclasses.replace(spec, loss_options={k: v for k, v in spec.loss_options.items()
                                                      if k != key})
    if spec.inputs != "dense":
        yield dataclasses.replace(spec, inputs="dense")
    if len(spec.blocks) > 1:
        for i in range(len(spec.blocks)):
            yield dataclasses.replace(spec, blocks=spec.blocks[:i] + spec.blocks[i + 1:])
    for i, block in enumerate(spec.blocks):
        for change in ({"norm": None, "norm_options": {}}, {"dropout": None}, {"act": "relu"},
                       {"bias": True}, *({"norm_options": {k: v for k, v in
                                                          block.norm_options.items() if k != key}}
                                         for key in block.norm_options)):
            simpler = dataclasses.replace(block, **change)
            if simpler != block:
                blocks = list(spec.blocks)
                blocks[i] = simpler
                yield dataclasses.replace(spec, blocks=blocks)


def shrink(spec: Spec, budget: int = 300) -> tuple[Spec, Outcome]:
    """A plainer spec that still FAILs: features are removed one at a time (greedily, until no
    removal keeps the FAIL or ``budget`` programs were run), and its outcome."""
    outcome = check_program(render(spec))
    assert outcome.status == "FAIL", "shrink needs a failing spec"
    runs, changed = 0, True
    while changed and runs < budget:
        changed = False
        for simpler in _simplifications(spec):
            runs += 1
            candidate = check_program(render(simpler))
            if candidate.status == "FAIL":
                spec, outcome, changed = simpler, candidate, True
                break
            if runs >= budget:
                break
    return spec, outcome


# --------------------------------------------------------------------------- the report


def _difference_kind(text: str) -> str:
    """What a first difference is about, for counting FAILs by kind."""
    if "jit raised" in text:
        return "an exception only under jit" if "eager returned" in text else \
            "a different exception"
    if "eager raised" in text:
        return "no exception under jit (eager raised)"
    if "crashed" in text:
        return "a crash of the jitted run"
    if "return value" in text:
        return "a returned value"
    match = re.search(r"state (\w+)(#\d+)?\.(\S*?)(:|\[)", text)
    if match is None:
        return "other"
    kind, rest = match.group(1), match.group(3)
    if kind in ("model", "teacher", "criterion"):
        if rest.endswith(".grad"):
            return f"a {kind} gradient"
        if rest.endswith((".running_mean", ".running_var", ".num_batches_tracked")):
            return f"a {kind} buffer"
        return f"a {kind} parameter or setting"
    return f"the {kind} state"


def summarize(outcomes: list, seconds: float | None = None, limit: int = 50) -> str:
    """The counts of replayed / fell back / not replayed / FAIL / EAGER-ERROR programs, the
    fallbacks grouped by reason, and each FAIL (up to ``limit``) with its first difference."""
    counts = Counter(o.status for o in outcomes)
    seeds = [o.seed for o in outcomes]
    head = f"jit fuzz: {len(outcomes)} programs"
    if seeds:
        head += f" (seeds {min(seeds)}..{max(seeds)})"
    if seconds is not None:
        head += f" in {seconds:.1f} s"
    lines = [head]
    for status in ("replayed", "fell back", "not replayed", "FAIL", "EAGER-ERROR"):
        lines.append(f"  {status:<13} {counts.get(status, 0):>5}")
    reasons = Counter(r for o in outcomes if o.status == "fell back" for r in set(o.reasons))
    if reasons:
        lines.append("fell back, by reason (programs; a program may give several):")
        lines += [f"  {n:>5}  {r}" for r, n in reasons.most_common()]
    notes = Counter(n for o in outcomes for n in o.notes)
    if notes:
        lines.append("notes on eager mode:")
        lines += [f"  {n:>5}  {r}" for r, n in notes.most_common()]
    failing = [o for o in outcomes if o.status in ("FAIL", "EAGER-ERROR")]
    if failing:
        kinds = Counter(_difference_kind(o.difference) for o in failing if o.status == "FAIL")
        if kinds:
            lines.append("FAIL, by what differed first:")
            lines += [f"  {n:>5}  {k}" for k, n in kinds.most_common()]
        lines.append(f"FAIL and EAGER-ERROR programs ({len(failing)}):")
        for outcome in failing[:limit]:
            lines.append(outcome.report())
        if len(failing) > limit:
            lines.append(f"  ... and {len(failing) - limit} more")
    return "\n".join(lines)


def _repro(seed: int) -> None:
    """Print program ``seed``'s source and both runs, call by call."""
    program = render(draw(seed))
    print(program.source)
    print("features:", ", ".join(program.features))
    eager, jitted = execute(program, False), execute(program, True)
    for i, (e, j) in enumerate(zip(eager.results, jitted.results)):
        if e[0] == j[0] == "returned":
            returned = difference(e[1], j[1], "return value")
        elif e == j:
            returned = None
        else:
            returned = " / ".join(f"{name} {r[0]}" + (f" {r[1]}: {r[2]!r}" if r[0] == "raised"
                                                       else "") for name, r in (("eager", e),
                                                                                ("jit", j)))
        state = difference(eager.states[i], jitted.states[i])
        print(f"call {i} (jit: {jitted.phases[i]}): "
              f"{'same result' if returned is None else 'DIFFERENT ' + returned}; "
              f"{'same state' if state is None else 'DIFFERENT state ' + state}")
    for w in jitted.warnings:
        print("TracerWarning:", w)
    for run, name in ((eager, "eager"), (jitted, "jit")):
        if run.crash:
            print(f"{name} crashed:\n{run.crash}")
    print(check_program(program).report())


def main(argv=None) -> int:
    """The command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=200, help="how many programs")
    parser.add_argument("--seed", type=int, default=0, help="the first program's seed")
    parser.add_argument("--show", type=int, metavar="SEED", help="print one program's source")
    parser.add_argument("--repro", type=int, metavar="SEED", help="run one program verbosely")
    parser.add_argument("--shrink", action="store_true", help="shrink every FAIL found")
    parser.add_argument("--limit", type=int, default=50, help="FAILs listed at most")
    args = parser.parse_args(argv)
    if args.show is not None:
        program = render(draw(args.show))
        print(program.source)
        print("# features:", ", ".join(program.features))
        return 0
    if args.repro is not None:
        _repro(args.repro)
        return 0
    start = time.perf_counter()
    outcomes = [check(seed) for seed in range(args.seed, args.seed + args.programs)]
    print(summarize(outcomes, time.perf_counter() - start, args.limit))
    if args.shrink:
        print("\nshrunk FAILs (the features each still needs):")
        for outcome in outcomes:
            if outcome.status == "FAIL":
                _, small = shrink(outcome.spec)
                print(f"seed {outcome.seed}: {', '.join(small.features)}\n"
                      f"    {small.difference}")
    return 1 if any(o.status in ("FAIL", "EAGER-ERROR") for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
