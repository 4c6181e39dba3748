#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <citytwin/mobility/readers/osm.hpp>

// GCC 12 reports a false -Wstringop-overread inside libosmium's area builder after inlining
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overread"
#include <osmium/area/assembler.hpp>
#include <osmium/area/multipolygon_manager.hpp>
#include <osmium/handler.hpp>
#include <osmium/handler/node_locations_for_ways.hpp>
#include <osmium/index/map/flex_mem.hpp>
#include <osmium/io/any_input.hpp>
#include <osmium/io/detail/xml_input_format.hpp>
#include <osmium/tags/tags_filter.hpp>
#include <osmium/visitor.hpp>
#pragma GCC diagnostic pop
#include <proj.h>

#include <citytwin/sim/error.hpp>

namespace citytwin::mobility {

namespace {

constexpr double kKmhToMps = 1.0 / 3.6;
constexpr double kMphToKmh = 1.609344;
constexpr double kKnotToKmh = 1.852;
constexpr double kWalkingPaceKmh = 7.0;  // "walk", living streets in DE/AT/CH/NL
constexpr double kNoLimitKmh = 130.0;    // "none": the German advisory speed
constexpr double kFootM = 0.3048;
constexpr double kPi = 3.14159265358979323846;
// link_id = way_id * 4096 + segment * 2 + backward (docs/models/mobility.md#link-ids)
constexpr std::int64_t kSegmentsPerWay = 2048;

// --- small text helpers ----------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// leading decimal number of s; the rest (trimmed) goes to `rest`; false when s has no number
bool leading_number(std::string_view s, double& value, std::string_view& rest) {
  s = trim(s);
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc{} || !std::isfinite(value)) return false;
  rest = trim(std::string_view(ptr, static_cast<std::size_t>(end - ptr)));
  return true;
}

// whole of s is one number
bool parse_number(std::string_view s, double& value) {
  std::string_view rest;
  return leading_number(s, value, rest) && rest.empty();
}

std::string_view tag(const osmium::TagList& tags, const char* key) {
  const char* v = tags.get_value_by_key(key);
  return v == nullptr ? std::string_view{} : std::string_view{v};
}

bool one_of(std::string_view v, std::initializer_list<std::string_view> values) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// --- maxspeed ------------------------------------------------------------------------------

struct CountrySpeeds {
  std::string_view code;
  double urban_kmh, rural_kmh, motorway_kmh;
};
// national default limits for "XX:urban", "XX:rural", "XX:motorway"
constexpr std::array<CountrySpeeds, 12> kCountrySpeeds{{
    {"AT", 50.0, 100.0, 130.0},
    {"CH", 50.0, 80.0, 120.0},
    {"CZ", 50.0, 90.0, 130.0},
    {"DE", 50.0, 100.0, kNoLimitKmh},
    {"DK", 50.0, 80.0, 130.0},
    {"ES", 50.0, 90.0, 120.0},
    {"FI", 50.0, 80.0, 120.0},
    {"FR", 50.0, 80.0, 130.0},
    {"GB", 30.0 * kMphToKmh, 60.0 * kMphToKmh, 70.0 * kMphToKmh},
    {"IT", 50.0, 90.0, 130.0},
    {"PL", 50.0, 90.0, 140.0},
    {"RU", 60.0, 90.0, 110.0},
}};
// countries not in the table: the common European values
constexpr CountrySpeeds kGenericSpeeds{"", 50.0, 90.0, 120.0};

// "XX:kind" zone values in km/h, or negative
double country_speed_kmh(std::string_view country, std::string_view kind) {
  CountrySpeeds speeds = kGenericSpeeds;
  for (const CountrySpeeds& c : kCountrySpeeds) {
    if (c.code == country) speeds = c;
  }
  if (kind == "urban") return speeds.urban_kmh;
  if (kind == "rural" || kind == "trunk") return speeds.rural_kmh;
  if (kind == "motorway") return speeds.motorway_kmh;
  if (kind == "living_street" || kind == "walk") return kWalkingPaceKmh;
  if (kind == "bicycle_road") return 30.0;
  // zone30, zone:30, zone 30
  std::string_view digits = kind;
  for (const std::string_view prefix : {"zone:", "zone ", "zone"}) {
    if (digits.substr(0, prefix.size()) == prefix) {
      digits.remove_prefix(prefix.size());
      break;
    }
  }
  double v = 0.0;
  return parse_number(digits, v) && v > 0.0 ? v : -1.0;
}

}  // namespace

double parse_osm_maxspeed_mps(const std::string& text) {
  const std::string_view s = trim(text);
  if (s == "none") return kNoLimitKmh * kKmhToMps;
  if (s == "walk") return kWalkingPaceKmh * kKmhToMps;

  // number with an optional unit
  double v = 0.0;
  std::string_view unit;
  if (leading_number(s, v, unit)) {
    if (v <= 0.0) return -1.0;
    if (unit.empty() || unit == "km/h" || unit == "kmh" || unit == "kph") return v * kKmhToMps;
    if (unit == "mph") return v * kMphToKmh * kKmhToMps;
    if (unit == "knots") return v * kKnotToKmh * kKmhToMps;
    return -1.0;
  }

  // country:kind
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0) return -1.0;
  const double kmh = country_speed_kmh(s.substr(0, colon), s.substr(colon + 1));
  return kmh > 0.0 ? kmh * kKmhToMps : -1.0;
}

