#include <citytwin/mobility/synthetic_demand.hpp>

#include <cmath>
#include <cstdint>
#include <algorithm>
#include <array>
#include <numeric>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include <citytwin/mobility/queue_model.hpp>
#include <citytwin/sim/city_generator.hpp>
#include <citytwin/sim/config_node.hpp>
#include <citytwin/sim/diagnostics.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace citytwin::mobility {
namespace {

// a generated city of about n buildings with its street network
struct Town {
  sim::City city;
  StreetNetwork network;
  LinkGraph graph;
};

const Town& town() {
  static const Town t = [] {
    Town x;
    sim::CityGeneratorOptions o;
    o.n_buildings = 400;
    o.seed = 7;
    x.city = sim::generate_city(o);
    x.network = build_street_network(x.city);
    return x;
  }();
  return t;
}

SyntheticDemand synth(const SyntheticDemandConfig& c, std::uint64_t seed) {
  const Town& t = town();
  return synthesize_demand(t.city, t.network, link_graph_of(t.network), c, seed);
}

std::int64_t total_residents(const sim::City& city) {
  return std::accumulate(city.buildings.residents.begin(), city.buildings.residents.end(),
                         std::int64_t{0});
}

// a hand-made city: buildings at given points with residents, jobs and use
void add_building(sim::City& city, double x, double y, std::int32_t residents, std::int32_t jobs,
                  sim::BuildingUse use) {
  sim::Buildings& b = city.buildings;
  b.building_id.push_back(b.size() + 1);
  b.centroid_x_m.push_back(x);
  b.centroid_y_m.push_back(y);
  b.residents.push_back(residents);
  b.jobs.push_back(jobs);
  b.use.push_back(use);
}

// two-way link pair between nodes a and b
void add_street(StreetNetwork& net, std::int32_t a, std::int32_t b, double length_m,
                double speed_mps, std::uint8_t modes = kModeAll) {
  const auto id = net.n_links();
  for (int dir = 0; dir < 2; ++dir) {
    StreetNetwork::LinkSpec s;
    s.link_id = id + dir;
    s.from_node_idx = dir == 0 ? a : b;
    s.to_node_idx = dir == 0 ? b : a;
    s.length_m = length_m;
    s.free_speed_mps = speed_mps;
    s.flow_capacity_veh_per_h = 1800.0;
    s.modes = modes;
    net.add_link(s);
  }
}

// a config where everyone makes exactly one work tour
SyntheticDemandConfig commuters_only() {
  SyntheticDemandConfig c;
  c.stay_home_frac = 0.0;
  c.employed_frac = 1.0;
  c.student_frac = 0.0;
  c.work_attendance_frac = 1.0;
  c.secondary_tours_with_primary_mean = 0.0;
  c.secondary_tours_mean = 0.0;
  return c;
}

void expect_same(const SyntheticDemand& a, const SyntheticDemand& b) {
  EXPECT_EQ(a.person_id, b.person_id);
  EXPECT_EQ(a.purpose, b.purpose);
  EXPECT_EQ(a.choice, b.choice);
  EXPECT_EQ(a.departure_s, b.departure_s);
  EXPECT_EQ(a.travel_time_s, b.travel_time_s);
  EXPECT_EQ(a.destination_building_idx, b.destination_building_idx);
  EXPECT_EQ(a.origin_node_idx, b.origin_node_idx);
  EXPECT_EQ(a.trips.route_begin, b.trips.route_begin);
  EXPECT_EQ(a.trips.route_link_idx, b.trips.route_link_idx);
  EXPECT_EQ(a.n_unroutable, b.n_unroutable);
  EXPECT_EQ(a.n_stay_home, b.n_stay_home);
  EXPECT_EQ(a.n_no_mode, b.n_no_mode);
}

TEST(SyntheticDemand, LogitProbabilitiesMatchHandComputedValues) {
  SyntheticDemandConfig c;
  c.asc_car = 0.0;
  c.asc_bike = -0.6;
  c.asc_walk = 0.6;
  c.asc_bike_share = -1.2;
  c.beta_time_car_per_h = -3.0;
  c.beta_time_bike_per_h = -4.5;
  c.beta_time_walk_per_h = -4.5;
  c.beta_time_bike_share_per_h = -4.5;
  c.beta_cost_per_eur = -0.3;
  ModeAlternatives a;
  a.available = {true, true, true, true};
  a.time_s = {1800.0, 2700.0, 5400.0, 3000.0};
  a.cost_eur = {4.0, 0.0, 0.0, 2.0};
  // V = -2.7, -3.975, -6.15, -5.55; P = exp(V) / sum exp(V)
  const auto p = mode_choice_probabilities(c, a);
  EXPECT_NEAR(p[kChoiceCar], 0.73044902484126606, 1e-12);
  EXPECT_NEAR(p[kChoiceBike], 0.20411007824777777, 1e-12);
  EXPECT_NEAR(p[kChoiceWalk], 0.023188569135325146, 1e-12);
  EXPECT_NEAR(p[kChoiceBikeShare], 0.042252327775631059, 1e-12);

  // without bike-share the other three keep their ratios
  a.available[kChoiceBikeShare] = false;
  const auto q = mode_choice_probabilities(c, a);
  EXPECT_NEAR(q[kChoiceCar], 0.7626737668229443, 1e-12);
  EXPECT_NEAR(q[kChoiceBike], 0.21311466910040316, 1e-12);
  EXPECT_NEAR(q[kChoiceWalk], 0.024211564076652564, 1e-12);
  EXPECT_EQ(q[kChoiceBikeShare], 0.0);
  EXPECT_NEAR(q[kChoiceCar] / q[kChoiceBike], p[kChoiceCar] / p[kChoiceBike], 1e-12);

  // nothing available: all zero
  a.available = {false, false, false, false};
  const auto z = mode_choice_probabilities(c, a);
  EXPECT_EQ(z[0] + z[1] + z[2] + z[3], 0.0);
}

TEST(SyntheticDemand, ChoiceCodesMapToQueueModes) {
  EXPECT_EQ(choice_link_mode(kChoiceCar), kModeCar);
  EXPECT_EQ(choice_link_mode(kChoiceBike), kModeBike);
  EXPECT_EQ(choice_link_mode(kChoiceWalk), kModeWalk);
  EXPECT_EQ(choice_link_mode(kModeBikeShare), kModeBike);
  EXPECT_THROW((void)choice_link_mode(4), std::invalid_argument);
}

// a line of three nodes 1 km apart, the home on node 0 and the workplace on node 2: every
// time is known by hand, and the chosen shares follow the logit
TEST(SyntheticDemand, HandBuiltLineFollowsTheLogit) {
  StreetNetwork net;
  for (int n = 0; n < 3; ++n) net.add_node(n + 1, 1000.0 * n, 0.0, 0.0, false);
  add_street(net, 0, 1, 1000.0, 10.0);
  add_street(net, 1, 2, 1000.0, 10.0);
  net.finalize();
  sim::City city;
  const std::int32_t n_residents = 20000;
  add_building(city, 0.0, 0.0, n_residents, 0, sim::BuildingUse::kResidential);
  add_building(city, 2000.0, 0.0, 0, 100, sim::BuildingUse::kOffice);
  SyntheticDemandConfig c = commuters_only();
  c.car_available_frac = 1.0;
  c.bike_available_frac = 1.0;
  const SyntheticDemand d = synthesize_demand(city, net, link_graph_of(net), c, 11);

  ASSERT_EQ(d.size(), 2 * n_residents);
  EXPECT_EQ(d.n_unroutable, 0);
  // door-to-door times per trip: car 2000 m / 10 m/s + 120 s access, bike 2000 m at 15 km/h,
  // walk 2000 m at 1.4 m/s
  const double car_s = 200.0 + 120.0, bike_s = 2000.0 / (15.0 / 3.6), walk_s = 2000.0 / 1.4;
  std::array<std::int64_t, kNumChoices> n{};
  for (std::int64_t i = 0; i < d.size(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    const double expected = d.choice[k] == kChoiceCar ? car_s : d.choice[k] == kChoiceBike ? bike_s : walk_s;
    ASSERT_NEAR(d.travel_time_s[k], expected, 1e-9);
    ASSERT_EQ(d.trips.route_begin[k + 1] - d.trips.route_begin[k], 2);
    if (i % 2 == 0) ++n[d.choice[k]];
  }
  ModeAlternatives a;
  a.available = {true, true, true, false};
  a.time_s = {2 * car_s, 2 * bike_s, 2 * walk_s, 0.0};
  a.cost_eur = {0.20 * 4.0 + 1.0, 0.0, 0.0, 0.0};
  const auto p = mode_choice_probabilities(c, a);
  for (std::size_t m = 0; m < 3; ++m) {
    const double share = static_cast<double>(n[m]) / n_residents;
    const double sigma = std::sqrt(p[m] * (1.0 - p[m]) / n_residents);
    EXPECT_NEAR(share, p[m], 4.0 * sigma + 1e-9) << "mode " << m;
  }
  EXPECT_EQ(n[kChoiceBikeShare], 0);
}

TEST(SyntheticDemand, EveryResidentIsPlannedAndToursAreHomeBased) {
  const Town& t = town();
  SyntheticDemandConfig c;
  const SyntheticDemand d = synth(c, 3);
  const std::int64_t residents = total_residents(t.city);
  ASSERT_GT(residents, 1000);
  EXPECT_EQ(d.n_persons, residents);
  EXPECT_EQ(d.n_unroutable, 0);
  ASSERT_GT(d.size(), residents);
  // stay-home share within 5 sigma of 15 %
  const double sigma = std::sqrt(0.15 * 0.85 / static_cast<double>(residents));
  EXPECT_NEAR(static_cast<double>(d.n_stay_home) / static_cast<double>(residents), 0.15, 5 * sigma);

  std::set<std::int64_t> persons;
  for (std::int64_t i = 0; i < d.size(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    persons.insert(d.person_id[k]);
    ASSERT_GE(d.person_id[k], 0);
    ASSERT_LT(d.person_id[k], residents);
    const bool first = i == 0 || d.person_id[k - 1] != d.person_id[k];
    const bool last = i + 1 == d.size() || d.person_id[k + 1] != d.person_id[k];
    // tours: even rows leave home, odd rows return home
    if (first) { ASSERT_EQ(i % 2, 0); }
    if (i % 2 == 0) {
      ASSERT_EQ(d.origin_building_idx[k], d.home_building_idx[k]);
      ASSERT_NE(d.purpose[k], kPurposeHome);
    } else {
      ASSERT_EQ(d.destination_building_idx[k], d.home_building_idx[k]);
      ASSERT_EQ(d.purpose[k], kPurposeHome);
      ASSERT_EQ(d.origin_building_idx[k], d.destination_building_idx[k - 1]);
      ASSERT_EQ(d.choice[k], d.choice[k - 1]);
    }
    if (first) { ASSERT_EQ(d.origin_building_idx[k], d.home_building_idx[k]); }
    if (last) { ASSERT_EQ(d.destination_building_idx[k], d.home_building_idx[k]); }
    // times increase along the chain: the next trip leaves after this one arrives
    ASSERT_GE(d.departure_s[k], 0.0);
    if (!last) { ASSERT_GT(d.departure_s[k + 1], d.departure_s[k] + d.travel_time_s[k]); }
    ASSERT_EQ(d.trips.departure_s[k], d.departure_s[k]);
    ASSERT_EQ(d.trips.mode[k], choice_link_mode(d.choice[k]));
  }
  // persons with a trip and persons at home never overlap and never exceed the population
  EXPECT_LE(static_cast<std::int64_t>(persons.size()) + d.n_stay_home, residents);

  // with everyone commuting, every resident appears in the trips
  const SyntheticDemand all = synth(commuters_only(), 3);
  std::set<std::int64_t> commuters(all.person_id.begin(), all.person_id.end());
  EXPECT_EQ(static_cast<std::int64_t>(commuters.size()), residents);
  EXPECT_EQ(all.size(), 2 * residents);
  EXPECT_EQ(all.n_stay_home, 0);
}

TEST(SyntheticDemand, RoutesAreConnectedAndAllowedForTheirMode) {
  const Town& t = town();
  SyntheticDemandConfig c;
  c.bike_share = true;
  const SyntheticDemand d = synth(c, 5);
  const LinkGraph g = link_graph_of(t.network);
  std::array<std::int64_t, kNumChoices> n{};
  for (std::int64_t i = 0; i < d.size(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    ++n[d.choice[k]];
    const std::uint8_t mode = d.trips.mode[k];
    const std::int64_t b = d.trips.route_begin[k];
    const std::int64_t e = d.trips.route_begin[k + 1];
    if (b == e) {
      ASSERT_EQ(d.origin_node_idx[k], d.destination_node_idx[k]);
      continue;
    }
    ASSERT_EQ(g.from_node_idx[static_cast<std::size_t>(d.trips.route_link_idx[static_cast<std::size_t>(b)])],
              d.origin_node_idx[k]);
    ASSERT_EQ(g.to_node_idx[static_cast<std::size_t>(d.trips.route_link_idx[static_cast<std::size_t>(e - 1)])],
              d.destination_node_idx[k]);
    for (std::int64_t j = b; j < e; ++j) {
      const auto l = static_cast<std::size_t>(d.trips.route_link_idx[static_cast<std::size_t>(j)]);
      ASSERT_NE(g.modes[l] & mode, 0);
      if (j > b) {
        const auto prev = static_cast<std::size_t>(d.trips.route_link_idx[static_cast<std::size_t>(j - 1)]);
        ASSERT_EQ(g.to_node_idx[prev], g.from_node_idx[l]);
      }
    }
  }
  // all four alternatives are chosen by someone
  for (std::size_t m = 0; m < kNumChoices; ++m) EXPECT_GT(n[m], 0) << "choice " << m;
  // the queue model accepts the trips as they are
  EXPECT_NO_THROW(QueueModel(g, d.trips, QueueModelConfig{}));
}

TEST(SyntheticDemand, CarShareFallsWhenDrivingCostsMore) {
  SyntheticDemandConfig cheap;
  SyntheticDemandConfig dear;
  dear.car_cost_eur_per_km = 2.0;
  dear.car_parking_cost_eur = 10.0;
  const auto car_share = [](const SyntheticDemand& d) {
    const auto n = std::count(d.choice.begin(), d.choice.end(), kChoiceCar);
    return static_cast<double>(n) / static_cast<double>(d.size());
  };
  const SyntheticDemand a = synth(cheap, 9);
  const SyntheticDemand b = synth(dear, 9);
  ASSERT_EQ(a.size(), b.size());  // same plans, only modes differ
  EXPECT_EQ(a.destination_building_idx, b.destination_building_idx);
  EXPECT_GT(car_share(a), car_share(b) + 0.1);
  // slower walking lowers the walk share
  SyntheticDemandConfig slow;
  slow.walk_speed_mps = 0.7;
  const SyntheticDemand s = synth(slow, 9);
  const auto walk_share = [](const SyntheticDemand& d) {
    return static_cast<double>(std::count(d.choice.begin(), d.choice.end(), kChoiceWalk)) /
           static_cast<double>(d.size());
  };
  EXPECT_LT(walk_share(s), walk_share(a));
}

TEST(SyntheticDemand, DeterministicForSeedAndThreadCount) {
  const SyntheticDemandConfig c;
  const SyntheticDemand a = synth(c, 21);
  const SyntheticDemand b = synth(c, 21);
  expect_same(a, b);
  const SyntheticDemand other = synth(c, 22);
  EXPECT_NE(a.destination_building_idx, other.destination_building_idx);
#ifdef _OPENMP
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const SyntheticDemand one = synth(c, 21);
  omp_set_num_threads(2);
  const SyntheticDemand two = synth(c, 21);
  omp_set_num_threads(threads);
  expect_same(one, two);
  expect_same(one, a);
#endif
}

TEST(SyntheticDemand, TripsWithoutAPathAreCounted) {
  // two islands: homes on 0-1, the only workplace on 2-3
  StreetNetwork net;
  net.add_node(1, 0.0, 0.0, 0.0, false);
  net.add_node(2, 500.0, 0.0, 0.0, false);
  net.add_node(3, 5000.0, 0.0, 0.0, false);
  net.add_node(4, 5500.0, 0.0, 0.0, false);
  add_street(net, 0, 1, 500.0, 10.0);
  add_street(net, 2, 3, 500.0, 10.0);
  net.finalize();
  sim::City city;
  add_building(city, 10.0, 0.0, 30, 0, sim::BuildingUse::kResidential);
  add_building(city, 490.0, 0.0, 20, 0, sim::BuildingUse::kResidential);
  add_building(city, 5500.0, 0.0, 0, 40, sim::BuildingUse::kOffice);
  const SyntheticDemand d = synthesize_demand(city, net, link_graph_of(net), commuters_only(), 1);
  EXPECT_EQ(d.n_persons, 50);
  EXPECT_EQ(d.size(), 0);
  EXPECT_EQ(d.n_unroutable, 100);  // 50 work tours, two trips each

  // no car, no bike and too far to walk: paths exist but no mode is offered
  StreetNetwork line;
  for (int n = 0; n < 3; ++n) line.add_node(n + 1, 1000.0 * n, 0.0, 0.0, false);
  add_street(line, 0, 1, 1000.0, 10.0);
  add_street(line, 1, 2, 1000.0, 10.0);
  line.finalize();
  sim::City pair;
  add_building(pair, 0.0, 0.0, 40, 0, sim::BuildingUse::kResidential);
  add_building(pair, 2000.0, 0.0, 0, 10, sim::BuildingUse::kOffice);
  SyntheticDemandConfig car_free = commuters_only();
  car_free.car_available_frac = 0.0;
  car_free.bike_available_frac = 0.0;
  car_free.walk_max_m = 1000.0;
  const SyntheticDemand none = synthesize_demand(pair, line, link_graph_of(line), car_free, 1);
  EXPECT_EQ(none.size(), 0);
  EXPECT_EQ(none.n_unroutable, 0);
  EXPECT_EQ(none.n_no_mode, 80);
  car_free.walk_max_m = 2500.0;  // now everyone walks
  const SyntheticDemand walkers = synthesize_demand(pair, line, link_graph_of(line), car_free, 1);
  EXPECT_EQ(walkers.size(), 80);
  EXPECT_EQ(walkers.n_no_mode, 0);
  EXPECT_EQ(std::count(walkers.choice.begin(), walkers.choice.end(), kChoiceWalk), 80);

  // a walk-only link: cars and bikes stop short of the workplace, pedestrians reach it
  StreetNetwork walk;
  walk.add_node(1, 0.0, 0.0, 0.0, false);
  walk.add_node(2, 500.0, 0.0, 0.0, false);
  walk.add_node(3, 1000.0, 0.0, 0.0, false);
  add_street(walk, 0, 1, 500.0, 10.0);
  add_street(walk, 1, 2, 500.0, 10.0, kModeWalk);
  walk.finalize();
  sim::City near;
  add_building(near, 0.0, 0.0, 25, 0, sim::BuildingUse::kResidential);
  add_building(near, 1000.0, 0.0, 0, 10, sim::BuildingUse::kOffice);
  const SyntheticDemand w = synthesize_demand(near, walk, link_graph_of(walk), commuters_only(), 1);
  EXPECT_EQ(w.n_unroutable, 0);
  ASSERT_EQ(w.size(), 50);
  // cars and bikes snap to node 1 (the last node they may use), pedestrians reach node 2
  for (std::size_t i = 0; i < 50; i += 2) {
    EXPECT_EQ(w.destination_node_idx[i], w.choice[i] == kChoiceWalk ? 2 : 1);
  }
}

// a one-way triangle 0 -> 1 -> 2 -> 0: the way back is not the way out reversed, so it comes
// from a backward tree
TEST(SyntheticDemand, OneWayStreetsRouteTheWayBackOnItsOwn) {
  StreetNetwork net;
  net.add_node(1, 0.0, 0.0, 0.0, false);
  net.add_node(2, 1000.0, 0.0, 0.0, false);
  net.add_node(3, 500.0, 800.0, 0.0, false);
  const std::array<std::array<std::int32_t, 2>, 3> ends{{{0, 1}, {1, 2}, {2, 0}}};
  const std::array<double, 3> length_m{1000.0, 950.0, 950.0};
  for (std::size_t k = 0; k < 3; ++k) {
    StreetNetwork::LinkSpec spec;
    spec.link_id = static_cast<std::int64_t>(k) + 1;
    spec.from_node_idx = ends[k][0];
    spec.to_node_idx = ends[k][1];
    spec.length_m = length_m[k];
    spec.free_speed_mps = 10.0;
    spec.flow_capacity_veh_per_h = 1800.0;
    spec.modes = kModeCar;
    net.add_link(spec);
  }
  net.finalize();
  sim::City city;
  add_building(city, 0.0, 0.0, 12, 0, sim::BuildingUse::kResidential);
  add_building(city, 1000.0, 0.0, 0, 5, sim::BuildingUse::kOffice);
  SyntheticDemandConfig c = commuters_only();
  c.car_available_frac = 1.0;
  const SyntheticDemand d = synthesize_demand(city, net, link_graph_of(net), c, 4);
  ASSERT_EQ(d.size(), 24);
  EXPECT_EQ(d.n_unroutable, 0);
  for (std::size_t i = 0; i < 24; i += 2) {
    EXPECT_EQ(d.choice[i], kChoiceCar);
    // out: link 0 (100 s); back: links 1 and 2 (190 s); plus 120 s at the car each way
    EXPECT_NEAR(d.travel_time_s[i], 100.0 + 120.0, 1e-9);
    EXPECT_NEAR(d.travel_time_s[i + 1], 190.0 + 120.0, 1e-9);
    const auto b = static_cast<std::size_t>(d.trips.route_begin[i]);
    ASSERT_EQ(d.trips.route_begin[i + 1] - d.trips.route_begin[i], 1);
    ASSERT_EQ(d.trips.route_begin[i + 2] - d.trips.route_begin[i + 1], 2);
    EXPECT_EQ(d.trips.route_link_idx[b], 0);
    EXPECT_EQ(d.trips.route_link_idx[b + 1], 1);
    EXPECT_EQ(d.trips.route_link_idx[b + 2], 2);
  }
}

TEST(SyntheticDemand, ConfigReaderReadsKeysAndRejectsUnknownOnes) {
  sim::ConfigNode t = sim::ConfigNode::table({"s.toml", 1, 1});
  t.insert("employed_frac", sim::ConfigNode::floating(0.6, {"s.toml", 2, 17}));
  t.insert("bike_share", sim::ConfigNode::boolean(true, {"s.toml", 3, 14}));
  t.insert("beta_cost_per_euro", sim::ConfigNode::floating(-0.2, {"s.toml", 4, 22}));
  t.insert("walk_speed_mps", sim::ConfigNode::floating(-1.0, {"s.toml", 5, 18}));
  sim::Diagnostics diag;
  sim::ConfigReader r(&t, "models.mobility.synthetic", diag);
  const SyntheticDemandConfig c = read_synthetic_demand_config(r);
  r.finish();
  EXPECT_DOUBLE_EQ(c.employed_frac, 0.6);
  EXPECT_TRUE(c.bike_share);
  EXPECT_DOUBLE_EQ(c.walk_speed_mps, 1.4);  // bad value keeps the default
  ASSERT_EQ(diag.errors().size(), 2u);
  EXPECT_EQ(diag.errors()[0].format(),
            "s.toml:5:18: error: models.mobility.synthetic.walk_speed_mps must be > 0 (got -1)");
  EXPECT_EQ(diag.errors()[1].format(),
            "s.toml:4:22: error: unknown key 'models.mobility.synthetic.beta_cost_per_euro' "
            "(did you mean 'beta_cost_per_eur'?)");
}

}  // namespace
}  // namespace citytwin::mobility
