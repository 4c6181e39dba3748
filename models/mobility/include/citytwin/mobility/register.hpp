#pragma once

#include <citytwin/sim/model_registry.hpp>

namespace citytwin::mobility {

/// Registers the traffic model under the name "mobility" (its [models.mobility] section).
/// Called once, from io::register_models(). Not thread-safe (like ModelRegistry::add).
void register_mobility(sim::ModelRegistry& registry);

}  // namespace citytwin::mobility
