// citytwin._core.bikeshare: GBFS status snapshots as occupancy arrays (time x station).
#include <filesystem>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <citytwin/bikeshare/readers/gbfs.hpp>

#include "bindings.hpp"

namespace py = pybind11;

namespace citytwin::python {

namespace {

/// A (n_times, n_stations) array holding a copy of a row-major column of the series.
template <typename T>
py::array_t<T> grid(const std::vector<T>& values, std::size_t n_times, std::size_t n_stations) {
  py::array_t<T> array({static_cast<py::ssize_t>(n_times), static_cast<py::ssize_t>(n_stations)});
  std::copy(values.begin(), values.end(), array.mutable_data());
  return array;
}

/// Reads a folder of station_status snapshots into occupancy arrays.
py::dict read_gbfs_status(const std::filesystem::path& folder) {
  bikeshare::StatusSeries s;
  {
    const py::gil_scoped_release release;
    s = bikeshare::read_station_status_folder(folder);
  }
  const std::size_t n_t = s.n_times();
  const std::size_t n_s = s.n_stations();
  py::dict out;
  out["time_s"] = py::array_t<std::int64_t>(static_cast<py::ssize_t>(n_t), s.time_s.data());
  out["station_id"] = s.station_id;
  out["bikes_available"] = grid(s.bikes, n_t, n_s);
  out["docks_available"] = grid(s.docks, n_t, n_s);
  out["bikes_disabled"] = grid(s.bikes_disabled, n_t, n_s);
  out["docks_disabled"] = grid(s.docks_disabled, n_t, n_s);
  out["ebikes_available"] = grid(s.ebikes, n_t, n_s);
  out["is_renting"] = grid(s.is_renting, n_t, n_s);
  out["is_returning"] = grid(s.is_returning, n_t, n_s);
  out["file"] = s.file;
  return out;
}

}  // namespace

void bind_bikeshare(py::module_& module) {
  py::module_ m = module.def_submodule("bikeshare", "Bike-sharing feeds (GBFS).");
  m.def("read_gbfs_status", &read_gbfs_status,
        "Reads a folder of GBFS station_status snapshots into occupancy arrays.", py::arg("folder"));
}

}  // namespace citytwin::python
