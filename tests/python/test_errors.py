"""Errors crossing into Python: citytwin.InputError and the standard exception mapping."""

from __future__ import annotations

import pytest

import citytwin
from conftest import scenario_text

# scenario_text() with a typo key in [time], on line 9 of the text
TYPO_TEXT = scenario_text().replace('duration = "1d"\n', 'duration = "1d"\nstrat = 3\n')


def test_input_error_is_a_value_error() -> None:
    assert issubclass(citytwin.InputError, ValueError)
    assert citytwin.InputError.__module__ == "citytwin"


def test_typo_key_names_file_line_and_key() -> None:
    assert TYPO_TEXT.splitlines()[8] == "strat = 3"
    with pytest.raises(citytwin.InputError) as caught:
        citytwin.Simulation(citytwin.Scenario.from_text(TYPO_TEXT, file_name="typo.toml"))
    error = caught.value
    assert error.file == "typo.toml"
    assert error.line == 9
    assert error.key == "time.strat"
    assert str(error) == ("typo.toml:9:1: error: unknown key 'time.strat' "
                          "(did you mean 'start'?)")


def test_issues_lists_every_problem_as_dicts() -> None:
    text = TYPO_TEXT.replace("n_buildings = 20", "n_buldings = 20")
    with pytest.raises(citytwin.InputError) as caught:
        citytwin.Simulation(citytwin.Scenario.from_text(text))
    assert caught.value.issues == [
        {"file": "inline.toml", "line": 9, "column": 1, "key": "time.strat",
         "message": "unknown key 'time.strat' (did you mean 'start'?)"},
        {"file": "inline.toml", "line": 16, "column": 1, "key": "city.generator.n_buldings",
         "message": "unknown key 'city.generator.n_buldings' (did you mean 'n_buildings'?)"},
    ]
    assert str(caught.value).count("\n") == 1


def test_missing_scenario_file_is_an_input_error(tmp_path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(citytwin.InputError, match="cannot read the scenario file") as caught:
        citytwin.Scenario.load(missing)
    assert caught.value.file == str(missing)
    assert caught.value.line == 0


def test_input_error_raised_from_python_has_empty_attributes() -> None:
    error = citytwin.InputError("plain")
    assert (error.file, error.line, error.key, error.issues) == (None, None, None, None)


def test_negative_step_is_a_value_error(scenario) -> None:
    sim = citytwin.Simulation(scenario)
    with pytest.raises(ValueError, match=r"n must be >= 0 \(got -1\)"):
        sim.step(-1)
    assert sim.tick == 0


def test_restoring_a_checkpoint_past_the_run_is_a_value_error(make_scenario) -> None:
    long_sim = citytwin.Simulation(make_scenario(duration="1d"))
    long_sim.step(50)
    short_sim = citytwin.Simulation(make_scenario(duration="2h"))
    with pytest.raises(ValueError, match="tick 50 is outside the run"):
        short_sim.restore(long_sim.checkpoint())


def test_wrong_argument_types_are_type_errors(scenario) -> None:
    with pytest.raises(TypeError):
        citytwin.Simulation("not a scenario")
    with pytest.raises(TypeError):
        citytwin.Simulation(scenario, threads="two")
