"""citytwin.open_results and results_groups on a results file written by a run."""

from __future__ import annotations

import h5py
import pytest

import citytwin


@pytest.fixture
def results(scenario: citytwin.Scenario, tmp_path):
    """Runs the scenario with an output file; returns (path, kpis)."""
    path = tmp_path / "day.h5"
    sim = citytwin.Simulation(scenario, output=path)
    assert sim.run() is True
    return path, sim.kpis()


def test_completed_run_leaves_the_final_file(results) -> None:
    path, _ = results
    assert path.exists()
    assert not path.with_name("day.h5.partial").exists()


def test_results_groups_lists_city_and_kpi(results) -> None:
    path, _ = results
    groups = citytwin.results_groups(path)
    assert "/city" in groups
    assert "/kpi" in groups
    assert groups == sorted(groups)


@pytest.mark.parametrize("engine", ["h5netcdf", "netcdf4"])
def test_open_results_reads_the_city(results, engine: str) -> None:
    path, kpis = results
    with citytwin.open_results(path, "/city", engine=engine) as city:
        assert city.sizes["building"] == kpis["city.n_buildings"]
        # residents are whole numbers: the sum is exact
        assert float(city["residents"].sum()) == kpis["city.residents"]
        assert city["height_m"].attrs["units"] == "m"
        assert city.attrs["name"] == "generated"


def test_open_results_defaults_to_h5netcdf(results) -> None:
    path, _ = results
    with citytwin.open_results(str(path), group="city") as city:
        assert city.encoding["source"] == str(path)
        assert "building" in city.sizes


def test_results_file_records_the_scenario(results, scenario: citytwin.Scenario) -> None:
    path, _ = results
    with h5py.File(path, "r") as file:
        assert file.attrs["scenario_sha256"].decode() == scenario.sha256
        assert file.attrs["dt_s"] == 900
        assert file.attrs["n_ticks"] == 96


def test_stopped_run_can_be_abandoned(scenario: citytwin.Scenario, tmp_path) -> None:
    path = tmp_path / "stopped.h5"
    sim = citytwin.Simulation(scenario, output=path)
    assert sim.run(lambda done, total: done < 3) is False
    sim.abandon()
    assert not path.exists()
    assert (tmp_path / "stopped.h5.partial").exists()
