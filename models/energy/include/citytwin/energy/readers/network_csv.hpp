#pragma once

#include <filesystem>

#include <citytwin/energy/network.hpp>

namespace citytwin::energy {

/// Reads a network folder in citytwin's network format (docs/models/energy.md#network-format):
/// `network.json` (sn_mva, f_hz, the list of tables) and one CSV file per element table
/// (buses.csv, lines.csv, trafos.csv, switches.csv, loads.csv, sgens.csv, storages.csv,
/// ext_grid.csv). Bus references become dense indices. Unknown extra columns are ignored;
/// a needed column that is absent and has no documented default is an error.
/// Throws citytwin::InputError listing every problem found, each with file:line:column, the
/// column (or JSON key) and a fix hint. Thread-safe (reads files only).
[[nodiscard]] NetworkTables read_network_csv(const std::filesystem::path& folder);

}  // namespace citytwin::energy
