#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <citytwin/io/scenario.hpp>
#include <citytwin/sim/config_node.hpp>

#include "bindings.hpp"

namespace py = pybind11;

namespace citytwin::python {

namespace {

using io::Scenario;
using sim::ConfigNode;
using sim::SourcePos;

/// Where values set from Python are said to be written, in messages.
SourcePos from_python() { return SourcePos{"<python>", 0, 0}; }

ConfigNode to_config_node(py::handle value, const std::string& key_path);

/// Converts a Python integer (or a numpy integer) to int64.
std::int64_t to_int64(py::handle value, const std::string& key_path) {
  const auto index = py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr()));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  const long long integer = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow != 0) {
    throw std::invalid_argument("value: " + key_path + " = " + py::str(index).cast<std::string>() +
                                " does not fit in a 64-bit signed integer");
  }
  return static_cast<std::int64_t>(integer);
}

/// Converts a list or tuple to an array node, item by item.
ConfigNode array_node(py::handle sequence, const std::string& key_path) {
  ConfigNode array = ConfigNode::array(from_python());
  std::size_t i = 0;
  for (const py::handle item : sequence) {
    array.push_back(to_config_node(item, key_path + "[" + std::to_string(i++) + "]"));
  }
  return array;
}

/// Converts a dict with string keys to a table node, keeping the dict's order.
ConfigNode table_node(py::handle dict, const std::string& key_path) {
  ConfigNode table = ConfigNode::table(from_python());
  for (const auto& [key, item] : py::reinterpret_borrow<py::dict>(dict)) {
    if (!py::isinstance<py::str>(key)) {
      throw std::invalid_argument("value: the keys of " + key_path + " must be str (got " +
                                  py::repr(key).cast<std::string>() + ")");
    }
    const auto name = key.cast<std::string>();
    table.insert(name, to_config_node(item, key_path + "." + name));
  }
  return table;
}

/// Returns whether `value` is an instance of numbers.<abc> ("Integral", "Real"), which numpy's
/// scalar types register with.
bool is_number(py::handle value, const char* abc) {
  return py::isinstance(value, py::module_::import("numbers").attr(abc));
}

/// Converts a Python value (bool, int, float, str, list, tuple or dict, nested) to a ConfigNode.
/// Throws std::invalid_argument naming `key_path` and the type for anything else.
ConfigNode to_config_node(py::handle value, const std::string& key_path) {
  const SourcePos where = from_python();
  // bool before int: bool is a subclass of int
  if (py::isinstance<py::bool_>(value)) return ConfigNode::boolean(value.cast<bool>(), where);
  if (is_number(value, "Integral")) return ConfigNode::integer(to_int64(value, key_path), where);
  if (is_number(value, "Real")) return ConfigNode::floating(value.cast<double>(), where);
  if (py::isinstance<py::str>(value)) return ConfigNode::string(value.cast<std::string>(), where);
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    return array_node(value, key_path);
  }
  if (py::isinstance<py::dict>(value)) return table_node(value, key_path);
  throw std::invalid_argument(
      "value: " + key_path + " must be a bool, int, float, str, list or dict (got " +
      py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>() + ")");
}

/// Scenario.set(key_path, value) with a Python value.
void set_value(Scenario& scenario, const std::string& key_path, py::handle value) {
  scenario.set(key_path, to_config_node(value, key_path));
}

/// Scenario.from_text with an optional folder (None = relative to the working directory).
Scenario from_text(std::string_view toml, std::string file_name,
                   const std::optional<std::filesystem::path>& dir) {
  return Scenario::from_text(toml, std::move(file_name), dir.value_or(std::filesystem::path{}));
}

/// Returns the path of a scenario, or None for one given as text.
py::object scenario_path(const Scenario& scenario) {
  if (scenario.path().empty()) return py::none();
  return py::cast(scenario.path());
}

std::string scenario_repr(const Scenario& scenario) {
  const std::string where = scenario.path().empty() ? "text" : scenario.path().string();
  return "<citytwin.Scenario " + where + " sha256=" + scenario.sha256().substr(0, 12) + ">";
}

}  // namespace

void bind_scenario(py::module_& module) {
  py::class_<Scenario>(module, "Scenario",
                       "A scenario: the merged configuration tree of a TOML file, its `extends` "
                       "chain and any `set()` overrides.")
      .def_static("load", &Scenario::load, py::arg("path"),
                  "Loads a scenario file and the files it extends.")
      .def_static("from_text", &from_text, py::arg("toml"), py::arg("file_name") = "inline.toml",
                  py::arg("dir") = py::none(),
                  "Parses scenario text; `file_name` names it in messages, "
                  "`dir` resolves "
                  "relative paths.")
      .def("set", py::overload_cast<std::string_view>(&Scenario::set), py::arg("assignment"),
           "Applies \"key.path=value\" (a TOML value; a bare word is taken as "
           "a string), as "
           "--set does.")
      .def("set", &set_value, py::arg("key_path"), py::arg("value"),
           "Sets the value at a dotted key path.")
      .def_property_readonly("resolved_toml", &Scenario::resolved_toml,
                             "The fully resolved scenario as TOML text (what results store).")
      .def_property_readonly("sha256", &Scenario::sha256,
                             "SHA-256 of resolved_toml(), as 64 hex digits.")
      .def_property_readonly("path", &scenario_path,
                             "The main file, or None for a scenario given as text.")
      .def_property_readonly("dir", &Scenario::dir,
                             "The folder that relative paths in the scenario resolve against.")
      .def("__repr__", &scenario_repr);
}

}  // namespace citytwin::python
