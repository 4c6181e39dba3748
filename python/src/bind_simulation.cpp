#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <citytwin/io/scenario.hpp>
#include <citytwin/io/simulation.hpp>
#include <citytwin/sim/engine.hpp>
#include <citytwin/sim/state.hpp>

#include "bindings.hpp"

namespace py = pybind11;

namespace citytwin::python {

namespace {

using io::Scenario;
using io::Simulation;
using io::SimulationOptions;
using sim::Checkpoint;

/// [ms] wall time between two checks for Ctrl-C during a run without a progress callback.
constexpr std::chrono::milliseconds kSignalCheckInterval{50};

/// Builds a simulation without holding the GIL (building the city can take a while).
std::unique_ptr<Simulation> make_simulation(const Scenario& scenario,
                                            const std::optional<std::filesystem::path>& output,
                                            int threads) {
  SimulationOptions options{output.value_or(std::filesystem::path{}), threads};
  const py::gil_scoped_release release;
  return std::make_unique<Simulation>(scenario, std::move(options));
}

/// The Python side of a run: calls the progress callback and checks for Ctrl-C, each time with the
/// GIL held, and keeps the first Python error so that it can be raised after the run.
class RunMonitor {
 public:
  explicit RunMonitor(py::object progress) : progress_(std::move(progress)) {}

  /// Called after each tick, without the GIL; returns whether the run goes on.
  bool operator()(std::int64_t done_ticks, std::int64_t total_ticks) {
    if (progress_.is_none() && !signal_check_due()) return true;
    const py::gil_scoped_acquire gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (progress_.is_none()) return true;
      return progress_(done_ticks, total_ticks).ptr() != Py_False;
    } catch (py::error_already_set& error) {
      error_ = std::move(error);
      return false;
    }
  }

  /// Raises the Python error the callback or a signal left, if any. Call with the GIL held.
  void rethrow() {
    if (error_) throw std::move(*error_);
  }

 private:
  /// Returns whether kSignalCheckInterval has passed since the last check.
  bool signal_check_due() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_check_ < kSignalCheckInterval) return false;
    last_check_ = now;
    return true;
  }

  py::object progress_;
  std::optional<py::error_already_set> error_;
  std::chrono::steady_clock::time_point last_check_ = std::chrono::steady_clock::now();
};

/// Simulation.run(progress): runs without the GIL, then raises what the callback raised.
bool run(Simulation& simulation, const py::object& progress) {
  if (!progress.is_none() && PyCallable_Check(progress.ptr()) == 0) {
    throw py::type_error("progress must be None or a callable (done_ticks, total_ticks)");
  }
  RunMonitor monitor(progress);
  bool completed = false;
  {
    const py::gil_scoped_release release;
    completed = simulation.run(
        [&monitor](std::int64_t done, std::int64_t total) { return monitor(done, total); });
  }
  monitor.rethrow();
  return completed;
}

/// Returns the time at the start of the current tick as numpy.datetime64 (UTC, seconds).
py::object current_time(const Simulation& simulation) {
  const sim::Engine& engine = simulation.engine();
  const std::int64_t utc_s = engine.clock().utc_s(engine.tick());
  return py::module_::import("numpy").attr("datetime64")(utc_s, "s");
}

/// Returns the qualified names of every state column, in layout order.
py::list column_names(const Simulation& simulation) {
  py::list names;
  for (const sim::ColumnSpec& spec : simulation.engine().layout().specs()) {
    names.append(spec.qualified_name());
  }
  return names;
}

/// Returns the KeyError for an unknown column, naming up to three close column names.
py::key_error unknown_column(const Simulation& simulation, const std::string& qualified_name) {
  const py::list close = py::module_::import("difflib").attr("get_close_matches")(
      qualified_name, column_names(simulation), 3);
  std::string hint;
  for (const py::handle name : close) {
    hint += (hint.empty() ? " (did you mean '" : "', '") + name.cast<std::string>();
  }
  if (!hint.empty()) hint += "'?)";
  return py::key_error("no state column '" + qualified_name + "'" + hint +
                       "; Simulation.columns() lists them as model.column");
}

/// Simulation.state(qualified_name): a read-only NumPy view of the current values of a column,
/// whose base is the Python Simulation (the view keeps it alive; the engine's buffers never move).
py::array state_view(const py::object& self, const std::string& qualified_name) {
  const auto& simulation = self.cast<const Simulation&>();
  const sim::Engine& engine = simulation.engine();
  const sim::ColumnId id = engine.layout().find(qualified_name);
  if (id < 0) throw unknown_column(simulation, qualified_name);
  const sim::ColumnSpec& spec = engine.layout().spec(id);
  py::array view(py::dtype(sim::dtype_name(spec.dtype)), {engine.state().size(id)}, {},
                 engine.state().data(id), self);
  view.attr("setflags")(py::arg("write") = false);
  return view;
}

