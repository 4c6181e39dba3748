#include <citytwin/io/simulation.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <citytwin/bikeshare/register.hpp>
#include <citytwin/energy/register.hpp>
#include <citytwin/mobility/readers/osm.hpp>
#include <citytwin/mobility/register.hpp>
#include <citytwin/solar/readers/city3d.hpp>
#include <citytwin/solar/register.hpp>
#include <citytwin/sim/city_generator.hpp>
#include <citytwin/sim/config_reader.hpp>
#include <citytwin/sim/error.hpp>
#include <citytwin/sim/parallel.hpp>

namespace citytwin::io {

namespace {

sim::SourcePos position_of(const sim::ConfigNode& tree, std::string_view path) {
  const sim::ConfigNode* node = tree.find_path(path);
  return node != nullptr ? node->where() : sim::SourcePos{};
}

// street class of an OSM highway class (docs/city.md#openstreetmap-extracts-as-the-city)
sim::StreetClass street_class_of(mobility::HighwayClass highway) {
  using mobility::HighwayClass;
  switch (highway) {
    case HighwayClass::kMotorway:
    case HighwayClass::kTrunk:
    case HighwayClass::kPrimary:
    case HighwayClass::kSecondary:
      return sim::StreetClass::kArterial;
    case HighwayClass::kTertiary:
    case HighwayClass::kUnclassified:
      return sim::StreetClass::kCollector;
    case HighwayClass::kPedestrian:
    case HighwayClass::kCycleway:
    case HighwayClass::kFootway:
    case HighwayClass::kPath:
    case HighwayClass::kSteps:
      return sim::StreetClass::kPath;
    default:
      return sim::StreetClass::kLocal;
  }
}

// the undirected streets of an OSM network: the forward and backward links of one way segment
// (link ids 2k and 2k + 1, docs/models/mobility.md#link-ids) become one segment with id k; a
// street one-way for cars (the other link open to bicycles or pedestrians only) stays one-way
// in the direction of its car link
sim::Streets streets_of(const mobility::StreetNetwork& net) {
  constexpr double kCarLaneWidthM = 3.5;    // [m] urban lane (AASHTO 3.0-3.6 m)
  constexpr double kOtherLaneWidthM = 2.0;  // [m] one direction of a cycleway or footway
  sim::Streets streets;
  streets.node_id = net.node_id;
  streets.node_x_m = net.node_x_m;
  streets.node_y_m = net.node_y_m;
  streets.node_z_m = net.node_z_m;
  streets.node_signalised = net.node_signalised;
  std::unordered_map<std::int64_t, std::int32_t> segment_of;  // k -> street index (lookups only)
  std::vector<bool> streets_car;  // per segment: its forward direction is open to cars
  for (std::size_t l = 0; l < static_cast<std::size_t>(net.n_links()); ++l) {
    const std::int64_t key = net.link_id[l] / 2;
    const bool car = (net.modes[l] & mobility::kModeCar) != 0;
    const double width_m = net.lanes[l] * (car ? kCarLaneWidthM : kOtherLaneWidthM);
    const auto found = segment_of.find(key);
    if (found != segment_of.end()) {
      // the other direction of a two-way segment
      const auto s = static_cast<std::size_t>(found->second);
      CITYTWIN_CHECK(streets.from_node_idx[s] == net.to_node_idx[l] &&
                         streets.to_node_idx[s] == net.from_node_idx[l],
                     "links of one OSM way segment join different nodes");
      streets.width_m[s] += width_m;
      if (car == streets_car[s]) {
        streets.lanes_backward[s] = net.lanes[l];
      } else if (car) {
        // cars only this way: the segment turns round to follow them
        std::swap(streets.from_node_idx[s], streets.to_node_idx[s]);
        streets.lanes_forward[s] = net.lanes[l];
        streets.speed_limit_mps[s] = net.free_speed_mps[l];
        streets_car[s] = true;
      }
      continue;
    }
    // a new segment in the direction of its first link (one-way until a partner shows up)
    segment_of.emplace(key, static_cast<std::int32_t>(streets.street_id.size()));
    streets.street_id.push_back(key);
    streets.from_node_idx.push_back(net.from_node_idx[l]);
    streets.to_node_idx.push_back(net.to_node_idx[l]);
    streets.length_m.push_back(net.length_m[l]);
    streets.lanes_forward.push_back(net.lanes[l]);
    streets.lanes_backward.push_back(0);
    streets.speed_limit_mps.push_back(net.free_speed_mps[l]);
    streets.width_m.push_back(width_m);
    streets.street_class.push_back(street_class_of(net.highway_class[l]));
    streets_car.push_back(car);
  }
  return streets;
}

// an OpenStreetMap extract as the city: LoD1 blocks of the buildings with a height, the streets
sim::City read_osm_city(const std::filesystem::path& path, const ScenarioSettings& settings,
                        const std::function<void(const std::string&)>& fail, std::string* report) {
  mobility::OsmReadOptions osm_options;
  osm_options.storey_height_m = settings.city_storey_height_m;
  mobility::OsmData osm;
  try {
    osm = mobility::read_osm(path, osm_options);
  } catch (const InputError& e) {
    fail("names an OpenStreetMap file that cannot be read: " + std::string(e.what()));
  }
  if (osm.buildings.size() == 0) {
    fail("names an OpenStreetMap extract with no building tagged 'height' or 'building:levels' (" +
         std::to_string(osm.stats.n_building_candidates) + " building polygons, " +
         std::to_string(osm.stats.n_buildings_without_height) +
         " without a height); the other models need buildings: use an extract that has them, "
         "or GeoJSON footprints, where city.default_height_m fills missing heights");
  }

  // the buildings as LoD1 blocks, in the reader's projection
  solar::City3dOptions options;
  options.storey_height_m = settings.city_storey_height_m;
  std::string name = path.filename().string();
  name = name.substr(0, name.find(".osm"));
  solar::City3d read =
      solar::extrude_footprints(osm.buildings, osm.crs, name, path.string(), options);
  sim::City city = std::move(read.city);
  city.crs = osm.crs;
  city.origin_lat_deg = osm.origin_lat_deg;
  city.origin_lon_deg = osm.origin_lon_deg;
  city.streets = streets_of(osm.network);
  city.check_consistency();
  if (report != nullptr) {
    *report = read.report.summary() + "osm streets: " + std::to_string(city.streets.size()) +
              " segments, " + std::to_string(city.streets.n_nodes()) + " nodes\n" +
              "osm buildings without height (left out): " +
              std::to_string(osm.stats.n_buildings_without_height) + "\n";
  }
  return city;
}

}  // namespace

void register_models(sim::ModelRegistry& registry) {
  // the model issues add their register_<model>(registry) calls here, in stepping order:
  // solar, energy, mobility, bikeshare
  solar::register_solar(registry);
  energy::register_energy(registry);
  mobility::register_mobility(registry);
  bikeshare::register_bikeshare(registry);
}

sim::City build_city(const Scenario& scenario, const ScenarioSettings& settings,
                     std::string* report) {
  if (report != nullptr) report->clear();
  if (settings.city_buildings == "generated") return sim::generate_city(settings.generator);

  // a buildings file, read by the 3D city readers of the solar model
  const sim::SourcePos where = position_of(scenario.tree(), "city.buildings");
  const auto fail = [&](const std::string& message) {
    throw InputError(InputIssue{where.file, where.line, where.column, "city.buildings",
                                "city.buildings " + message});
  };
  std::string lower = settings.city_buildings;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const bool cityjson = lower.ends_with(".city.json") || lower.ends_with(".json");
  const bool geojson = lower.ends_with(".geojson");
  const bool osm = lower.ends_with(".osm") || lower.ends_with(".osm.pbf") ||
                   lower.ends_with(".osm.bz2") || lower.ends_with(".osm.gz");
  if (!cityjson && !geojson && !osm) {
    fail("must be \"generated\", a CityJSON file (.city.json, .json), GeoJSON footprints "
         "(.geojson) or an OpenStreetMap extract (.osm, .osm.pbf, .osm.bz2, .osm.gz) (got '" +
         settings.city_buildings + "')");
  }
  const std::filesystem::path path = scenario.resolve_path(settings.city_buildings);
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    fail("names '" + path.string() + "', which does not exist or is not a file (written '" +
         settings.city_buildings + "'; ${data} is the real-data folder, relative paths start at "
         "the scenario's folder)");
  }
  if (osm) return read_osm_city(path, settings, fail, report);
  solar::City3dOptions options;
  options.crs = settings.city_crs;
  options.lod = settings.city_lod == "highest" ? "" : settings.city_lod;
  options.default_height_m = settings.city_default_height_m;
  options.storey_height_m = settings.city_storey_height_m;
  solar::City3d read = cityjson ? solar::read_cityjson(path, options)
                                : solar::read_geojson_buildings(path, options);
  if (report != nullptr) *report = read.report.summary();
  return std::move(read.city);
}