namespace {

// --- highway tags ----------------------------------------------------------------------------

// one routable way as read: attributes per direction, nodes with their positions
struct RawWay {
  std::int64_t way_id = 0;
  HighwayClass highway_class = HighwayClass::kOther;
  std::uint8_t modes_forward = 0;
  std::uint8_t modes_backward = 0;
  std::int32_t lanes_forward = 1;
  std::int32_t lanes_backward = 1;
  double speed_forward_mps = 0.0;
  double speed_backward_mps = 0.0;
  std::string name;
  std::vector<std::int64_t> node_ids;
  std::vector<double> lon_deg, lat_deg;
  std::vector<std::uint8_t> present;  // 1 if the node is in the file
};

// access values that open (1), close (0) or leave unchanged (-1) a mode
int access_value(std::string_view v) {
  if (v.empty()) return -1;
  if (one_of(v, {"yes", "designated", "permissive", "destination", "customers", "official",
                 "permit"})) {
    return 1;
  }
  if (one_of(v, {"no", "private", "agricultural", "forestry", "delivery", "emergency", "military",
                 "use_sidepath", "dismount"})) {
    return 0;
  }
  return -1;
}

void apply_access(std::string_view v, std::uint8_t bits, std::uint8_t& modes) {
  const int a = access_value(v);
  if (a == 1) modes = static_cast<std::uint8_t>(modes | bits);
  if (a == 0) modes = static_cast<std::uint8_t>(modes & ~bits);
}

// positive integer tag, or 0
std::int32_t lanes_value(std::string_view v) {
  double x = 0.0;
  if (!parse_number(v, x) || x < 1.0 || x > 20.0) return 0;
  return static_cast<std::int32_t>(std::lround(x));
}

// modes, oneway, lanes and speeds of a highway way (docs/models/mobility.md#tag-mapping)
void parse_highway_tags(const osmium::TagList& tags, std::string_view highway, RawWay& w,
                        std::int64_t& n_maxspeed_unparsed) {
  const HighwayClass c = highway_class_from_name(highway);
  const HighwayClassDefaults d = highway_class_defaults(c);
  w.highway_class = c;
  w.name = std::string(tag(tags, "name"));

  // modes: class defaults, cycleway lanes, then access tags from general to specific
  std::uint8_t modes = d.modes;
  for (const char* key : {"cycleway", "cycleway:both", "cycleway:left", "cycleway:right"}) {
    const std::string_view v = tag(tags, key);
    if (!v.empty() && !one_of(v, {"no", "none", "separate"})) {
      modes = static_cast<std::uint8_t>(modes | kModeBike);
    }
  }
  // general tags only close (access=yes must not open a footway to cars), mode tags also open
  if (access_value(tag(tags, "access")) == 0) modes = 0;
  if (access_value(tag(tags, "vehicle")) == 0) modes = static_cast<std::uint8_t>(modes & kModeWalk);
  apply_access(tag(tags, "motor_vehicle"), kModeCar, modes);
  apply_access(tag(tags, "motorcar"), kModeCar, modes);
  apply_access(tag(tags, "bicycle"), kModeBike, modes);
  apply_access(tag(tags, "foot"), kModeWalk, modes);

  // oneway: +1 along the way, -1 against it, 0 both
  int oneway = 0;
  const std::string_view ow = tag(tags, "oneway");
  const std::string_view junction = tag(tags, "junction");
  if (one_of(ow, {"yes", "true", "1"})) {
    oneway = 1;
  } else if (one_of(ow, {"-1", "reverse"})) {
    oneway = -1;
  } else if (ow.empty() && (one_of(junction, {"roundabout", "circular"}) || highway == "motorway" ||
                            highway == "motorway_link")) {
    oneway = 1;
  }

  // bicycles against a oneway: contraflow lanes or an explicit exception
  bool contraflow = tag(tags, "oneway:bicycle") == "no";
  for (const char* key : {"cycleway", "cycleway:both", "cycleway:left", "cycleway:right"}) {
    if (tag(tags, key).substr(0, 8) == "opposite") contraflow = true;
  }
  for (const char* key :
       {"cycleway:left:oneway", "cycleway:right:oneway", "cycleway:both:oneway"}) {
    if (one_of(tag(tags, key), {"-1", "no"})) contraflow = true;
  }
  const auto contra_modes =
      static_cast<std::uint8_t>((modes & kModeWalk) | (contraflow ? (modes & kModeBike) : 0));
  w.modes_forward = oneway >= 0 ? modes : contra_modes;
  w.modes_backward = oneway <= 0 ? modes : contra_modes;

  // lanes: total split evenly, or per direction
  const std::int32_t total = lanes_value(tag(tags, "lanes"));
  const std::int32_t fwd = lanes_value(tag(tags, "lanes:forward"));
  const std::int32_t bwd = lanes_value(tag(tags, "lanes:backward"));
  if (oneway != 0) {
    const std::int32_t main = total > 0 ? total : d.lanes_per_direction;
    w.lanes_forward = oneway > 0 ? main : 1;
    w.lanes_backward = oneway < 0 ? main : 1;
  } else {
    const std::int32_t half = total > 0 ? std::max(1, total / 2) : d.lanes_per_direction;
    w.lanes_forward = fwd > 0 ? fwd : half;
    w.lanes_backward = bwd > 0 ? bwd : half;
  }

  // car speeds: directional limit, general limit, class default
  const auto speed_of = [&](const char* key, double fallback_mps) {
    const std::string_view v = tag(tags, key);
    if (v.empty()) return fallback_mps;
    const double mps = parse_osm_maxspeed_mps(std::string(v));
    if (mps > 0.0) return mps;
    ++n_maxspeed_unparsed;
    return fallback_mps;
  };
  const double general_mps = speed_of("maxspeed", d.speed_mps);
  w.speed_forward_mps = speed_of("maxspeed:forward", general_mps);
  w.speed_backward_mps = speed_of("maxspeed:backward", general_mps);
}

// --- buildings -------------------------------------------------------------------------------

// a building polygon in lon/lat with its attributes
struct RawBuilding {
  std::int64_t building_id = 0;
  double height_m = 0.0;
  double eaves_height_m = 0.0;
  std::int32_t n_floors = 0;
  double roof_pitch_deg = -1.0;  // negative: derive from the roof height
  sim::BuildingUse use = sim::BuildingUse::kOther;
  sim::RoofShape roof_shape = sim::RoofShape::kFlat;
  std::vector<std::vector<std::pair<double, double>>> rings;  // outer first, lon/lat, closed
};

sim::BuildingUse building_use(std::string_view v) {
  if (one_of(v, {"residential", "apartments", "house", "detached", "semidetached_house", "terrace",
                 "dormitory", "bungalow", "cabin", "farm"})) {
    return sim::BuildingUse::kResidential;
  }
  if (one_of(v, {"commercial", "retail", "supermarket", "kiosk", "hotel", "shop"})) {
    return sim::BuildingUse::kCommercial;
  }
  if (v == "office") return sim::BuildingUse::kOffice;
  if (one_of(v, {"industrial", "warehouse", "manufacture", "factory"})) {
    return sim::BuildingUse::kIndustrial;
  }
  if (one_of(v, {"school", "university", "college", "kindergarten"})) {
    return sim::BuildingUse::kSchool;
  }
  if (one_of(v, {"public", "civic", "government", "hospital", "church", "cathedral", "chapel",
                 "train_station", "transportation", "sports_hall", "stadium", "museum",
                 "fire_station", "townhall"})) {
    return sim::BuildingUse::kPublic;
  }
  if (v == "mixed_use") return sim::BuildingUse::kMixed;
  return sim::BuildingUse::kOther;
}

sim::RoofShape roof_shape(std::string_view v) {
  if (v.empty() || v == "flat") return sim::RoofShape::kFlat;
  if (v == "gabled") return sim::RoofShape::kGabled;
  if (v == "hipped") return sim::RoofShape::kHipped;
  if (v == "skillion") return sim::RoofShape::kShed;
  return sim::RoofShape::kOther;
}

// [m] a length tag: "12", "12.5 m", "40 ft", "40'"; negative when unreadable
double length_tag_m(std::string_view v) {
  double x = 0.0;
  std::string_view unit;
  if (v.empty() || !leading_number(v, x, unit) || x < 0.0) return -1.0;
  if (unit.empty() || unit == "m") return x;
  if (unit == "ft" || unit == "'") return x * kFootM;
  return -1.0;
}

// height, levels, roof and use of a building; false when it has neither height nor levels
bool parse_building_tags(const osmium::TagList& tags, const OsmReadOptions& options,
                         RawBuilding& b) {
  const double height_m = length_tag_m(tag(tags, "height"));
  double levels = -1.0;
  if (!parse_number(tag(tags, "building:levels"), levels) || levels < 0.0) levels = -1.0;
  if (height_m < 0.0 && levels < 0.0) return false;

  // roof: its own height, or roof levels
  double roof_m = length_tag_m(tag(tags, "roof:height"));
  double roof_levels = 0.0;
  if (roof_m < 0.0) {
    roof_m = parse_number(tag(tags, "roof:levels"), roof_levels) && roof_levels > 0.0
                 ? roof_levels * options.storey_height_m
                 : 0.0;
  }

  // height is the total; levels stack storeys under the roof
  if (height_m >= 0.0) {
    b.height_m = height_m;
    b.eaves_height_m = std::max(0.0, height_m - roof_m);
  } else {
    b.eaves_height_m = levels * options.storey_height_m;
    b.height_m = b.eaves_height_m + roof_m;
  }
  b.n_floors = levels >= 0.0
                   ? static_cast<std::int32_t>(std::lround(levels))
                   : std::max<std::int32_t>(1, static_cast<std::int32_t>(std::lround(
                                                   b.eaves_height_m / options.storey_height_m)));
  b.use = building_use(tag(tags, "building"));
  b.roof_shape = roof_shape(tag(tags, "roof:shape"));
  double angle_deg = 0.0;
  if (b.roof_shape == sim::RoofShape::kFlat) {
    b.roof_pitch_deg = 0.0;
  } else if (parse_number(tag(tags, "roof:angle"), angle_deg) && angle_deg >= 0.0 &&
             angle_deg < 90.0) {
    b.roof_pitch_deg = angle_deg;
  }
  return true;
}

// --- turn restrictions -----------------------------------------------------------------------

struct RawRestriction {
  std::int64_t relation_id = 0;
  TurnRestrictionKind kind = TurnRestrictionKind::kNoLeftTurn;
  bool kind_known = false;
  bool via_way = false;
  std::int64_t via_node_id = 0;
  std::vector<std::int64_t> from_way_ids, to_way_ids;
};

// --- the reading handler ---------------------------------------------------------------------

class OsmHandler : public osmium::handler::Handler {
 public:
  explicit OsmHandler(const OsmReadOptions& options, OsmData& data)
      : options_(options), data_(data) {}

