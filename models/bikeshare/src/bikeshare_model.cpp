#include <citytwin/bikeshare/bikeshare_model.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include <citytwin/bikeshare/bike_network.hpp>
#include <citytwin/bikeshare/demand_estimate.hpp>
#include <citytwin/bikeshare/readers/gbfs.hpp>
#include <citytwin/bikeshare/readers/osm_stations.hpp>
#include <citytwin/bikeshare/readers/station_csv.hpp>
#include <citytwin/bikeshare/rebalancing.hpp>
#include <citytwin/bikeshare/station_sources.hpp>
#include <citytwin/sim/config_reader.hpp>
#include <citytwin/sim/diagnostics.hpp>
#include <citytwin/sim/engine.hpp>
#include <citytwin/sim/error.hpp>
#include <citytwin/sim/rng.hpp>

namespace citytwin::bikeshare {

namespace {

constexpr std::uint32_t kRentStream = sim::stream_id("bikeshare.rent");
constexpr std::uint32_t kDestinationStream = sim::stream_id("bikeshare.destination");
// fewer stations run the per-station loops on one thread: a parallel region costs more than
// a few hundred Poisson draws, and much more on oversubscribed cores
constexpr std::int64_t kParallelMinStations = 4096;
constexpr double kEarthRadiusM = 6371008.8;
constexpr std::int32_t kInTransit = -1;
constexpr std::int32_t kOnTruck = -2;

// share of a weekday's docked bike-share rentals starting in each local hour (sums to 1 after
// normalisation): the two commuting peaks at 8 h and 17 h of published hourly patterns
// (docs/models/bikeshare.md#city-demand)
constexpr std::array<double, 24> kCityHourProfile = {
    0.010, 0.006, 0.004, 0.003, 0.003, 0.008, 0.025, 0.060, 0.085, 0.055, 0.045, 0.050,
    0.058, 0.055, 0.052, 0.062, 0.085, 0.095, 0.075, 0.055, 0.040, 0.030, 0.020, 0.015};

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
  std::set<std::int64_t> unique(numbers.begin(), numbers.end());
  if (unique.size() != numbers.size()) std::iota(numbers.begin(), numbers.end(), std::int64_t{0});
  return numbers;
}

// appends one station to a table
void add_station(StationTable& table, const std::string& id, double lat_deg, double lon_deg,
                 std::int32_t capacity) {
  if (table.index_of.count(id) != 0) {
    throw std::invalid_argument("duplicate station id '" + id + "'");
  }
  table.index_of[id] = static_cast<std::int32_t>(table.n_stations());
  table.station_id.push_back(id);
  table.name.push_back(id);
  table.address.emplace_back();
  table.city.emplace_back();
  table.lat_deg.push_back(lat_deg);
  table.lon_deg.push_back(lon_deg);
  table.capacity.push_back(capacity);
}

// projected (x, y) of the stations in the city's CRS: through PROJ (station_xy) when the city
// names its CRS, else a local equirectangular projection about the city origin
void project_stations(const sim::City& city, const StationTable& stations, std::vector<double>& x_m,
                      std::vector<double>& y_m) {
  if (!city.crs.empty()) {
    station_xy(city, stations, x_m, y_m);
    return;
  }
  const double k = std::numbers::pi / 180.0 * kEarthRadiusM;
  const double cos_lat = std::cos(city.origin_lat_deg * std::numbers::pi / 180.0);
  x_m.resize(stations.n_stations());
  y_m.resize(stations.n_stations());
  for (std::size_t s = 0; s < stations.n_stations(); ++s) {
    x_m[s] = (stations.lon_deg[s] - city.origin_lon_deg) * k * cos_lat;
    y_m[s] = (stations.lat_deg[s] - city.origin_lat_deg) * k;
  }
}

// the inverse of project_stations for city points
void city_points_lat_lon(const sim::City& city, std::span<const double> x_m, std::span<const double> y_m,
                         std::vector<double>& lat_deg, std::vector<double>& lon_deg) {
  if (!city.crs.empty()) {
    city_lat_lon(city, x_m, y_m, lat_deg, lon_deg);
    return;
  }
  const double k = std::numbers::pi / 180.0 * kEarthRadiusM;
  const double cos_lat = std::cos(city.origin_lat_deg * std::numbers::pi / 180.0);
  lat_deg.resize(x_m.size());
  lon_deg.resize(x_m.size());
  for (std::size_t i = 0; i < x_m.size(); ++i) {
    lat_deg[i] = city.origin_lat_deg + y_m[i] / k;
    lon_deg[i] = city.origin_lon_deg + x_m[i] / (k * cos_lat);
  }
}

// true when the city carries buildings with coordinates around a geographic origin
bool has_buildings(const sim::City* city) { return city != nullptr && city->buildings.size() > 0; }

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

  // stations: a file, "osm", "none"; inline tables; new ones
  std::string written;
  if (r.require("stations") && r.read("stations", written)) {
    if (written == "none" || written == "osm") {
      c.stations = written;
    } else {
      c.stations = resolve(written);
      if (!std::filesystem::is_regular_file(c.stations)) {
        r.error("stations", "file '" + c.stations + "' does not exist (written '" + written +
                                "'); give a GBFS station_information.json or a station CSV, e.g. "
                                "\"${data}/gbfs/oslo-bysykkel/station_information.json\", \"osm\" "
                                "or \"none\"");
      }
    }
  }
  if (r.read("osm", written)) {
    c.osm = resolve(written);
    if (!std::filesystem::is_regular_file(c.osm)) {
      r.error("osm", "file '" + c.osm + "' does not exist (written '" + written +
                         "'); give an OSM file (.osm, .osm.pbf) with amenity=bicycle_rental nodes");
    }
  }
  if (c.stations == "osm" && c.osm.empty()) {
    r.error("stations", "\"osm\" needs the key osm = \"<file.osm.pbf>\" in [models.bikeshare]");
  }
  if (const sim::ConfigNode* list = r.node("station")) {
    if (!list->is_array()) {
      r.error("station", "must be an array of tables: write [[models.bikeshare.station]]");
    } else {
      for (std::size_t i = 0; i < list->items().size(); ++i) {
        const sim::ConfigNode& item = list->items()[i];
        const std::string path = r.key_path("station") + "[" + std::to_string(i) + "]";
        if (!item.is_table()) {
          r.diagnostics().error(item.where().file, item.where().line, item.where().column, path,
                                path + " must be a table: write [[models.bikeshare.station]]");
          continue;
        }
        sim::ConfigReader t(&item, path, r.diagnostics());
        InlineStation st;
        std::int64_t number = 0;
        if (t.require("id")) {
          const sim::ConfigNode* id = t.node("id");
          if (id->kind() == sim::ConfigNode::Kind::kInteger) {
            number = id->as_integer();
            st.station_id = std::to_string(number);
          } else if (id->kind() == sim::ConfigNode::Kind::kString) {
            st.station_id = id->as_string();
          } else {
            t.error("id", "must be a string or an integer (got " + id->kind_name() + ")");
          }
        }
        if (t.require("lat")) t.read("lat", st.lat_deg, sim::Range::between(-90.0, 90.0));
        if (t.require("lon")) t.read("lon", st.lon_deg, sim::Range::between(-180.0, 180.0));
        t.read("capacity", st.capacity, {0.0, 10000.0, true, false});
        t.finish();
        c.inline_stations.push_back(std::move(st));
      }
    }
  }
  r.read("new_stations", c.new_stations, sim::Range::between(0.0, 100000.0));

