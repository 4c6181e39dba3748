#pragma once

#include <pybind11/pybind11.h>

namespace citytwin::python {

/// Adds citytwin.InputError and the C++ exception translators to `module`.
void bind_errors(pybind11::module_& module);
/// Adds the Scenario class to `module`.
void bind_scenario(pybind11::module_& module);
/// Adds the Simulation and Checkpoint classes to `module`.
void bind_simulation(pybind11::module_& module);
/// Adds the bikeshare submodule (GBFS feeds) to `module`.
void bind_bikeshare(pybind11::module_& module);
/// Adds the energy submodule (networks and power flow) to `module`.
void bind_energy(pybind11::module_& module);
/// Adds the solar submodule (sun, sky and PV physics) to `module`.
void bind_solar(pybind11::module_& module);
/// Adds __version__ and __git_describe__ to `module`.
void bind_version(pybind11::module_& module);

}  // namespace citytwin::python
