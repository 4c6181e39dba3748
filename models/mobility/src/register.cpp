#include <citytwin/mobility/register.hpp>

#include <citytwin/mobility/mobility_model.hpp>

namespace citytwin::mobility {

void register_mobility(sim::ModelRegistry& registry) {
  registry.add("mobility", &MobilityModel::from_config);
}

}  // namespace citytwin::mobility