std::vector<std::unique_ptr<sim::Model>> build_models(const Scenario& scenario,
                                                      const sim::ModelRegistry& registry,
                                                      const sim::City& city, const sim::Clock& clock,
                                                      std::uint64_t seed, sim::Diagnostics& diagnostics) {
  const sim::ConfigNode* models_node = scenario.tree().find_path("models");
  const std::vector<std::string> known = registry.names();
  // unknown model names first, with a hint
  if (models_node != nullptr && models_node->is_table()) {
    for (const auto& [name, section] : models_node->entries()) {
      if (registry.find(name) != nullptr) continue;
      const std::string hint = sim::closest_match(name, known);
      std::string message = "unknown model 'models." + name + "'";
      if (!hint.empty()) {
        message += " (did you mean '" + hint + "'?)";
      } else {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        message += list.empty() ? " (this build has no models yet)" : " (models: " + list + ")";
      }
      diagnostics.error(section.where().file, section.where().line, section.where().column,
                        "models." + name, message);
    }
  }
  // then each enabled model, in registry order
  std::vector<std::unique_ptr<sim::Model>> models;
  for (const auto& name : known) {
    const sim::ConfigNode* section = models_node != nullptr && models_node->is_table() ? models_node->find(name) : nullptr;
    if (section == nullptr) continue;
    sim::ConfigReader reader(section, "models." + name, diagnostics);
    bool enabled = true;
    reader.read("enabled", enabled);
    if (!enabled) {
      reader.accept_all();
      continue;
    }
    sim::ModelContext ctx;
    ctx.config = &reader;
    ctx.city = &city;
    ctx.clock = &clock;
    ctx.seed = seed;
    ctx.scenario_dir = scenario.dir();
    ctx.data_dir = scenario.data_dir();
    std::unique_ptr<sim::Model> model = (*registry.find(name))(ctx);
    reader.finish();
    if (model) models.push_back(std::move(model));
  }
  return models;
}

