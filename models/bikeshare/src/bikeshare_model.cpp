#include <citytwin/bikeshare/bikeshare_model.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include <citytwin/bikeshare/demand_estimate.hpp>
#include <citytwin/bikeshare/readers/gbfs.hpp>
#include <citytwin/bikeshare/readers/station_csv.hpp>
#include <citytwin/sim/config_reader.hpp>
#include <citytwin/sim/diagnostics.hpp>
#include <citytwin/sim/engine.hpp>
#include <citytwin/sim/error.hpp>
#include <citytwin/sim/rng.hpp>

namespace citytwin::bikeshare {

namespace {

constexpr std::uint32_t kRentStream = sim::stream_id("bikeshare.rent");
constexpr std::uint32_t kDestinationStream = sim::stream_id("bikeshare.destination");
constexpr std::int32_t kDefaultCapacity = 20;  // docks of a station without a known capacity
// fewer stations run the per-station loops on one thread: a parallel region costs more than
// a few hundred Poisson draws, and much more on oversubscribed cores
constexpr std::int64_t kParallelMinStations = 4096;

std::size_t idx(std::int64_t i) { return static_cast<std::size_t>(i); }

// the station table of a GBFS station_information.json or an HSL-style station CSV
StationTable read_stations(const std::string& path) {
  const std::filesystem::path p(path);
  if (p.extension() == ".csv") return read_station_csv(p, hsl_station_columns());
  return read_station_information(p);
}

// local time minus UTC at `unix_s` in `time_zone` [s], within (-12 h, 12 h]
std::int64_t utc_offset_s(std::int64_t unix_s, const std::string& time_zone) {
  const sim::CivilTime local = sim::Clock::civil_local(unix_s, time_zone);
  const sim::CivilTime utc = sim::Clock::civil_utc(unix_s);
  const std::int64_t diff_s = (local.hour - utc.hour) * 3600 + (local.minute - utc.minute) * 60;
  return ((diff_s % 86400) + 86400 + 43199) % 86400 - 43199;
}

// the integer coordinate ids: the decimal station_ids when all parse, else 0..n-1
std::vector<std::int64_t> station_numbers(const StationTable& stations) {
  std::vector<std::int64_t> numbers(stations.n_stations());
  for (std::size_t s = 0; s < numbers.size(); ++s) {
    const std::string& id = stations.station_id[s];
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), numbers[s]);
    if (ec != std::errc() || end != id.data() + id.size() || id.empty()) {
      std::iota(numbers.begin(), numbers.end(), std::int64_t{0});
      break;
    }
  }
  return numbers;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// configuration

BikeshareConfig read_bikeshare_config(const sim::ModelContext& ctx) {
  sim::ConfigReader& r = *ctx.config;
  BikeshareConfig c;
  const auto resolve = [&](const std::string& written) {
    const std::string prefix = "${data}/";
    if (written.rfind(prefix, 0) == 0) return (ctx.data_dir / written.substr(prefix.size())).string();
    const std::filesystem::path p(written);
    return (p.is_absolute() ? p : ctx.scenario_dir / p).lexically_normal().string();
  };

  // data files
  std::string written;
  if (r.require("stations") && r.read("stations", written)) {
    c.stations = resolve(written);
    if (!std::filesystem::is_regular_file(c.stations)) {
      r.error("stations", "file '" + c.stations + "' does not exist (written '" + written +
                              "'); give a GBFS station_information.json or a station CSV, e.g. "
                              "\"${data}/gbfs/oslo-bysykkel/station_information.json\"");
    }
  }
  const auto read_folder = [&](const char* key, std::string& out) {
    if (!r.read(key, written)) return;
    out = resolve(written);
    if (!std::filesystem::is_directory(out)) {
      r.error(key, "folder '" + out + "' does not exist (written '" + written +
                       "'); give a folder of station_status*.json snapshots, e.g. "
                       "\"${data}/gbfs/oslo-bysykkel/station_status/2022-10-24\"");
    }
  };
  read_folder("status", c.status);
  if (r.require("demand_from")) read_folder("demand_from", c.demand_from);

  // behaviour
  r.read("max_walk_m", c.max_walk_m, sim::Range::non_negative());
  r.read("max_dock_detour_m", c.max_dock_detour_m, sim::Range::non_negative());
  r.read("detour_factor", c.detour_factor, sim::Range::between(1.0, 10.0));
  r.read("ride_speed_mps", c.ride_speed_mps, sim::Range::positive());
  r.read("gravity_beta", c.gravity_beta, sim::Range::between(0.0, 10.0));
  r.read("demand_scale", c.demand_scale, sim::Range::non_negative());

  // period, a whole multiple of the tick
  const std::int32_t dt_s = ctx.clock != nullptr ? ctx.clock->dt_s() : 1;
  if (r.read_duration_s("period", c.period_s, sim::Range::positive()) && c.period_s % dt_s != 0) {
    r.error("period", "must be a whole multiple of time.dt_s (" + std::to_string(dt_s) +
                          " s; got " + std::to_string(c.period_s) + " s); use e.g. \"" +
                          std::to_string(std::max<std::int64_t>(1, c.period_s / dt_s) * dt_s) +
                          "s\"");
  }
  if (c.period_s < dt_s || c.period_s % dt_s != 0) c.period_s = dt_s;
  return c;
}

std::unique_ptr<sim::Model> BikeshareModel::from_config(const sim::ModelContext& ctx) {
  sim::ConfigReader& r = *ctx.config;
  sim::Diagnostics& diagnostics = r.diagnostics();
  const std::size_t errors_before = diagnostics.errors().size();
  BikeshareConfig config = read_bikeshare_config(ctx);
  if (diagnostics.errors().size() != errors_before) return nullptr;
  const std::int32_t dt_s = ctx.clock != nullptr ? ctx.clock->dt_s() : 60;
  const std::string time_zone = ctx.clock != nullptr ? ctx.clock->time_zone() : "UTC";
  try {
    return std::make_unique<BikeshareModel>(std::move(config), dt_s, time_zone);
  } catch (const InputError& e) {
    for (const InputIssue& issue : e.issues()) diagnostics.error(issue);
    r.error("stations", "the station or status files could not be read (see the errors above)");
  } catch (const std::invalid_argument& e) {
    r.error("stations", std::string("cannot form a model: ") + e.what());
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// construction

BikeshareModel::BikeshareModel(BikeshareConfig config, std::int32_t dt_s,
                               const std::string& time_zone)
    : config_(std::move(config)) {
  if (dt_s <= 0) throw std::invalid_argument("dt_s must be > 0 (got " + std::to_string(dt_s) + ")");
  period_ticks_ = static_cast<int>(std::max<std::int64_t>(1, config_.period_s / dt_s));
  const double step_s = static_cast<double>(period_ticks_) * dt_s;
  stations_ = read_stations(config_.stations);
  const std::size_t n = stations_.n_stations();
  if (n == 0) throw std::invalid_argument("the stations file lists no station");
  if (n > kMaxDenseStations) {
    throw std::invalid_argument("more than " + std::to_string(kMaxDenseStations) + " stations (got " +
                                std::to_string(n) + ")");
  }
  station_number_ = station_numbers(stations_);

  // capacity and initial bikes: the first status snapshot, else half full
  capacity_.assign(n, kDefaultCapacity);
  for (std::size_t s = 0; s < n; ++s) {
    if (stations_.capacity[s] > 0) capacity_[s] = stations_.capacity[s];
  }
  initial_bikes_.assign(n, -1);
  if (!config_.status.empty()) {
    const StatusSeries series = read_station_status_folder(config_.status, stations_);
    for (std::size_t k = 0; k < series.n_stations(); ++k) {
      const std::int32_t s = series.station_idx[k];
      const double bikes = series.bikes[series.cell(0, k)];
      if (s < 0 || !std::isfinite(bikes)) continue;
      const double docks = series.docks[series.cell(0, k)];
      const auto observed_docks = static_cast<std::int32_t>(bikes + (std::isfinite(docks) ? docks : 0.0));
      capacity_[idx(s)] = std::max(capacity_[idx(s)], observed_docks);
      initial_bikes_[idx(s)] = static_cast<std::int32_t>(bikes);
    }
  }
  for (std::size_t s = 0; s < n; ++s) {
    if (initial_bikes_[s] < 0) initial_bikes_[s] = capacity_[s] / 2;
    initial_bikes_[s] = std::clamp(initial_bikes_[s], 0, capacity_[s]);
  }

  // demand: hourly rental rates by station_idx, return rates as gravity attraction
  rental_rate_per_h_.assign(24 * n, 0.0);
  std::vector<double> attraction(n, 0.0);
  if (!config_.demand_from.empty()) {
    StatusSeries series = read_station_status_folder(config_.demand_from, stations_);
    DemandOptions options;
    if (series.n_times() > 0) options.utc_offset_s = utc_offset_s(series.time_s[0], time_zone);
    const DemandEstimate demand = estimate_demand(series, options);
    for (std::size_t k = 0; k < series.n_stations(); ++k) {
      const std::int32_t s = series.station_idx[k];
      if (s < 0) continue;
      for (std::size_t h = 0; h < 24; ++h) {
        const double rent = demand.hourly_rental_rate_per_h[h * series.n_stations() + k];
        const double ret = demand.hourly_return_rate_per_h[h * series.n_stations() + k];
        if (std::isfinite(rent)) rental_rate_per_h_[h * n + idx(s)] = rent * config_.demand_scale;
        if (std::isfinite(ret)) attraction[idx(s)] += ret;
      }
    }
  }
  if (std::all_of(attraction.begin(), attraction.end(), [](double a) { return a <= 0.0; })) {
    attraction.assign(n, 1.0);
  }
  if (n == 1) {
    destination_cdf_.assign(1, 1.0);
  } else {
    GravityOptions gravity;
    gravity.detour_factor = config_.detour_factor;
    const DestinationMatrix matrix =
        gravity_destinations(stations_, attraction, config_.gravity_beta, gravity);
    destination_cdf_.assign(n * n, 0.0);
    for (std::size_t o = 0; o < n; ++o) {
      double sum = 0.0;
      for (std::size_t d = 0; d < n; ++d) {
        sum += matrix.at(o, d);
        destination_cdf_[o * n + d] = sum;
      }
      destination_cdf_[o * n + n - 1] = std::numeric_limits<double>::infinity();
    }
  }

  // distances, riding steps and neighbour lists
  distance_m_.assign(n * n, 0.0);
  ride_steps_.assign(n * n, 1);
  std::int32_t max_steps = 1;
  for (std::size_t o = 0; o < n; ++o) {
    for (std::size_t d = 0; d < n; ++d) {
      const double m = great_circle_m(stations_.lat_deg[o], stations_.lon_deg[o],
                                      stations_.lat_deg[d], stations_.lon_deg[d]);
      distance_m_[o * n + d] = m;
      const double ride_s = m * config_.detour_factor / config_.ride_speed_mps;
      const auto steps = static_cast<std::int32_t>(std::max(1.0, std::ceil(ride_s / step_s)));
      ride_steps_[o * n + d] = steps;
      max_steps = std::max(max_steps, steps);
    }
  }
  n_slots_ = max_steps + 1;
  const double reach_m = std::max(config_.max_walk_m, config_.max_dock_detour_m);
  neighbour_offset_.assign(n + 1, 0);
  for (std::size_t o = 0; o < n; ++o) {
    std::vector<std::int32_t> near;
    for (std::size_t d = 0; d < n; ++d) {
      if (d != o && distance_m_[o * n + d] <= reach_m) near.push_back(static_cast<std::int32_t>(d));
    }
    std::stable_sort(near.begin(), near.end(), [&](std::int32_t a, std::int32_t b) {
      return distance_m_[o * n + idx(a)] < distance_m_[o * n + idx(b)];
    });
    neighbour_idx_.insert(neighbour_idx_.end(), near.begin(), near.end());
    neighbour_offset_[o + 1] = static_cast<std::int32_t>(neighbour_idx_.size());
  }
}

// ---------------------------------------------------------------------------------------------
// columns

void BikeshareModel::declare(sim::StateLayout& layout) {
  const std::size_t n = stations_.n_stations();
  const sim::Output series = sim::Output::kSeries;
  const sim::Output snap = sim::Output::kSnapshot;
  const sim::Output none = sim::Output::kNone;
  layout.add_dim({"bikeshare", "station", station_number_,
                  "bike-share station id (GBFS station_id when numeric, else station_idx)"});
  std::vector<std::int64_t> cells(n * idx(n_slots_));
  std::iota(cells.begin(), cells.end(), std::int64_t{0});
  layout.add_dim({"bikeshare", "transit_cell", std::move(cells),
                  "in-transit ring cell: slot * n_stations + station_idx"});
  layout.add_dim({"bikeshare", "total", {0}, "whole system"});

  const auto i32 = [&](const char* name, const char* dim, const char* units, const char* long_name,
                       sim::Output output) {
    return layout.add<std::int32_t>({"bikeshare", name, {}, dim, 0, units, long_name, output});
  };
  const auto f64 = [&](const char* name, const char* dim, const char* units, const char* long_name,
                       sim::Output output) {
    return layout.add<double>({"bikeshare", name, {}, dim, 0, units, long_name, output});
  };
  Columns& c = columns_;
  c.bikes_available = i32("bikes_available", "station", "1", "bikes available at the station", series);
  c.docks_free = i32("docks_free", "station", "1", "free docks at the station", series);
  c.demand = i32("demand", "station", "1", "rentals wanted at the station in the last step", none);
  c.empty_minutes = f64("empty_minutes", "station", "min", "time the station was empty", snap);
  c.full_minutes = f64("full_minutes", "station", "min", "time the station was full", snap);
  c.arrivals = i32("arrivals", "transit_cell", "1", "bikes arriving at a station in a future step", none);
  c.trips_started = i32("trips_started", "total", "1", "rentals served", series);
  c.trips_completed = i32("trips_completed", "total", "1", "bikes docked at the end of a trip", series);
  c.lost_no_bike = i32("lost_no_bike", "total", "1", "rentals lost: no bike within max_walk_m", series);
  c.lost_no_dock = i32("lost_no_dock", "total", "1",
                       "trips ending beyond max_dock_detour_m from the destination", series);
  c.walked_rentals = i32("walked_rentals", "total", "1", "rentals served at another station", series);
  c.bikes_in_transit = i32("bikes_in_transit", "total", "1", "bikes being ridden", series);
  c.fleet = i32("fleet", "total", "1", "bikes in the system (constant)", snap);
  c.dock_detour_s = f64("dock_detour_s", "total", "s", "extra riding to a free dock", series);
}

void BikeshareModel::init(const sim::StepContext& /*ctx*/, sim::StateWriter& state) const {
  const Columns& c = columns_;
  const auto bikes = state.get(c.bikes_available);
  const auto docks = state.get(c.docks_free);
  std::int32_t fleet = 0;
  for (std::size_t s = 0; s < bikes.size(); ++s) {
    bikes[s] = initial_bikes_[s];
    docks[s] = capacity_[s] - initial_bikes_[s];
    fleet += initial_bikes_[s];
  }
  state.get(c.fleet)[0] = fleet;
}

// ---------------------------------------------------------------------------------------------
// step

std::int32_t BikeshareModel::nearest(std::int32_t station_idx, std::span<const std::int32_t> bikes,
                                     double limit_m, bool want_bike) const {
  const std::size_t n = stations_.n_stations();
  for (auto k = neighbour_offset_[idx(station_idx)]; k < neighbour_offset_[idx(station_idx) + 1]; ++k) {
    const std::int32_t d = neighbour_idx_[idx(k)];
    if (distance_m_[idx(station_idx) * n + idx(d)] > limit_m) break;
    if (want_bike ? bikes[idx(d)] > 0 : bikes[idx(d)] < capacity_[idx(d)]) return d;
  }
  return -1;
}

void BikeshareModel::step(const sim::StepContext& ctx, const sim::State& now,
                          sim::StateWriter& next) const {
  const Columns& c = columns_;
  const std::size_t n = stations_.n_stations();
  const auto n_stations = static_cast<std::int64_t>(n);
  const std::span<std::int32_t> bikes = next.get(c.bikes_available);
  const std::span<std::int32_t> arrivals = next.get(c.arrivals);
  const std::span<std::int32_t> demand = next.get(c.demand);
  std::ranges::copy(now.get(c.bikes_available), bikes.begin());
  std::ranges::copy(now.get(c.arrivals), arrivals.begin());
  const auto total = [&](sim::Column<std::int32_t> column) -> std::int32_t& {
    std::int32_t& value = next.get(column)[0];
    value = now.get(column)[0];
    return value;
  };
  std::int32_t& trips_started = total(c.trips_started);
  std::int32_t& trips_completed = total(c.trips_completed);
  std::int32_t& lost_no_bike = total(c.lost_no_bike);
  std::int32_t& lost_no_dock = total(c.lost_no_dock);
  std::int32_t& walked = total(c.walked_rentals);
  const std::int32_t fleet = total(c.fleet);
  double& dock_detour_s = next.get(c.dock_detour_s)[0];
  dock_detour_s = now.get(c.dock_detour_s)[0];

  // rentals wanted per station: Poisson(rate of the local hour x step)
  const std::size_t hour = idx(std::clamp(ctx.local.hour, 0, 23));
  const double step_h = ctx.step_h();
#pragma omp parallel for schedule(static) if (n_stations >= kParallelMinStations)
  for (std::int64_t s = 0; s < n_stations; ++s) {
    sim::Rng rng = ctx.rng(kRentStream, static_cast<std::uint64_t>(s));
    demand[idx(s)] = static_cast<std::int32_t>(rng.poisson(rental_rate_per_h_[hour * n + idx(s)] * step_h));
  }

  // arrivals of this step dock at their destination, or ride on to the nearest free dock
  const std::int64_t step_idx = ctx.tick / ctx.period_ticks;
  const std::size_t slot = idx(step_idx % n_slots_);
  for (std::size_t s = 0; s < n; ++s) {
    std::int32_t& arriving = arrivals[slot * n + s];
    for (; arriving > 0; --arriving) {
      ++trips_completed;
      if (bikes[s] < capacity_[s]) {
        ++bikes[s];
        continue;
      }
      const auto self = static_cast<std::int32_t>(s);
      std::int32_t d = nearest(self, bikes, config_.max_dock_detour_m, false);
      if (d < 0) {
        // beyond the limit: the bike still goes to the nearest free dock (the fleet is kept)
        ++lost_no_dock;
        double best_m = std::numeric_limits<double>::infinity();
        for (std::size_t k = 0; k < n; ++k) {
          if (bikes[k] < capacity_[k] && distance_m_[s * n + k] < best_m) {
            best_m = distance_m_[s * n + k];
            d = static_cast<std::int32_t>(k);
          }
        }
        if (d < 0) d = self;  // every dock taken: cannot happen while fleet <= total capacity
      }
      dock_detour_s += distance_m_[s * n + idx(d)] * config_.detour_factor / config_.ride_speed_mps;
      ++bikes[idx(d)];
    }
  }

  // rentals in station order: the origin, else the nearest station with a bike, else lost
  for (std::size_t s = 0; s < n; ++s) {
    if (demand[s] == 0) continue;
    sim::Rng rng = ctx.rng(kDestinationStream, static_cast<std::uint64_t>(s));
    for (std::int32_t r = 0; r < demand[s]; ++r) {
      auto origin = static_cast<std::int32_t>(s);
      if (bikes[s] == 0) {
        origin = nearest(origin, bikes, config_.max_walk_m, true);
        if (origin < 0) {
          ++lost_no_bike;
          continue;
        }
        ++walked;
      }
      const std::size_t o = idx(origin);
      const double u = rng.uniform();
      const auto row = std::span<const double>(destination_cdf_).subspan(o * n, n);
      const auto d = static_cast<std::size_t>(std::ranges::upper_bound(row, u) - row.begin());
      const std::size_t arrival_slot = idx((step_idx + ride_steps_[o * n + d]) % n_slots_);
      --bikes[o];
      ++arrivals[arrival_slot * n + d];
      ++trips_started;
    }
  }

  // docks, empty and full time
  const std::span<std::int32_t> docks = next.get(c.docks_free);
  const std::span<double> empty_min = next.get(c.empty_minutes);
  const std::span<double> full_min = next.get(c.full_minutes);
  const auto before_empty = now.get(c.empty_minutes);
  const auto before_full = now.get(c.full_minutes);
  const double step_min = ctx.step_s() / 60.0;
#pragma omp parallel for schedule(static) if (n_stations >= kParallelMinStations)
  for (std::int64_t s = 0; s < n_stations; ++s) {
    const std::size_t i = idx(s);
    docks[i] = capacity_[i] - bikes[i];
    empty_min[i] = before_empty[i] + (bikes[i] == 0 ? step_min : 0.0);
    full_min[i] = before_full[i] + (docks[i] == 0 ? step_min : 0.0);
  }

  // conservation: bikes at stations + bikes in transit == fleet
  const std::int64_t at_stations = std::accumulate(bikes.begin(), bikes.end(), std::int64_t{0});
  const std::int64_t in_transit = std::accumulate(arrivals.begin(), arrivals.end(), std::int64_t{0});
  next.get(c.bikes_in_transit)[0] = static_cast<std::int32_t>(in_transit);
  if (at_stations + in_transit != fleet && ctx.diagnostics != nullptr) {
    ctx.diagnostics->warn("bikeshare", "fleet", 0, ctx.tick,
                          "bikes at stations (" + std::to_string(at_stations) + ") + in transit (" +
                              std::to_string(in_transit) + ") != fleet (" + std::to_string(fleet) + ")");
  }
}

void BikeshareModel::kpis(const sim::State& state, std::vector<sim::Kpi>& out) const {
  const Columns& c = columns_;
  const auto v = [&](sim::Column<std::int32_t> column) { return static_cast<double>(state.get(column)[0]); };
  const auto mean = [&](sim::Column<double> column) {
    const auto values = state.get(column);
    return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  };
  out.push_back({"trips_served", v(c.trips_started), "1", "rentals served (trips started)"});
  out.push_back({"lost_demand_no_bike", v(c.lost_no_bike), "1",
                 "rentals lost: no bike at the station or within max_walk_m"});
  out.push_back({"lost_demand_no_dock", v(c.lost_no_dock), "1",
                 "trips ending beyond max_dock_detour_m from the destination (full stations)"});
  out.push_back({"mean_empty_minutes", mean(c.empty_minutes), "min", "mean time a station was empty"});
  out.push_back({"mean_full_minutes", mean(c.full_minutes), "min", "mean time a station was full"});
}

// ---------------------------------------------------------------------------------------------
// replay validation

namespace {

// one station's observed mean per local hour of day [24*n], NaN where unobserved
std::vector<double> hourly_mean(const StatusSeries& series, std::size_t n, const std::string& time_zone) {
  std::vector<double> sum(24 * n, 0.0);
  std::vector<double> count(24 * n, 0.0);
  for (std::size_t t = 0; t < series.n_times(); ++t) {
    const auto hour = idx(sim::Clock::civil_local(series.time_s[t], time_zone).hour);
    for (std::size_t k = 0; k < series.n_stations(); ++k) {
      const std::int32_t s = series.station_idx[k];
      const double bikes = series.bikes[series.cell(t, k)];
      if (s < 0 || !std::isfinite(bikes)) continue;
      sum[hour * n + idx(s)] += bikes;
      count[hour * n + idx(s)] += 1.0;
    }
  }
  for (std::size_t i = 0; i < sum.size(); ++i) {
    sum[i] = count[i] > 0.0 ? sum[i] / count[i] : std::numeric_limits<double>::quiet_NaN();
  }
  return sum;
}

}  // namespace

std::vector<ReplayRow> replay_table(const std::filesystem::path& stations,
                                    const std::vector<ReplayCase>& cases, const ReplayOptions& options,
                                    std::ostream* out) {
  std::vector<ReplayRow> rows;
  for (const ReplayCase& replay : cases) {
    // the model, on a clock from the first snapshot to the last
    BikeshareConfig config;
    config.stations = stations.string();
    config.status = replay.status.string();
    config.demand_from = replay.demand_from.string();
    config.period_s = options.dt_s;
    auto model = std::make_unique<BikeshareModel>(config, options.dt_s, options.time_zone);
    const StationTable& table = model->stations();
    const std::size_t n = table.n_stations();
    const StatusSeries observed = read_station_status_folder(replay.status, table);
    const StatusSeries other = read_station_status_folder(replay.demand_from, table);
    const std::vector<double> tod_mean = hourly_mean(other, n, options.time_zone);
    const std::int64_t start_s = observed.time_s.front();
    const std::int64_t n_ticks = (observed.time_s.back() - start_s) / options.dt_s + 2;
    const BikeshareModel* bikeshare = model.get();
    std::vector<std::unique_ptr<sim::Model>> models;
    models.push_back(std::move(model));
    sim::Engine engine(sim::Clock(start_s, options.dt_s, n_ticks, options.time_zone), std::move(models),
                       nullptr, options.seed);
    const BikeshareModel::Columns columns = bikeshare->columns();

    // squared errors at each later snapshot, over cells with a time-of-day baseline
    ReplayRow row;
    row.label = replay.label;
    row.n_stations = static_cast<std::int32_t>(n);
    double se_model = 0.0;
    double se_persistence = 0.0;
    double se_tod = 0.0;
    for (std::size_t t = 1; t < observed.n_times(); ++t) {
      const std::int64_t tick =
          (observed.time_s[t] - start_s + options.dt_s / 2) / options.dt_s;
      while (engine.tick() < tick && !engine.done()) engine.step();
      const auto simulated = engine.state().get(columns.bikes_available);
      const auto hour = idx(sim::Clock::civil_local(observed.time_s[t], options.time_zone).hour);
      ++row.n_snapshots;
      for (std::size_t k = 0; k < observed.n_stations(); ++k) {
        const std::int32_t s = observed.station_idx[k];
        if (s < 0) continue;
        const double bikes = observed.bikes[observed.cell(t, k)];
        const double first = observed.bikes[observed.cell(0, k)];
        const double tod = tod_mean[hour * n + idx(s)];
        if (!std::isfinite(bikes) || !std::isfinite(first) || !std::isfinite(tod)) continue;
        const double e_model = simulated[idx(s)] - bikes;
        se_model += e_model * e_model;
        se_persistence += (first - bikes) * (first - bikes);
        se_tod += (tod - bikes) * (tod - bikes);
        ++row.n_cells;
      }
    }
    const double cells = std::max<double>(1.0, static_cast<double>(row.n_cells));
    row.rmse_model_bikes = std::sqrt(se_model / cells);
    row.rmse_persistence_bikes = std::sqrt(se_persistence / cells);
    row.rmse_time_of_day_bikes = std::sqrt(se_tod / cells);
    row.trips_started = engine.state().get(columns.trips_started)[0];
    row.lost_no_bike = engine.state().get(columns.lost_no_bike)[0];
    row.lost_no_dock = engine.state().get(columns.lost_no_dock)[0];
    rows.push_back(row);
  }

  // the table
  if (out != nullptr) {
    *out << "| replay | stations | snapshots | cells | RMSE model | RMSE persistence | "
            "RMSE time-of-day mean | trips | lost no_bike | lost no_dock |\n"
         << "|---|---|---|---|---|---|---|---|---|---|\n";
    for (const ReplayRow& row : rows) {
      char line[512];
      std::snprintf(line, sizeof line, "| %s | %d | %d | %lld | %.2f | %.2f | %.2f | %lld | %lld | %lld |\n",
                    row.label.c_str(), row.n_stations, row.n_snapshots,
                    static_cast<long long>(row.n_cells), row.rmse_model_bikes,
                    row.rmse_persistence_bikes, row.rmse_time_of_day_bikes,
                    static_cast<long long>(row.trips_started), static_cast<long long>(row.lost_no_bike),
                    static_cast<long long>(row.lost_no_dock));
      *out << line;
    }
  }
  return rows;
}

}  // namespace citytwin::bikeshare
