#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <citytwin/bikeshare/station_table.hpp>
#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/model.hpp>
#include <citytwin/sim/model_registry.hpp>
#include <citytwin/sim/state.hpp>

namespace citytwin::bikeshare {

/// Settings of [models.bikeshare]; defaults here are the documented defaults
/// (docs/models/bikeshare.md#scenario-keys).
struct BikeshareConfig {
  std::string stations;            ///< GBFS station_information.json or HSL-style CSV (resolved)
  std::string status;              ///< folder of station_status snapshots (resolved), "" = none
  std::string demand_from;         ///< folder of station_status snapshots for demand (resolved)
  double max_walk_m = 300.0;       ///< [m] walk to another station when the origin is empty
  double max_dock_detour_m = 500.0;  ///< [m] ride on to a free dock; beyond it: lost no_dock
  double detour_factor = 1.3;      ///< [-] network / great-circle distance ratio, >= 1
  double ride_speed_mps = 4.5;     ///< [m/s] riding speed, > 0
  double gravity_beta = 1.5;       ///< [-] distance exponent of the gravity destinations, >= 0
  double demand_scale = 1.0;       ///< [-] multiplier on the estimated rental rates, >= 0
  std::int64_t period_s = 60;      ///< [s] model step, a whole multiple of time.dt_s
};

/// Reads and validates [models.bikeshare] (every problem goes to the reader's Diagnostics, with
/// file:line and key). Paths resolve "${data}/..." against ctx.data_dir, others against
/// ctx.scenario_dir. Not thread-safe (load time).
[[nodiscard]] BikeshareConfig read_bikeshare_config(const sim::ModelContext& ctx);

/// The docked bike-share model `bikeshare` (docs/models/bikeshare.md#model): Poisson rentals per
/// station and step from rates estimated on a replay day, a walk to the nearest station with a
/// bike when the origin is empty, gravity destinations, riding times from great-circle
/// distances, bikes in transit held in a ring buffer of future steps (a State column), and a
/// ride-on to the nearest free dock at a full destination. No rebalancing, no e-bikes.
/// step() is const, writes only bikeshare columns, and gives the same result on any number of
/// threads.
class BikeshareModel final : public sim::Model {
 public:
  /// Builds the model from its config section; reports bad input through ctx.config and returns
  /// nullptr then.
  static std::unique_ptr<sim::Model> from_config(const sim::ModelContext& ctx);
  /// Builds the model from a validated config. Throws citytwin::InputError when a data file
  /// cannot be read and std::invalid_argument when the stations cannot form a model (none, more
  /// than kMaxDenseStations).
  /// `time_zone` gives the local hour of the demand snapshots.
  BikeshareModel(BikeshareConfig config, std::int32_t dt_s, const std::string& time_zone);

  [[nodiscard]] std::string_view name() const override { return "bikeshare"; }
  [[nodiscard]] int period_ticks() const override { return period_ticks_; }
  void declare(sim::StateLayout& layout) override;
  void init(const sim::StepContext& ctx, sim::StateWriter& state) const override;
  void step(const sim::StepContext& ctx, const sim::State& now, sim::StateWriter& next) const override;
  void kpis(const sim::State& state, std::vector<sim::Kpi>& out) const override;

  /// The stations, in station_idx order.
  [[nodiscard]] const StationTable& stations() const { return stations_; }
  /// The integer id of each station written as the `station` coordinate: the GBFS station_id
  /// when every id is a decimal integer, else the station_idx (order of the stations file).
  [[nodiscard]] const std::vector<std::int64_t>& station_number() const { return station_number_; }
  /// [docks] capacity used for each station.
  [[nodiscard]] const std::vector<std::int32_t>& capacity() const { return capacity_; }
  /// [bikes] bikes at each station at tick 0.
  [[nodiscard]] const std::vector<std::int32_t>& initial_bikes() const { return initial_bikes_; }
  /// Number of steps of the in-transit ring buffer.
  [[nodiscard]] std::int32_t n_slots() const { return n_slots_; }