  // status replay and demand
  const auto read_folder = [&](const char* key, std::string& out) {
    if (!r.read(key, written)) return;
    out = resolve(written);
    if (!std::filesystem::is_directory(out)) {
      r.error(key, "folder '" + out + "' does not exist (written '" + written +
                       "'); give a folder of station_status*.json snapshots, e.g. "
                       "\"${data}/gbfs/oslo-bysykkel/station_status/2022-10-24\"" +
                       (std::string(key) == "demand_from" ? ", or \"city\" or \"mobility\"" : ""));
    }
  };
  read_folder("status", c.status);
  if (r.require("demand_from")) {
    const sim::ConfigNode* node = r.node("demand_from");
    c.demand_from_where = node->where();
    if (node->kind() == sim::ConfigNode::Kind::kString && node->as_string() == "city") {
      c.demand_source = DemandSource::kCity;
    } else if (node->kind() == sim::ConfigNode::Kind::kString && node->as_string() == "mobility") {
      c.demand_source = DemandSource::kMobility;
    } else {
      read_folder("demand_from", c.demand_from);
    }
  }
  if (c.demand_source != DemandSource::kSnapshots && !has_buildings(ctx.city)) {
    r.error("demand_from", "\"city\" and \"mobility\" need a city with buildings ([city] buildings = "
                           "\"generated\" or a building file)");
  }

  // behaviour
  r.read("max_walk_m", c.max_walk_m, sim::Range::non_negative());
  r.read("max_dock_detour_m", c.max_dock_detour_m, sim::Range::non_negative());
  r.read("detour_factor", c.detour_factor, sim::Range::between(1.0, 10.0));
  r.read("ride_speed_mps", c.ride_speed_mps, sim::Range::positive());
  r.read("gravity_beta", c.gravity_beta, sim::Range::between(0.0, 10.0));
  r.read("demand_scale", c.demand_scale, sim::Range::non_negative());
  r.read("default_capacity", c.default_capacity, {0.0, 10000.0, true, false});
  r.read("initial_fill_frac", c.initial_fill_frac, sim::Range::fraction());
  r.read("city_trips_per_person_day", c.city_trips_per_person_day, sim::Range::non_negative());
  r.read("catchment_m", c.catchment_m, sim::Range::positive());
  r.read("new_station_spacing_m", c.new_station_spacing_m, sim::Range::non_negative());
  r.read("new_station_coverage_m", c.new_station_coverage_m, sim::Range::positive());
  r.read("max_access_m", c.max_access_m, sim::Range::non_negative());

  // e-bikes and charging
  r.read("ebike_share_frac", c.ebike_share_frac, sim::Range::fraction());
  r.read("ebike_battery_wh", c.ebike_battery_wh, sim::Range::positive());
  r.read("ebike_wh_per_km", c.ebike_wh_per_km, sim::Range::non_negative());
  r.read("ebike_wh_per_m_climb", c.ebike_wh_per_m_climb, sim::Range::non_negative());
  r.read("ebike_min_soc_frac", c.ebike_min_soc_frac, sim::Range::fraction());
  r.read("ebike_initial_soc_frac", c.ebike_initial_soc_frac, sim::Range::fraction());
  if (const sim::ConfigNode* charging = r.node("charging")) {
    if (charging->kind() == sim::ConfigNode::Kind::kBoolean) {
      c.charging_all = charging->as_bool();
    } else if (charging->is_array()) {
      for (const sim::ConfigNode& item : charging->items()) {
        if (item.kind() == sim::ConfigNode::Kind::kString) c.charging_stations.push_back(item.as_string());
        else if (item.kind() == sim::ConfigNode::Kind::kInteger)
          c.charging_stations.push_back(std::to_string(item.as_integer()));
        else r.error("charging", "list items must be station ids (strings or integers)");
      }
    } else {
      r.error("charging", "must be true, false or a list of station ids (got " + charging->kind_name() + ")");
    }
  }
  r.read("charge_power_kw", c.charge_power_kw, sim::Range::non_negative());
  r.read("charge_taper_from_frac", c.charge_taper_from_frac, {0.0, 1.0, false, true});
  r.read("charge_efficiency_frac", c.charge_efficiency_frac, {0.0, 1.0, true, false});
  r.read("max_trip_records", c.max_trip_records, {0.0, 1e8, true, false});

  // rebalancing trucks
  r.read("trucks", c.trucks, sim::Range::between(0.0, 10000.0));
  r.read("truck_capacity", c.truck_capacity, {0.0, 10000.0, true, false});
  r.read("truck_shift_start_h", c.truck_shift_start_h, sim::Range::between(0.0, 24.0));
  r.read("truck_shift_end_h", c.truck_shift_end_h, sim::Range::between(0.0, 24.0));
  if (c.truck_shift_end_h <= c.truck_shift_start_h) {
    r.error("truck_shift_end_h", "must be later than truck_shift_start_h (" +
                                     std::to_string(c.truck_shift_start_h) + " h; got " +
                                     std::to_string(c.truck_shift_end_h) + " h); shifts do not wrap midnight");
  }
  r.read("truck_depot", c.truck_depot);
  r.read("truck_speed_mps", c.truck_speed_mps, sim::Range::positive());
  r.read("truck_handling_s_per_bike", c.truck_handling_s_per_bike, sim::Range::non_negative());
  r.read("rebalance_horizon_h", c.rebalance_horizon_h, sim::Range::between(0.0, 24.0));
  r.read("rebalance_min_bikes", c.rebalance_min_bikes, sim::Range::between(1.0, 10000.0));

  // period, a whole multiple of the tick
  const std::int32_t dt_s = ctx.clock != nullptr ? ctx.clock->dt_s() : 1;
  if (r.read_duration_s("period", c.period_s, sim::Range::positive()) && c.period_s % dt_s != 0) {
    r.error("period", "must be a whole multiple of time.dt_s (" + std::to_string(dt_s) +
                          " s; got " + std::to_string(c.period_s) + " s); use e.g. \"" +
                          std::to_string(std::max<std::int64_t>(1, c.period_s / dt_s) * dt_s) +
                          "s\"");
  }
  if (c.period_s < dt_s || c.period_s % dt_s != 0) c.period_s = dt_s;
  if (ctx.clock != nullptr) c.run_s = ctx.clock->n_ticks() * dt_s;
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
    return std::make_unique<BikeshareModel>(std::move(config), dt_s, time_zone, ctx.city);
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
                               const std::string& time_zone, const sim::City* city)
    : config_(std::move(config)) {
  if (dt_s <= 0) throw std::invalid_argument("dt_s must be > 0 (got " + std::to_string(dt_s) + ")");
  period_ticks_ = static_cast<int>(std::max<std::int64_t>(1, config_.period_s / dt_s));
  step_s_ = static_cast<double>(period_ticks_) * dt_s;
  load_stations(city);
  load_demand(time_zone, city);
  build_network(city);
  build_fleet(city);
}