  void node(const osmium::Node& node) {
    ++data_.stats.n_nodes_read;
    const osmium::Location loc = node.location();
    if (loc.valid()) {
      min_lon_ = std::min(min_lon_, loc.lon());
      max_lon_ = std::max(max_lon_, loc.lon());
      min_lat_ = std::min(min_lat_, loc.lat());
      max_lat_ = std::max(max_lat_, loc.lat());
    }
    const osmium::TagList& tags = node.tags();
    if (tag(tags, "highway") == "traffic_signals") signal_node_ids.push_back(node.id());
    if (tag(tags, "amenity") == "bicycle_rental" && loc.valid()) {
      BicycleRentals& r = data_.bicycle_rentals;
      r.osm_node_id.push_back(node.id());
      r.ref.emplace_back(tag(tags, "ref"));
      r.name.emplace_back(tag(tags, "name"));
      double capacity = 0.0;
      r.capacity.push_back(parse_number(tag(tags, "capacity"), capacity) && capacity >= 0.0
                               ? static_cast<std::int32_t>(std::lround(capacity))
                               : -1);
      r.lon_deg.push_back(loc.lon());
      r.lat_deg.push_back(loc.lat());
    }
  }

  void way(const osmium::Way& way) {
    ++data_.stats.n_ways_read;
    const osmium::WayNodeList& nodes = way.nodes();
    for (const osmium::NodeRef& nr : nodes) {
      if (!nr.location().valid()) ++data_.stats.n_missing_node_refs;
    }
    const osmium::TagList& tags = way.tags();
    if (!tag(tags, "building").empty() && nodes.size() >= 4 &&
        nodes.front().ref() == nodes.back().ref()) {
      ++data_.stats.n_building_candidates;
    }

    // routable highways only
    const std::string_view highway = tag(tags, "highway");
    if (!is_routable(highway) || tag(tags, "area") == "yes") return;
    RawWay w;
    w.way_id = way.id();
    parse_highway_tags(tags, highway, w, data_.stats.n_maxspeed_unparsed);
    w.node_ids.reserve(nodes.size());
    for (const osmium::NodeRef& nr : nodes) {
      w.node_ids.push_back(nr.ref());
      const bool ok = nr.location().valid();
      w.present.push_back(ok ? 1 : 0);
      w.lon_deg.push_back(ok ? nr.location().lon() : 0.0);
      w.lat_deg.push_back(ok ? nr.location().lat() : 0.0);
    }
    ways.push_back(std::move(w));
  }

