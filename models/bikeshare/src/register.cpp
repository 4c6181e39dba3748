#include <citytwin/bikeshare/bikeshare_model.hpp>
#include <citytwin/bikeshare/register.hpp>

namespace citytwin::bikeshare {

void register_bikeshare(sim::ModelRegistry& registry) {
  registry.add("bikeshare", &BikeshareModel::from_config);
}

}  // namespace citytwin::bikeshare
