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
#include <citytwin/sim/city.hpp>
#include <citytwin/sim/clock.hpp>
#include <citytwin/sim/config_node.hpp>
#include <citytwin/sim/model.hpp>
#include <citytwin/sim/model_registry.hpp>
#include <citytwin/sim/state.hpp>

namespace citytwin::bikeshare {

/// One station written in the scenario ([[models.bikeshare.station]]).
struct InlineStation {
  std::string station_id;      ///< stable id (a string; integers are written in decimal)
  double lat_deg = 0.0;        ///< [deg] WGS84 latitude
  double lon_deg = 0.0;        ///< [deg] WGS84 longitude
  std::int32_t capacity = 20;  ///< [docks] > 0
};

/// Where the rental demand comes from (`demand_from`).
enum class DemandSource : std::uint8_t {
  kSnapshots,  ///< a folder of station_status snapshots (estimate_demand)
  kCity,       ///< gravity demand from the residents and jobs of the city's buildings
  kMobility,   ///< the mobility model's trips whose mode choice is bike share
};

/// Settings of [models.bikeshare]; defaults here are the documented defaults
/// (docs/models/bikeshare.md#scenario-keys).
struct BikeshareConfig {
  std::string stations;            ///< GBFS station_information.json or CSV (resolved), "osm", "none"
  std::string osm;                 ///< OSM file of amenity=bicycle_rental nodes (resolved), with "osm"
  std::vector<InlineStation> inline_stations;  ///< [[models.bikeshare.station]] tables
  std::int32_t new_stations = 0;   ///< stations added on the best-covered demand (what-if), >= 0
  std::string status;              ///< folder of station_status snapshots (resolved), "" = none
  DemandSource demand_source = DemandSource::kSnapshots;  ///< kind of `demand_from`
  std::string demand_from;         ///< folder of station_status snapshots for demand (resolved)
  double max_walk_m = 300.0;       ///< [m] walk to another station when the origin is empty
  double max_dock_detour_m = 500.0;  ///< [m] ride on to a free dock; beyond it: lost no_dock
  double detour_factor = 1.3;      ///< [-] network / great-circle distance ratio, >= 1
  double ride_speed_mps = 4.5;     ///< [m/s] riding speed, > 0
  double gravity_beta = 1.5;       ///< [-] distance exponent of the gravity destinations, >= 0
  double demand_scale = 1.0;       ///< [-] multiplier on the estimated rental rates, >= 0
  std::int32_t default_capacity = 20;  ///< [docks] capacity of a station without one, > 0
  double initial_fill_frac = 0.5;  ///< [-] bikes / docks at tick 0 without a status snapshot
  // city demand (demand_from = "city")
  double city_trips_per_person_day = 0.02;  ///< [trips/(person day)] per resident and per job
  double catchment_m = 400.0;      ///< [m] buildings within it count for a station's demand
  double new_station_spacing_m = 250.0;  ///< [m] least distance of a new station to any other
  double new_station_coverage_m = 300.0;  ///< [m] a station covers the demand within it (placement)
  double max_access_m = 300.0;     ///< [m] stations farther from a street node ride great-circle
  // e-bikes
  double ebike_share_frac = 0.0;   ///< [-] share of the fleet that is electric
  double ebike_battery_wh = 500.0;  ///< [Wh] usable battery capacity, > 0
  double ebike_wh_per_km = 8.0;    ///< [Wh/km] consumption on the flat, >= 0
  double ebike_wh_per_m_climb = 0.2;  ///< [Wh/m] extra consumption per metre climbed, >= 0
  double ebike_min_soc_frac = 0.2;  ///< [-] an e-bike below it is not rented
  double ebike_initial_soc_frac = 0.8;  ///< [-] state of charge at tick 0
  bool charging_all = false;       ///< `charging = true`: every station charges its e-bikes
  std::vector<std::string> charging_stations;  ///< `charging = ["id", ...]`: those stations
  double charge_power_kw = 0.25;   ///< [kW] charging power per dock below the taper
  double charge_taper_from_frac = 0.8;  ///< [-] SoC above which the power falls linearly to 0
  double charge_efficiency_frac = 0.9;  ///< [-] battery energy / grid energy
  // trip records
  std::int64_t max_trip_records = 1000000;  ///< cap of the per-trip ring table, > 0
  // rebalancing trucks
  std::int32_t trucks = 0;         ///< number of trucks; 0 = no rebalancing (baseline)
  std::int32_t truck_capacity = 20;  ///< [bikes] per truck, > 0
  double truck_shift_start_h = 6.0;  ///< [h] local hour the shift starts
  double truck_shift_end_h = 22.0;   ///< [h] local hour the shift ends (> start)
  std::string truck_depot;         ///< station id where trucks start; "" = nearest the centre
  double truck_speed_mps = 6.0;    ///< [m/s] mean speed in town, > 0
  double truck_handling_s_per_bike = 30.0;  ///< [s] loading or unloading one bike
  double rebalance_horizon_h = 2.0;  ///< [h] forecast window of the targets
  std::int32_t rebalance_min_bikes = 3;  ///< [bikes] smallest move worth a trip, >= 1
  std::int64_t period_s = 60;      ///< [s] model step, a whole multiple of time.dt_s
  std::int64_t run_s = 86400;      ///< [s] run length (sizes the trip table)
  sim::SourcePos demand_from_where;  ///< position of `demand_from` (for late errors)
};

/// Reads and validates [models.bikeshare] (every problem goes to the reader's Diagnostics, with
/// file:line and key). Paths resolve "${data}/..." against ctx.data_dir, others against
/// ctx.scenario_dir. Not thread-safe (load time).
[[nodiscard]] BikeshareConfig read_bikeshare_config(const sim::ModelContext& ctx);

/// The docked bike-share model `bikeshare` (docs/models/bikeshare.md#model): Poisson rentals per
/// station and step (from snapshots, from the city's buildings, or the mobility model's
/// bike-share trips), a walk to the nearest station with a rentable bike, gravity destinations,
/// a fleet of individual bikes (classic and electric, with state of charge) docked in numbered
/// docks or in transit, charging at equipped stations (a `grid_load_kw` column on the building
/// dim for the energy model), operator trucks, and a ring table of per-trip records.
/// step() is const, writes only bikeshare columns, and gives the same result on any number of
/// threads.
class BikeshareModel final : public sim::Model {
 public:
  /// Builds the model from its config section; reports bad input through ctx.config and returns
  /// nullptr then.
  static std::unique_ptr<sim::Model> from_config(const sim::ModelContext& ctx);
  /// Builds the model from a validated config. Throws citytwin::InputError when a data file
  /// cannot be read and std::invalid_argument when the stations cannot form a model (none, more
  /// than kMaxDenseStations). `time_zone` gives the local hour of the demand snapshots; `city`
  /// (may be nullptr) gives the buildings of city demand and charging loads and the projected
  /// coordinates of the stations.
  BikeshareModel(BikeshareConfig config, std::int32_t dt_s, const std::string& time_zone,
                 const sim::City* city = nullptr);

