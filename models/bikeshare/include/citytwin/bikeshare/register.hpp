#pragma once

#include <citytwin/sim/model_registry.hpp>

namespace citytwin::bikeshare {

/// Registers the bike-share model under the name "bikeshare" (its [models.bikeshare] section).
/// Called once, from io::register_models(), after every other model. Not thread-safe (like
/// ModelRegistry::add).
void register_bikeshare(sim::ModelRegistry& registry);

}  // namespace citytwin::bikeshare
