"""A trace-and-replay JIT: run a training step eagerly while recording it, then replay the
record with no Tensor or graph node made, no module code and no graph walk.

    @tinygrad_bn.jit
    def step(x, y):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    for x, y in loader:
        loss = step(x, y)          # calls 1 and 2 run eagerly and are recorded; then replays
    print(step.plan)               # the recorded kernels, in order

How it works (tinygrad's ``TinyJit`` and CUDA graphs do the same with GPU kernels):

1. **Capture** (``capture.py``). The first two calls with arguments of given shapes, dtypes
   and ``requires_grad`` run eagerly while a ``Capture`` listens at the framework's few
   dispatch points: every op's forward (``Op.apply``), the backward walk, in-place state
   updates outside the graph (``autograd.graph.effect``: BatchNorm's running statistics), whole
   Python calls on training state (``replayable``: ``optimizer.step``, ``zero_grad``, a
   scheduler's ``step``), ``.grad = None``, and every place a tensor is made. Each array an op
   reads is classified by where it comes from: an argument, a parameter or other tensor from
   before the call (read afresh by each replay), ``.grad`` (read afresh), the result of a
   recorded op, or a constant made from Python values alone. Indices, masks, class weights and
   bounds are op inputs like any other, and random draws are ops that draw again from the
   generator at each replay. A tensor made any other way (from a NumPy array, a value read into
   Python with ``.item()``) makes the function run eagerly, with a ``TracerWarning`` naming the
   line: a replay never reuses one call's data on another.
2. **Check.** The two records must agree: the same ops with the same arguments, constants with
   the same values, the same modules. This second line of defence catches Python-side
   behaviour that changed between the calls (a counter, a branch on a Python value). A record
   that differs from the one before is checked against the next call's, twice (a setting
   changed once, a new optimizer), before the function runs eagerly for good.
3. **Replay** (``plan.py``). The second record becomes a ``Plan``: straight-line Python,
   generated and compiled once, that calls each op's ``forward`` and ``backward`` on arrays,
   sums gradients in the engine's order, makes the recorded updates and calls, and stores
   ``.grad`` as the engine would: bit-identical to eager mode. (Linear, ReLU and training
   BatchNorm are written inline, the same NumPy calls as their methods: ``inline.py``.) ``print(step.plan)`` lists the
   kernels; ``step.plan.source`` shows the code.

Guards run before every replay and make it capture again instead of replaying stale
assumptions: the parameters and buffers still hold the same arrays and ``requires_grad``; every
module called is in the same train/eval mode with the same settings (``momentum``, ``eps``,
Dropout's ``p``, a loss's ``reduction``...); no module had a parameter, buffer, submodule or
hook assigned; every global name, enclosing variable or attribute of ``self`` the function
reads still names the same object (a new model or optimizer bound to the old name); anomaly
mode is off; a ``.grad`` the step reads before setting it still exists. What the replay reads
anew each call: optimizer hyperparameters and state (``step`` itself runs), learning rates a
scheduler sets, whether ``.grad`` is None. A returned learning rate or ``get_last_lr()`` is the
current one, a returned ``.grad`` or ``state_dict()`` value the current tensor. Arguments of
another shape or dtype, other Python values, or arguments that alias each other differently
get a plan of their own (at most ``max_plans``, least recently used first out).

What the user must keep in mind, as with ``torch.jit.trace``: Python code in the function runs
only during the two captures. Python side effects (appending to a list, printing) happen then
and never in a replay; a function that assigns a global or an enclosing variable is refused.
The returned tensors hold the replay's values but no ``grad_fn``: call ``backward()`` inside
the function. Calls from several threads are served one at a time, each as if alone.

``tinygrad_bn.jit`` is this decorator and also PyTorch's ``torch.jit`` namespace
(``script``, ``trace``, ``save``...), which runs the Python eagerly: see ``torch_jit.py``.
"""

from .capture import TracerWarning
from .jit_function import JitFunction, jit
from .plan import MISS, Plan

__all__ = ["jit", "JitFunction", "Plan", "TracerWarning", "MISS"]