Simulation::Simulation(const Scenario& scenario, SimulationOptions options)
    : Simulation(scenario, std::move(options), [] {
        sim::ModelRegistry registry;
        register_models(registry);
        return registry;
      }()) {}

Simulation::Simulation(const Scenario& scenario, SimulationOptions options,
                       const sim::ModelRegistry& registry)
    : scenario_(scenario), settings_(scenario.settings()) {
  // the thread count first: building the city and the models runs parallel loops too (and a
  // team started at the default size would keep spinning beside a one-thread run)
  sim::set_thread_count(options.threads);
  threads_ = sim::thread_count();

  // the city and the clock
  city_ = std::make_unique<sim::City>(build_city(scenario_, settings_, &city_report_));
  sim::Clock clock(settings_.start_utc_s, settings_.dt_s, settings_.n_ticks, settings_.time_zone);

  // the models, all problems reported at once
  sim::Diagnostics diagnostics;
  auto models = build_models(scenario_, registry, *city_, clock, settings_.seed, diagnostics);
  diagnostics.throw_if_errors();

  engine_ = std::make_unique<sim::Engine>(std::move(clock), std::move(models), city_.get(), settings_.seed);
  output_every_ticks_ = std::max<std::int64_t>(1, settings_.output.interval_s / settings_.dt_s);

  // the results file, with the city and the initial state
  if (!options.output.empty()) {
    ResultMetadata meta;
    meta.scenario_path = scenario_.path().string();
    meta.scenario_text = scenario_.resolved_toml();
    meta.scenario_sha256 = scenario_.sha256();
    meta.seed = settings_.seed;
    meta.dt_s = settings_.dt_s;
    meta.n_ticks = settings_.n_ticks;
    meta.threads = threads_;
    meta.start_utc_s = settings_.start_utc_s;
    meta.time_zone = settings_.time_zone;
    WriterOptions writer_options;
    writer_options.compression = settings_.output.compression;
    writer_options.flush_every = settings_.output.flush_every;
    writer_options.flush_interval_s = settings_.output.flush_interval_s;
    writer_options.expected_rows = settings_.n_ticks / output_every_ticks_ + 1;
    writer_ = std::make_unique<ResultWriter>(options.output, meta, engine_->layout(), writer_options);
    if (settings_.output.city) writer_->write_city(*city_);
    // the initial state is buffered like every step and written at the first flush (the
    // writer's cadence: flush_every steps or flush_interval_s of wall time)
    writer_->append(0, engine_->clock().utc_s(0), engine_->state(), engine_->columns_changed());
    engine_->clear_columns_changed();
  }
}

