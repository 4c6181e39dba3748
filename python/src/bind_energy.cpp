// citytwin._core.energy: distribution networks and AC power flow for scripted studies.
// A loaded network keeps its element injections as NumPy arrays that a script changes between
// two power_flow() calls; the topology (admittance matrix, factorisations) is built once.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <citytwin/energy/network.hpp>
#include <citytwin/energy/power_flow.hpp>
#include <citytwin/energy/readers/network_csv.hpp>

#include "bindings.hpp"

namespace py = pybind11;

namespace citytwin::python {

namespace {

using energy::Network;
using energy::PowerFlow;
using energy::PowerFlowMethod;
using energy::PowerFlowOptions;
using energy::PowerFlowResult;

/// A network loaded from element tables, its solver and its current injections.
class LoadedNetwork {
 public:
  explicit LoadedNetwork(const std::filesystem::path& folder)
      : network_(energy::read_network_csv(folder)),
        solver_(network_),
        injections_(network_.default_injections()) {}

  [[nodiscard]] const Network& network() const { return network_; }
  [[nodiscard]] energy::Injections& injections() { return injections_; }

  /// Solves the power flow for the current injections, warm-started from the last solution.
  PowerFlowResult solve(const PowerFlowOptions& options, bool warm_start) {
    const PowerFlowResult* start = warm_start && last_ ? last_.get() : nullptr;
    PowerFlowResult result = solver_.solve(injections_, options, start);
    last_ = std::make_unique<PowerFlowResult>(result);
    return result;
  }

 private:
  Network network_;
  PowerFlow solver_;
  energy::Injections injections_;
  std::unique_ptr<PowerFlowResult> last_;
};

/// A NumPy view of a vector owned by `owner` (writeable or not).
template <typename T>
py::array_t<T> view(std::vector<T>& values, const py::object& owner, bool writeable) {
  py::array_t<T> array({static_cast<py::ssize_t>(values.size())}, {sizeof(T)}, values.data(), owner);
  if (!writeable) py::detail::array_proxy(array.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return array;
}

template <typename T>
py::array_t<T> copy(const std::vector<T>& values) {
  return py::array_t<T>(static_cast<py::ssize_t>(values.size()), values.data());
}

py::dict element_table(const std::vector<std::int64_t>& ids, const std::vector<std::int32_t>& bus_idx,
                       std::vector<double>& p, std::vector<double>& q, const char* p_name,
                       const char* q_name, const py::object& owner) {
  py::dict table;
  table["id"] = copy(ids);
  table["bus"] = copy(bus_idx);
  table[p_name] = view(p, owner, true);
  table[q_name] = view(q, owner, true);
  return table;
}

PowerFlowMethod method_from_name(const std::string& method) {
  if (method == "nr") return PowerFlowMethod::kNewtonRaphson;
  if (method == "zbus") return PowerFlowMethod::kImplicitZbus;
  throw std::invalid_argument("method must be 'nr' or 'zbus' (got '" + method + "')");
}

py::dict result_dict(const PowerFlowResult& r) {
  py::dict bus, line, trafo, ext_grid, load, out;
  bus["vm_pu"] = copy(r.bus.vm_pu);
  bus["va_degree"] = copy(r.bus.va_degree);
  bus["p_mw"] = copy(r.bus.p_mw);
  bus["q_mvar"] = copy(r.bus.q_mvar);
  line["p_from_mw"] = copy(r.line.p_from_mw);
  line["q_from_mvar"] = copy(r.line.q_from_mvar);
  line["p_to_mw"] = copy(r.line.p_to_mw);
  line["q_to_mvar"] = copy(r.line.q_to_mvar);
  line["pl_mw"] = copy(r.line.pl_mw);
  line["i_ka"] = copy(r.line.i_ka);
  line["loading_percent"] = copy(r.line.loading_percent);
  trafo["p_hv_mw"] = copy(r.trafo.p_hv_mw);
  trafo["q_hv_mvar"] = copy(r.trafo.q_hv_mvar);
  trafo["p_lv_mw"] = copy(r.trafo.p_lv_mw);
  trafo["q_lv_mvar"] = copy(r.trafo.q_lv_mvar);
  trafo["pl_mw"] = copy(r.trafo.pl_mw);
  trafo["loading_percent"] = copy(r.trafo.loading_percent);
  load["p_mw"] = copy(r.load.p_mw);
  load["q_mvar"] = copy(r.load.q_mvar);
  ext_grid["p_mw"] = copy(r.ext_grid.p_mw);
  ext_grid["q_mvar"] = copy(r.ext_grid.q_mvar);
  out["bus"] = bus;
  out["line"] = line;
  out["trafo"] = trafo;
  out["load"] = load;
  out["ext_grid"] = ext_grid;
  out["loss_p_mw"] = r.loss_p_mw;
  out["loss_q_mvar"] = r.loss_q_mvar;
  out["iterations"] = r.iterations;
  out["converged"] = r.converged;
  out["max_mismatch_mva"] = r.max_mismatch_mva;
  out["worst_bus"] = r.worst_bus_idx;
  return out;
}

py::dict power_flow(LoadedNetwork& net, const std::string& method, double tolerance_mva,
                    int max_iterations, bool warm_start) {
  const PowerFlowOptions options{method_from_name(method), tolerance_mva, max_iterations};
  PowerFlowResult result;
  {
    const py::gil_scoped_release release;
    result = net.solve(options, warm_start);
  }
  return result_dict(result);
}

py::dict bus_table(const LoadedNetwork& net) {
  const auto& buses = net.network().tables().buses;
  py::dict table;
  table["id"] = copy(buses.bus_id);
  table["name"] = buses.name;
  table["vn_kv"] = copy(buses.vn_kv);
  return table;
}

}  // namespace

void bind_energy(py::module_& module) {
  py::module_ m = module.def_submodule("energy", "Distribution networks and AC power flow.");
  py::class_<LoadedNetwork>(m, "Network", "A network of element tables with its power-flow solver.")
      .def(py::init<const std::filesystem::path&>(), py::arg("folder"))
      .def_property_readonly("bus", &bus_table, "Buses: id, name, vn_kv (copies).")
      .def_property_readonly("load", [](py::object self) {
        auto& n = self.cast<LoadedNetwork&>();
        const auto& t = n.network().tables().loads;
        return element_table(t.load_id, t.bus_idx, n.injections().load_p_mw, n.injections().load_q_mvar, "p_mw", "q_mvar", self);
      }, "Loads: id, bus, and writeable p_mw, q_mvar (consumption positive).")
      .def_property_readonly("sgen", [](py::object self) {
        auto& n = self.cast<LoadedNetwork&>();
        const auto& t = n.network().tables().sgens;
        return element_table(t.sgen_id, t.bus_idx, n.injections().sgen_p_mw, n.injections().sgen_q_mvar, "p_mw", "q_mvar", self);
      }, "Static generators: id, bus, and writeable p_mw, q_mvar (generation positive).")
      .def_property_readonly("storage", [](py::object self) {
        auto& n = self.cast<LoadedNetwork&>();
        const auto& t = n.network().tables().storages;
        return element_table(t.storage_id, t.bus_idx, n.injections().storage_p_mw, n.injections().storage_q_mvar, "p_mw", "q_mvar", self);
      }, "Storage units: id, bus, and writeable p_mw (charging positive), q_mvar.")
      .def("power_flow", &power_flow, "Solves the balanced AC power flow for the current injections.",
           py::arg("method") = "nr", py::arg("tolerance_mva") = 1e-8, py::arg("max_iterations") = 0,
           py::arg("warm_start") = false);
}

}  // namespace citytwin::python
