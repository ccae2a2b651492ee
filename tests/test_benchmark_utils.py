"""``tinygrad_bn.utils.benchmark`` against ``torch.utils.benchmark``: ``Measurement``
statistics and text, and ``Compare`` tables, built from the same fixed times (timings
themselves are not deterministic); ``Timer`` runs its statement the number of times asked,
in a namespace with ``torch`` bound to tinygrad_bn, and its errors are PyTorch's."""

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.utils.benchmark as benchmark

RNG = np.random.default_rng(0)
TIME_SETS = [
    [2.5e-6],                                           # one measurement
    [1.2e-5, 1.25e-5, 1.21e-5],                         # three: no IQR line
    list(1e-3 * (1 + 0.01 * RNG.standard_normal(20))),  # tight: no warning
    list(3e-4 * (1 + 0.15 * RNG.standard_normal(30))),  # "system fluctuation"
    list(7e-8 * (1 + 0.5 * np.abs(RNG.standard_normal(9)))),  # "environmental influence"
    [0.9999e-3] * 5, [2.0] * 4, [5e-9, 6e-9, 7e-9, 8e-9],
]


def make(module, times, number=10, **labels):
    spec = module.TaskSpec(stmt=labels.pop("stmt", "x * 2"), setup=labels.pop("setup", "pass"),
                           **labels)
    return module.Measurement(number_per_run=number, raw_times=[t * number for t in times],
                              task_spec=spec)


def body(measurement):
    """The text without its first line (the object's address)."""
    return repr(measurement).split("\n", 1)[1]


@pytest.mark.parametrize("times", TIME_SETS)
def test_measurement_statistics_and_text_match_torch(times):
    torch = pytest.importorskip("torch")
    import torch.utils.benchmark  # noqa: F401
    for labels in ({}, dict(label="mul", sub_label="n=10", description="float"),
                   dict(stmt="y = x * 2\ny.sum()", setup="x = 1\nz = 2", num_threads=4),
                   dict(sub_label="big", setup="x = torch.ones(3)")):
        ours = make(benchmark, times, **dict(labels))
        theirs = make(torch.utils.benchmark, times, **dict(labels))
        for name in ("mean", "median", "iqr"):
            assert getattr(ours, name) == pytest.approx(getattr(theirs, name), rel=1e-12)
        assert ours.times == theirs.times
        assert ours.significant_figures == theirs.significant_figures
        assert ours.has_warnings == theirs.has_warnings
        assert ours.meets_confidence() == theirs.meets_confidence()
        assert ours.title == theirs.title and ours.as_row_name == theirs.as_row_name
        assert body(ours) == body(theirs)
        assert repr(ours).startswith("<tinygrad_bn.utils.benchmark.common.Measurement object")


def test_units_and_trimming_match_torch():
    pytest.importorskip("torch")
    import torch.utils.benchmark as theirs
    for t in (3e-10, 1e-9, 9.99e-7, 1e-6, 1.5e-4, 1e-3, 0.999, 1.0, 12.0):
        assert benchmark.select_unit(t) == theirs.select_unit(t)
    for x, n in ((12.3456, 2), (0.0012345, 3), (98765.4, 1), (1.0, 4), (7.77e-8, 2)):
        assert benchmark.trim_sigfig(x, n) == theirs.trim_sigfig(x, n)
    assert [benchmark.unit_to_english(u) for u in ("ns", "us", "ms", "s")] == \
        [theirs.unit_to_english(u) for u in ("ns", "us", "ms", "s")]


def comparison(module):
    results = []
    for threads in (1, 4):
        for n, scale in (("n=10", 1.0), ("n=1000", 31.0)):
            for column, factor in (("float", 1.0), ("double", 1.7)):
                times = list(2e-6 * scale * factor * (1 + 0.2 * RNG.standard_normal(12))
                             if threads == 4 else
                             2e-6 * scale * factor * (1 + 0.01 * np.arange(12)))
                results.append(make(module, times, label="mul", sub_label=n,
                                    description=column, num_threads=threads))
    results.append(make(module, [4e-3, 4.1e-3, 4.2e-3, 4.05e-3], label="other", sub_label="a",
                        description="float", env="env1"))
    results.append(make(module, [5e-3] * 4, label="other", sub_label="b", description="int",
                        env="env2"))
    return results