  [[nodiscard]] std::string_view name() const override { return "bikeshare"; }
  [[nodiscard]] int period_ticks() const override { return period_ticks_; }
  void declare(sim::StateLayout& layout) override;
  void init(const sim::StepContext& ctx, sim::StateWriter& state) const override;
  void step(const sim::StepContext& ctx, const sim::State& now, sim::StateWriter& next) const override;
  void kpis(const sim::State& state, std::vector<sim::Kpi>& out) const override;

  /// The stations, in station_idx order.
  [[nodiscard]] const StationTable& stations() const { return stations_; }
  /// The integer id of each station written as the `station_id` coordinate: the station_id when
  /// every id is a decimal integer, else the station_idx.
  [[nodiscard]] const std::vector<std::int64_t>& station_number() const { return station_number_; }
  /// [docks] capacity used for each station.
  [[nodiscard]] const std::vector<std::int32_t>& capacity() const { return capacity_; }
  /// [bikes] bikes at each station at tick 0.
  [[nodiscard]] const std::vector<std::int32_t>& initial_bikes() const { return initial_bikes_; }
  /// [bikes] size of the fleet.
  [[nodiscard]] std::int32_t n_bikes() const { return n_bikes_; }
  /// Number of rows of the per-trip ring table (completed trips).
  [[nodiscard]] std::int64_t n_trip_records() const { return n_trip_records_; }
  /// [rentals/h] wanted rentals per local hour of day and station, [24 * n_stations].
  [[nodiscard]] const std::vector<double>& rental_rate_per_h() const { return rental_rate_per_h_; }
  /// [m] riding distance between stations, [n_stations * n_stations].
  [[nodiscard]] const std::vector<double>& ride_distance_m() const { return ride_distance_m_; }
  /// [m] projected x / y of each station in the city's CRS (empty without a city).
  [[nodiscard]] const std::vector<double>& station_x_m() const { return station_x_m_; }
  [[nodiscard]] const std::vector<double>& station_y_m() const { return station_y_m_; }
  /// Number of ordered station pairs whose riding times come from the street network.
  [[nodiscard]] std::int64_t n_network_pairs() const { return n_network_pairs_; }
  /// City building id hosting each entry of the `building` dim (charging loads).
  [[nodiscard]] const std::vector<std::int64_t>& charger_building_id() const { return charger_building_id_; }