  void relation(const osmium::Relation& /*relation*/) { ++data_.stats.n_relations_read; }

  // a building polygon assembled by libosmium (closed way or multipolygon relation)
  void area(const osmium::Area& area) {
    ++n_areas_assembled;
    RawBuilding b;
    b.building_id = area.id();  // 2 × way id, 2 × relation id + 1
    if (!parse_building_tags(area.tags(), options_, b)) {
      ++data_.stats.n_buildings_without_height;
      if (options_.buildings_require_height) return;
      b.n_floors = 1;
      b.height_m = b.eaves_height_m = options_.storey_height_m;
      b.use = building_use(tag(area.tags(), "building"));
    }

    // the largest outer ring (shoelace area in degrees², enough to rank rings) and its holes
    const auto ring_lonlat = [](const auto& ring) {
      std::vector<std::pair<double, double>> out;
      for (const osmium::NodeRef& nr : ring)
        out.emplace_back(nr.location().lon(), nr.location().lat());
      return out;
    };
    const osmium::OuterRing* best = nullptr;
    double best_area = -1.0;
    std::int64_t n_outer = 0;
    for (const osmium::OuterRing& outer : area.outer_rings()) {
      ++n_outer;
      const std::vector<std::pair<double, double>> pts = ring_lonlat(outer);
      double a2 = 0.0;
      for (std::size_t i = 0; i + 1 < pts.size(); ++i) {
        a2 += pts[i].first * pts[i + 1].second - pts[i + 1].first * pts[i].second;
      }
      if (std::abs(a2) > best_area) {
        best_area = std::abs(a2);
        best = &outer;
      }
    }
    if (best == nullptr) return;
    data_.stats.n_building_outers_dropped += n_outer - 1;
    b.rings.push_back(ring_lonlat(*best));
    for (const osmium::InnerRing& inner : area.inner_rings(*best))
      b.rings.push_back(ring_lonlat(inner));
    buildings.push_back(std::move(b));
  }