void BikeshareModel::load_stations(const sim::City* city) {
  // the station sources, in order: file or OSM, inline tables, new stations
  if (config_.stations == "osm") {
    const StationTable osm = read_osm_bike_stations(config_.osm);
    for (std::size_t s = 0; s < osm.n_stations(); ++s) {
      add_station(stations_, osm.station_id[s], osm.lat_deg[s], osm.lon_deg[s], osm.capacity[s]);
    }
  } else if (config_.stations != "none" && !config_.stations.empty()) {
    stations_ = read_stations(config_.stations);
  }
  for (const InlineStation& st : config_.inline_stations) {
    add_station(stations_, st.station_id, st.lat_deg, st.lon_deg, st.capacity);
  }
  if (config_.new_stations > 0) {
    // demand points: the city's buildings (residents + jobs), else the stations (docks)
    std::vector<double> lat;
    std::vector<double> lon;
    std::vector<double> weight;
    if (has_buildings(city)) {
      const sim::Buildings& b = city->buildings;
      city_points_lat_lon(*city, b.centroid_x_m, b.centroid_y_m, lat, lon);
      for (std::int64_t k = 0; k < b.size(); ++k) weight.push_back(b.residents[idx(k)] + b.jobs[idx(k)]);
    } else {
      lat = stations_.lat_deg;
      lon = stations_.lon_deg;
      for (const std::int32_t cap : stations_.capacity) weight.push_back(cap > 0 ? cap : config_.default_capacity);
    }
    PlacementConfig placement;
    placement.coverage_radius_m = config_.new_station_coverage_m;
    placement.min_spacing_m = config_.new_station_spacing_m;
    placement.capacity = config_.default_capacity;
    const StationTable added = place_new_stations(stations_, lat, lon, weight, config_.new_stations, placement);
    for (std::size_t s = 0; s < added.n_stations(); ++s) {
      add_station(stations_, added.station_id[s], added.lat_deg[s], added.lon_deg[s], added.capacity[s]);
    }
  }
  const std::size_t n = stations_.n_stations();
  if (n == 0) throw std::invalid_argument("no station: give a stations file, [[models.bikeshare.station]] tables or new_stations");
  if (n > kMaxDenseStations) {
    throw std::invalid_argument("more than " + std::to_string(kMaxDenseStations) + " stations (got " +
                                std::to_string(n) + ")");
  }
  station_number_ = station_numbers(stations_);
  if (has_buildings(city)) {
    project_stations(*city, stations_, station_x_m_, station_y_m_);
  }

  // capacity and initial bikes: the first status snapshot, else initial_fill_frac
  capacity_.assign(n, config_.default_capacity);
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
    if (initial_bikes_[s] < 0) {
      initial_bikes_[s] = static_cast<std::int32_t>(std::floor(capacity_[s] * config_.initial_fill_frac));
    }
    initial_bikes_[s] = std::clamp(initial_bikes_[s], 0, capacity_[s]);
  }
  dock_begin_.assign(n + 1, 0);
  for (std::size_t s = 0; s < n; ++s) dock_begin_[s + 1] = dock_begin_[s] + capacity_[s];
}

