"""Bike sharing: GBFS station_status snapshots as occupancy arrays, and the bike-share model's
per-station state as NumPy views (docs/models/bikeshare.md)."""

from ._core import bikeshare as _bikeshare

__all__ = ["STATION_COLUMNS", "read_gbfs_status", "station_columns"]

# the bike-share model's columns on its station dim, in station_idx order
STATION_COLUMNS = (
    "bikes_available",
    "ebikes_available",
    "docks_free",
    "mean_ebike_soc_frac",
    "charge_power_kw",
    "empty_minutes",
    "full_minutes",
)


def read_gbfs_status(folder):
    """Reads every station_status*.json of ``folder``, ordered by ``last_updated``.

    Returns a dict: ``time`` (numpy.datetime64[s], UTC, one per snapshot), ``station_id`` (list of
    str, the union of the stations seen, in first-seen order), and (time x station) arrays
    ``bikes_available``, ``docks_available``, ``bikes_disabled``, ``docks_disabled``,
    ``ebikes_available`` (float64, NaN where a station is absent from a snapshot or the feed has
    no e-bike counts), ``is_renting`` and ``is_returning`` (int8: 1, 0, or -1 when missing).
    """
    data = _bikeshare.read_gbfs_status(folder)
    data["time"] = data.pop("time_s").astype("datetime64[s]")
    return data


def station_columns(simulation):
    """Returns the bike-share model's per-station state of ``simulation`` as a dict of read-only,
    zero-copy NumPy views (one entry per name of STATION_COLUMNS, each of n_stations values in
    station_idx order, the order of the ``/bikeshare/station_id`` coordinate). The views follow
    the simulation as it steps. Raises KeyError when the scenario has no [models.bikeshare].
    """
    return {name: simulation.state(f"bikeshare.{name}") for name in STATION_COLUMNS}
