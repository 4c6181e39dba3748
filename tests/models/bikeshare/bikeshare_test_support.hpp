#pragma once
// Shared fixtures of the bike-share model tests: the registry, GBFS snapshots written to files.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <citytwin/bikeshare/register.hpp>
#include <citytwin/sim/model_registry.hpp>

namespace citytwin::bikeshare::test {

inline constexpr std::int64_t kStartUtcS = 1718956800;  // 2024-06-21T08:00:00Z

/// A registry holding only the bike-share model.
inline sim::ModelRegistry bikeshare_registry() {
  sim::ModelRegistry registry;
  register_bikeshare(registry);
  return registry;
}

/// Writes `json` to `path`, indented by one space.
inline void write_json(const std::filesystem::path& path, const nlohmann::json& json) {
  std::ofstream out(path);
  out << json.dump(1);
}

/// A GBFS 2.2 station_status snapshot of stations "1".."n" (capacity `cap`) with the given bikes.
inline nlohmann::json snapshot(std::int64_t time_s, const std::vector<int>& bikes, int cap) {
  nlohmann::json stations = nlohmann::json::array();
  for (std::size_t s = 0; s < bikes.size(); ++s) {
    stations.push_back({{"station_id", std::to_string(s + 1)},
                        {"num_bikes_available", bikes[s]},
                        {"num_docks_available", cap - bikes[s]},
                        {"is_installed", 1},
                        {"is_renting", 1},
                        {"is_returning", 1},
                        {"last_reported", time_s}});
  }
  return {{"last_updated", time_s}, {"ttl", 0}, {"version", "2.2"}, {"data", {{"stations", stations}}}};
}

}  // namespace citytwin::bikeshare::test
