// An OpenStreetMap extract as the scenario's city
// (docs/city.md#openstreetmap-extracts-as-the-city).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include <citytwin/io/scenario.hpp>
#include <citytwin/io/simulation.hpp>
#include <citytwin/mobility/readers/osm.hpp>

#include "sim_test.hpp"
#include "test_data.hpp"

namespace citytwin::io {
namespace {

namespace fs = std::filesystem;

std::string city_scenario(const fs::path& buildings, const std::string& extra = "") {
  return "name = \"osm\"\n[time]\nstart = 2023-06-21T00:00:00\ntime_zone = \"Europe/Helsinki\"\n"
         "dt_s = 3600\nduration = \"1d\"\n[city]\nbuildings = \"" +
         buildings.string() + "\"\n" + extra;
}

sim::City city_of(const std::string& text) {
  const Scenario scenario = Scenario::from_text(text);
  return build_city(scenario, scenario.settings());
}

double kpi(const Simulation& simulation, const std::string& model, const std::string& name) {
  for (const auto& [owner, k] : simulation.kpis()) {
    if (owner == model && k.name == name) return k.value;
  }
  ADD_FAILURE() << "no KPI " << model << "." << name;
  return std::nan("");
}

// the buildings, their LoD1 surfaces and the streets of the Helsinki extract
TEST(OsmCity, HelsinkiBuildingsSurfacesAndStreets) {
  CITYTWIN_DATA_FILE(pbf, "osm/helsinki/helsinki_centre.osm.pbf");
  const mobility::OsmData osm = mobility::read_osm(pbf);
  const sim::City city = city_of(city_scenario(pbf));

  // buildings: the reader's 154, same ids, footprints, areas and heights
  const sim::Buildings& b = city.buildings;
  ASSERT_EQ(b.size(), 154);
  ASSERT_EQ(b.size(), osm.buildings.size());
  EXPECT_EQ(b.building_id, osm.buildings.building_id);
  EXPECT_EQ(b.ring_begin, osm.buildings.ring_begin);
  EXPECT_EQ(b.vertex_begin, osm.buildings.vertex_begin);
  EXPECT_EQ(b.height_m, osm.buildings.height_m);
  EXPECT_EQ(city.building_idx(osm.buildings.building_id[7]), 7);
  double footprint_m2 = 0.0;
  std::int64_t n_holes = 0;
  for (std::size_t k = 0; k < static_cast<std::size_t>(b.size()); ++k) {
    EXPECT_NEAR(b.footprint_area_m2[k], osm.buildings.footprint_area_m2[k],
                1e-9 * osm.buildings.footprint_area_m2[k]);
    footprint_m2 += b.footprint_area_m2[k];
    n_holes += b.ring_begin[k + 1] - b.ring_begin[k] - 1;
    EXPECT_EQ(b.roof_shape[k], sim::RoofShape::kFlat);
    EXPECT_EQ(b.use[k], osm.buildings.use[k]);
  }
  EXPECT_GT(n_holes, 0);  // multipolygon courtyards come through

  // surfaces: one flat roof and one ground per building, one wall per ring edge, and the wall
  // areas are edge length x height
  const sim::Surfaces& s = city.surfaces;
  double roof_m2 = 0.0;
  double ground_m2 = 0.0;
  double wall_m2 = 0.0;
  std::int64_t n_roofs = 0;
  std::int64_t n_walls = 0;
  for (std::size_t k = 0; k < static_cast<std::size_t>(s.size()); ++k) {
    if (s.type[k] == sim::SurfaceType::kRoof) {
      roof_m2 += s.area_m2[k];
      ++n_roofs;
      EXPECT_DOUBLE_EQ(s.tilt_deg[k], 0.0);
    } else if (s.type[k] == sim::SurfaceType::kGround) {
      ground_m2 += s.area_m2[k];
    } else {
      wall_m2 += s.area_m2[k];
      ++n_walls;
    }
  }
  double edges_times_height_m2 = 0.0;
  for (std::size_t k = 0; k < static_cast<std::size_t>(b.size()); ++k) {
    for (auto r = b.ring_begin[k]; r < b.ring_begin[k + 1]; ++r) {
      const auto v0 = static_cast<std::size_t>(b.vertex_begin[static_cast<std::size_t>(r)]);
      const auto v1 = static_cast<std::size_t>(b.vertex_begin[static_cast<std::size_t>(r) + 1]);
      for (std::size_t v = v0; v < v1; ++v) {
        const std::size_t w = v + 1 < v1 ? v + 1 : v0;
        edges_times_height_m2 +=
            std::hypot(b.vertex_x_m[w] - b.vertex_x_m[v], b.vertex_y_m[w] - b.vertex_y_m[v]) *
            b.height_m[k];
      }
    }
  }
  EXPECT_EQ(n_roofs, 154);
  EXPECT_EQ(n_walls, static_cast<std::int64_t>(b.vertex_x_m.size()));
  EXPECT_NEAR(roof_m2, footprint_m2, 1e-9 * footprint_m2);
  EXPECT_NEAR(ground_m2, footprint_m2, 1e-9 * footprint_m2);
  EXPECT_NEAR(wall_m2, edges_times_height_m2, 1e-9 * edges_times_height_m2);

  // streets: every node; a segment per way segment, the two links of a two-way street merged,
  // a street one-way for cars (the other link for bicycles or pedestrians) kept one-way
  const mobility::StreetNetwork& net = osm.network;
  const sim::Streets& st = city.streets;
  EXPECT_EQ(st.node_id, net.node_id);
  EXPECT_EQ(st.node_signalised, net.node_signalised);
  const auto car = [&net](std::int32_t l) {
    return (net.modes[static_cast<std::size_t>(l)] & mobility::kModeCar) != 0;
  };
  std::int64_t n_pairs = 0;
  std::int64_t n_pairs_same_modes = 0;
  std::int64_t n_lanes = 0;
  for (std::int32_t l = 0; l < static_cast<std::int32_t>(net.n_links()); ++l) {
    n_lanes += net.lanes[static_cast<std::size_t>(l)];
    const std::int64_t id = net.link_id[static_cast<std::size_t>(l)];
    const std::int32_t forward = id % 2 == 1 ? net.link_idx(id - 1) : -1;
    if (forward < 0) continue;
    ++n_pairs;
    if (car(forward) == car(l)) {
      ++n_pairs_same_modes;
    } else {
      n_lanes -= net.lanes[static_cast<std::size_t>(car(l) ? forward : l)];  // the car link only
    }
  }
  EXPECT_GT(n_pairs, n_pairs_same_modes);  // Helsinki has one-way streets with contraflow cycling
  EXPECT_EQ(st.size(), net.n_links() - n_pairs);
  std::int64_t n_two_way = 0;
  std::int64_t n_street_lanes = 0;
  double length_m = 0.0;
  for (std::size_t k = 0; k < static_cast<std::size_t>(st.size()); ++k) {
    if (st.lanes_backward[k] > 0) ++n_two_way;
    n_street_lanes += st.lanes_forward[k] + st.lanes_backward[k];
    // the link in the segment's direction: its length, lanes and speed limit
    std::int32_t along = -1;
    for (const std::int64_t id : {2 * st.street_id[k], 2 * st.street_id[k] + 1}) {
      const std::int32_t l = net.link_idx(id);
      if (l >= 0 && net.from_node_idx[static_cast<std::size_t>(l)] == st.from_node_idx[k])
        along = l;
    }
    ASSERT_GE(along, 0) << "street " << st.street_id[k];
    const auto a = static_cast<std::size_t>(along);
    EXPECT_EQ(st.to_node_idx[k], net.to_node_idx[a]);
    EXPECT_DOUBLE_EQ(st.length_m[k], net.length_m[a]);
    EXPECT_EQ(st.lanes_forward[k], net.lanes[a]);
    EXPECT_DOUBLE_EQ(st.speed_limit_mps[k], net.free_speed_mps[a]);
    length_m += st.length_m[k];
  }
  EXPECT_EQ(n_two_way, n_pairs_same_modes);
  EXPECT_EQ(n_street_lanes, n_lanes);
  EXPECT_GT(length_m, 10'000.0);
  std::printf(
      "Helsinki OSM city: %lld buildings (%lld holes), %lld roofs %.0f m2, %lld walls %.0f m2; "
      "%lld street segments (%lld two-way, %lld pairs) from %lld links, %lld nodes, %.1f km\n",
      static_cast<long long>(b.size()), static_cast<long long>(n_holes),
      static_cast<long long>(n_roofs), roof_m2, static_cast<long long>(n_walls), wall_m2,
      static_cast<long long>(st.size()), static_cast<long long>(n_two_way),
      static_cast<long long>(n_pairs), static_cast<long long>(net.n_links()),
      static_cast<long long>(st.n_nodes()), length_m / 1000.0);

  // projection and origin of the reader
  EXPECT_EQ(city.crs, osm.crs);
  EXPECT_DOUBLE_EQ(city.origin_lat_deg, osm.origin_lat_deg);
  EXPECT_DOUBLE_EQ(city.origin_lon_deg, osm.origin_lon_deg);
  EXPECT_NEAR(city.origin_lat_deg, 60.17, 0.05);  // Helsinki centre
  EXPECT_NEAR(city.origin_lon_deg, 24.94, 0.05);
  EXPECT_EQ(city.name, "helsinki_centre");
}

// the file's problems name city.buildings with the scenario's file and line
TEST(OsmCity, ErrorsNameTheKey) {
  // a missing extract
  EXPECT_INPUT_ERROR(
      city_of(city_scenario("no/such/city.osm.pbf")),
      "inline.toml:8:\\d+: error: city.buildings names '.*no/such/city.osm.pbf', which does "
      "not exist");
  // a format that is not one of the readers'
  EXPECT_INPUT_ERROR(
      city_of(city_scenario("city.o5m")),
      "inline.toml:8:\\d+: error: city.buildings must be .* or an OpenStreetMap extract "
      "\\(.osm, .osm.pbf, .osm.bz2, .osm.gz\\) \\(got 'city.o5m'\\)");
  // an extract without any building that has a height
  const fs::path dir = fs::temp_directory_path() / "citytwin_osm_city_test";
  fs::create_directories(dir);
  const fs::path flat = dir / "no_heights.osm";
  std::ofstream out(flat);
  out << "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n"
         " <node id=\"1\" lat=\"60.0\" lon=\"24.0\"/>\n"
         " <node id=\"2\" lat=\"60.0\" lon=\"24.001\"/>\n"
         " <node id=\"3\" lat=\"60.001\" lon=\"24.001\"/>\n"
         " <way id=\"10\"><nd ref=\"1\"/><nd ref=\"2\"/><nd ref=\"3\"/><nd ref=\"1\"/>"
         "<tag k=\"building\" v=\"yes\"/></way>\n"
         " <way id=\"11\"><nd ref=\"1\"/><nd ref=\"2\"/><tag k=\"highway\" v=\"residential\"/>"
         "</way>\n</osm>\n";
  out.close();
  // a broken file: the reader's file, line and column after the key's
  const fs::path broken = dir / "broken.osm";
  std::ofstream bad(broken);
  bad << "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n <node id=\"1\" "
         "lat=\"60\"<\n";
  bad.close();
  EXPECT_INPUT_ERROR(
      city_of(city_scenario(broken)),
      "inline.toml:8:\\d+: error: city.buildings names an OpenStreetMap file that cannot be "
      "read: .*broken.osm:3:\\d+: error: cannot read the OpenStreetMap XML file");
  EXPECT_INPUT_ERROR(
      city_of(city_scenario(flat)),
      "inline.toml:8:\\d+: error: city.buildings names an OpenStreetMap extract with no "
      "building tagged 'height' or 'building:levels' \\(1 building polygons, 1 without");
}

// a clear-sky day of rooftop PV on the extract's LoD1 roofs
TEST(OsmCity, HelsinkiClearSkyDayOfPv) {
  CITYTWIN_DATA_FILE(pbf, "osm/helsinki/helsinki_centre.osm.pbf");
  Simulation simulation(
      Scenario::from_text(
          city_scenario(pbf, "[models.solar]\nweather = \"clear-sky\"\nsample_spacing_m = 4.0\n")),
      {{}, 2});
  EXPECT_TRUE(simulation.run());
  EXPECT_EQ(simulation.city().buildings.size(), 154);
  const double energy_kwh = kpi(simulation, "solar", "annual_yield_kwh");
  const double specific = kpi(simulation, "solar", "specific_yield_kwh_per_kwp");
  std::printf("Helsinki OSM LoD1, clear-sky 21 June: %.0f kWh, %.2f kWh/kWp\n", energy_kwh,
              specific);
  EXPECT_GT(energy_kwh, 0.0);
  // a cloudless midsummer day at 60 N: below the ~19 h of daylight at 1 kW/kWp
  EXPECT_GT(specific, 2.0);
  EXPECT_LT(specific, 10.0);
}

// the synthetic demand on the extract's network, with residents and jobs of its buildings
TEST(OsmCity, HelsinkiSyntheticMobilityMorning) {
  CITYTWIN_DATA_FILE(pbf, "osm/helsinki/helsinki_centre.osm.pbf");
  const std::string text =
      "name = \"osm\"\n[time]\nstart = 2023-06-21T07:00:00\ntime_zone = \"Europe/Helsinki\"\n"
      "dt_s = 60\nduration = \"1h\"\n[city]\nbuildings = \"" +
      pbf.string() + "\"\n[models.mobility]\nnetwork = \"" + pbf.string() +
      "\"\ndemand = \"synthetic\"\n";
  Simulation simulation(Scenario::from_text(text), {{}, 2});
  EXPECT_TRUE(simulation.run());
  std::int64_t residents = 0;
  for (const std::int32_t r : simulation.city().buildings.residents) residents += r;
  EXPECT_GT(residents, 0);
  EXPECT_DOUBLE_EQ(kpi(simulation, "mobility", "persons"), static_cast<double>(residents));
  const double arrived = kpi(simulation, "mobility", "trips_arrived");
  std::printf("Helsinki OSM synthetic demand 07-08 h: %lld residents, %.0f trips arrived\n",
              static_cast<long long>(residents), arrived);
  EXPECT_GT(arrived, 0.0);
}

}  // namespace
}  // namespace citytwin::io
