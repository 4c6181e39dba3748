"""Simulation.state(): read-only, zero-copy NumPy views that keep their Simulation alive."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import citytwin
from conftest import simulation_with_columns


def test_unknown_column_is_a_key_error(scenario: citytwin.Scenario) -> None:
    sim = citytwin.Simulation(scenario)
    with pytest.raises(KeyError, match=r"no state column 'nothing.here'.*Simulation.columns\(\)"):
        sim.state("nothing.here")


def test_unknown_column_names_close_matches(model_sim: citytwin.Simulation) -> None:
    name = model_sim.columns()[0]
    with pytest.raises(KeyError, match=rf"did you mean .*'{name}'"):
        model_sim.state(name[:-1])


def test_every_column_is_a_1d_view(model_sim: citytwin.Simulation) -> None:
    for name in model_sim.columns():
        view = model_sim.state(qualified_name=name)
        assert view.ndim == 1
        assert view.base is model_sim


def test_views_are_read_only(model_sim: citytwin.Simulation) -> None:
    view = model_sim.state(model_sim.columns()[0])
    assert view.flags.writeable is False
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 1
    with pytest.raises(ValueError):
        view.setflags(write=True)


def test_views_share_memory(model_sim: citytwin.Simulation) -> None:
    name = model_sim.columns()[0]
    assert np.shares_memory(model_sim.state(name), model_sim.state(name))


def test_views_show_later_steps(model_sim: citytwin.Simulation, changing_column: str) -> None:
    view = model_sim.state(changing_column)
    initial = view.copy()
    model_sim.step(48)
    assert not np.array_equal(view, initial, equal_nan=True)
    np.testing.assert_array_equal(view, model_sim.state(changing_column))


def test_views_survive_restore(model_sim: citytwin.Simulation, changing_column: str) -> None:
    view = model_sim.state(changing_column)
    checkpoint = model_sim.checkpoint()
    initial = view.copy()
    model_sim.step(48)
    model_sim.restore(checkpoint)
    np.testing.assert_array_equal(view, initial)


def test_view_keeps_the_simulation_alive(model_scenario: citytwin.Scenario) -> None:
    sim = simulation_with_columns(model_scenario)
    sim.step(48)
    view = sim.state(sim.columns()[0])
    expected = view.copy()
    alive = weakref.ref(sim)
    del sim
    gc.collect()
    assert alive() is not None
    np.testing.assert_array_equal(view, expected)
    del view
    gc.collect()
    assert alive() is None
