#include <citytwin/sim/model_registry.hpp>

#include <stdexcept>

namespace citytwin::sim {

void ModelRegistry::add(std::string name, ModelFactory factory) {
  if (find(name) != nullptr) throw std::invalid_argument("model '" + name + "' registered twice");
  if (!factory) throw std::invalid_argument("model '" + name + "' registered without a factory");
  entries_.emplace_back(std::move(name), std::move(factory));
}

const ModelFactory* ModelRegistry::find(std::string_view name) const {
  for (const auto& [registered, factory] : entries_) {
    if (registered == name) return &factory;
  }
  return nullptr;
}

std::vector<std::string> ModelRegistry::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& entry : entries_) out.push_back(entry.first);
  return out;
}

}  // namespace citytwin::sim