/// Simulation.input(qualified_name): a writeable NumPy view of an input column (a control that
/// scripts set between steps, e.g. mobility.link_speed_mps); the owning model reads it at its
/// next step. Raises KeyError for unknown columns and ValueError for columns that are not inputs.
py::array input_view(const py::object& self, const std::string& qualified_name) {
  auto& simulation = self.cast<Simulation&>();
  sim::Engine& engine = simulation.engine();
  const sim::ColumnId id = engine.layout().find(qualified_name);
  if (id < 0) throw unknown_column(simulation, qualified_name);
  const sim::ColumnSpec& spec = engine.layout().spec(id);
  if (!spec.input) {
    std::string inputs;
    for (sim::ColumnId c = 0; c < engine.layout().n_columns(); ++c) {
      if (engine.layout().spec(c).input) inputs += " " + engine.layout().spec(c).qualified_name();
    }
    throw py::value_error("'" + qualified_name + "' is not an input column; inputs of this run:" +
                          (inputs.empty() ? std::string(" none") : inputs));
  }
  return py::array(py::dtype(sim::dtype_name(spec.dtype)), {engine.state().size(id)}, {},
                   engine.input_data(id), self);
}

/// Returns the indicators of the city and of every model as {"model.name": value}.
py::dict kpi_dict(const Simulation& simulation) {
  py::dict out;
  for (const auto& [model, kpi] : simulation.kpis())
    out[py::str(model + "." + kpi.name)] = kpi.value;
  return out;
}

std::string simulation_repr(const Simulation& simulation) {
  const sim::Engine& engine = simulation.engine();
  return "<citytwin.Simulation tick " + std::to_string(engine.tick()) + "/" +
         std::to_string(engine.clock().n_ticks()) + " at " +
         sim::Clock::iso_utc(engine.clock().utc_s(engine.tick())) + ">";
}

}  // namespace

void bind_simulation(py::module_& module) {
  py::class_<Checkpoint>(module, "Checkpoint",
                         "A saved run position: the tick and the whole state.")
      .def_property_readonly(
          "tick", [](const Checkpoint& checkpoint) { return checkpoint.tick; },
          "Next tick to compute.");

  using Guard = py::call_guard<py::gil_scoped_release>;
  py::class_<Simulation>(module, "Simulation",
                         "A whole run: the scenario's city, its models on an Engine, and "
                         "optionally a results file.")
      .def(py::init(&make_simulation), py::arg("scenario"), py::arg("output") = py::none(),
           py::arg("threads") = 0, "Builds and validates the simulation.")
      .def("step", &Simulation::step, py::arg("n") = 1, Guard(),
           "Advances `n` ticks (fewer if the run ends), writing output steps "
           "as they fall due.")
      .def("run", &run, py::arg("progress") = py::none(),
           "Runs to the end or until `progress(done_ticks, total_ticks)` "
           "returns False.")
      .def("finish", &Simulation::finish, Guard(),
           "Writes the indicators, closes the results file and renames it to "
           "its final name.")
      .def("abandon", &Simulation::abandon, Guard(),
           "Flushes the results file and leaves it as `.partial` (an "
           "interrupted run).")
      .def("state", &state_view, py::arg("qualified_name"),
           "A read-only view of the current values of state column "
           "\"model.column\".")
      .def("input", &input_view, py::arg("qualified_name"),
           "A writeable view of an input column \"model.column\" (set between steps; the "
           "model reads it at its next step).")
      .def("columns", &column_names, "The names of every state column, as \"model.column\".")
      .def(
          "dim_ids",
          [](const Simulation& s, const std::string& model, const std::string& dim) {
            const sim::StateLayout& layout = s.engine().layout();
            const sim::DimSpec* spec = layout.find_dim(model, dim);
            if (spec == nullptr) {
              std::string known;
              for (const sim::DimSpec& d : layout.dims()) known += " " + d.model + "." + d.name;
              throw py::key_error("no entity dimension '" + model + "." + dim +
                                  "'; dimensions of this run:" +
                                  (known.empty() ? std::string(" none") : known));
            }
            return py::array_t<std::int64_t>(static_cast<py::ssize_t>(spec->ids.size()),
                                              spec->ids.data());
          },
          py::arg("model"), py::arg("dim"),
          "The stable ids of the entities of dimension `dim` of `model`, in column order (a "
          "copy).")
      .def("kpis", &kpi_dict, "Indicators of the city and of every model.")
      .def(
          "checkpoint", [](const Simulation& s) { return s.engine().checkpoint(); }, Guard(),
          "Saves the run position.")
      .def(
          "restore", [](Simulation& s, const Checkpoint& c) { s.engine().restore(c); },
          py::arg("checkpoint"), Guard(),
          "Restores a position saved from an engine of the same scenario.")
      .def_property_readonly("time", &current_time,
                             "Time at the start of the current tick (numpy.datetime64, UTC).")
      .def_property_readonly(
          "tick", [](const Simulation& s) { return s.engine().tick(); },
          "Number of ticks computed so far (the state is at the start of "
          "tick()).")
      .def_property_readonly(
          "n_ticks", [](const Simulation& s) { return s.engine().clock().n_ticks(); },
          "Number of ticks of the whole run.")
      .def_property_readonly(
          "done", [](const Simulation& s) { return s.engine().done(); },
          "Whether every tick has been computed.")
      .def_property_readonly("threads", &Simulation::threads, "OpenMP threads of the run.")
      .def("__repr__", &simulation_repr);
}

}  // namespace citytwin::python