@pytest.mark.parametrize("options", [(), ("trim_significant_figures",), ("colorize",),
                                     ("highlight_warnings", "trim_significant_figures"),
                                     ("colorize_rowwise",)])
def test_compare_tables_match_torch(options):
    pytest.importorskip("torch")
    import torch.utils.benchmark as theirs_module
    state = RNG.bit_generator.state
    ours = benchmark.Compare(comparison(benchmark))
    RNG.bit_generator.state = state
    theirs = theirs_module.Compare(comparison(theirs_module))
    for compare in (ours, theirs):
        for option in options:
            if option == "colorize_rowwise":
                compare.colorize(rowwise=True)
            else:
                getattr(compare, option)()
    assert str(ours) == str(theirs)


def test_compare_merges_repeated_measurements_and_refuses_others(capsys):
    pytest.importorskip("torch")
    import torch.utils.benchmark as theirs_module
    outputs = []
    for module in (benchmark, theirs_module):
        first = make(module, [1e-6, 1.1e-6], label="L", sub_label="r", description="c")
        second = make(module, [1.2e-6, 1.3e-6], label="L", sub_label="r", description="c")
        module.Compare([first, second]).print()
        outputs.append(capsys.readouterr().out)
        with pytest.raises(ValueError) as error:
            module.Compare([first, "not a measurement"])
        assert str(error.value) == \
            "Expected an instance of `Measurement`, got <class 'str'> instead."
    assert outputs[0] == outputs[1]
    merged = benchmark.Measurement.merge([
        make(benchmark, [1e-6, 1.1e-6], label="L"), make(benchmark, [1.2e-6], label="L")])
    assert len(merged) == 1 and merged[0].number_per_run == 1 and len(merged[0].times) == 3


def test_timer_runs_the_statement_as_asked():
    calls = []
    timer = benchmark.Timer(stmt="calls.append(torch.ones(2).sum().item())",
                            globals={"calls": calls}, label="ones", num_threads=1)
    measurement = timer.timeit(300)
    assert len(calls) == 3 + 300  # warm-up of number // 100 runs, then the measurement
    assert calls[0] == 2.0 and measurement.number_per_run == 300
    assert len(measurement.raw_times) == 1 and measurement.median > 0
    assert measurement.title == "ones"
    setup_timer = benchmark.Timer(stmt="y = x + 1", setup="x = torch.zeros(3)")
    assert setup_timer.timeit(10).task_spec.setup == "x = torch.zeros(3)"


def test_autoranges_measure_long_enough():
    timer = benchmark.Timer(stmt="x * 2", globals={"x": tg.ones(10)}, num_threads=2)
    before = tg.get_num_threads()
    blocked = timer.blocked_autorange(min_run_time=0.05)
    assert sum(blocked.raw_times) >= 0.05 and blocked.number_per_run >= 1
    assert tg.get_num_threads() == before
    seen = []
    adaptive = timer.adaptive_autorange(threshold=0.5, min_run_time=0.01, max_run_time=2.0,
                                        callback=lambda number, spent: seen.append(number))
    assert len(adaptive.raw_times) >= 4 and len(seen) == len(adaptive.raw_times)
    assert "2 threads" in repr(adaptive)


def test_timer_errors_match_torch():
    pytest.importorskip("torch")
    import torch.utils.benchmark as theirs
    for module in (benchmark, theirs):
        with pytest.raises(ValueError, match="Currently only a `str` stmt is supported."):
            module.Timer(stmt=lambda: None)
        with pytest.raises(ValueError, match="global_setup is C\\+\\+ only"):
            module.Timer(stmt="pass", global_setup="int x;")
        with pytest.raises(ValueError, match="Invalid language `fortran`."):
            module.Timer(language="fortran")
        with pytest.raises(NotImplementedError, match="See `Timer.blocked_autorange.`"):
            module.Timer().repeat()
    with pytest.raises(NotImplementedError, match="C\\+\\+ toolchain"):
        benchmark.Timer(language="cpp")