  /// Column handles (valid after declare()).
  struct Columns {
    sim::Column<std::int32_t> bikes_available;  ///< [bikes] per station
    sim::Column<std::int32_t> docks_free;       ///< [docks] per station
    sim::Column<std::int32_t> demand;           ///< [rentals] wanted this step, per station
    sim::Column<double> empty_minutes;          ///< [min] accumulated time empty, per station
    sim::Column<double> full_minutes;           ///< [min] accumulated time full, per station
    sim::Column<std::int32_t> arrivals;         ///< [bikes] ring [slot * n_stations + station]
    sim::Column<std::int32_t> trips_started;    ///< [trips] total
    sim::Column<std::int32_t> trips_completed;  ///< [trips] total
    sim::Column<std::int32_t> lost_no_bike;     ///< [rentals] total
    sim::Column<std::int32_t> lost_no_dock;     ///< [trips] total
    sim::Column<std::int32_t> walked_rentals;   ///< [rentals] served at another station, total
    sim::Column<std::int32_t> bikes_in_transit;  ///< [bikes] total
    sim::Column<std::int32_t> fleet;            ///< [bikes] total, constant
    sim::Column<double> dock_detour_s;          ///< [s] extra riding to a free dock, total
  };
  [[nodiscard]] const Columns& columns() const { return columns_; }

 private:
  // nearest other station with a bike (want_bike) or a free dock within `limit_m`, else -1
  [[nodiscard]] std::int32_t nearest(std::int32_t station_idx, std::span<const std::int32_t> bikes,
                                     double limit_m, bool want_bike) const;

  BikeshareConfig config_;
  int period_ticks_ = 1;
  StationTable stations_;
  std::vector<std::int64_t> station_number_;      // [n] coordinate ids
  std::vector<std::int32_t> capacity_;            // [n] docks
  std::vector<std::int32_t> initial_bikes_;       // [n] bikes at tick 0
  std::vector<double> rental_rate_per_h_;         // [24*n] by local hour of day
  std::vector<double> destination_cdf_;           // [n*n] cumulative P(d | o), rows end at 1
  std::vector<double> distance_m_;                // [n*n] great-circle
  std::vector<std::int32_t> ride_steps_;          // [n*n] riding time in model steps, >= 1
  std::vector<std::int32_t> neighbour_offset_;    // [n+1] CSR into neighbour_idx_
  std::vector<std::int32_t> neighbour_idx_;       // other stations by increasing distance
  std::int32_t n_slots_ = 2;                      // ring length in steps
  Columns columns_;
};

/// One replay of the validation (docs/models/bikeshare.md#replay-validation).
struct ReplayCase {
  std::string label;                   ///< row name, e.g. "2022-10-24 from 2023-06-14"
  std::filesystem::path status;        ///< snapshots replayed and compared against
  std::filesystem::path demand_from;   ///< snapshots of the other day (demand, time-of-day mean)
};

/// Options of replay_table().
struct ReplayOptions {
  std::string time_zone = "Europe/Oslo";  ///< local time of the hour of day
  std::uint64_t seed = 42;                ///< run seed
  std::int32_t dt_s = 60;                 ///< [s] tick and model step
};

/// One row of the validation table. RMSEs are over every (station, snapshot) cell after the
/// first snapshot where the station is observed and the time-of-day baseline exists [bikes].
struct ReplayRow {
  std::string label;                  ///< ReplayCase::label
  std::int32_t n_stations = 0;        ///< stations of the model
  std::int32_t n_snapshots = 0;       ///< snapshots compared (after the first)
  std::int64_t n_cells = 0;           ///< (station, snapshot) cells compared
  double rmse_model_bikes = 0.0;      ///< [bikes] simulated vs observed
  double rmse_persistence_bikes = 0.0;  ///< [bikes] first observed value vs observed
  double rmse_time_of_day_bikes = 0.0;  ///< [bikes] other day's hourly mean vs observed
  std::int64_t trips_started = 0;     ///< [trips] simulated rentals
  std::int64_t lost_no_bike = 0;      ///< [rentals] simulated lost demand, empty stations
  std::int64_t lost_no_dock = 0;      ///< [trips] simulated lost trips, full stations
};

/// Runs each case on a sim::Engine from its first snapshot to its last with demand estimated on
/// `demand_from`, and returns the RMSEs of the simulated occupancy against the observed one and
/// against the persistence and time-of-day baselines. Prints a Markdown table to `out` when
/// given. Throws citytwin::InputError for unreadable files. Not thread-safe (drives engines).
[[nodiscard]] std::vector<ReplayRow> replay_table(const std::filesystem::path& stations,
                                                  const std::vector<ReplayCase>& cases,
                                                  const ReplayOptions& options = {},
                                                  std::ostream* out = nullptr);

}  // namespace citytwin::bikeshare
