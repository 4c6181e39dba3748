#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/mobility/count_replay.hpp>
#include <citytwin/mobility/queue_model.hpp>
#include <citytwin/mobility/replanning.hpp>
#include <citytwin/mobility/router.hpp>
#include <citytwin/mobility/signals.hpp>
#include <citytwin/mobility/street_network.hpp>
#include <citytwin/mobility/synthetic_demand.hpp>
#include <citytwin/sim/model.hpp>
#include <citytwin/sim/model_registry.hpp>

namespace citytwin::mobility {

/// Settings of the [models.mobility] section (docs/scenario-format.md, docs/models/mobility.md).
struct MobilityConfig {
  std::string network = "generated";  ///< "generated", or a resolved .osm/.osm.pbf/.net.xml path
  std::string network_written;        ///< `network` as written in the scenario
  std::string demand;                 ///< resolved .rou.xml or OD .csv path, or "synthetic"
  std::string demand_written;         ///< `demand` as written in the scenario
  bool signals = false;               ///< gate signalised junctions (SUMO tlLogic, OSM default)
  DefaultSignalConfig signal_defaults;  ///< default plan of signalised nodes without a program
  std::int64_t interval_s = 900;      ///< [s] link statistics interval, >= 1
  double stuck_time_s = 10.0;         ///< [s] a blocked car waiting longer is pushed on, > 0
  double co2_kg_per_vehicle_km = 0.170;  ///< [kg km-1] average car tailpipe CO2, >= 0
  SyntheticDemandConfig synthetic;    ///< [models.mobility.synthetic], with demand = "synthetic"
  ReplanConfig replanning{0};         ///< [models.mobility.replanning]; 0 iterations = off
  std::string counts;                 ///< resolved counts file to compare against, "" = none
  std::string counts_written;         ///< `counts` as written
  CountAttachOptions counts_attach;   ///< [models.mobility.counters] and counts_max_distance_m
};

/// Reads and validates [models.mobility]; problems go to ctx.config's Diagnostics.
[[nodiscard]] MobilityConfig read_mobility_config(const sim::ModelContext& ctx);

/// The traffic model (docs/models/mobility.md#model): a street network (generated, OSM or
/// SUMO), a demand (SUMO routes or an OD matrix) routed once on free-flow times, and the
/// mesoscopic queue model advanced in 1 s substeps, dt_s of them per engine tick. Every value
/// of the queue model that changes lives in State columns; the model object holds only the
/// network, the routed trips and the derived queue-model constants. Thread-safe for const use.
class MobilityModel : public sim::Model {
 public:
  /// The registry factory: reads the config, loads the network and demand, routes the trips.
  /// Returns nullptr (problems recorded in ctx.config) when the input is bad.
  static std::unique_ptr<sim::Model> from_config(const sim::ModelContext& ctx);

  /// Immutable scenario data of the model (owned on the heap so the queue model's references
  /// stay valid).
  struct Data;

  explicit MobilityModel(std::unique_ptr<Data> data);
  ~MobilityModel() override;
  MobilityModel(const MobilityModel&) = delete;
  MobilityModel& operator=(const MobilityModel&) = delete;

  [[nodiscard]] std::string_view name() const override { return "mobility"; }
  [[nodiscard]] int period_ticks() const override { return 1; }
  void declare(sim::StateLayout& layout) override;
  void init(const sim::StepContext& ctx, sim::StateWriter& state) const override;
  void step(const sim::StepContext& ctx, const sim::State& now,
            sim::StateWriter& next) const override;
  void kpis(const sim::State& state, std::vector<sim::Kpi>& out) const override;
  [[nodiscard]] std::string summary(const sim::State& state) const override;

  /// The network simulated.
  [[nodiscard]] const StreetNetwork& network() const;
  /// The routed trips (one per vehicle, trip dim order).
  [[nodiscard]] const Trips& trips() const;

  /// Column handles (valid after declare()).
  struct Columns;

 private:
  std::unique_ptr<Data> data_;
  std::unique_ptr<Columns> columns_;
};

}  // namespace citytwin::mobility