void BikeshareModel::load_demand(const std::string& time_zone, const sim::City* city) {
  const std::size_t n = stations_.n_stations();
  rental_rate_per_h_.assign(24 * n, 0.0);
  std::vector<double> attraction(n, 0.0);
  if (config_.demand_source == DemandSource::kSnapshots && !config_.demand_from.empty()) {
    // hourly rental rates by station_idx, return rates as gravity attraction
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
  } else if (config_.demand_source == DemandSource::kCity && has_buildings(city)) {
    // residents and jobs of the buildings whose nearest station is within the catchment
    const sim::Buildings& b = city->buildings;
    std::vector<double> people(n, 0.0);
    for (std::int64_t k = 0; k < b.size(); ++k) {
      double best_m = config_.catchment_m;
      std::int32_t best = -1;
      for (std::size_t s = 0; s < n; ++s) {
        const double d = std::hypot(b.centroid_x_m[idx(k)] - station_x_m_[s], b.centroid_y_m[idx(k)] - station_y_m_[s]);
        if (d <= best_m) {
          best_m = d;
          best = static_cast<std::int32_t>(s);
        }
      }
      if (best >= 0) people[idx(best)] += b.residents[idx(k)] + b.jobs[idx(k)];
    }
    const double profile_sum = std::accumulate(kCityHourProfile.begin(), kCityHourProfile.end(), 0.0);
    for (std::size_t h = 0; h < 24; ++h) {
      for (std::size_t s = 0; s < n; ++s) {
        rental_rate_per_h_[h * n + s] = config_.city_trips_per_person_day * people[s] *
                                        kCityHourProfile[h] / profile_sum * config_.demand_scale;
      }
    }
    attraction = people;
  }
  if (std::all_of(attraction.begin(), attraction.end(), [](double a) { return a <= 0.0; })) {
    attraction.assign(n, 1.0);
  }

  // gravity destinations and the expected returns they imply
  std::vector<double> probability;
  if (n == 1) {
    destination_cdf_.assign(1, std::numeric_limits<double>::infinity());
    probability.assign(1, 1.0);
  } else {
    GravityOptions gravity;
    gravity.detour_factor = config_.detour_factor;
    const DestinationMatrix matrix =
        gravity_destinations(stations_, attraction, config_.gravity_beta, gravity);
    probability = matrix.probability;
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
  return_rate_per_h_.assign(24 * n, 0.0);
  for (std::size_t h = 0; h < 24; ++h) {
    for (std::size_t o = 0; o < n; ++o) {
      const double rent = rental_rate_per_h_[h * n + o];
      if (rent <= 0.0) continue;
      for (std::size_t d = 0; d < n; ++d) return_rate_per_h_[h * n + d] += rent * probability[o * n + d];
    }
  }
}

void BikeshareModel::build_network(const sim::City* city) {
  // great-circle distances; riding distances x detour_factor
  const std::size_t n = stations_.n_stations();
  distance_m_.assign(n * n, 0.0);
  ride_distance_m_.assign(n * n, 0.0);
  climb_m_.assign(n * n, 0.0);
  ride_steps_.assign(n * n, 1);
  std::vector<double> ride_s(n * n, 0.0);
  for (std::size_t o = 0; o < n; ++o) {
    for (std::size_t d = 0; d < n; ++d) {
      const double m = great_circle_m(stations_.lat_deg[o], stations_.lon_deg[o],
                                      stations_.lat_deg[d], stations_.lon_deg[d]);
      distance_m_[o * n + d] = m;
      ride_distance_m_[o * n + d] = m * config_.detour_factor;
      ride_s[o * n + d] = m * config_.detour_factor / config_.ride_speed_mps;
    }
  }

  // on the city's streets (speed by slope) where both stations are near a street node
  if (city != nullptr && city->streets.n_nodes() > 1 && !station_x_m_.empty()) {
    BikeSpeedConfig speed;
    speed.base_speed_mps = config_.ride_speed_mps;
    const BikeNetworkTimes net = station_network_times(*city, station_x_m_, station_y_m_, speed);
    for (std::size_t o = 0; o < n; ++o) {
      for (std::size_t d = 0; d < n; ++d) {
        const std::size_t k = o * n + d;
        const bool near = net.access_m[o] <= config_.max_access_m && net.access_m[d] <= config_.max_access_m;
        if (o == d || !near || !std::isfinite(net.time_s[k])) continue;
        ride_distance_m_[k] = net.distance_m[k];
        climb_m_[k] = net.climb_m[k];
        ride_s[k] = net.time_s[k];
        ++n_network_pairs_;
      }
    }
  }
  std::int32_t max_steps = 1;
  for (std::size_t k = 0; k < n * n; ++k) {
    const auto steps = static_cast<std::int32_t>(std::max(1.0, std::ceil(ride_s[k] / step_s_)));
    ride_steps_[k] = steps;
    max_steps = std::max(max_steps, steps);
  }
  const double reach_m = std::max(config_.max_walk_m, config_.max_dock_detour_m);
  neighbour_offset_.assign(n + 1, 0);
  neighbour_idx_.clear();
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

void BikeshareModel::build_fleet(const sim::City* city) {
  const std::size_t n = stations_.n_stations();

  // the fleet: bikes in station order, e-bikes spread evenly by their share
  n_bikes_ = std::accumulate(initial_bikes_.begin(), initial_bikes_.end(), 0);
  initial_ebike_.assign(idx(n_bikes_), 0);
  for (std::int32_t b = 0; b < n_bikes_; ++b) {
    const double share = config_.ebike_share_frac;
    initial_ebike_[idx(b)] = std::floor((b + 1) * share) > std::floor(b * share) ? 1 : 0;
  }

  // trip records: the expected rentals of the run plus 25 % and 256, within the cap
  double expected = 0.0;
  for (const double rate : rental_rate_per_h_) expected += rate;
  expected *= static_cast<double>(config_.run_s) / 86400.0;
  n_trip_records_ = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(1.25 * expected)) + 256, 1,
                                             config_.max_trip_records);

  // charging stations and the building hosting each
  charging_.assign(n, config_.charging_all ? 1 : 0);
  for (const std::string& id : config_.charging_stations) {
    const std::int32_t s = stations_.find(id);
    if (s < 0) throw std::invalid_argument("charging lists station '" + id + "', which is not a station");
    charging_[idx(s)] = 1;
  }
  station_charger_.assign(n, -1);
  charger_building_id_.clear();
  if (has_buildings(city) && config_.ebike_share_frac > 0.0 &&
      std::any_of(charging_.begin(), charging_.end(), [](std::uint8_t c) { return c != 0; })) {
    const sim::Buildings& b = city->buildings;
    std::vector<std::int64_t> host(n, -1);
    for (std::size_t s = 0; s < n; ++s) {
      if (charging_[s] == 0) continue;
      double best_m = std::numeric_limits<double>::infinity();
      for (std::int64_t k = 0; k < b.size(); ++k) {
        const double d = std::hypot(b.centroid_x_m[idx(k)] - station_x_m_[s], b.centroid_y_m[idx(k)] - station_y_m_[s]);
        if (d < best_m) {
          best_m = d;
          host[s] = b.building_id[idx(k)];
        }
      }
    }
    std::set<std::int64_t> ids;
    for (const std::int64_t h : host) {
      if (h >= 0) ids.insert(h);
    }
    charger_building_id_.assign(ids.begin(), ids.end());
    for (std::size_t s = 0; s < n; ++s) {
      if (host[s] < 0) continue;
      station_charger_[s] = static_cast<std::int32_t>(
          std::lower_bound(charger_building_id_.begin(), charger_building_id_.end(), host[s]) -
          charger_building_id_.begin());
    }
  }

  // the truck depot: the station given, else the one nearest the centre of the stations
  if (!config_.truck_depot.empty()) {
    depot_idx_ = stations_.find(config_.truck_depot);
    if (depot_idx_ < 0) {
      throw std::invalid_argument("truck_depot '" + config_.truck_depot + "' is not a station");
    }
  } else {
    const double lat = std::accumulate(stations_.lat_deg.begin(), stations_.lat_deg.end(), 0.0) / static_cast<double>(n);
    const double lon = std::accumulate(stations_.lon_deg.begin(), stations_.lon_deg.end(), 0.0) / static_cast<double>(n);
    double best_m = std::numeric_limits<double>::infinity();
    for (std::size_t s = 0; s < n; ++s) {
      const double d = great_circle_m(lat, lon, stations_.lat_deg[s], stations_.lon_deg[s]);
      if (d < best_m) {
        best_m = d;
        depot_idx_ = static_cast<std::int32_t>(s);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// columns

void BikeshareModel::declare(sim::StateLayout& layout) {
  const std::size_t n = stations_.n_stations();
  const sim::Output series = sim::Output::kSeries;
  const sim::Output snap = sim::Output::kSnapshot;
  const sim::Output none = sim::Output::kNone;
  const auto iota = [](std::size_t size) {
    std::vector<std::int64_t> ids(size);
    std::iota(ids.begin(), ids.end(), std::int64_t{0});
    return ids;
  };
  layout.add_dim({"bikeshare", "station_id", station_number_,
                  "bike-share station id (station_id when numeric, else station_idx)"});
  layout.add_dim({"bikeshare", "dock", iota(idx(dock_begin_[n])), "dock index: station docks in station order"});
  layout.add_dim({"bikeshare", "bike", iota(idx(n_bikes_)), "bike index"});
  layout.add_dim({"bikeshare", "trip", iota(idx(n_trip_records_)),
                  "row of the completed-trip ring table (the k-th completed trip in row (k - 1) % rows)"});
  layout.add_dim({"bikeshare", "truck", iota(idx(config_.trucks)), "rebalancing truck index"});
  layout.add_dim({"bikeshare", "total", {0}, "whole system"});
  if (!charger_building_id_.empty()) {
    layout.add_dim({"bikeshare", "building", charger_building_id_, "city building id hosting chargers"});
  }

  const auto add = [&]<typename T>(T /*tag*/, const char* name, const char* dim, const char* units,
                                   const char* long_name, sim::Output output) {
    return layout.add<T>({"bikeshare", name, {}, dim, 0, units, long_name, output});
  };
  const std::int32_t i32{};
  const std::int64_t i64{};
  const double f64{};
  const float f32{};
  const std::uint8_t u8{};
  Columns& c = columns_;
  c.bikes_available = add(i32, "bikes_available", "station_id", "1", "bikes docked at the station", series);
  c.ebikes_available = add(i32, "ebikes_available", "station_id", "1", "e-bikes docked at the station", series);
  c.docks_free = add(i32, "docks_free", "station_id", "1", "free docks at the station", series);
  c.mean_ebike_soc_frac = add(f64, "mean_ebike_soc_frac", "station_id", "1",
                              "mean state of charge of the docked e-bikes (NaN: none)", series);
  c.charge_power_kw = add(f64, "charge_power_kw", "station_id", "kW", "e-bike charging power", series);
  c.demand = add(i32, "demand", "station_id", "1", "rentals wanted at the station in the last step", none);
  c.empty_minutes = add(f64, "empty_minutes", "station_id", "min", "time the station was empty", snap);
  c.full_minutes = add(f64, "full_minutes", "station_id", "min", "time the station was full", snap);
  c.rebalance_target = add(i32, "rebalance_target", "station_id", "1", "bikes the trucks aim for", none);
  c.dock_bike_idx = add(i32, "dock_bike_idx", "dock", "1", "bike in the dock, -1 when free", none);
  c.bike_station_idx = add(i32, "bike_station_idx", "bike", "1",
                           "station of the bike, -1 in transit, -2 on a truck", none);
  c.bike_ebike = add(u8, "bike_ebike", "bike", "1", "1 for an e-bike", snap);
  c.bike_soc_frac = add(f64, "bike_soc_frac", "bike", "1", "e-bike state of charge", snap);
  c.bike_destination_idx = add(i32, "bike_destination_idx", "bike", "1", "station the ride goes to", none);
  c.bike_arrival_step = add(i64, "bike_arrival_step", "bike", "1", "model step the ride ends", none);
  c.bike_origin_idx = add(i32, "bike_origin_idx", "bike", "1", "station the ride started at", none);
  c.bike_start_step = add(i64, "bike_start_step", "bike", "1", "model step the ride started", none);
  c.bike_distance_m = add(f64, "bike_distance_m", "bike", "m", "length of the ride in progress", none);
  c.bike_truck_idx = add(i32, "bike_truck_idx", "bike", "1", "truck carrying the bike, -1 otherwise", none);
  c.trip_origin_idx = add(i32, "trip_origin_idx", "trip", "1", "station_idx where the bike was taken", snap);
  c.trip_destination_idx = add(i32, "trip_destination_idx", "trip", "1",
                               "station_idx where the bike was docked", snap);
  c.trip_start_s = add(f32, "trip_start_s", "trip", "s", "start since the run start", snap);
  c.trip_end_s = add(f32, "trip_end_s", "trip", "s", "end since the run start", snap);
  c.trip_distance_m = add(f32, "trip_distance_m", "trip", "m", "distance ridden", snap);
  c.trip_ebike = add(u8, "trip_ebike", "trip", "1", "1 when ridden on an e-bike", snap);
  c.trip_rows_from = add(i32, "trip_rows_from", "total", "1", "trips completed before the last step", none);
  c.truck_station_idx = add(i32, "truck_station_idx", "truck", "1", "station the truck is at or driving to", none);
  c.truck_load = add(i32, "truck_load", "truck", "1", "bikes on the truck", series);
  c.truck_phase = add(i32, "truck_phase", "truck", "1", "0 idle, 1 driving to a pickup, 2 to a drop", none);
  c.truck_from_idx = add(i32, "truck_from_idx", "truck", "1", "pickup station of the move", none);
  c.truck_to_idx = add(i32, "truck_to_idx", "truck", "1", "drop station of the move", none);
  c.truck_moving_bikes = add(i32, "truck_moving_bikes", "truck", "1", "bikes of the move", none);
  c.truck_pickup_step = add(i64, "truck_pickup_step", "truck", "1", "step the pickup is done", none);
  c.truck_arrive_step = add(i64, "truck_arrive_step", "truck", "1", "step the drop is done", none);
  c.truck_km = add(f64, "truck_km", "truck", "km", "distance driven", snap);
  if (!charger_building_id_.empty()) {
    c.grid_load_kw = add(f64, "grid_load_kw", "building", "kW", "e-bike charging load at the building", series);
  }
  c.trips_started = add(i32, "trips_started", "total", "1", "rentals served", series);
  c.trips_completed = add(i32, "trips_completed", "total", "1", "bikes docked at the end of a trip", series);
  c.lost_no_bike = add(i32, "lost_no_bike", "total", "1", "rentals lost: no bike within max_walk_m", series);
  c.lost_flat_ebike = add(i32, "lost_flat_ebike", "total", "1",
                          "rentals lost: only e-bikes below ebike_min_soc_frac within max_walk_m", series);
  c.lost_no_dock = add(i32, "lost_no_dock", "total", "1",
                       "trips ending beyond max_dock_detour_m from the destination", series);
  c.walked_rentals = add(i32, "walked_rentals", "total", "1", "rentals served at another station", series);
  c.ebike_trips = add(i32, "ebike_trips", "total", "1", "trips on e-bikes", series);
  c.bikes_in_transit = add(i32, "bikes_in_transit", "total", "1", "bikes being ridden", series);
  c.bikes_on_trucks = add(i32, "bikes_on_trucks", "total", "1", "bikes on rebalancing trucks", series);
  c.fleet = add(i32, "fleet", "total", "1", "bikes in the system (constant)", snap);
  c.rebalanced_bikes = add(i32, "rebalanced_bikes", "total", "1", "bikes dropped by trucks", series);
  c.dock_detour_s = add(f64, "dock_detour_s", "total", "s", "extra riding to a free dock", series);
  c.rebalancing_km = add(f64, "rebalancing_km", "total", "km", "distance driven by the trucks", series);
  c.ebike_charge_kwh = add(f64, "ebike_charge_kwh", "total", "kWh", "e-bike charging energy from the grid", series);
  c.ebike_ride_kwh = add(f64, "ebike_ride_kwh", "total", "kWh", "battery energy used by e-bike rides", series);

  // the mobility model's bike-share trips
  if (config_.demand_source == DemandSource::kMobility) {
    const auto find = [&](const char* name, sim::DType dtype) {
      const sim::ColumnId id = layout.find(name);
      if (id < 0 || layout.spec(id).dtype != dtype) {
        const sim::SourcePos& at = config_.demand_from_where;
        throw InputError(InputIssue{at.file, at.line, at.column, "models.bikeshare.demand_from",
                                    std::string("demand_from = \"mobility\" needs the mobility model's "
                                                "trip column '") + name +
                                        "': add a [models.mobility] section, or use a snapshot folder "
                                        "or \"city\""});
      }
      return id;
    };
    mobility_choice_ = find("mobility.choice", sim::DType::kInt32);
    mobility_departure_ = find("mobility.departure_s", sim::DType::kFloat64);
    mobility_origin_x_ = find("mobility.origin_x_m", sim::DType::kFloat64);
    mobility_origin_y_ = find("mobility.origin_y_m", sim::DType::kFloat64);
    mobility_destination_x_ = find("mobility.destination_x_m", sim::DType::kFloat64);
    mobility_destination_y_ = find("mobility.destination_y_m", sim::DType::kFloat64);
  }
}

void BikeshareModel::init(const sim::StepContext& /*ctx*/, sim::StateWriter& state) const {
  const Columns& c = columns_;
  const std::size_t n = stations_.n_stations();
  const auto bikes = state.get(c.bikes_available);
  const auto ebikes = state.get(c.ebikes_available);
  const auto docks = state.get(c.docks_free);
  const auto mean_soc = state.get(c.mean_ebike_soc_frac);
  const auto dock_bike = state.get(c.dock_bike_idx);
  const auto bike_station = state.get(c.bike_station_idx);
  const auto bike_ebike = state.get(c.bike_ebike);
  const auto bike_soc = state.get(c.bike_soc_frac);
  const auto bike_truck = state.get(c.bike_truck_idx);
  const auto bike_dest = state.get(c.bike_destination_idx);
  std::ranges::fill(dock_bike, -1);

  // bikes fill the first docks of their station, in station order
  std::int32_t b = 0;
  for (std::size_t s = 0; s < n; ++s) {
    bikes[s] = initial_bikes_[s];
    docks[s] = capacity_[s] - initial_bikes_[s];
    std::int32_t n_ebikes = 0;
    for (std::int32_t k = 0; k < initial_bikes_[s]; ++k, ++b) {
      dock_bike[idx(dock_begin_[s] + k)] = b;
      bike_station[idx(b)] = static_cast<std::int32_t>(s);
      bike_ebike[idx(b)] = initial_ebike_[idx(b)];
      bike_soc[idx(b)] = initial_ebike_[idx(b)] != 0 ? config_.ebike_initial_soc_frac : 0.0;
      bike_truck[idx(b)] = -1;
      bike_dest[idx(b)] = -1;
      n_ebikes += initial_ebike_[idx(b)];
    }
    ebikes[s] = n_ebikes;
    mean_soc[s] = n_ebikes > 0 ? config_.ebike_initial_soc_frac : std::numeric_limits<double>::quiet_NaN();
  }
  state.get(c.fleet)[0] = n_bikes_;
  const auto truck_station = state.get(c.truck_station_idx);
  std::ranges::fill(truck_station, depot_idx_);
}

// ---------------------------------------------------------------------------------------------
// step

std::int32_t BikeshareModel::nearest(std::int32_t station_idx, std::span<const std::int32_t> count,
                                     double limit_m, bool want_bike) const {
  const std::size_t n = stations_.n_stations();
  for (auto k = neighbour_offset_[idx(station_idx)]; k < neighbour_offset_[idx(station_idx) + 1]; ++k) {
    const std::int32_t d = neighbour_idx_[idx(k)];
    if (distance_m_[idx(station_idx) * n + idx(d)] > limit_m) break;
    if (want_bike ? count[idx(d)] > 0 : count[idx(d)] < capacity_[idx(d)]) return d;
  }
  return -1;
}

std::int32_t BikeshareModel::nearest_xy(double x_m, double y_m, std::span<const std::int32_t> rentable,
                                        double limit_m) const {
  std::int32_t best = -1;
  double best_m = limit_m;
  for (std::size_t s = 0; s < station_x_m_.size(); ++s) {
    const double d = std::hypot(x_m - station_x_m_[s], y_m - station_y_m_[s]);
    if ((rentable.empty() || rentable[s] > 0) && d <= best_m) {
      best_m = d;
      best = static_cast<std::int32_t>(s);
    }
  }
  return best;
}

void BikeshareModel::step(const sim::StepContext& ctx, const sim::State& now,
                          sim::StateWriter& next) const {
  const Columns& c = columns_;
  const std::size_t n = stations_.n_stations();
  const auto n_stations = static_cast<std::int64_t>(n);
  const std::int64_t step_idx = ctx.tick / ctx.period_ticks;
  const double now_s = static_cast<double>(ctx.tick) * ctx.dt_s;
  const double step_s = ctx.step_s();

  // every column starts from its value at the start of the step
  const auto carry = [&]<typename T>(sim::Column<T> column) {
    const std::span<T> out = next.get(column);
    std::ranges::copy(now.get(column), out.begin());
    return out;
  };
  const std::span<std::int32_t> bikes = carry(c.bikes_available);
  const std::span<std::int32_t> dock_bike = carry(c.dock_bike_idx);
  const std::span<std::int32_t> bike_station = carry(c.bike_station_idx);
  const std::span<std::uint8_t> bike_ebike = carry(c.bike_ebike);
  const std::span<double> bike_soc = carry(c.bike_soc_frac);
  const std::span<std::int32_t> bike_dest = carry(c.bike_destination_idx);
  const std::span<std::int64_t> bike_arrival = carry(c.bike_arrival_step);
  const std::span<std::int32_t> bike_origin = carry(c.bike_origin_idx);
  const std::span<std::int64_t> bike_start = carry(c.bike_start_step);
  const std::span<double> bike_distance = carry(c.bike_distance_m);
  const std::span<std::int32_t> bike_truck = carry(c.bike_truck_idx);
  const std::span<std::int32_t> truck_station = carry(c.truck_station_idx);
  const std::span<std::int32_t> truck_load = carry(c.truck_load);
  const std::span<std::int32_t> truck_phase = carry(c.truck_phase);
  const std::span<std::int32_t> truck_from = carry(c.truck_from_idx);
  const std::span<std::int32_t> truck_to = carry(c.truck_to_idx);
  const std::span<std::int32_t> truck_moving = carry(c.truck_moving_bikes);
  const std::span<std::int64_t> truck_pickup = carry(c.truck_pickup_step);
  const std::span<std::int64_t> truck_arrive = carry(c.truck_arrive_step);
  const std::span<double> truck_km = carry(c.truck_km);
  const std::span<std::int32_t> demand = next.get(c.demand);
  const auto total = [&]<typename T>(sim::Column<T> column) -> T& {
    T& value = next.get(column)[0];
    value = now.get(column)[0];
    return value;
  };
  std::int32_t& trips_started = total(c.trips_started);
  std::int32_t& trips_completed = total(c.trips_completed);
  std::int32_t& lost_no_bike = total(c.lost_no_bike);
  std::int32_t& lost_flat = total(c.lost_flat_ebike);
  std::int32_t& lost_no_dock = total(c.lost_no_dock);
  std::int32_t& walked = total(c.walked_rentals);
  std::int32_t& ebike_trips = total(c.ebike_trips);
  std::int32_t& rebalanced = total(c.rebalanced_bikes);
  const std::int32_t fleet = total(c.fleet);
  double& dock_detour_s = total(c.dock_detour_s);
  double& rebalancing_km = total(c.rebalancing_km);
  double& charge_kwh = total(c.ebike_charge_kwh);
  double& ride_kwh = total(c.ebike_ride_kwh);

  // the trip table: rows written in the last step are carried (the others are unchanged), and
  // this step's completed trips are appended
  const std::span<std::int32_t> trip_origin = next.get(c.trip_origin_idx);
  const std::span<std::int32_t> trip_destination = next.get(c.trip_destination_idx);
  const std::span<float> trip_start = next.get(c.trip_start_s);
  const std::span<float> trip_end = next.get(c.trip_end_s);
  const std::span<float> trip_distance = next.get(c.trip_distance_m);
  const std::span<std::uint8_t> trip_ebike = next.get(c.trip_ebike);
  {
    const std::int32_t from = now.get(c.trip_rows_from)[0];
    const std::int64_t rows = std::min<std::int64_t>(trips_completed - from, n_trip_records_);
    for (std::int64_t k = trips_completed - rows; k < trips_completed; ++k) {
      const auto row = idx(k % n_trip_records_);
      trip_origin[row] = now.get(c.trip_origin_idx)[row];
      trip_destination[row] = now.get(c.trip_destination_idx)[row];
      trip_start[row] = now.get(c.trip_start_s)[row];
      trip_end[row] = now.get(c.trip_end_s)[row];
      trip_distance[row] = now.get(c.trip_distance_m)[row];
      trip_ebike[row] = now.get(c.trip_ebike)[row];
    }
    next.get(c.trip_rows_from)[0] = trips_completed;
  }

  // helpers on docks: dock a bike in the first free dock, take the bike of a dock
  const auto dock_at = [&](std::int32_t b, std::size_t s) {
    for (auto k = dock_begin_[s]; k < dock_begin_[s + 1]; ++k) {
      if (dock_bike[idx(k)] >= 0) continue;
      dock_bike[idx(k)] = b;
      bike_station[idx(b)] = static_cast<std::int32_t>(s);
      bike_truck[idx(b)] = -1;
      ++bikes[s];
      return;
    }
  };
  const auto is_rentable = [&](std::int32_t b) {
    return bike_ebike[idx(b)] == 0 || bike_soc[idx(b)] >= config_.ebike_min_soc_frac;
  };

  // rentals wanted per station: Poisson(rate of the local hour x step)
  const std::size_t hour = idx(std::clamp(ctx.local.hour, 0, 23));
  const double step_h = ctx.step_h();
  if (config_.demand_source != DemandSource::kMobility) {
#pragma omp parallel for schedule(static) if (n_stations >= kParallelMinStations)
    for (std::int64_t s = 0; s < n_stations; ++s) {
      sim::Rng rng = ctx.rng(kRentStream, static_cast<std::uint64_t>(s));
      demand[idx(s)] = static_cast<std::int32_t>(rng.poisson(rental_rate_per_h_[hour * n + idx(s)] * step_h));
    }
  } else {
    std::ranges::fill(demand, 0);
  }

  // arrivals of this step, by destination then bike: dock there, or ride on to a free dock
  std::vector<std::int32_t> arriving;
  for (std::int32_t b = 0; b < n_bikes_; ++b) {
    if (bike_station[idx(b)] == kInTransit && bike_arrival[idx(b)] <= step_idx) arriving.push_back(b);
  }
  std::ranges::stable_sort(arriving, [&](std::int32_t a, std::int32_t b) {
    return bike_dest[idx(a)] < bike_dest[idx(b)];
  });
  for (const std::int32_t b : arriving) {
    ++trips_completed;
    const auto s = idx(bike_dest[idx(b)]);
    std::size_t d = s;
    double end_s = now_s;
    if (bikes[s] >= capacity_[s]) {
      const auto self = static_cast<std::int32_t>(s);
      std::int32_t other = nearest(self, bikes, config_.max_dock_detour_m, false);
      if (other < 0) {
        // beyond the limit: the bike still goes to the nearest free dock (the fleet is kept)
        ++lost_no_dock;
        double best_m = std::numeric_limits<double>::infinity();
        for (std::size_t k = 0; k < n; ++k) {
          if (bikes[k] < capacity_[k] && distance_m_[s * n + k] < best_m) {
            best_m = distance_m_[s * n + k];
            other = static_cast<std::int32_t>(k);
          }
        }
        if (other < 0) other = self;  // every dock taken: cannot happen while fleet <= capacity
      }
      d = idx(other);
      const double detour_s = distance_m_[s * n + d] * config_.detour_factor / config_.ride_speed_mps;
      dock_detour_s += detour_s;
      end_s += detour_s;
      bike_distance[idx(b)] += distance_m_[s * n + d] * config_.detour_factor;
    }
    if (bikes[d] >= capacity_[d]) {
      // every dock of the system taken: keep riding one more step
      bike_arrival[idx(b)] = step_idx + 1;
      --trips_completed;
      continue;
    }
    dock_at(b, d);
    bike_dest[idx(b)] = -1;
    const auto row = idx((trips_completed - 1) % n_trip_records_);
    trip_origin[row] = bike_origin[idx(b)];
    trip_destination[row] = static_cast<std::int32_t>(d);
    trip_start[row] = static_cast<float>(static_cast<double>(bike_start[idx(b)]) * step_s);
    trip_end[row] = static_cast<float>(end_s);
    trip_distance[row] = static_cast<float>(bike_distance[idx(b)]);
    trip_ebike[row] = bike_ebike[idx(b)];
  }

  // rebalancing trucks: targets from the demand forecast, moves from plan_rebalancing
  const std::span<std::int32_t> target = next.get(c.rebalance_target);
  if (config_.trucks > 0) {
    // targets: buffer + expected net outflow over the horizon (mean hourly rates)
    std::vector<double> rent_h(n, 0.0);
    std::vector<double> return_h(n, 0.0);
    const double horizon_h = config_.rebalance_horizon_h;
    for (std::int32_t k = 0; k < static_cast<std::int32_t>(std::ceil(horizon_h)); ++k) {
      const double weight = std::min(1.0, horizon_h - k) / horizon_h;
      const std::size_t h = (hour + idx(k)) % 24;
      for (std::size_t s = 0; s < n; ++s) {
        rent_h[s] += weight * rental_rate_per_h_[h * n + s];
        return_h[s] += weight * return_rate_per_h_[h * n + s];
      }
    }
    const std::vector<std::int32_t> targets = rebalancing_targets(rent_h, return_h, capacity_, horizon_h);
    std::ranges::copy(targets, target.begin());

    // due pickups and drops, in truck order
    const auto execute = [&] {
      for (std::size_t t = 0; t < idx(config_.trucks); ++t) {
        const auto truck = static_cast<std::int32_t>(t);
        if (truck_phase[t] == 1 && truck_pickup[t] <= step_idx) {
          const auto from = idx(truck_from[t]);
          const std::int32_t amount = std::min(truck_moving[t], config_.truck_capacity - truck_load[t]);
          std::int32_t moved = 0;
          for (auto k = dock_begin_[from + 1] - 1; k >= dock_begin_[from] && moved < amount; --k) {
            const std::int32_t b = dock_bike[idx(k)];
            if (b < 0) continue;
            dock_bike[idx(k)] = -1;
            bike_station[idx(b)] = kOnTruck;
            bike_truck[idx(b)] = truck;
            --bikes[from];
            ++moved;
          }
          truck_load[t] += moved;
          truck_moving[t] = moved;
          truck_station[t] = truck_from[t];
          truck_phase[t] = 2;
        }
        if (truck_phase[t] == 2 && truck_arrive[t] <= step_idx) {
          const auto to = idx(truck_to[t]);
          const std::int32_t amount = std::min({truck_moving[t], truck_load[t], capacity_[to] - bikes[to]});
          std::int32_t moved = 0;
          for (std::int32_t b = 0; b < n_bikes_ && moved < amount; ++b) {
            if (bike_station[idx(b)] != kOnTruck || bike_truck[idx(b)] != truck) continue;
            dock_at(b, to);
            ++moved;
          }
          truck_load[t] -= moved;
          rebalanced += moved;
          truck_station[t] = truck_to[t];
          truck_phase[t] = 0;
        }
      }
    };
    execute();

    // plan the idle trucks on the bikes expected once the moves in progress are done
    std::vector<std::int32_t> expected(bikes.begin(), bikes.end());
    TruckFleet fleet_now;
    const double local_s = ctx.local.hour * 3600.0 + ctx.local.minute * 60.0 + ctx.local.second;
    for (std::size_t t = 0; t < idx(config_.trucks); ++t) {
      if (truck_phase[t] == 1) expected[idx(truck_from[t])] -= truck_moving[t];
      if (truck_phase[t] != 0) expected[idx(truck_to[t])] += truck_moving[t];
      fleet_now.station_idx.push_back(truck_station[t]);
      fleet_now.load_bikes.push_back(truck_load[t]);
      fleet_now.free_at_s.push_back(truck_phase[t] == 0 ? local_s : std::numeric_limits<double>::infinity());
    }
    TruckConfig trucks;
    trucks.capacity_bikes = config_.truck_capacity;
    trucks.speed_mps = config_.truck_speed_mps;
    trucks.load_time_s_per_bike = config_.truck_handling_s_per_bike;
    trucks.shift_start_s = config_.truck_shift_start_h * 3600.0;
    trucks.shift_end_s = config_.truck_shift_end_h * 3600.0;
    trucks.depot_station_idx = depot_idx_;
    trucks.min_move_bikes = config_.rebalance_min_bikes;
    const auto steps_after = [&](double seconds) {
      return step_idx + static_cast<std::int64_t>(std::ceil((seconds - local_s) / step_s - 1e-9));
    };
    for (const RebalanceMove& move :
         plan_rebalancing(local_s, expected, capacity_, targets, fleet_now, ride_distance_m_, trucks)) {
      const auto t = idx(move.truck);
      const auto at = idx(truck_station[t]);
      const double drive_m = move.from_station >= 0
                                 ? ride_distance_m_[at * n + idx(move.from_station)] +
                                       ride_distance_m_[idx(move.from_station) * n + idx(move.to_station)]
                                 : ride_distance_m_[at * n + idx(move.to_station)];
      truck_km[t] += drive_m / 1000.0;
      rebalancing_km += drive_m / 1000.0;
      truck_from[t] = move.from_station;
      truck_to[t] = move.to_station;
      truck_moving[t] = move.n_bikes;
      truck_pickup[t] = steps_after(move.pickup_s);
      truck_arrive[t] = steps_after(move.arrive_s);
      truck_phase[t] = move.from_station >= 0 ? 1 : 2;
    }
    execute();
  }

  // rentable bikes per station
  std::vector<std::int32_t> rentable(n, 0);
  std::vector<std::int32_t> docked_flat(n, 0);
  for (std::size_t s = 0; s < n; ++s) {
    for (auto k = dock_begin_[s]; k < dock_begin_[s + 1]; ++k) {
      const std::int32_t b = dock_bike[idx(k)];
      if (b < 0) continue;
      if (is_rentable(b)) ++rentable[s];
      else ++docked_flat[s];
    }
  }

  // one rental from `origin` to `destination`: an e-bike with enough charge if any (riders
  // prefer them), else the first classic bike
  const auto rent = [&](std::size_t o, std::size_t d) {
    std::int32_t pick_dock = -1;
    double pick_soc = -1.0;
    for (auto k = dock_begin_[o]; k < dock_begin_[o + 1]; ++k) {
      const std::int32_t b = dock_bike[idx(k)];
      if (b < 0 || !is_rentable(b)) continue;
      const double score = bike_ebike[idx(b)] != 0 ? 1.0 + bike_soc[idx(b)] : 0.0;
      if (score > pick_soc) {
        pick_soc = score;
        pick_dock = k;
      }
    }
    const std::int32_t b = dock_bike[idx(pick_dock)];
    dock_bike[idx(pick_dock)] = -1;
    --bikes[o];
    --rentable[o];
    ++trips_started;
    const double distance_m = ride_distance_m_[o * n + d];
    bike_station[idx(b)] = kInTransit;
    bike_dest[idx(b)] = static_cast<std::int32_t>(d);
    bike_arrival[idx(b)] = step_idx + ride_steps_[o * n + d];
    bike_origin[idx(b)] = static_cast<std::int32_t>(o);
    bike_start[idx(b)] = step_idx;
    bike_distance[idx(b)] = distance_m;
    if (bike_ebike[idx(b)] != 0) {
      // battery use: per km ridden and per metre climbed
      ++ebike_trips;
      const double use_wh = config_.ebike_wh_per_km * distance_m / 1000.0 +
                            config_.ebike_wh_per_m_climb * climb_m_[o * n + d];
      const double used_wh = std::min(use_wh, bike_soc[idx(b)] * config_.ebike_battery_wh);
      bike_soc[idx(b)] -= used_wh / config_.ebike_battery_wh;
      ride_kwh += used_wh / 1000.0;
    }
  };
  // a lost rental: flat when a station in reach holds only flat e-bikes
  const auto lose = [&](std::size_t s) {
    bool flat = docked_flat[s] > 0;
    for (auto k = neighbour_offset_[s]; k < neighbour_offset_[s + 1] && !flat; ++k) {
      const auto other = idx(neighbour_idx_[idx(k)]);
      if (distance_m_[s * n + other] > config_.max_walk_m) break;
      flat = docked_flat[other] > 0;
    }
    ++(flat ? lost_flat : lost_no_bike);
  };

  if (config_.demand_source != DemandSource::kMobility) {
    // rentals in station order: the origin, else the nearest station with a bike, else lost
    for (std::size_t s = 0; s < n; ++s) {
      if (demand[s] == 0) continue;
      sim::Rng rng = ctx.rng(kDestinationStream, static_cast<std::uint64_t>(s));
      for (std::int32_t r = 0; r < demand[s]; ++r) {
        auto origin = static_cast<std::int32_t>(s);
        if (rentable[s] == 0) {
          origin = nearest(origin, rentable, config_.max_walk_m, true);
          if (origin < 0) {
            lose(s);
            continue;
          }
          ++walked;
        }
        const std::size_t o = idx(origin);
        const double u = rng.uniform();
        const auto row = std::span<const double>(destination_cdf_).subspan(o * n, n);
        const auto d = static_cast<std::size_t>(std::ranges::upper_bound(row, u) - row.begin());
        rent(o, d);
      }
    }
  } else if (!station_x_m_.empty()) {
    // the mobility model's bike-share trips departing in this step, in trip order
    const auto choice = std::span(static_cast<const std::int32_t*>(now.data(mobility_choice_)),
                                  idx(now.size(mobility_choice_)));
    const auto* departure = static_cast<const double*>(now.data(mobility_departure_));
    const auto* ox = static_cast<const double*>(now.data(mobility_origin_x_));
    const auto* oy = static_cast<const double*>(now.data(mobility_origin_y_));
    const auto* dx = static_cast<const double*>(now.data(mobility_destination_x_));
    const auto* dy = static_cast<const double*>(now.data(mobility_destination_y_));
    for (std::size_t k = 0; k < choice.size(); ++k) {
      if (choice[k] != 3 || departure[k] < now_s || departure[k] >= now_s + step_s) continue;
      const std::int32_t home = nearest_xy(ox[k], oy[k], {}, std::numeric_limits<double>::infinity());
      ++demand[idx(home)];
      const std::int32_t origin = nearest_xy(ox[k], oy[k], rentable, config_.max_walk_m);
      if (origin < 0) {
        lose(idx(home));
        continue;
      }
      if (origin != home) ++walked;
      const std::int32_t d = nearest_xy(dx[k], dy[k], {}, std::numeric_limits<double>::infinity());
      rent(idx(origin), idx(d));
    }
  }

  // charging, docks, e-bike charge, empty and full time per station
  const std::span<std::int32_t> ebikes = next.get(c.ebikes_available);
  const std::span<std::int32_t> docks = next.get(c.docks_free);
  const std::span<double> mean_soc = next.get(c.mean_ebike_soc_frac);
  const std::span<double> power = next.get(c.charge_power_kw);
  const std::span<double> empty_min = next.get(c.empty_minutes);
  const std::span<double> full_min = next.get(c.full_minutes);
  const auto before_empty = now.get(c.empty_minutes);
  const auto before_full = now.get(c.full_minutes);
  const double step_min = step_s / 60.0;
  const double battery_kwh = config_.ebike_battery_wh / 1000.0;
#pragma omp parallel for schedule(static) if (n_stations >= kParallelMinStations)
  for (std::int64_t si = 0; si < n_stations; ++si) {
    const std::size_t s = idx(si);
    std::int32_t n_e = 0;
    double soc_sum = 0.0;
    double p_sum = 0.0;
    for (auto k = dock_begin_[s]; k < dock_begin_[s + 1]; ++k) {
      const std::int32_t b = dock_bike[idx(k)];
      if (b < 0 || bike_ebike[idx(b)] == 0) continue;
      double& soc = bike_soc[idx(b)];
      if (charging_[s] != 0 && soc < 1.0) {
        // constant power, tapering linearly to 0 at full above charge_taper_from_frac
        const double taper = soc <= config_.charge_taper_from_frac
                                 ? 1.0
                                 : (1.0 - soc) / (1.0 - config_.charge_taper_from_frac);
        const double p_max_kw = (1.0 - soc) * battery_kwh / (config_.charge_efficiency_frac * step_h);
        const double p_kw = std::min(config_.charge_power_kw * taper, p_max_kw);
        soc = std::min(1.0, soc + p_kw * step_h * config_.charge_efficiency_frac / battery_kwh);
        p_sum += p_kw;
      }
      ++n_e;
      soc_sum += soc;
    }
    ebikes[s] = n_e;
    mean_soc[s] = n_e > 0 ? soc_sum / n_e : std::numeric_limits<double>::quiet_NaN();
    power[s] = p_sum;
    docks[s] = capacity_[s] - bikes[s];
    empty_min[s] = before_empty[s] + (bikes[s] == 0 ? step_min : 0.0);
    full_min[s] = before_full[s] + (docks[s] == 0 ? step_min : 0.0);
  }
  if (!charger_building_id_.empty()) {
    const std::span<double> grid = next.get(c.grid_load_kw);
    std::ranges::fill(grid, 0.0);
    for (std::size_t s = 0; s < n; ++s) {
      if (station_charger_[s] >= 0) grid[idx(station_charger_[s])] += power[s];
    }
  }
  for (std::size_t s = 0; s < n; ++s) charge_kwh += power[s] * step_h;

  // conservation: bikes at stations + in transit + on trucks == fleet
  std::int64_t at_stations = 0;
  std::int64_t in_transit = 0;
  std::int64_t on_trucks = 0;
  for (std::int32_t b = 0; b < n_bikes_; ++b) {
    const std::int32_t where = bike_station[idx(b)];
    if (where >= 0) ++at_stations;
    else if (where == kInTransit) ++in_transit;
    else ++on_trucks;
  }
  next.get(c.bikes_in_transit)[0] = static_cast<std::int32_t>(in_transit);
  next.get(c.bikes_on_trucks)[0] = static_cast<std::int32_t>(on_trucks);
  const std::int64_t docked = std::accumulate(bikes.begin(), bikes.end(), std::int64_t{0});
  if ((at_stations + in_transit + on_trucks != fleet || docked != at_stations) && ctx.diagnostics != nullptr) {
    ctx.diagnostics->warn("bikeshare", "fleet", 0, ctx.tick,
                          "bikes at stations (" + std::to_string(at_stations) + ", docked " +
                              std::to_string(docked) + ") + in transit (" + std::to_string(in_transit) +
                              ") + on trucks (" + std::to_string(on_trucks) + ") != fleet (" +
                              std::to_string(fleet) + ")");
  }
}

void BikeshareModel::kpis(const sim::State& state, std::vector<sim::Kpi>& out) const {
  const Columns& c = columns_;
  const auto v = [&]<typename T>(sim::Column<T> column) { return static_cast<double>(state.get(column)[0]); };
  const auto mean = [&](sim::Column<double> column) {
    const auto values = state.get(column);
    return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  };
  out.push_back({"trips_served", v(c.trips_started), "1", "rentals served (trips started)"});
  out.push_back({"lost_demand_no_bike", v(c.lost_no_bike), "1",
                 "rentals lost: no bike at the station or within max_walk_m"});
  out.push_back({"lost_demand_flat_ebike", v(c.lost_flat_ebike), "1",
                 "rentals lost: only e-bikes below ebike_min_soc_frac within max_walk_m"});
  out.push_back({"lost_demand_no_dock", v(c.lost_no_dock), "1",
                 "trips ending beyond max_dock_detour_m from the destination (full stations)"});
  out.push_back({"mean_empty_minutes", mean(c.empty_minutes), "min", "mean time a station was empty"});
  out.push_back({"mean_full_minutes", mean(c.full_minutes), "min", "mean time a station was full"});
  out.push_back({"rebalancing_km", v(c.rebalancing_km), "km", "distance driven by the rebalancing trucks"});
  out.push_back({"rebalanced_bikes", v(c.rebalanced_bikes), "1", "bikes moved by the trucks"});
  out.push_back({"ebike_energy_kwh", v(c.ebike_charge_kwh), "kWh", "e-bike charging energy drawn from the grid"});
  out.push_back({"ebike_trips", v(c.ebike_trips), "1", "trips on e-bikes"});
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
