#pragma once

#include <citytwin/sim/model_registry.hpp>

namespace citytwin::solar {

/// Registers the rooftop-PV model under the name "solar" (its [models.solar] section).
/// Called once, from io::register_models(), before the energy model that reads its
/// `ac_power_kw`. Not thread-safe (like ModelRegistry::add).
void register_solar(sim::ModelRegistry& registry);

}  // namespace citytwin::solar