  [[nodiscard]] bool has_bounds() const { return min_lon_ <= max_lon_; }
  [[nodiscard]] double centre_lon() const {
    return has_bounds() ? 0.5 * (min_lon_ + max_lon_) : 0.0;
  }
  [[nodiscard]] double centre_lat() const {
    return has_bounds() ? 0.5 * (min_lat_ + max_lat_) : 0.0;
  }

  std::vector<RawWay> ways;
  std::vector<RawBuilding> buildings;
  std::vector<std::int64_t> signal_node_ids;
  std::int64_t n_areas_assembled = 0;

 private:
  static bool is_routable(std::string_view highway) {
    return highway == "road" ||
           (!highway.empty() && highway_class_from_name(highway) != HighwayClass::kOther);
  }

  const OsmReadOptions& options_;
  OsmData& data_;
  double min_lon_ = 1e9, max_lon_ = -1e9, min_lat_ = 1e9, max_lat_ = -1e9;
};

// --- projection --------------------------------------------------------------------------------

// shortest round-trip text of a double, locale independent
std::string number_text(double v) {
  std::array<char, 64> buf{};
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), ptr);
}

// lon/lat (deg) → local transverse Mercator metres, through PROJ
class Projection {
 public:
  Projection(double lat0_deg, double lon0_deg)
      : crs("+proj=tmerc +lat_0=" + number_text(lat0_deg) + " +lon_0=" + number_text(lon0_deg) +
            " +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs +type=crs") {
    ctx_ = proj_context_create();
    const std::string pipeline =
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=tmerc +lat_0=" +
        number_text(lat0_deg) + " +lon_0=" + number_text(lon0_deg) +
        " +k=1 +x_0=0 +y_0=0 +ellps=WGS84";
    pj_ = proj_create(ctx_, pipeline.c_str());
    CITYTWIN_CHECK(pj_ != nullptr, "PROJ cannot create the projection " + pipeline);
  }
  ~Projection() {
    if (pj_ != nullptr) proj_destroy(pj_);
    proj_context_destroy(ctx_);
  }
  Projection(const Projection&) = delete;
  Projection& operator=(const Projection&) = delete;
  Projection(Projection&&) = delete;
  Projection& operator=(Projection&&) = delete;

  [[nodiscard]] std::pair<double, double> forward(double lon_deg, double lat_deg) const {
    const PJ_COORD out = proj_trans(pj_, PJ_FWD, proj_coord(lon_deg, lat_deg, 0.0, 0.0));
    return {out.xy.x, out.xy.y};
  }

  const std::string crs;

 private:
  PJ_CONTEXT* ctx_ = nullptr;
  PJ* pj_ = nullptr;
};

// --- network assembly ------------------------------------------------------------------------

// longest run of present nodes without repeated consecutive ids; false when shorter than 2
bool clip_way(RawWay& w, bool& clipped) {
  std::size_t best_begin = 0, best_len = 0, run_begin = 0;
  for (std::size_t i = 0; i <= w.node_ids.size(); ++i) {
    if (i == w.node_ids.size() || w.present[i] == 0) {
      if (i - run_begin > best_len) {
        best_begin = run_begin;
        best_len = i - run_begin;
      }
      run_begin = i + 1;
    }
  }
  clipped = best_len < w.node_ids.size();
  RawWay out;
  for (std::size_t i = best_begin; i < best_begin + best_len; ++i) {
    if (!out.node_ids.empty() && out.node_ids.back() == w.node_ids[i]) continue;
    out.node_ids.push_back(w.node_ids[i]);
    out.lon_deg.push_back(w.lon_deg[i]);
    out.lat_deg.push_back(w.lat_deg[i]);
  }
  w.node_ids = std::move(out.node_ids);
  w.lon_deg = std::move(out.lon_deg);
  w.lat_deg = std::move(out.lat_deg);
  w.present.assign(w.node_ids.size(), 1);
  return w.node_ids.size() >= 2;
}

struct WayLinks {
  std::int32_t begin = 0, end = 0;  // links of the way: [begin, end)
};

