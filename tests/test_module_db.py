"""PyTorch's own module tests as conformance tests (issue 24): ``common_modules.module_db``.

For every ModuleInfo whose class tinygrad_bn.nn provides, in each of its dtypes that tinygrad_bn
has, in training and (when they differ) eval mode, and for each of its module inputs (test id
``Module-dtype-train|eval-index``): the module is built in both libraries from the same
constructor arguments, tinygrad_bn's gets PyTorch's state_dict, and the forward outputs are
compared (values with assert_close's defaults, dtype, shape, requires_grad); in float64 the
gradients of the inputs and of every parameter are compared too, for the grad_output -1..1.

Out of scope, counted and printed in the summary: ModuleInfos whose class tinygrad_bn.nn does
not provide, dtypes tinygrad_bn lacks, other devices, and inputs holding what tinygrad_bn does
not model (opinfo_compare.OutOfScope). Disagreements are strict xfails listed in XFAILS.
"""

from collections import Counter

import pytest

torch = pytest.importorskip("torch", reason="the module conformance suite compares with PyTorch")
pytest.importorskip("expecttest", reason="PyTorch's module_db imports expecttest (pip install "
                                         "expecttest, in the test extra)")

from torch.testing._internal import common_utils  # noqa: E402
from torch.testing._internal.common_modules import module_db  # noqa: E402

import tinygrad_bn as tg  # noqa: E402
from opinfo_compare import (  # noqa: E402
    DTYPES, Converter, OutOfScope, compare, compare_gradients, grad_outputs,
    register_scope_summary, restore_torch_flags,
)

restore_torch_flags()

DEVICE = "cpu"
SCOPE = Counter()
NOT_PROVIDED = []


class Case:
    def __init__(self, info, dtype, training, index, module_input):
        self.info, self.dtype, self.training, self.index, self.input = (
            info, dtype, training, index, module_input)
        mode = "train" if training else "eval"
        self.id = f"{info.module_cls.__name__}-{str(dtype)[6:]}-{mode}-{index}"


def collect():
    saved = common_utils.extract_test_fn
    common_utils.extract_test_fn = lambda: None  # see test_opinfo.collect
    try:
        return _collect()
    finally:
        common_utils.extract_test_fn = saved


def _collect():
    cases = []
    for info in module_db:
        if not hasattr(tg.nn, info.module_cls.__name__):
            NOT_PROVIDED.append(info.name)
            continue
        SCOPE["(module, dtype) pairs in dtypes tinygrad_bn lacks"] += len(
            [d for d in info.dtypes if d not in DTYPES])
        for dtype in info.dtypes:
            if dtype not in DTYPES:
                continue
            for training in (True, False) if info.train_and_eval_differ else (True,):
                torch.manual_seed(0)
                inputs = info.module_inputs_func(info, device=DEVICE, dtype=dtype,
                                                 requires_grad=dtype == torch.float64,
                                                 training=training)
                for index, module_input in enumerate(inputs):
                    try:
                        Converter()((module_input.constructor_input.args,
                                     module_input.constructor_input.kwargs,
                                     module_input.forward_input.args,
                                     module_input.forward_input.kwargs))
                    except OutOfScope as reason:
                        SCOPE[f"module inputs with {reason}"] += 1
                        continue
                    cases.append(Case(info, dtype, training, index, module_input))
    return cases


CASES = collect()


def run_case(case):
    convert = Converter()
    constructor, forward = case.input.constructor_input, case.input.forward_input
    torch.manual_seed(0)
    theirs_module = case.info.module_cls(*constructor.args, **constructor.kwargs)
    theirs_module.to(case.dtype).train(case.training)
    ours_module = getattr(tg.nn, case.info.module_cls.__name__)(
        *convert(constructor.args), **convert(constructor.kwargs))
    ours_module.to(DTYPES[case.dtype]).train(case.training)
    if isinstance(theirs_module, torch.nn.modules.lazy.LazyModuleMixin):
        # A lazy module's parameters get their shapes from a first call (made on both before
        # the state is copied; the compared call is the second).
        with torch.no_grad():
            theirs_module(*forward.args, **forward.kwargs)
        with tg.no_grad():
            ours_module(*Converter()(forward.args), **Converter()(forward.kwargs))
    ours_module.load_state_dict({name: tg.tensor(value.detach().numpy().copy())
                                 for name, value in theirs_module.state_dict().items()})
    args, kwargs = convert(forward.args), convert(forward.kwargs)
    theirs = theirs_module(*forward.args, **forward.kwargs)
    ours = ours_module(*args, **kwargs)
    compare(ours, theirs)
    if case.dtype != torch.float64:
        return
    their_outs, our_outs = grad_outputs(theirs), grad_outputs(ours)
    if len(their_outs) != len(our_outs) or not their_outs or not (convert.leaves or
                                                                  list(theirs_module.parameters())):
        return
    their_params = dict(theirs_module.named_parameters())
    our_params = dict(ours_module.named_parameters())
    leaves = convert.leaves + [(their_params[n], our_params[n]) for n in their_params]
    compare_gradients(their_outs, our_outs, leaves, "leaf")


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", [
            pytest.param(case, id=case.id, marks=[pytest.mark.xfail(
                strict=True, reason=XFAILS[case.id])] if case.id in XFAILS else [])
            for case in CASES])


def test_module(case):
    run_case(case)


def test_every_xfails_row_matches_a_module_input():
    assert not set(XFAILS) - {case.id for case in CASES}


@pytest.fixture(autouse=True, scope="module")
def _print_summary(request):
    register_scope_summary(
        request, "module-db-summary",
        lambda: (f"module_db conformance: {len(CASES)} module inputs run ({len(XFAILS)} "
                 f"expected to fail); out of scope:"),
        f"{len(NOT_PROVIDED)} ModuleInfos whose class tinygrad_bn.nn does not provide", SCOPE)


# Module inputs that disagree today, with the difference (none today: a new one is listed here
# as "Module-dtype-mode-index": "kind: what differs").
XFAILS = {}