  /// Column handles (valid after declare()).
  struct Columns {
    // per station
    sim::Column<std::int32_t> bikes_available;  ///< [bikes] docked bikes, per station
    sim::Column<std::int32_t> ebikes_available;  ///< [bikes] docked e-bikes, per station
    sim::Column<std::int32_t> docks_free;       ///< [docks] per station
    sim::Column<double> mean_ebike_soc_frac;    ///< [-] mean charge of docked e-bikes, NaN if none
    sim::Column<double> charge_power_kw;        ///< [kW] charging power, per station
    sim::Column<std::int32_t> demand;           ///< [rentals] wanted this step, per station
    sim::Column<double> empty_minutes;          ///< [min] accumulated time empty, per station
    sim::Column<double> full_minutes;           ///< [min] accumulated time full, per station
    sim::Column<std::int32_t> rebalance_target;  ///< [bikes] truck target, per station
    // per dock
    sim::Column<std::int32_t> dock_bike_idx;    ///< bike in the dock, -1 when free
    // per bike
    sim::Column<std::int32_t> bike_station_idx;  ///< station, -1 in transit, -2 on a truck
    sim::Column<std::uint8_t> bike_ebike;       ///< 1 for an e-bike
    sim::Column<double> bike_soc_frac;          ///< [-] battery charge (0 for classic bikes)
    sim::Column<std::int32_t> bike_destination_idx;  ///< station of the ride in progress
    sim::Column<std::int64_t> bike_arrival_step;  ///< model step the ride ends
    sim::Column<std::int32_t> bike_origin_idx;  ///< station the ride in progress started at
    sim::Column<std::int64_t> bike_start_step;  ///< model step the ride in progress started
    sim::Column<double> bike_distance_m;        ///< [m] length of the ride in progress
    sim::Column<std::int32_t> bike_truck_idx;   ///< truck carrying it, -1 otherwise
    // per completed trip (ring: the k-th completed trip sits in row (k - 1) % n_trip_records)
    sim::Column<std::int32_t> trip_origin_idx;  ///< station_idx where the bike was taken
    sim::Column<std::int32_t> trip_destination_idx;  ///< station_idx where the bike was docked
    sim::Column<float> trip_start_s;            ///< [s] since the run start
    sim::Column<float> trip_end_s;              ///< [s] since the run start
    sim::Column<float> trip_distance_m;         ///< [m] ridden, ride-on included
    sim::Column<std::uint8_t> trip_ebike;       ///< 1 when ridden on an e-bike
    sim::Column<std::int32_t> trip_rows_from;   ///< trips completed before the last step
    // per truck
    sim::Column<std::int32_t> truck_station_idx;  ///< station it is at or driving to
    sim::Column<std::int32_t> truck_load;       ///< [bikes] on board
    sim::Column<std::int32_t> truck_phase;      ///< 0 idle, 1 driving to a pickup, 2 to a drop
    sim::Column<std::int32_t> truck_from_idx;   ///< pickup station of the move in progress
    sim::Column<std::int32_t> truck_to_idx;     ///< drop station of the move in progress
    sim::Column<std::int32_t> truck_moving_bikes;  ///< [bikes] planned (then loaded) for the move
    sim::Column<std::int64_t> truck_pickup_step;  ///< model step the pickup is done
    sim::Column<std::int64_t> truck_arrive_step;  ///< model step the drop is done
    sim::Column<double> truck_km;               ///< [km] driven, per truck
    // per building (charging load for the energy model)
    sim::Column<double> grid_load_kw;           ///< [kW] charging power at the building
    // totals
    sim::Column<std::int32_t> trips_started;    ///< [trips] total
    sim::Column<std::int32_t> trips_completed;  ///< [trips] total
    sim::Column<std::int32_t> lost_no_bike;     ///< [rentals] total
    sim::Column<std::int32_t> lost_flat_ebike;  ///< [rentals] only flat e-bikes in reach, total
    sim::Column<std::int32_t> lost_no_dock;     ///< [trips] total
    sim::Column<std::int32_t> walked_rentals;   ///< [rentals] served at another station, total
    sim::Column<std::int32_t> ebike_trips;      ///< [trips] on e-bikes, total
    sim::Column<std::int32_t> bikes_in_transit;  ///< [bikes] total
    sim::Column<std::int32_t> bikes_on_trucks;  ///< [bikes] total
    sim::Column<std::int32_t> fleet;            ///< [bikes] total, constant
    sim::Column<std::int32_t> rebalanced_bikes;  ///< [bikes] dropped by trucks, total
    sim::Column<double> dock_detour_s;          ///< [s] extra riding to a free dock, total
    sim::Column<double> rebalancing_km;         ///< [km] driven by all trucks, total
    sim::Column<double> ebike_charge_kwh;       ///< [kWh] drawn from the grid, total
    sim::Column<double> ebike_ride_kwh;         ///< [kWh] used by e-bike rides, total
  };
  [[nodiscard]] const Columns& columns() const { return columns_; }

