#include <citytwin/solar/register.hpp>

#include <citytwin/solar/solar_model.hpp>

namespace citytwin::solar {

void register_solar(sim::ModelRegistry& registry) {
  registry.add("solar", &SolarModel::from_config);
}

}  // namespace citytwin::solar
