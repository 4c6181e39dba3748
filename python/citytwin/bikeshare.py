"""Bike-sharing feeds: GBFS station_status snapshots as occupancy arrays (docs/models/bikeshare.md)."""

from ._core import bikeshare as _bikeshare

__all__ = ["read_gbfs_status"]


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
