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
