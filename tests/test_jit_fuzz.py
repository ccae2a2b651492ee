"""The jit's differential fuzzer (``tests/jit_fuzz.py``) in the test suite: a few hundred random
training steps, each run eagerly and under ``tg.jit``; a jitted run must give eager mode's
results exactly, or warn (TracerWarning) and give eager mode's results. ``pytest -s`` prints
how many programs replayed, fell back (and why) or failed."""

import time

import pytest

import jit_fuzz

PROGRAMS = 400  # 15 to 35 ms each on the 2-core CI machine: 6 to 15 s in all
CHUNK = 25      # programs per test case, so that a failure names its seeds
SPECS = 600     # programs rendered (not run) for the feature-family check

_outcomes = []


@pytest.fixture(scope="module", autouse=True)
def _print_summary():
    """After the module's tests: the fuzzer's summary (shown with ``pytest -s``)."""
    start = time.perf_counter()
    yield
    if _outcomes:
        print("\n" + jit_fuzz.summarize(sorted(_outcomes, key=lambda o: o.seed),
                                        time.perf_counter() - start, limit=20))


@pytest.mark.parametrize("first", range(0, PROGRAMS, CHUNK),
                         ids=lambda first: f"seeds{first}-{first + CHUNK - 1}")
def test_jitted_programs_match_eager_mode_or_warn(first):
    outcomes = [jit_fuzz.check(seed) for seed in range(first, first + CHUNK)]
    _outcomes.extend(outcomes)
    failing = [o for o in outcomes if o.status in ("FAIL", "EAGER-ERROR")]
    if failing:
        pytest.fail("\n".join(o.report() for o in failing), pytrace=False)


def test_the_generator_produces_every_feature_family():
    """Each family in ``jit_fuzz.FAMILIES`` appears in some program, every family a program
    notes is a known one, and the program's source really has it (its marker matches)."""
    seen = {family: 0 for family in jit_fuzz.FAMILIES}
    for seed in range(SPECS):
        program = jit_fuzz.render(jit_fuzz.draw(seed))
        unknown = program.tags - seen.keys()
        assert not unknown, f"seed {seed} notes families FAMILIES does not know: {unknown}"
        for family in program.tags:
            assert jit_fuzz.has_family(program, family), \
                f"seed {seed} notes {family} but its source does not show it:\n{program.source}"
            seen[family] += 1
    missing = [family for family, count in seen.items() if count == 0]
    assert not missing, f"no program among {SPECS} has {missing}"


def test_programs_are_reproducible_from_their_seed():
    for seed in (0, 1, 17):
        assert jit_fuzz.render(jit_fuzz.draw(seed)).source == \
            jit_fuzz.render(jit_fuzz.draw(seed)).source
        first, again = jit_fuzz.check(seed), jit_fuzz.check(seed)
        assert (first.status, first.difference, first.reasons) == \
            (again.status, again.difference, again.reasons)


def test_the_harness_sees_a_silent_difference():
    """The comparison itself works: a "jit" that skips the optimizer step on its third call is
    a FAIL, with the parameters named."""
    program = jit_fuzz.render(jit_fuzz.Spec(3))
    eager = jit_fuzz.execute(program, use_jit=False)
    broken = jit_fuzz.execute(program, use_jit=False)
    broken.states[2] = eager.states[1]  # as if call 2 had changed nothing
    found = jit_fuzz.first_difference(eager, broken)
    assert found is not None and found.startswith("call 2") and "model.0.weight" in found
