"""The list and dict side of the module containers (ModuleDict, ModuleList, Sequential,
ParameterList, ParameterDict): attribute access to entries, indexing, slicing, ``insert``,
``extend``, ``+``, ``*``, ``pop``, ``del``, ``update``, ``dir``, reprs and errors, each a line in
one table with the outcome PyTorch 2.13 gives, which a second test checks against PyTorch when
it is installed. Then karpathy's GPT layout (``transformer.wte``) end to end."""

import re
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_bn as tg


def outcome(lib, case):
    """``("ok", value)``, or ``(error type name, message)`` with class paths shortened so that
    ``<class 'torch.nn.modules.container.Sequential'>`` reads ``<class Sequential>``."""
    try:
        return "ok", case(lib, lib.nn)
    except Exception as error:  # noqa: BLE001 - the error is the outcome
        message = str(error) if not isinstance(error, KeyError) else repr(error.args[0])
        return type(error).__name__, re.sub(r"<class '[\w.]+\.(\w+)'>", r"<class \1>", message)


def lin(nn):
    return nn.Linear(1, 1)


def names(modules):
    return [type(m).__name__ for m in modules]


def after(action, result):
    """Run ``action`` (which mutates) and return ``result()``."""
    def run(container):
        action(container)
        return result(container)
    return run


def gpt(nn):
    return nn.ModuleDict(dict(wte=nn.Embedding(3, 2), h=nn.ModuleList([lin(nn), lin(nn)]),
                              ln_f=nn.LayerNorm(2)))


LINEAR = "Linear(in_features=1, out_features=1, bias=True)"
OK, MODULE_TYPE = "ok", "module should be of type: <class Module>"

