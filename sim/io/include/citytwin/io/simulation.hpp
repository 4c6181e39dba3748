#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <citytwin/io/result_writer.hpp>
#include <citytwin/io/scenario.hpp>
#include <citytwin/sim/engine.hpp>
#include <citytwin/sim/model_registry.hpp>
#include <citytwin/sim/progress.hpp>

namespace citytwin::io {

/// Registers every model of citytwin, in their fixed stepping order.
void register_models(sim::ModelRegistry& registry);

/// Builds the city a scenario asks for: generated, or read from a file by the solar readers
/// (".city.json"/".json": CityJSON, ".geojson": 2.5D footprints), or an OpenStreetMap extract
/// (".osm", ".osm.pbf", ".osm.bz2", ".osm.gz": buildings with a height as LoD1 blocks, streets
/// from the routable network; docs/city.md). When `report` is given it
/// receives the reader's summary of fallbacks and repairs ("" for a generated city). Throws
/// InputError naming city.buildings (file:line) for an unknown format or a missing file.
[[nodiscard]] sim::City build_city(const Scenario& scenario, const ScenarioSettings& settings,
                                   std::string* report = nullptr);

/// Options of a simulation run.
struct SimulationOptions {
  std::filesystem::path output;  ///< results file; empty = no output file
  int threads = 0;               ///< OpenMP threads; 0 = default
};

/// A whole run: the scenario's city, its models on an Engine, and optionally a results file.
/// Construction validates everything (all problems in one InputError). Drive from one thread.
class Simulation {
 public:
  /// Builds and validates the simulation with citytwin's models. Throws InputError on bad input.
  Simulation(const Scenario& scenario, SimulationOptions options);
  /// Same, with the models of `registry` (tests use their own small models).
  Simulation(const Scenario& scenario, SimulationOptions options, const sim::ModelRegistry& registry);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Advances `n` ticks (fewer if the run ends), writing output steps as they fall due.
  void step(std::int64_t n = 1);
  /// Called after each tick with (ticks done, total); returning false stops the run.
  using Callback = std::function<bool(std::int64_t, std::int64_t)>;
  /// Runs to the end or until `callback` returns false or `*stop` becomes true. Returns true
  /// when the run completed. Output is flushed either way; finish() is called on completion.
  bool run(const Callback& callback = {}, const std::atomic<bool>* stop = nullptr,
           sim::ProgressReporter* progress = nullptr);
  /// Writes the indicators, closes the results file and renames it to its final name.
  void finish();
  /// Flushes the results file and leaves it as `.partial` (an interrupted run).
  void abandon();

  [[nodiscard]] const sim::Engine& engine() const { return *engine_; }
  [[nodiscard]] sim::Engine& engine() { return *engine_; }
  [[nodiscard]] const sim::City& city() const { return *city_; }
  [[nodiscard]] const ScenarioSettings& settings() const { return settings_; }
  [[nodiscard]] const Scenario& scenario() const { return scenario_; }
  /// Indicators of the city and of every model.
  [[nodiscard]] std::vector<std::pair<std::string, sim::Kpi>> kpis() const;
  /// The results writer, or nullptr when there is no output file.
  [[nodiscard]] ResultWriter* writer() { return writer_.get(); }
  [[nodiscard]] int threads() const { return threads_; }
  /// The city reader's summary of fallbacks and repairs ("" for a generated city).
  [[nodiscard]] const std::string& city_report() const { return city_report_; }

 private:
  void write_due_output();
  Scenario scenario_;
  ScenarioSettings settings_;
  std::unique_ptr<sim::City> city_;
  std::unique_ptr<sim::Engine> engine_;
  std::unique_ptr<ResultWriter> writer_;
  std::int64_t output_every_ticks_ = 1;
  int threads_ = 1;
  bool finished_ = false;
  std::string city_report_;
};

/// Builds the models a scenario enables, in registry order, validating their sections.
/// Every problem goes to `diagnostics`; unknown model names get a "did you mean" hint.
[[nodiscard]] std::vector<std::unique_ptr<sim::Model>> build_models(
    const Scenario& scenario, const sim::ModelRegistry& registry, const sim::City& city,
    const sim::Clock& clock, std::uint64_t seed, sim::Diagnostics& diagnostics);

/// Indicators of the city itself (buildings, residents, jobs, floor area, street length).
[[nodiscard]] std::vector<std::pair<std::string, sim::Kpi>> city_kpis(const sim::City& city);

}  // namespace citytwin::io