void build_network(OsmHandler& h, const Projection& proj, const std::string& file, OsmData& data,
                   const std::vector<RawRestriction>& restrictions) {
  OsmImportStats& stats = data.stats;
  std::vector<RawWay>& ways = h.ways;
  std::sort(ways.begin(), ways.end(),
            [](const RawWay& a, const RawWay& b) { return a.way_id < b.way_id; });
  std::sort(h.signal_node_ids.begin(), h.signal_node_ids.end());

  // clip at the extract border, drop ways without a usable run or mode
  std::vector<RawWay> kept;
  kept.reserve(ways.size());
  for (RawWay& w : ways) {
    bool clipped = false;
    if ((w.modes_forward | w.modes_backward) == 0) {
      ++stats.n_ways_no_mode;
      continue;
    }
    if (!clip_way(w, clipped)) {
      ++stats.n_ways_dropped;
      continue;
    }
    if (clipped) ++stats.n_ways_clipped;
    kept.push_back(std::move(w));
  }
  stats.n_routable_ways = static_cast<std::int64_t>(kept.size());

  // network nodes: way ends, nodes used twice or more, traffic signals
  std::unordered_map<std::int64_t, std::int32_t> uses;
  for (const RawWay& w : kept) {
    for (const std::int64_t id : w.node_ids) ++uses[id];
    uses[w.node_ids.front()] += 2;
    uses[w.node_ids.back()] += 2;
  }
  const auto is_signal = [&](std::int64_t id) {
    return std::binary_search(h.signal_node_ids.begin(), h.signal_node_ids.end(), id);
  };
  const auto is_network_node = [&](std::int64_t id) { return uses.at(id) >= 2 || is_signal(id); };

  // nodes in increasing OSM id
  std::vector<std::pair<std::int64_t, std::pair<double, double>>> node_pos;
  for (const RawWay& w : kept) {
    for (std::size_t i = 0; i < w.node_ids.size(); ++i) {
      if (is_network_node(w.node_ids[i])) {
        node_pos.push_back({w.node_ids[i], {w.lon_deg[i], w.lat_deg[i]}});
      }
    }
  }
  std::sort(node_pos.begin(), node_pos.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  node_pos.erase(std::unique(node_pos.begin(), node_pos.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }),
                 node_pos.end());
  StreetNetwork& net = data.network;
  std::unordered_map<std::int64_t, std::int32_t> node_index;
  node_index.reserve(node_pos.size());
  for (const auto& [id, lonlat] : node_pos) {
    const auto [x_m, y_m] = proj.forward(lonlat.first, lonlat.second);
    const bool signal = is_signal(id);
    if (signal) ++stats.n_signal_nodes;
    node_index.emplace(id, net.add_node(id, x_m, y_m, 0.0, signal));
  }

  // links: each way split at network nodes, forward then backward per segment
  std::unordered_map<std::int64_t, WayLinks> way_links;
  for (const RawWay& w : kept) {
    WayLinks range{static_cast<std::int32_t>(net.n_links()), 0};
    std::int64_t segment = 0;
    double length_m = 0.0;
    std::size_t start = 0;
    auto [px, py] = proj.forward(w.lon_deg[0], w.lat_deg[0]);
    for (std::size_t i = 1; i < w.node_ids.size(); ++i) {
      const auto [x, y] = proj.forward(w.lon_deg[i], w.lat_deg[i]);
      length_m += std::hypot(x - px, y - py);
      px = x;
      py = y;
      if (!is_network_node(w.node_ids[i])) continue;
      if (segment >= kSegmentsPerWay) {
        throw InputError(InputIssue{file, 0, 0, "way " + std::to_string(w.way_id),
                                    "way " + std::to_string(w.way_id) + " has more than " +
                                        std::to_string(kSegmentsPerWay) +
                                        " segments between junctions; split the way"});
      }
      const std::int32_t a = node_index.at(w.node_ids[start]);
      const std::int32_t b = node_index.at(w.node_ids[i]);
      const auto add = [&](bool backward) {
        const std::uint8_t modes = backward ? w.modes_backward : w.modes_forward;
        if (modes == 0) return;
        const HighwayClassDefaults d = highway_class_defaults(w.highway_class);
        const bool car = (modes & kModeCar) != 0;
        StreetNetwork::LinkSpec spec;
        spec.link_id = w.way_id * 2 * kSegmentsPerWay + segment * 2 + (backward ? 1 : 0);
        spec.external_id =
            std::to_string(w.way_id) + ":" + std::to_string(segment) + (backward ? ":b" : ":f");
        spec.from_node_idx = backward ? b : a;
        spec.to_node_idx = backward ? a : b;
        spec.length_m = length_m;
        spec.lanes = car ? (backward ? w.lanes_backward : w.lanes_forward) : 1;
        spec.free_speed_mps = car ? (backward ? w.speed_backward_mps : w.speed_forward_mps)
                              : (modes & kModeBike) != 0 ? kBikeFreeSpeedMps
                                                         : kWalkFreeSpeedMps;
        spec.flow_capacity_veh_per_h =
            spec.lanes * (car ? d.capacity_veh_per_h_per_lane : kBikeCapacityVehPerHPerLane);
        spec.modes = modes;
        spec.highway_class = w.highway_class;
        spec.name = w.name;
        net.add_link(std::move(spec));
      };
      add(false);
      add(true);
      ++segment;
      length_m = 0.0;
      start = i;
    }
    range.end = static_cast<std::int32_t>(net.n_links());
    way_links.emplace(w.way_id, range);
  }

  // turn restrictions: the car link of the from-way into the via node, of the to-way out of it
  const auto find_link = [&](std::int64_t way_id, std::int32_t via, bool into) {
    const auto it = way_links.find(way_id);
    if (it == way_links.end()) return -1;
    std::int32_t found = -1;
    for (std::int32_t l = it->second.begin; l < it->second.end; ++l) {
      const auto i = static_cast<std::size_t>(l);
      const std::int32_t node = into ? net.to_node_idx[i] : net.from_node_idx[i];
      if (node != via || (net.modes[i] & kModeCar) == 0) continue;
      if (found != -1) return -2;  // ambiguous: via in the middle of a two-way way
      found = l;
    }
    return found;
  };
  for (const RawRestriction& r : restrictions) {
    if (r.via_way) {
      ++stats.n_restrictions_via_way;
      continue;
    }
    const auto via_it = node_index.find(r.via_node_id);
    bool added = false;
    if (r.kind_known && via_it != node_index.end()) {
      for (const std::int64_t from_way : r.from_way_ids) {
        for (const std::int64_t to_way : r.to_way_ids) {
          const std::int32_t from = find_link(from_way, via_it->second, true);
          const std::int32_t to = find_link(to_way, via_it->second, false);
          if (from < 0 || to < 0) continue;
          net.restriction_from_link_idx.push_back(from);
          net.restriction_via_node_idx.push_back(via_it->second);
          net.restriction_to_link_idx.push_back(to);
          net.restriction_kind.push_back(r.kind);
          added = true;
        }
      }
    }
    if (!added) ++stats.n_restrictions_skipped;
  }
  net.finalize();
}