CASES = {
    # ------------------------------------------------------------------ ModuleDict
    "dict entries read as attributes": (
        lambda t, nn: names([gpt(nn).wte, gpt(nn).h, gpt(nn).ln_f]),
        (OK, ["Embedding", "ModuleList", "LayerNorm"])),
    "dict missing attribute": (
        lambda t, nn: gpt(nn).lm_head,
        ("AttributeError", "'ModuleDict' object has no attribute 'lm_head'")),
    "dict missing key": (lambda t, nn: gpt(nn)["lm_head"], ("KeyError", "'lm_head'")),
    "dict state_dict keys": (
        lambda t, nn: list(gpt(nn).state_dict()),
        (OK, ["wte.weight", "h.0.weight", "h.0.bias", "h.1.weight", "h.1.bias", "ln_f.weight",
              "ln_f.bias"])),
    "dict named_modules": (
        lambda t, nn: [name for name, _ in gpt(nn).named_modules()],
        (OK, ["", "wte", "h", "h.0", "h.1", "ln_f"])),
    "dict repr": (
        lambda t, nn: repr(gpt(nn)),
        (OK, "ModuleDict(\n  (wte): Embedding(3, 2)\n  (h): ModuleList(\n"
             f"    (0-1): 2 x {LINEAR}\n  )\n"
             "  (ln_f): LayerNorm((2,), eps=1e-05, elementwise_affine=True, bias=True)\n)")),
    "dict assigning an attribute adds an entry": (
        lambda t, nn: after(lambda d: setattr(d, "head", nn.ReLU()),
                            lambda d: (list(d), "head" in d, names([d["head"]])))(gpt(nn)),
        (OK, (["wte", "h", "ln_f", "head"], True, ["ReLU"]))),
    "dict del attribute removes the entry": (
        lambda t, nn: after(lambda d: delattr(d, "h"), lambda d: list(d))(gpt(nn)),
        (OK, ["wte", "ln_f"])),
    "dict del item": (
        lambda t, nn: after(lambda d: d.__delitem__("wte"), lambda d: list(d.state_dict())[:1])(
            gpt(nn)),
        (OK, ["h.0.weight"])),
    "dict del missing": (lambda t, nn: nn.ModuleDict().__delitem__("a"), ("KeyError", "'a'")),
    "dict replacing keeps the place": (
        lambda t, nn: after(lambda d: d.__setitem__("wte", nn.ReLU()),
                            lambda d: (list(d), names(d.values())))(gpt(nn)),
        (OK, (["wte", "h", "ln_f"], ["ReLU", "ModuleList", "LayerNorm"]))),
    "dict None entry": (
        lambda t, nn: after(lambda d: d.__setitem__("a", None),
                            lambda d: (list(d), d["a"], list(d.children())))(nn.ModuleDict()),
        (OK, (["a"], None, []))),
    "dict in, len, iter, keys, values, items": (
        lambda t, nn: (lambda d: ("h" in d, 3 in d, len(d), list(iter(d)), list(d.keys()),
                                  names(d.values()), [k for k, _ in d.items()]))(gpt(nn)),
        (OK, (True, False, 3, ["wte", "h", "ln_f"], ["wte", "h", "ln_f"],
              ["Embedding", "ModuleList", "LayerNorm"], ["wte", "h", "ln_f"]))),
    "dict keeps the order given": (
        lambda t, nn: list(nn.ModuleDict(dict(b=lin(nn), a=lin(nn)))), (OK, ["b", "a"])),
    "dict pairs, a repeated key keeps its first place": (
        lambda t, nn: (lambda d: (list(d), names(d.values())))(
            nn.ModuleDict([("a", lin(nn)), ("b", lin(nn)), ("a", nn.ReLU())])),
        (OK, (["a", "b"], ["ReLU", "Linear"]))),
    "dict update from pairs, OrderedDict and ModuleDict": (
        lambda t, nn: after(lambda d: (d.update([("b", lin(nn))]),
                                       d.update(OrderedDict(a=lin(nn))),
                                       d.update(nn.ModuleDict(dict(c=lin(nn))))),
                            lambda d: list(d))(nn.ModuleDict()),
        (OK, ["b", "a", "c"])),
    "dict update returns None": (lambda t, nn: nn.ModuleDict().update({}), (OK, None)),
    "dict update with a non-iterable": (
        lambda t, nn: nn.ModuleDict().update(3),
        ("TypeError", "ModuleDict.update should be called with an iterable of key/value "
                      "pairs, but got int")),
    "dict constructed from a non-iterable": (
        lambda t, nn: nn.ModuleDict(3),
        ("TypeError", "ModuleDict.update should be called with an iterable of key/value "
                      "pairs, but got int")),
    "dict update element not iterable": (
        lambda t, nn: nn.ModuleDict().update([3]),
        ("TypeError", "ModuleDict update sequence element #0 should be Iterable; isint")),
    "dict update element of length 3": (
        lambda t, nn: nn.ModuleDict().update([("a", lin(nn), 1)]),
        ("ValueError", "ModuleDict update sequence element #0 has length 3; 2 is required")),
    "dict key not a string": (
        lambda t, nn: nn.ModuleDict().__setitem__(0, lin(nn)),
        ("TypeError", "module name should be a string. Got int")),
    "dict value not a module": (
        lambda t, nn: nn.ModuleDict().__setitem__("a", 3),
        ("TypeError", "int is not a Module subclass")),
    "dict key with a dot": (
        lambda t, nn: nn.ModuleDict().__setitem__("a.b", lin(nn)),
        ("KeyError", "'module name can\\'t contain \".\", got: a.b'")),
    "dict empty key": (
        lambda t, nn: nn.ModuleDict().__setitem__("", lin(nn)),
        ("KeyError", "'module name can\\'t be empty string \"\"'")),
    "dict key naming a method": (
        lambda t, nn: nn.ModuleDict(dict(keys=lin(nn))),
        ("KeyError", "\"attribute 'keys' already exists\"")),
    "dict key naming a setting": (
        lambda t, nn: nn.ModuleDict(dict(training=lin(nn))),
        ("KeyError", "\"attribute 'training' already exists\"")),
    "dict key forward": (
        lambda t, nn: nn.ModuleDict(dict(forward=lin(nn))),
        ("KeyError", "\"attribute 'forward' already exists\"")),
    "dict pop": (
        lambda t, nn: (lambda d: (names([d.pop("wte")]), list(d)))(gpt(nn)),
        (OK, (["Embedding"], ["h", "ln_f"]))),
    "dict pop missing": (lambda t, nn: nn.ModuleDict().pop("a"), ("KeyError", "'a'")),
    "dict clear": (
        lambda t, nn: after(lambda d: d.clear(), lambda d: (len(d), list(d.state_dict())))(
            gpt(nn)),
        (OK, (0, []))),
    "dict dir lists the keys": (
        lambda t, nn: [k for k in dir(gpt(nn)) if k in ("wte", "h", "ln_f")],
        (OK, ["h", "ln_f", "wte"])),
    "dict called": (
        lambda t, nn: nn.ModuleDict()(1),
        ("NotImplementedError", 'Module [ModuleDict] is missing the required "forward" '
                                "function")),
    "dict repr empty": (lambda t, nn: repr(nn.ModuleDict()), (OK, "ModuleDict()")),
    # ------------------------------------------------------------------ ModuleList
    "list negative index": (
        lambda t, nn: names([nn.ModuleList([lin(nn), nn.ReLU()])[-1]]), (OK, ["ReLU"])),
    "list index out of range": (
        lambda t, nn: nn.ModuleList([lin(nn)])[3], ("IndexError", "index 3 is out of range")),
    "list negative index out of range": (
        lambda t, nn: nn.ModuleList([lin(nn)])[-2], ("IndexError", "index -2 is out of range")),
    "list string index": (
        lambda t, nn: nn.ModuleList([lin(nn)])["0"],
        ("TypeError", "'str' object cannot be interpreted as an integer")),
    "list NumPy integer index": (
        lambda t, nn: names([nn.ModuleList([lin(nn)])[np.int64(0)]]), (OK, ["Linear"])),
    "list slice": (
        lambda t, nn: (lambda s: (type(s).__name__, names(s), list(s.state_dict())))(
            nn.ModuleList([nn.ReLU(), lin(nn), nn.Tanh()])[::-1]),
        (OK, ("ModuleList", ["Tanh", "Linear", "ReLU"], ["1.weight", "1.bias"]))),
    "list item assignment": (
        lambda t, nn: after(lambda m: m.__setitem__(-1, nn.Tanh()), names)(
            nn.ModuleList([lin(nn), nn.ReLU()])),
        (OK, ["Linear", "Tanh"])),
    "list item assignment out of range": (
        lambda t, nn: nn.ModuleList([lin(nn)]).__setitem__(1, nn.Tanh()),
        ("IndexError", "index 1 is out of range")),
    "list item assignment of a non-module": (
        lambda t, nn: nn.ModuleList([lin(nn)]).__setitem__(0, 3),
        ("TypeError", "cannot assign 'int' as child module '0' (torch.nn.Module or None "
                      "expected)")),
    "list slice assignment": (
        lambda t, nn: nn.ModuleList([lin(nn)]).__setitem__(slice(0, 1), [nn.Tanh()]),
        ("TypeError", "'slice' object cannot be interpreted as an integer")),
    "list del renumbers": (
        lambda t, nn: after(lambda m: m.__delitem__(0), lambda m: list(m.state_dict()))(
            nn.ModuleList([nn.ReLU(), lin(nn)])),
        (OK, ["0.weight", "0.bias"])),
    "list del slice": (
        lambda t, nn: after(lambda m: m.__delitem__(slice(0, 3, 2)), names)(
            nn.ModuleList([nn.ReLU(), lin(nn), nn.Tanh()])),
        (OK, ["Linear"])),
    "list del out of range": (
        lambda t, nn: nn.ModuleList([lin(nn)]).__delitem__(5),
        ("IndexError", "index 5 is out of range")),
    "list insert": (
        lambda t, nn: after(lambda m: m.insert(1, nn.Tanh()),
                            lambda m: (names(m), list(m._modules)))(
            nn.ModuleList([lin(nn), nn.ReLU()])),
        (OK, (["Linear", "Tanh", "ReLU"], ["0", "1", "2"]))),
    "list insert at the end": (
        lambda t, nn: after(lambda m: m.insert(2, nn.Tanh()), names)(
            nn.ModuleList([lin(nn), nn.ReLU()])),
        (OK, ["Linear", "ReLU", "Tanh"])),
    "list insert returns None": (
        lambda t, nn: nn.ModuleList([lin(nn)]).insert(0, nn.ReLU()), (OK, None)),
    "list append returns the list": (
        lambda t, nn: (lambda m: m.append(nn.ReLU()) is m)(nn.ModuleList()), (OK, True)),
    "list append of a non-module": (
        lambda t, nn: nn.ModuleList().append(3), ("TypeError", "int is not a Module subclass")),
    "list append None keeps a place": (
        lambda t, nn: (lambda m: (len(m), m[0], list(m.children())))(
            nn.ModuleList().append(None)),
        (OK, (1, None, []))),
    "list extend returns the list": (
        lambda t, nn: (lambda m: (m.extend([nn.ReLU()]) is m, len(m)))(nn.ModuleList()),
        (OK, (True, 1))),
    "list extend with a non-iterable": (
        lambda t, nn: nn.ModuleList().extend(3),
        ("TypeError", "ModuleList.extend should be called with an iterable, but got int")),
    "list constructed from a non-iterable": (
        lambda t, nn: nn.ModuleList(3),
        ("TypeError", "ModuleList.extend should be called with an iterable, but got int")),
    "list extend with a non-module": (
        lambda t, nn: nn.ModuleList().extend([3]),
        ("TypeError", "int is not a Module subclass")),
    "list plus list": (
        lambda t, nn: (lambda s: (type(s).__name__, list(s.state_dict())))(
            nn.ModuleList([lin(nn)]) + nn.ModuleList([nn.ReLU(), lin(nn)])),
        (OK, ("ModuleList", ["0.weight", "0.bias", "2.weight", "2.bias"]))),
    "list plus a Python list": (
        lambda t, nn: names(nn.ModuleList([lin(nn)]) + [nn.ReLU()]), (OK, ["Linear", "ReLU"])),
    "list +=": (
        lambda t, nn: (lambda m: (m.__iadd__([nn.ReLU()]) is m, names(m)))(
            nn.ModuleList([lin(nn)])),
        (OK, (True, ["Linear", "ReLU"]))),
    "list += a non-iterable": (
        lambda t, nn: nn.ModuleList().__iadd__(3),
        ("TypeError", "ModuleList.extend should be called with an iterable, but got int")),
    "list pop": (
        lambda t, nn: (lambda m: (names([m.pop(0)]), list(m.state_dict())))(
            nn.ModuleList([nn.ReLU(), lin(nn)])),
        (OK, (["ReLU"], ["0.weight", "0.bias"]))),
    "list pop a slice": (
        lambda t, nn: (lambda m: (names(m.pop(slice(1, None))), names(m)))(
            nn.ModuleList([nn.ReLU(), lin(nn), nn.Tanh()])),
        (OK, (["Linear", "Tanh"], ["ReLU"]))),
    "list in": (
        lambda t, nn: (lambda a: (a in nn.ModuleList([a]), lin(nn) in nn.ModuleList([a])))(
            lin(nn)),
        (OK, (True, False))),
    "list reversed": (
        lambda t, nn: names(reversed(nn.ModuleList([lin(nn), nn.ReLU()]))),
        (OK, ["ReLU", "Linear"])),
    "list entry by its digit name": (
        lambda t, nn: names([getattr(nn.ModuleList([lin(nn)]), "0")]), (OK, ["Linear"])),
    "list dir hides the digits": (
        lambda t, nn: [k for k in dir(nn.ModuleList([lin(nn)])) if k[0].isdigit()], (OK, [])),
    "list an attribute module joins the list": (
        lambda t, nn: after(lambda m: setattr(m, "extra", nn.ReLU()),
                            lambda m: (len(m), [n for n, _ in m.named_children()]))(
            nn.ModuleList([lin(nn)])),
        (OK, (2, ["0", "extra"]))),
    "list repr groups equal entries": (
        lambda t, nn: repr(nn.ModuleList([lin(nn), lin(nn), lin(nn), nn.ReLU(), lin(nn)])),
        (OK, f"ModuleList(\n  (0-2): 3 x {LINEAR}\n  (3): ReLU()\n  (4): {LINEAR}\n)")),
    "list repr of nested lists": (
        lambda t, nn: repr(nn.ModuleList([nn.ModuleList([nn.ReLU(), nn.ReLU()])] * 2)),
        (OK, "ModuleList(\n  (0-1): 2 x ModuleList(\n    (0-1): 2 x ReLU()\n  )\n)")),
    "list repr empty": (lambda t, nn: repr(nn.ModuleList()), (OK, "ModuleList()")),
    "list called": (
        lambda t, nn: nn.ModuleList()(1),
        ("NotImplementedError", 'Module [ModuleList] is missing the required "forward" '
                                "function")),
    "list holding one module twice": (
        lambda t, nn: (lambda a: (list(nn.ModuleList([a, a]).state_dict()),
                                  [n for n, _ in nn.ModuleList([a, a]).named_modules()],
                                  len(list(nn.ModuleList([a, a]).parameters()))))(lin(nn)),
        (OK, (["0.weight", "0.bias", "1.weight", "1.bias"], ["", "0"], 2))),
    "list holding one module twice, every name": (
        lambda t, nn: (lambda a: (
            [n for n, _ in nn.ModuleList([a, a]).named_modules(remove_duplicate=False)],
            [n for n, _ in nn.ModuleList([a, a]).named_modules(prefix="x")],
            [n for n, _ in nn.ModuleList([a, a]).named_parameters(remove_duplicate=False)],
            [n for n, _ in nn.ModuleList([a, a]).named_buffers(remove_duplicate=False)]))(
            lin(nn)),
        (OK, (["", "0", "1"], ["x", "x.0"], ["0.weight", "0.bias", "1.weight", "1.bias"],
              []))),
    "tied parameters, every name": (
        lambda t, nn: (lambda m: (m[0].__setattr__("weight", m[1].weight),
                                  [n for n, _ in m.named_parameters()],
                                  [n for n, _ in m.named_parameters(remove_duplicate=False)],
                                  list(m.state_dict()))[1:])(
            nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))),
        (OK, (["0.weight"], ["0.weight", "1.weight"], ["0.weight", "1.weight"]))),
    "list is not a Sequential": (
        lambda t, nn: isinstance(nn.Sequential(), nn.ModuleList), (OK, False)),
    # ------------------------------------------------------------------ Sequential
    "sequential negative index": (
        lambda t, nn: names([nn.Sequential(lin(nn), nn.ReLU())[-1]]), (OK, ["ReLU"])),
    "sequential index out of range": (
        lambda t, nn: nn.Sequential(lin(nn))[5], ("IndexError", "index 5 is out of range")),
    "sequential string index": (
        lambda t, nn: nn.Sequential(lin(nn))["0"],
        ("TypeError", "'str' object cannot be interpreted as an integer")),
    "sequential slice keeps the names": (
        lambda t, nn: (lambda s: (type(s).__name__, list(s.state_dict())))(
            nn.Sequential(nn.ReLU(), lin(nn), lin(nn))[1:]),
        (OK, ("Sequential", ["1.weight", "1.bias", "2.weight", "2.bias"]))),
    "sequential slice of named steps": (
        lambda t, nn: repr(nn.Sequential(OrderedDict(fc=lin(nn), act=nn.ReLU(),
                                                     out=nn.Tanh()))[::2]),
        (OK, f"Sequential(\n  (fc): {LINEAR}\n  (out): Tanh()\n)")),
    "sequential item assignment": (
        lambda t, nn: after(lambda m: m.__setitem__(-1, nn.Tanh()), names)(
            nn.Sequential(lin(nn), nn.ReLU())),
        (OK, ["Linear", "Tanh"])),
    "sequential item assignment of a non-module": (
        lambda t, nn: nn.Sequential(lin(nn)).__setitem__(0, 3),
        ("TypeError", "cannot assign 'int' as child module '0' (torch.nn.Module or None "
                      "expected)")),
    "sequential named item assignment keeps the name": (
        lambda t, nn: after(lambda m: m.__setitem__(0, nn.Tanh()), repr)(
            nn.Sequential(OrderedDict(fc=lin(nn), act=nn.ReLU()))),
        (OK, "Sequential(\n  (fc): Tanh()\n  (act): ReLU()\n)")),
    "sequential del renames by position": (
        lambda t, nn: after(lambda m: m.__delitem__(0), repr)(
            nn.Sequential(OrderedDict(fc=lin(nn), act=nn.ReLU()))),
        (OK, "Sequential(\n  (0): ReLU()\n)")),
    "sequential del slice": (
        lambda t, nn: after(lambda m: m.__delitem__(slice(0, 1)), lambda m: list(m.state_dict()))(
            nn.Sequential(nn.ReLU(), lin(nn))),
        (OK, ["0.weight", "0.bias"])),
    "sequential insert": (
        lambda t, nn: (lambda m: (m.insert(0, nn.Tanh()) is m, list(m.state_dict())))(
            nn.Sequential(nn.ReLU(), lin(nn))),
        (OK, (True, ["2.weight", "2.bias"]))),
    "sequential insert negative": (
        lambda t, nn: names(nn.Sequential(nn.ReLU(), lin(nn)).insert(-1, nn.Tanh())),
        (OK, ["ReLU", "Tanh", "Linear"])),
    "sequential insert out of range": (
        lambda t, nn: nn.Sequential(nn.ReLU()).insert(2, nn.Tanh()),
        ("IndexError", "Index out of range: 2")),
    "sequential insert of a non-module": (
        lambda t, nn: nn.Sequential(nn.ReLU()).insert(0, 3), ("AssertionError", MODULE_TYPE)),
    "sequential extend": (
        lambda t, nn: (lambda m: (m.extend([nn.Tanh(), lin(nn)]) is m, list(m.state_dict())))(
            nn.Sequential(lin(nn))),
        (OK, (True, ["0.weight", "0.bias", "2.weight", "2.bias"]))),
    "sequential append of a non-module": (
        lambda t, nn: nn.Sequential().append(3), ("TypeError", "int is not a Module subclass")),
    "sequential of a non-module": (
        lambda t, nn: nn.Sequential(nn.ReLU(), 3), ("TypeError", "int is not a Module subclass")),
    "sequential of a plain dict": (
        lambda t, nn: nn.Sequential(dict(fc=lin(nn))),
        ("TypeError", "dict is not a Module subclass")),
    "sequential plus sequential": (
        lambda t, nn: (lambda s: (type(s).__name__, repr(s)))(
            nn.Sequential(OrderedDict(fc=lin(nn))) + nn.Sequential(OrderedDict(act=nn.ReLU()))),
        (OK, ("Sequential", f"Sequential(\n  (0): {LINEAR}\n  (1): ReLU()\n)"))),
    "sequential plus a list": (
        lambda t, nn: nn.Sequential(lin(nn)) + [nn.ReLU()],
        ("ValueError", "add operator supports only objects of Sequential class, but "
                       "<class 'list'> is given.")),
    "sequential +=": (
        lambda t, nn: (lambda m: (m.__iadd__(nn.Sequential(nn.ReLU())) is m, names(m)))(
            nn.Sequential(lin(nn))),
        (OK, (True, ["Linear", "ReLU"]))),
    "sequential += a list": (
        lambda t, nn: nn.Sequential(lin(nn)).__iadd__([nn.ReLU()]),
        ("ValueError", "add operator supports only objects of Sequential class, but "
                       "<class 'list'> is given.")),
    "sequential times 2 repeats the same modules": (
        lambda t, nn: (lambda s: (type(s).__name__, list(s.state_dict()), s[0] is s[1]))(
            nn.Sequential(lin(nn)) * 2),
        (OK, ("Sequential", ["0.weight", "0.bias", "1.weight", "1.bias"], True))),
    "2 times sequential": (
        lambda t, nn: names(2 * nn.Sequential(lin(nn), nn.ReLU())),
        (OK, ["Linear", "ReLU", "Linear", "ReLU"])),
    "sequential *=": (
        lambda t, nn: (lambda m: (m.__imul__(3) is m, len(m)))(nn.Sequential(lin(nn))),
        (OK, (True, 3))),
    "sequential times 0": (
        lambda t, nn: nn.Sequential(lin(nn)) * 0,
        ("ValueError", "Non-positive multiplication factor 0 for <class Sequential>")),
    "sequential times a float": (
        lambda t, nn: nn.Sequential(lin(nn)) * 2.0,
        ("TypeError", "unsupported operand type(s) for *: <class Sequential> and "
                      "<class 'float'>")),
    "sequential pop": (
        lambda t, nn: (lambda m: (names([m.pop(0)]), list(m.state_dict())))(
            nn.Sequential(nn.ReLU(), lin(nn))),
        (OK, (["ReLU"], ["0.weight", "0.bias"]))),
    "sequential dir": (
        lambda t, nn: [k for k in dir(nn.Sequential(OrderedDict(fc=lin(nn)), )) if k == "fc"]
        + [k for k in dir(nn.Sequential(lin(nn))) if k[0].isdigit()],
        (OK, ["fc"])),
    "sequential step by its digit name": (
        lambda t, nn: names([getattr(nn.Sequential(lin(nn)), "0")]), (OK, ["Linear"])),
    "sequential an attribute module becomes a step": (
        lambda t, nn: after(lambda m: setattr(m, "act", nn.ReLU()),
                            lambda m: (len(m), m(t.ones(1, 1)).shape[0]))(
            nn.Sequential(lin(nn))),
        (OK, (2, 1))),
    "sequential empty": (
        lambda t, nn: (repr(nn.Sequential()), tuple(nn.Sequential()(t.ones(2)).shape)),
        (OK, ("Sequential()", (2,)))),
    "sequential repr does not group": (
        lambda t, nn: repr(nn.Sequential(nn.ReLU(), nn.ReLU())),
        (OK, "Sequential(\n  (0): ReLU()\n  (1): ReLU()\n)")),
    "sequential of one module under two names": (
        lambda t, nn: (lambda a: list(nn.Sequential(OrderedDict(x=a, y=a)).state_dict()))(
            lin(nn)),
        (OK, ["x.weight", "x.bias", "y.weight", "y.bias"])),
    # ------------------------------------------------------------------ parameter containers
    "parameter list entry by its digit name": (
        lambda t, nn: tuple(getattr(nn.ParameterList([t.ones(1), t.ones(2)]), "1").shape),
        (OK, (2,))),
    "parameter list missing digit name": (
        lambda t, nn: getattr(nn.ParameterList([t.ones(1)]), "1"),
        ("AttributeError", "'ParameterList' object has no attribute '1'")),
    "parameter list superscript name": (
        lambda t, nn: getattr(nn.ParameterList([t.ones(1)]), "\u00b2"),
        ("AttributeError", "'ParameterList' object has no attribute '\u00b2'")),
    "parameter list dir hides the digits": (
        lambda t, nn: [k for k in dir(nn.ParameterList([t.ones(1)])) if k[0].isdigit()],
        (OK, [])),
    "parameter dict dir lists the keys": (
        lambda t, nn: [k for k in dir(nn.ParameterDict(dict(w=t.ones(1)))) if k == "w"],
        (OK, ["w"])),
    "parameter dict entries read as attributes": (
        lambda t, nn: tuple(nn.ParameterDict(dict(a=t.ones(2))).a.shape), (OK, (2,))),
    # ------------------------------------------------------------------ Module.add_module
    "add_module with a dot": (
        lambda t, nn: nn.Module().add_module("a.b", lin(nn)),
        ("KeyError", "'module name can\\'t contain \".\", got: a.b'")),
    "add_module over a method": (
        lambda t, nn: nn.Module().add_module("train", lin(nn)),
        ("KeyError", "\"attribute 'train' already exists\"")),
    "add_module over a parameter": (
        lambda t, nn: nn.Linear(1, 1).add_module("weight", lin(nn)),
        ("KeyError", "\"attribute 'weight' already exists\"")),
    "add_module over a submodule replaces it": (
        lambda t, nn: after(lambda m: m.add_module("0", nn.Tanh()), names)(
            nn.Sequential(nn.ReLU())),
        (OK, ["Tanh"])),
    "add_module with a number": (
        lambda t, nn: nn.Module().add_module(1, lin(nn)),
        ("TypeError", "module name should be a string. Got int")),
}

