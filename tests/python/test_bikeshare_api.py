"""citytwin.bikeshare.read_gbfs_status: occupancy arrays of a folder of GBFS snapshots."""
import json
import os
import pathlib

import numpy as np
import pytest

import citytwin

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(os.environ.get("CITYTWIN_DATA", ROOT.parent / "shared" / "data"))
OSLO = DATA / "gbfs" / "oslo-bysykkel" / "station_status"


def test_oslo_day_as_time_by_station_arrays():
    folder = OSLO / "2022-10-24"
    if not folder.exists():
        pytest.skip(f"real data missing: {folder}")
    status = citytwin.bikeshare.read_gbfs_status(folder)
    assert status["time"].dtype == np.dtype("datetime64[s]")
    assert status["bikes_available"].shape == (58, 260)
    assert len(status["station_id"]) == 260
    assert np.all(np.diff(status["time"].astype(np.int64)) > 0)
    # one cell checked against the raw JSON of the first snapshot
    first = json.loads((folder / status["file"][0].split("/")[-1]).read_text())
    station = first["data"]["stations"][0]
    j = status["station_id"].index(station["station_id"])
    assert status["bikes_available"][0, j] == station["num_bikes_available"]
    assert status["is_renting"][0, j] == int(station["is_renting"])


def test_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(citytwin.InputError):
        citytwin.bikeshare.read_gbfs_status(tmp_path / "none")


BIKESHARE_SECTION = (
    "[models.bikeshare]\n"
    "stations = \"none\"\n"
    "demand_from = \"city\"\n"
    "ebike_share_frac = 0.5\n"
    "charging = true\n"
    "period = \"15min\"\n"
    "[[models.bikeshare.station]]\n"
    "id = 1\n"
    "lat = 45.7640\n"
    "lon = 4.8357\n"
    "capacity = 10\n"
    "[[models.bikeshare.station]]\n"
    "id = 2\n"
    "lat = 45.7650\n"
    "lon = 4.8370\n"
    "capacity = 6\n"
)


def test_station_columns_are_views_that_follow_the_run(make_scenario):
    sim = citytwin.Simulation(make_scenario(n_buildings=60, extra=BIKESHARE_SECTION))
    views = citytwin.bikeshare.station_columns(sim)
    assert set(views) == set(citytwin.bikeshare.STATION_COLUMNS)
    for view in views.values():
        assert view.shape == (2,)
        assert view.base is sim
        assert view.flags.writeable is False
    # half full at the start; e-bikes every second bike, 80 % charged
    assert views["bikes_available"].tolist() == [5, 3]
    assert views["docks_free"].tolist() == [5, 3]
    assert views["ebikes_available"].tolist() == [2, 2]
    np.testing.assert_allclose(views["mean_ebike_soc_frac"], [0.8, 0.8])
    sim.step(40)
    fleet = sim.state("bikeshare.fleet")[0]
    riding = sim.state("bikeshare.bikes_in_transit")[0]
    assert views["bikes_available"].sum() + riding == fleet == 8
    assert np.all(views["bikes_available"] + views["docks_free"] == [10, 6])


def test_station_columns_need_the_model(scenario):
    sim = citytwin.Simulation(scenario)
    with pytest.raises(KeyError):
        citytwin.bikeshare.station_columns(sim)