// --- buildings to sim::Buildings --------------------------------------------------------------

// twice the signed area of a ring (counter-clockwise positive)
double signed_area2(const std::vector<double>& x, const std::vector<double>& y) {
  double a2 = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t j = (i + 1) % x.size();
    a2 += x[i] * y[j] - x[j] * y[i];
  }
  return a2;
}

void build_buildings(std::vector<RawBuilding>& raw, const Projection& proj, sim::Buildings& out) {
  std::sort(raw.begin(), raw.end(), [](const RawBuilding& a, const RawBuilding& b) {
    return a.building_id < b.building_id;
  });
  for (const RawBuilding& b : raw) {
    // rings projected, unclosed, outer counter-clockwise and holes clockwise
    std::vector<std::vector<double>> xs, ys;
    for (std::size_t r = 0; r < b.rings.size(); ++r) {
      std::vector<double> x, y;
      for (std::size_t i = 0; i + 1 < b.rings[r].size(); ++i) {
        const auto [px, py] = proj.forward(b.rings[r][i].first, b.rings[r][i].second);
        x.push_back(px);
        y.push_back(py);
      }
      if (x.size() < 3) {
        if (r == 0) break;
        continue;
      }
      if ((r == 0) != (signed_area2(x, y) > 0.0)) {
        std::reverse(x.begin(), x.end());
        std::reverse(y.begin(), y.end());
      }
      xs.push_back(std::move(x));
      ys.push_back(std::move(y));
    }
    if (xs.empty()) continue;

    // area and area-weighted centroid, relative to the first outer vertex
    const double ox = xs[0][0], oy = ys[0][0];
    double area2_total = 0.0, cx_sum = 0.0, cy_sum = 0.0;
    for (std::size_t r = 0; r < xs.size(); ++r) {
      const std::vector<double>& x = xs[r];
      const std::vector<double>& y = ys[r];
      for (std::size_t i = 0; i < x.size(); ++i) {
        const std::size_t j = (i + 1) % x.size();
        const double xi = x[i] - ox, yi = y[i] - oy, xj = x[j] - ox, yj = y[j] - oy;
        const double cross = xi * yj - xj * yi;
        area2_total += cross;
        cx_sum += (xi + xj) * cross;
        cy_sum += (yi + yj) * cross;
      }
    }
    if (area2_total <= 0.0) continue;
    for (std::size_t r = 0; r < xs.size(); ++r) {
      out.vertex_x_m.insert(out.vertex_x_m.end(), xs[r].begin(), xs[r].end());
      out.vertex_y_m.insert(out.vertex_y_m.end(), ys[r].begin(), ys[r].end());
      out.vertex_begin.push_back(static_cast<std::int64_t>(out.vertex_x_m.size()));
    }
    out.ring_begin.push_back(static_cast<std::int64_t>(out.vertex_begin.size() - 1));

    // attributes
    const double area_m2 = 0.5 * area2_total;
    out.building_id.push_back(b.building_id);
    out.height_m.push_back(b.height_m);
    out.eaves_height_m.push_back(b.eaves_height_m);
    out.ground_elevation_m.push_back(0.0);
    out.footprint_area_m2.push_back(area_m2);
    out.floor_area_m2.push_back(area_m2 * std::max(1, b.n_floors));
    out.n_floors.push_back(b.n_floors);
    out.residents.push_back(0);
    out.jobs.push_back(0);
    out.use.push_back(b.use);
    out.roof_shape.push_back(b.roof_shape);
    const double roof_m = b.height_m - b.eaves_height_m;
    out.roof_pitch_deg.push_back(b.roof_pitch_deg >= 0.0
                                     ? b.roof_pitch_deg
                                     : std::atan2(roof_m, 0.5 * std::sqrt(area_m2)) * 180.0 / kPi);
    out.centroid_x_m.push_back(ox + cx_sum / (3.0 * area2_total));
    out.centroid_y_m.push_back(oy + cy_sum / (3.0 * area2_total));
    out.block_idx.push_back(-1);
    out.zone_idx.push_back(-1);
  }
}