# Where tinygrad_bn parts from PyTorch on purpose (PyTorch's behaviour there is an accident of
# its storage), with what PyTorch does instead.
DIFFERENT_ON_PURPOSE = {
    # PyTorch's ModuleList.insert shifts keys "n".."index+1" and fails on a negative index
    # (KeyError: '-1'); here it is list.insert.
    "list insert negative": (
        lambda t, nn: after(lambda m: m.insert(-1, nn.Tanh()), names)(
            nn.ModuleList([lin(nn), nn.ReLU()])),
        (OK, ["Linear", "Tanh", "ReLU"])),
    # PyTorch stores anything ModuleList.insert is given and fails later; here it refuses.
    "list insert of a non-module": (
        lambda t, nn: nn.ModuleList([lin(nn)]).insert(0, 3),
        ("TypeError", "int is not a Module subclass")),
    # PyTorch's Sequential.insert into named steps fails (KeyError: '1'); here every step is
    # named by its position afterwards, as after del.
    "sequential insert into named steps": (
        lambda t, nn: after(lambda m: m.insert(0, nn.Tanh()), lambda m: list(m._modules))(
            nn.Sequential(OrderedDict(fc=lin(nn), act=nn.ReLU()))),
        (OK, ["0", "1", "2"])),
    # PyTorch's ParameterDict keeps the key after del d.a (list(d) == ["a"]) while the
    # parameter is gone; here the entry goes.
    "parameter dict del attribute": (
        lambda t, nn: after(lambda d: delattr(d, "a"), lambda d: (list(d), list(d.state_dict())))(
            nn.ParameterDict(dict(a=t.ones(2)))),
        (OK, ([], []))),
}


