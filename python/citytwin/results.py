"""Reading results files (netCDF-4 compatible HDF5, docs/output-format.md) with xarray and h5py."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["open_results", "results_groups"]


def open_results(path: str | os.PathLike[str], group: str, *, engine: str = "h5netcdf",
                 **kwargs: Any) -> Any:
    """Opens one group of a results file ("/city", "/kpi", "/<model>") as an xarray.Dataset.

    `engine` and any other keyword arguments are passed to xarray.open_dataset; "netcdf4" also
    reads the files. Close the dataset (or use it in a `with` block) to release the file.
    """
    import xarray

    return xarray.open_dataset(path, group=group, engine=engine, **kwargs)


def results_groups(path: str | os.PathLike[str]) -> list[str]:
    """Returns the path of every group of a results file ("/city", "/kpi"...), sorted by name."""
    import h5py

    groups: list[str] = []

    def visit(name: str, item: Any) -> None:
        if isinstance(item, h5py.Group):
            groups.append("/" + name)

    with h5py.File(path, "r") as results:
        results.visititems(visit)
    return groups
