#include <pybind11/pybind11.h>

#include "bindings.hpp"

PYBIND11_MODULE(_core, module) {
  module.doc() = "citytwin's C++ core: scenarios, simulations and their errors.";
  citytwin::python::bind_version(module);
  citytwin::python::bind_errors(module);
  citytwin::python::bind_scenario(module);
  citytwin::python::bind_simulation(module);
  citytwin::python::bind_solar(module);
  citytwin::python::bind_energy(module);
  citytwin::python::bind_bikeshare(module);
}
