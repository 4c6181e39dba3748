#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include <citytwin/energy/readers/network_csv.hpp>
#include <citytwin/sim/error.hpp>

#include "test_data.hpp"

namespace citytwin::energy {
namespace {

namespace fs = std::filesystem;

// a three-bus network folder written to a fresh temp directory; `files` overrides tables
fs::path write_network(const std::string& test_name, std::map<std::string, std::string> files) {
  const fs::path dir = fs::temp_directory_path() / ("citytwin_network_csv_" + test_name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::map<std::string, std::string> all = {
      {"network.json",
       R"({"sn_mva": 1.0, "f_hz": 50.0, "files": ["buses.csv", "lines.csv", "loads.csv", "ext_grid.csv"]})"},
      {"buses.csv",
       "bus,name,vn_kv,in_service\n0,src,10.0,True\n1,\"mid, north\",10.0,true\n2,end,10.0,1\n"},
      {"lines.csv",
       "line,from_bus,to_bus,length_km,r_ohm_per_km,x_ohm_per_km,c_nf_per_km,max_i_ka,std_type\n"
       "0,0,1,1.0,0.5,0.3,10.0,0.2,NAYY\n1,1,2,2.0,0.5,0.3,10.0,0.2,NAYY\n"},
      {"loads.csv", "load,bus,p_mw,q_mvar,const_z_percent,phase\n0,2,0.1,0.02,30,b\n"},
      {"ext_grid.csv", "ext_grid,bus,vm_pu,va_degree\n0,0,1.02,0.0\n"}};
  for (auto& [name, text] : files) all[name] = text;
  for (const auto& [name, text] : all) std::ofstream(dir / name, std::ios::binary) << text;
  return dir;
}

// the message of the InputError that reading `dir` throws ("" if none)
std::string read_error(const fs::path& dir) {
  try {
    (void)read_network_csv(dir);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_MESSAGE(message, pattern) \
  EXPECT_TRUE(std::regex_search(message, std::regex(pattern))) << "message: " << (message)

TEST(NetworkCsv, ReadsInlineNetworkWithDefaults) {
  const NetworkTables t = read_network_csv(write_network("inline", {}));
  ASSERT_EQ(t.buses.size(), 3u);
  EXPECT_EQ(t.buses.name[1], "mid, north");
  EXPECT_EQ(t.buses.in_service[2], 1);
  ASSERT_EQ(t.lines.size(), 2u);
  EXPECT_EQ(t.lines.from_bus_idx[1], 1);
  EXPECT_EQ(t.lines.to_bus_idx[1], 2);
  // b derived from c: 2π·50·10 nF·1e-3 µS/km; absent columns take their documented defaults
  EXPECT_NEAR(t.lines.b_us_per_km[0], 2.0 * std::numbers::pi * 50.0 * 10.0 * 1e-3, 1e-12);
  EXPECT_EQ(t.lines.n_parallel[0], 1);
  EXPECT_EQ(t.lines.df_frac[0], 1.0);
  EXPECT_EQ(t.lines.in_service[0], 1);
  EXPECT_EQ(t.loads.const_z_p_percent[0], 30.0);
  EXPECT_EQ(t.loads.const_z_q_percent[0], 30.0);
  EXPECT_EQ(t.loads.const_i_p_percent[0], 0.0);
  EXPECT_EQ(t.loads.phase[0], Phase::kB);
  EXPECT_EQ(t.ext_grids.vm_pu[0], 1.02);
  EXPECT_TRUE(t.trafos.trafo_id.empty());
}

TEST(NetworkCsv, ReadsCase33bw) {
  CITYTWIN_DATA_FILE(folder, "grid/case33bw/network");
  const NetworkTables t = read_network_csv(folder);
  EXPECT_EQ(t.sn_mva, 10.0);
  EXPECT_EQ(t.f_hz, 60.0);
  EXPECT_EQ(t.buses.size(), 33u);
  ASSERT_EQ(t.lines.size(), 37u);
  int n_open = 0;
  for (auto s : t.lines.in_service) n_open += s == 0 ? 1 : 0;
  EXPECT_EQ(n_open, 5);
  EXPECT_EQ(t.loads.size(), 32u);
  EXPECT_DOUBLE_EQ(t.loads.p_mw[0], 0.1);
  EXPECT_DOUBLE_EQ(t.lines.r_ohm_per_km[1], 0.493);
}

TEST(NetworkCsv, ReadsCigreLvTransformersAndSwitches) {
  CITYTWIN_DATA_FILE(folder, "grid/cigre_lv/network");
  const NetworkTables t = read_network_csv(folder);
  ASSERT_EQ(t.trafos.size(), 3u);
  EXPECT_EQ(t.trafos.shift_degree[0], 30.0);
  EXPECT_EQ(t.trafos.tap_side[0], TapSide::kNone);
  EXPECT_DOUBLE_EQ(t.trafos.vk_percent[1], 4.126896);
  ASSERT_EQ(t.switches.size(), 3u);
  EXPECT_EQ(t.switches.element_type[2], SwitchElement::kBus);
  EXPECT_EQ(t.switches.element_idx[2], 23);
  EXPECT_EQ(t.switches.closed[0], 1);
  EXPECT_EQ(t.buses.name[2], "Bus R1");
}

TEST(NetworkCsv, ReadsStorageAndSgens) {
  CITYTWIN_DATA_FILE(folder, "grid/ts_cigre_lv_pv_battery/network");
  const NetworkTables t = read_network_csv(folder);
  ASSERT_EQ(t.storages.size(), 1u);
  EXPECT_EQ(t.storages.bus_idx[0], 16);
  EXPECT_DOUBLE_EQ(t.storages.max_e_mwh[0], 0.06);
  EXPECT_EQ(t.sgens.size(), 13u);
}

TEST(NetworkCsv, MissingColumnNamesFileLineAndColumn) {
  const std::string message = read_error(
      write_network("missing_column", {{"lines.csv",
                                        "line,from_bus,to_bus,length_km,x_ohm_per_km,max_i_ka\n"
                                        "0,0,1,1.0,0.3,0.2\n"}}));
  EXPECT_MESSAGE(message,
                 "lines\\.csv:1: error: missing column 'r_ohm_per_km'.*add it to the header");
}

TEST(NetworkCsv, UnknownBusReferenceNamesTheCell) {
  const std::string message = read_error(write_network(
      "bad_bus", {{"lines.csv",
                   "line,from_bus,to_bus,length_km,r_ohm_per_km,x_ohm_per_km,max_i_ka\n"
                   "0,0,1,1.0,0.5,0.3,0.2\n1,99,2,1.0,0.5,0.3,0.2\n"}}));
  EXPECT_MESSAGE(message,
                 "lines\\.csv:3:3: error: column 'from_bus': bus 99 is not in buses\\.csv");
}

TEST(NetworkCsv, NonNumericValueAndEveryIssueReported) {
  const std::string message =
      read_error(write_network("non_numeric", {{"buses.csv", "bus,vn_kv\n0,10.0\n1,ten\n2,-1\n"}}));
  EXPECT_MESSAGE(message, "buses\\.csv:3:3: error: column 'vn_kv': 'ten' is not a finite number");
  EXPECT_MESSAGE(message, "buses\\.csv:4:3: error: column 'vn_kv': value -1 is out of range");
}

TEST(NetworkCsv, RaggedRowAndBadBoolean) {
  const std::string message = read_error(write_network(
      "ragged", {{"buses.csv", "bus,vn_kv,in_service\n0,10.0,True\n1,10.0\n2,10.0,maybe\n"}}));
  EXPECT_MESSAGE(message, "buses\\.csv:3:1: error: row has 2 fields but the header has 3");
  EXPECT_MESSAGE(message, "buses\\.csv:4:8: error: column 'in_service': 'maybe' is not a boolean");
}

TEST(NetworkCsv, ManifestErrors) {
  const std::string unknown = read_error(
      write_network("unknown_table",
                    {{"network.json",
                      "{\n  \"sn_mva\": 1.0,\n  \"files\": [\"buses.csv\", \"shunts.csv\"]\n}"}}));
  EXPECT_MESSAGE(unknown,
                 "network\\.json:3:3: error: files\\[1\\] = 'shunts\\.csv' is not a table");
  const std::string bad_base = read_error(write_network(
      "bad_base",
      {{"network.json", "{\"sn_mva\": -1, \"files\": [\"buses.csv\", \"ext_grid.csv\"]}"}}));
  EXPECT_MESSAGE(bad_base, "network\\.json:1:2: error: 'sn_mva' must be a number > 0");
  const std::string syntax =
      read_error(write_network("syntax", {{"network.json", "{\n\"sn_mva\": ,}"}}));
  EXPECT_MESSAGE(syntax, "network\\.json:2:.*invalid JSON");
}

TEST(NetworkCsv, SwitchMustSitAtAnEndOfItsLine) {
  const std::string message = read_error(write_network(
      "switch_end",
      {{"network.json", R"({"files": ["buses.csv", "lines.csv", "ext_grid.csv", "switches.csv"]})"},
       {"switches.csv", "switch,bus,element,et,closed\n0,0,1,l,False\n1,0,1,x,True\n"}}));
  EXPECT_MESSAGE(message,
                 "switches\\.csv:2:3: error: column 'bus': is not an end of the switched element");
  EXPECT_MESSAGE(message, "switches\\.csv:3:7: error: column 'et': 'x' is not b");
}

}  // namespace
}  // namespace citytwin::energy
