#include <citytwin/energy/energy_model.hpp>
#include <citytwin/energy/register.hpp>

namespace citytwin::energy {

void register_energy(sim::ModelRegistry& registry) {
  registry.add("energy", &EnergyModel::from_config);
}

}  // namespace citytwin::energy