 private:
  // nearest other station with a rentable bike (want_bike) or a free dock within `limit_m`
  [[nodiscard]] std::int32_t nearest(std::int32_t station_idx, std::span<const std::int32_t> count,
                                     double limit_m, bool want_bike) const;
  // the station nearest projected (x, y) with a rentable bike within `limit_m`, else -1
  [[nodiscard]] std::int32_t nearest_xy(double x_m, double y_m, std::span<const std::int32_t> rentable,
                                        double limit_m) const;
  // build steps
  void load_stations(const sim::City* city);
  void load_demand(const std::string& time_zone, const sim::City* city);
  void build_network(const sim::City* city);
  void build_fleet(const sim::City* city);

  BikeshareConfig config_;
  int period_ticks_ = 1;
  double step_s_ = 60.0;
  StationTable stations_;
  std::vector<std::int64_t> station_number_;      // [n] coordinate ids
  std::vector<std::int32_t> capacity_;            // [n] docks
  std::vector<std::int32_t> dock_begin_;          // [n+1] first dock of each station
  std::vector<std::int32_t> initial_bikes_;       // [n] bikes at tick 0
  std::vector<double> station_x_m_;               // [n] projected x (city CRS), empty without city
  std::vector<double> station_y_m_;               // [n] projected y
  std::vector<double> rental_rate_per_h_;         // [24*n] by local hour of day
  std::vector<double> return_rate_per_h_;         // [24*n] expected returns by local hour
  std::vector<double> destination_cdf_;           // [n*n] cumulative P(d | o), rows end at inf
  std::vector<double> distance_m_;                // [n*n] great-circle
  std::vector<double> ride_distance_m_;           // [n*n] riding distance
  std::vector<double> climb_m_;                   // [n*n] metres climbed
  std::vector<std::int32_t> ride_steps_;          // [n*n] riding time in model steps, >= 1
  std::vector<std::int32_t> neighbour_offset_;    // [n+1] CSR into neighbour_idx_
  std::vector<std::int32_t> neighbour_idx_;       // other stations by increasing distance
  std::vector<std::uint8_t> charging_;            // [n] 1 where the station charges e-bikes
  std::vector<std::int32_t> station_charger_;     // [n] entry of the building dim, -1 if none
  std::vector<std::int64_t> charger_building_id_;  // building ids of the building dim
  std::int32_t n_bikes_ = 0;
  std::int64_t n_network_pairs_ = 0;             // station pairs routed on the streets
  std::vector<std::uint8_t> initial_ebike_;       // [n_bikes] 1 for an e-bike
  std::int64_t n_trip_records_ = 1;
  std::int32_t depot_idx_ = 0;
  // mobility coupling (found in declare())
  sim::ColumnId mobility_choice_ = -1;
  sim::ColumnId mobility_departure_ = -1;
  sim::ColumnId mobility_origin_x_ = -1;
  sim::ColumnId mobility_origin_y_ = -1;
  sim::ColumnId mobility_destination_x_ = -1;
  sim::ColumnId mobility_destination_y_ = -1;
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