Simulation::~Simulation() {
  // an unfinished run keeps its flushed steps in the .partial file
  if (writer_ && !finished_) {
    try {
      writer_->close(false);
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
    }
  }
}

void Simulation::write_due_output() {
  const std::int64_t tick = engine_->tick();
  if (writer_ && tick % output_every_ticks_ == 0) {
    writer_->append(tick, engine_->clock().utc_s(tick), engine_->state(),
                    engine_->columns_changed());
    engine_->clear_columns_changed();
  }
}

void Simulation::step(std::int64_t n) {
  if (n < 0) throw std::invalid_argument("step: n must be >= 0 (got " + std::to_string(n) + ")");
  for (std::int64_t i = 0; i < n && !engine_->done(); ++i) {
    engine_->step();
    write_due_output();
  }
}

bool Simulation::run(const Callback& callback, const std::atomic<bool>* stop,
                     sim::ProgressReporter* progress) {
  const std::int64_t total = engine_->clock().n_ticks();
  while (!engine_->done()) {
    if (stop != nullptr && stop->load()) break;
    step(1);
    if (progress != nullptr) progress->update(engine_->tick());
    if (callback && !callback(engine_->tick(), total)) break;
  }
  if (!engine_->done()) {
    if (writer_) writer_->flush();
    return false;
  }
  if (progress != nullptr) progress->finish(engine_->tick());
  finish();
  return true;
}

void Simulation::finish() {
  if (finished_) return;
  if (writer_) {
    writer_->write_kpis(kpis());
    writer_->close(true);
  }
  finished_ = true;
}

void Simulation::abandon() {
  if (writer_ && !finished_) writer_->close(false);
  finished_ = true;
}

std::vector<std::pair<std::string, sim::Kpi>> Simulation::kpis() const {
  auto out = city_kpis(*city_);
  auto model_kpis = engine_->kpis();
  out.insert(out.end(), model_kpis.begin(), model_kpis.end());
  return out;
}

std::vector<std::pair<std::string, sim::Kpi>> city_kpis(const sim::City& city) {
  const auto& b = city.buildings;
  double residents = 0.0;
  double jobs = 0.0;
  double floor_area_m2 = 0.0;
  for (std::int64_t i = 0; i < b.size(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    residents += b.residents[k];
    jobs += b.jobs[k];
    floor_area_m2 += b.floor_area_m2[k];
  }
  double street_m = 0.0;
  for (const double length_m : city.streets.length_m) street_m += length_m;
  double roof_m2 = 0.0;
  for (std::int64_t s = 0; s < city.surfaces.size(); ++s) {
    if (city.surfaces.type[static_cast<std::size_t>(s)] == sim::SurfaceType::kRoof) {
      roof_m2 += city.surfaces.area_m2[static_cast<std::size_t>(s)];
    }
  }
  return {
      {"city", {"n_buildings", static_cast<double>(b.size()), "1", "number of buildings"}},
      {"city", {"residents", residents, "1", "residents"}},
      {"city", {"jobs", jobs, "1", "jobs"}},
      {"city", {"floor_area_m2", floor_area_m2, "m2", "gross floor area of all buildings"}},
      {"city", {"roof_area_m2", roof_m2, "m2", "area of all roof surfaces"}},
      {"city", {"street_length_km", street_m / 1000.0, "km", "centre-line length of all streets"}},
  };
}

}  // namespace citytwin::io
