"""The warning for a plain list, tuple or dict of modules (which PyTorch does not register):
it comes only when something in it is not registered some other way, when the model is first
walked, and it points at the user's line (the assignment, or the line that walked the model),
never at tinygrad_bn's own files."""

import inspect
import threading
import warnings

import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn


def caught_while(action):
    """The warnings ``action()`` gives, every one of them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return caught


def line_of(text, function):
    """The line number in this file of the line of ``function``'s source holding ``text``."""
    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if text in line)


def tutorial_models(lib):
    """Plain lists whose every module is also registered: with ``add_module`` as each is
    appended, with ``add_module`` after the list is assigned, or as references to attributes."""
    nn_ = lib.nn

    class AppendAndRegister(nn_.Module):
        def __init__(self):
            super().__init__()
            self.layers = []
            for i in range(2):
                layer = nn_.Linear(2, 2)
                self.add_module(f"l{i}", layer)
                self.layers.append(layer)

    class RegisterAfter(nn_.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn_.Linear(2, 2) for _ in range(2)]
            for i, layer in enumerate(self.layers):
                setattr(self, f"layer_{i}", layer)

    class References(nn_.Module):
        def __init__(self):
            super().__init__()
            self.body = nn_.Sequential(nn_.Linear(2, 2), nn_.Tanh())
            self.head = nn_.Linear(2, 1)
            self.stages = (self.body[0], self.head)
            self.by_name = {"head": self.head}
            self.weights = [self.head.weight, self.body[0].bias]

    return AppendAndRegister(), RegisterAfter(), References()


def walk(model):
    list(model.parameters())
    model.state_dict()
    model.eval()
    repr(model)


@pytest.mark.parametrize("index", range(3))
def test_no_warning_when_every_module_is_also_registered(index):
    assert caught_while(lambda: walk(tutorial_models(tg)[index])) == []


def test_registered_names_are_pytorchs():
    torch = pytest.importorskip("torch")
    for ours, theirs in zip(tutorial_models(tg), tutorial_models(torch)):
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [n for n, _ in ours.named_parameters()] == \
            [n for n, _ in theirs.named_parameters()]


def test_one_unregistered_module_is_enough_to_warn():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.layers = [self.fc, nn.Linear(2, 2)]

    net = Net()
    caught = caught_while(lambda: walk(net))
    assert [str(w.message)[:40] for w in caught] == ["Net.layers is a plain list of modules, w"]
    assert [n for n, _ in net.named_parameters()] == ["fc.weight", "fc.bias"]


def test_an_unregistered_parameter_is_enough_to_warn():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.scales = [self.fc.weight, nn.Parameter(tg.ones(2))]

    caught = caught_while(lambda: Net().state_dict())
    assert [str(w.message)[:44] for w in caught] == [
        "Net.scales is a plain list of parameters, wh"]


def test_nothing_is_said_before_the_model_is_walked():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]

    assert caught_while(Net) == []


def test_the_warning_points_at_the_assignment():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2), nn.Tanh()]  # the line

    net = Net()
    caught = caught_while(lambda: net.state_dict())
    assert len(caught) == 1 and caught[0].category is UserWarning
    assert caught[0].filename == __file__
    assert caught[0].lineno == line_of("# the line", Net.__init__)


def test_a_list_filled_later_points_at_the_line_that_walked_the_model():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = []
            self.layers.append(nn.Linear(2, 2))
            self.head = nn.Linear(2, 1)

    net = Net()

    def train_step():
        optimizer = tg.optim.SGD(net.parameters(), lr=0.1)  # the walk, through optim
        return optimizer

    caught = caught_while(train_step)
    assert len(caught) == 1
    assert caught[0].filename == __file__
    assert caught[0].lineno == line_of("# the walk", train_step)


def test_a_reassigned_attribute_forgets_the_old_assignment_line():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]
            self.layers = []  # the old list's line no longer applies
            self.layers.append(nn.Linear(2, 2))

    net = Net()

    def walk_here():
        net.state_dict()  # the walk

    caught = caught_while(walk_here)
    assert [(w.filename, w.lineno) for w in caught] == [
        (__file__, line_of("# the walk", walk_here))]


def test_a_walk_in_another_thread_warns_too():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]

    net, errors = Net(), []

    def run():
        try:
            with pytest.warns(UserWarning, match=r"^Net\.layers is a plain list"):
                net.state_dict()
        except BaseException as error:  # noqa: BLE001 - reported to the main thread
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert errors == []


def test_warnings_as_errors_raise_at_the_walk():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]

    net = Net()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match=r"^Net\.layers is a plain list of modules"):
            net.state_dict()


def test_a_model_that_is_not_hashable_is_walked_and_warned_about():
    class Net(nn.Module):  # __eq__ without __hash__: instances cannot go in a set or dict
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.layers = [nn.Linear(2, 2)]

        def __eq__(self, other):
            return self is other

    net = Net()
    caught = caught_while(lambda: [n for n, _ in net.named_modules()])
    assert [str(w.message)[:38] for w in caught] == ["Net.layers is a plain list of modules,"]
    assert [n for n, _ in net.named_modules()] == ["", "fc"]
    assert list(net.state_dict()) == ["fc.weight", "fc.bias"]


def test_the_assignment_record_goes_with_the_module():
    from tinygrad_bn.nn import module as module_file

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]

    before = len(module_file._assignment_sites)
    net = Net()
    assert len(module_file._assignment_sites) == before + 1
    del net
    assert len(module_file._assignment_sites) == before
