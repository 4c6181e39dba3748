"""Shared fixtures of the Python tests: small inline scenarios (STYLE.md §11)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import citytwin

# [models] section of the scenarios whose state columns the view tests look at; the solar model
# has per-building columns that change during a summer day.
MODEL_SECTIONS = "[models.solar]\n"


def scenario_text(*, start: str = "2024-06-21T00:00:00", time_zone: str = "Europe/Paris",
                  dt_s: int = 900, duration: str = "1d", n_buildings: int = 20,
                  extra: str = "") -> str:
    """Returns the TOML text of a small generated-city scenario."""
    return (
        "name = \"pytest\"\n"
        "seed = 7\n"
        "\n"
        "[time]\n"
        f"start = \"{start}\"\n"
        f"time_zone = \"{time_zone}\"\n"
        f"dt_s = {dt_s}\n"
        f"duration = \"{duration}\"\n"
        "\n"
        "[city]\n"
        "buildings = \"generated\"\n"
        "\n"
        "[city.generator]\n"
        "seed = 3\n"
        f"n_buildings = {n_buildings}\n"
        "\n"
        f"{extra}"
    )


@pytest.fixture
def make_scenario() -> Callable[..., citytwin.Scenario]:
    """Builds a Scenario from scenario_text()'s keyword arguments."""
    return lambda **kwargs: citytwin.Scenario.from_text(scenario_text(**kwargs))


@pytest.fixture
def scenario(make_scenario: Callable[..., citytwin.Scenario]) -> citytwin.Scenario:
    """One day from 2024-06-21T00:00:00 Europe/Paris, 15-minute ticks (96), 20 buildings."""
    return make_scenario()


@pytest.fixture
def model_scenario(make_scenario: Callable[..., citytwin.Scenario]) -> citytwin.Scenario:
    """The scenario fixture plus the MODEL_SECTIONS models."""
    return make_scenario(extra=MODEL_SECTIONS)


def simulation_with_columns(model_scenario: citytwin.Scenario) -> citytwin.Simulation:
    """A simulation of model_scenario; skips the test while this build lacks the models."""
    try:
        sim = citytwin.Simulation(model_scenario)
    except citytwin.InputError as error:
        if "unknown model" in str(error):
            pytest.skip(f"no model with state columns in this build yet: {error}")
        raise
    assert sim.columns(), "the models of MODEL_SECTIONS declare no state column"
    return sim


@pytest.fixture
def model_sim(model_scenario: citytwin.Scenario) -> citytwin.Simulation:
    """A simulation with model state columns; skipped while this build has no such model."""
    return simulation_with_columns(model_scenario)


@pytest.fixture
def changing_column(model_scenario: citytwin.Scenario, model_sim: citytwin.Simulation) -> str:
    """The first state column whose values change during the first 12 h (found on a probe run)."""
    probe = citytwin.Simulation(model_scenario)
    initial = {name: probe.state(name).copy() for name in probe.columns()}
    probe.step(48)
    for name in probe.columns():
        if (probe.state(name) != initial[name]).any():
            return name
    pytest.fail("no state column changes in 12 h; the view tests need one")
