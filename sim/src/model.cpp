#include <citytwin/sim/model.hpp>

namespace citytwin::sim {

void Model::init(const StepContext& /*ctx*/, StateWriter& /*state*/) const {}

void Model::kpis(const State& /*state*/, std::vector<Kpi>& /*out*/) const {}

std::string Model::summary(const State& /*state*/) const { return {}; }

}  // namespace citytwin::sim
