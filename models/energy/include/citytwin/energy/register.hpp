#pragma once

#include <citytwin/sim/model_registry.hpp>

namespace citytwin::energy {

/// Registers the micro-grid model under the name "energy" (its [models.energy] section).
/// Called once, from io::register_models(). Not thread-safe (like ModelRegistry::add).
void register_energy(sim::ModelRegistry& registry);

}  // namespace citytwin::energy
