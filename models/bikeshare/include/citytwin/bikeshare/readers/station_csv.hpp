#pragma once

#include <filesystem>
#include <string>

#include <citytwin/bikeshare/station_table.hpp>

namespace citytwin::bikeshare {

/// Which CSV columns hold which station field. Names are matched exactly after trimming
/// (a UTF-8 byte-order mark before the first header is dropped). Empty optional names skip
/// the field.
struct StationCsvColumns {
  std::string id;                ///< required: stable station id
  std::string name;              ///< required: display name
  std::string lat;               ///< required: WGS84 latitude [deg]
  std::string lon;               ///< required: WGS84 longitude [deg]
  std::string capacity;          ///< optional: docks [docks]; blank cell -> -1, counted
  std::string address;           ///< optional: street address
  std::string city;              ///< optional: city / municipality
  std::string blank_city;        ///< value used for a blank `city` cell (operator convention)
  char delimiter = ',';          ///< field separator; fields may be "quoted", "" escapes a quote
};

/// Returns the column mapping of the HSL / City Bike Finland station list
/// (`FID,ID,Nimi,Namn,Name,Osoite,Adress,Kaupunki,Stad,Operaattor,Kapasiteet,x,y`; x/y are
/// WGS84 lon/lat; `Kaupunki` is a single space for Helsinki rows, so blank_city = "Helsinki").
[[nodiscard]] StationCsvColumns hsl_station_columns();

/// Reads a station list CSV into a StationTable using `columns`. Throws citytwin::InputError
/// naming the file, line, column and field for a missing header, a bad number, an
/// out-of-range coordinate, a duplicate id or a ragged row (all collected).
[[nodiscard]] StationTable read_station_csv(const std::filesystem::path& path,
                                            const StationCsvColumns& columns);

}  // namespace citytwin::bikeshare