// pass 1: restrictions read here, building multipolygons handed to libosmium's manager
template <typename Manager>
std::vector<RawRestriction> read_relations(const osmium::io::File& file, Manager& mp_manager,
                                           OsmImportStats& stats) {
  std::vector<RawRestriction> out;
  osmium::io::Reader reader{file, osmium::osm_entity_bits::relation};
  while (osmium::memory::Buffer buffer = reader.read()) {
    for (const osmium::Relation& rel : buffer.select<osmium::Relation>()) {
      mp_manager.relation(rel);
      const osmium::TagList& tags = rel.tags();
      const std::string_view type = tag(tags, "type");
      if (type == "multipolygon" && !tag(tags, "building").empty()) ++stats.n_building_candidates;
      if (type != "restriction") continue;
      ++stats.n_restrictions_read;
      RawRestriction r;
      r.relation_id = rel.id();
      std::string_view kind = tag(tags, "restriction");
      if (kind.empty()) kind = tag(tags, "restriction:motorcar");
      r.kind_known = turn_restriction_kind_from_name(kind, r.kind);
      bool has_via = false;
      for (const osmium::RelationMember& m : rel.members()) {
        const std::string_view role = m.role();
        if (role == "from" && m.type() == osmium::item_type::way) r.from_way_ids.push_back(m.ref());
        if (role == "to" && m.type() == osmium::item_type::way) r.to_way_ids.push_back(m.ref());
        if (role == "via") {
          has_via = true;
          if (m.type() == osmium::item_type::node) r.via_node_id = m.ref();
          if (m.type() == osmium::item_type::way) r.via_way = true;
        }
      }
      if (!has_via) r.kind_known = false;
      out.push_back(std::move(r));
    }
  }
  reader.close();
  mp_manager.prepare_for_lookup();
  std::sort(out.begin(), out.end(), [](const RawRestriction& a, const RawRestriction& b) {
    return a.relation_id < b.relation_id;
  });
  return out;
}

OsmData read_osm_file(const std::filesystem::path& path, const OsmReadOptions& options) {
  OsmData data;
  const osmium::io::File file{path.string()};

  // pass 1: relations
  osmium::TagsFilter building_filter{false};
  building_filter.add_rule(true, "building");
  osmium::area::MultipolygonManager<osmium::area::Assembler> mp_manager{
      osmium::area::Assembler::config_type{}, building_filter};
  const std::vector<RawRestriction> restrictions = read_relations(file, mp_manager, data.stats);

  // pass 2: nodes with locations, ways, assembled building areas
  using Index = osmium::index::map::FlexMem<osmium::unsigned_object_id_type, osmium::Location>;
  Index index;
  osmium::handler::NodeLocationsForWays<Index> locations{index};
  locations.ignore_errors();
  OsmHandler handler{options, data};
  osmium::io::Reader reader{file};
  osmium::apply(reader, locations, handler,
                mp_manager.handler([&handler](osmium::memory::Buffer&& buffer) {
                  osmium::apply(buffer, handler);
                }));
  reader.close();
  data.stats.n_buildings_unassembled = data.stats.n_building_candidates - handler.n_areas_assembled;

  // projection centred on the node bounding box, rounded to OSM's 1e-7 degree
  data.origin_lat_deg = std::round(handler.centre_lat() * 1e7) / 1e7;
  data.origin_lon_deg = std::round(handler.centre_lon() * 1e7) / 1e7;
  const Projection proj{data.origin_lat_deg, data.origin_lon_deg};
  data.crs = proj.crs;

  // network, buildings, rental stations in metres
  build_network(handler, proj, path.string(), data, restrictions);
  build_buildings(handler.buildings, proj, data.buildings);
  BicycleRentals& r = data.bicycle_rentals;
  for (std::size_t i = 0; i < r.osm_node_id.size(); ++i) {
    const auto [x_m, y_m] = proj.forward(r.lon_deg[i], r.lat_deg[i]);
    r.x_m.push_back(x_m);
    r.y_m.push_back(y_m);
  }
  return data;
}

}  // namespace

OsmData read_osm(const std::filesystem::path& path, const OsmReadOptions& options) {
  const std::string file = path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw InputError(
        InputIssue{file, 0, 0, "", "cannot open the OpenStreetMap file; check the path"});
  }
  try {
    return read_osm_file(path, options);
  } catch (const InputError&) {
    throw;
  } catch (const osmium::xml_error& e) {
    throw InputError(
        InputIssue{file, static_cast<int>(e.line), static_cast<int>(e.column), "",
                   "cannot read the OpenStreetMap XML file: " + e.error_string +
                       "; check that it is OSM XML 0.6 (e.g. re-export it with 'osmium cat')"});
  } catch (const std::exception& e) {
    throw InputError(
        InputIssue{file, 0, 0, "",
                   std::string("cannot read the OpenStreetMap file: ") + e.what() +
                       "; check that it is OSM XML (.osm) or PBF (.osm.pbf), sorted by type and id "
                       "(e.g. 'osmium sort')"});
  }
}

}  // namespace citytwin::mobility
