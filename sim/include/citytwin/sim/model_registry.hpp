#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/sim/model.hpp>

namespace citytwin::sim {

class ConfigReader;

/// What a model factory receives: its config section and the immutable scenario it runs in.
struct ModelContext {
  ConfigReader* config = nullptr;    ///< the model's [models.<name>] section
  const City* city = nullptr;        ///< the shared city
  const Clock* clock = nullptr;      ///< the run's clock
  std::uint64_t seed = 0;            ///< run seed
  std::filesystem::path scenario_dir;  ///< relative paths in the scenario resolve against this
  std::filesystem::path data_dir;      ///< the shared real-data folder (CITYTWIN_DATA)
};

/// Builds a model from its config section; reports bad input through ctx.config.
using ModelFactory = std::function<std::unique_ptr<Model>(const ModelContext& ctx)>;

/// Models by name, in registration order (which is the order they step in). Register every model
/// explicitly (never by static initialisers). Not thread-safe while registering.
class ModelRegistry {
 public:
  /// Adds a model; throws std::invalid_argument on a duplicate name.
  void add(std::string name, ModelFactory factory);
  /// Returns the factory of `name`, or nullptr.
  [[nodiscard]] const ModelFactory* find(std::string_view name) const;
  /// Registered names in registration order.
  [[nodiscard]] std::vector<std::string> names() const;

 private:
  std::vector<std::pair<std::string, ModelFactory>> entries_;
};

}  // namespace citytwin::sim