@pytest.mark.parametrize("name", list(CASES) + list(DIFFERENT_ON_PURPOSE))
def test_container_behaviour(name):
    case, expected = {**CASES, **DIFFERENT_ON_PURPOSE}[name]
    assert outcome(tg, case) == expected


@pytest.mark.parametrize("name", list(CASES))
def test_container_behaviour_is_pytorchs(name):
    torch = pytest.importorskip("torch")
    case, expected = CASES[name]
    assert outcome(torch, case) == expected


@pytest.mark.parametrize("name", list(DIFFERENT_ON_PURPOSE))
def test_differences_from_pytorch_are_real(name):
    """Each documented difference is one: PyTorch does something else there."""
    torch = pytest.importorskip("torch")
    case, expected = DIFFERENT_ON_PURPOSE[name]
    assert outcome(torch, case) != expected


# ---------------------------------------------------------------------- GPT layout, end to end


def tiny_gpt(lib):
    """karpathy's minGPT/nanoGPT layout: ``transformer`` a ModuleDict read by attribute, its
    blocks a ModuleList, weights tied between ``wte`` and ``lm_head``, set from NumPy."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln = nn.LayerNorm(4)
            self.mlp = nn.ModuleDict(dict(c_fc=nn.Linear(4, 8), c_proj=nn.Linear(8, 4)))

        def forward(self, x):
            mlp = self.mlp
            return x + mlp.c_proj(mlp.c_fc(self.ln(x)).tanh())

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(6, 4), wpe=nn.Embedding(3, 4),
                h=nn.ModuleList([Block() for _ in range(2)]), ln_f=nn.LayerNorm(4)))
            self.lm_head = nn.Linear(4, 6, bias=False)
            self.transformer.wte.weight = self.lm_head.weight

        def forward(self, idx):
            pos = lib.arange(idx.shape[1])
            x = self.transformer.wte(idx) + self.transformer.wpe(pos)
            for block in self.transformer.h:
                x = block(x)
            return self.lm_head(self.transformer.ln_f(x))

    model = GPT().double()
    rng = np.random.default_rng(0)
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)) * 0.3))
    idx = lib.tensor([[0, 5, 2], [3, 3, 1]])
    logits = model(idx)
    loss = lib.nn.functional.cross_entropy(logits.reshape(-1, 6), idx.reshape(-1))
    loss.backward()
    return {"keys": list(model.state_dict()), "loss": loss.item(),
            "params": [n for n, _ in model.named_parameters()],
            "grad": model.lm_head.weight.grad.numpy(),
            "repr": repr(model)}


def test_gpt_layout_reads_its_modules_by_attribute():
    result = tiny_gpt(tg)
    assert result["keys"][:3] == ["transformer.wte.weight", "transformer.wpe.weight",
                                  "transformer.h.0.ln.weight"]
    assert "lm_head.weight" in result["keys"]  # tied: listed under both names, as PyTorch
    assert "lm_head.weight" not in result["params"]  # ... but one parameter
    assert "(0-1): 2 x Block(" in result["repr"]


def test_gpt_layout_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = tiny_gpt(tg), tiny_gpt(torch)
    for key in ("keys", "params", "repr"):
        assert ours[key] == theirs[key], key
    assert ours["loss"] == pytest.approx(theirs["loss"], rel=1e-12)
    np.testing.assert_allclose(ours["grad"], theirs["grad"], rtol=1e-10, atol=1e-12)
