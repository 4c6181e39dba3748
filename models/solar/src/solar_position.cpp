#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>

#include <citytwin/solar/solar_position.hpp>

// NREL Solar Position Algorithm, Reda & Andreas (2004, rev. 2008), NREL/TP-560-34302.
// Equation numbers below are the paper's; see docs/models/solar.md#sun-position.
namespace citytwin::solar {
namespace {

constexpr double kDegPerRad = 180.0 / std::numbers::pi;
constexpr double kRadPerDeg = std::numbers::pi / 180.0;

/// One periodic term A cos(B + C * JME) of the earth heliocentric series (paper Table A4.2).
struct PeriodicTerm {
  double a;  ///< amplitude [1e-8 rad or 1e-8 AU]
  double b;  ///< phase [rad]
  double c;  ///< frequency [rad per Julian ephemeris millennium]
};

// earth heliocentric longitude terms L0..L5 (Table A4.2)
constexpr std::array<PeriodicTerm, 64> kL0{{
    {175347046.0, 0.0, 0.0},       {3341656.0, 4.6692568, 6283.07585},
    {34894.0, 4.6261, 12566.1517}, {3497.0, 2.7441, 5753.3849},
    {3418.0, 2.8289, 3.5231},      {3136.0, 3.6277, 77713.7715},
    {2676.0, 4.4181, 7860.4194},   {2343.0, 6.1352, 3930.2097},
    {1324.0, 0.7425, 11506.7698},  {1273.0, 2.0371, 529.691},
    {1199.0, 1.1096, 1577.3435},   {990.0, 5.233, 5884.927},
    {902.0, 2.045, 26.298},        {857.0, 3.508, 398.149},
    {780.0, 1.179, 5223.694},      {753.0, 2.533, 5507.553},
    {505.0, 4.583, 18849.228},     {492.0, 4.205, 775.523},
    {357.0, 2.92, 0.067},          {317.0, 5.849, 11790.629},
    {284.0, 1.899, 796.298},       {271.0, 0.315, 10977.079},
    {243.0, 0.345, 5486.778},      {206.0, 4.806, 2544.314},
    {205.0, 1.869, 5573.143},      {202.0, 2.458, 6069.777},
    {156.0, 0.833, 213.299},       {132.0, 3.411, 2942.463},
    {126.0, 1.083, 20.775},        {115.0, 0.645, 0.98},
    {103.0, 0.636, 4694.003},      {102.0, 0.976, 15720.839},
    {102.0, 4.267, 7.114},         {99.0, 6.21, 2146.17},
    {98.0, 0.68, 155.42},          {86.0, 5.98, 161000.69},
    {85.0, 1.3, 6275.96},          {85.0, 3.67, 71430.7},
    {80.0, 1.81, 17260.15},        {79.0, 3.04, 12036.46},
    {75.0, 1.76, 5088.63},         {74.0, 3.5, 3154.69},
    {74.0, 4.68, 801.82},          {70.0, 0.83, 9437.76},
    {62.0, 3.98, 8827.39},         {61.0, 1.82, 7084.9},
    {57.0, 2.78, 6286.6},          {56.0, 4.39, 14143.5},
    {56.0, 3.47, 6279.55},         {52.0, 0.19, 12139.55},
    {52.0, 1.33, 1748.02},         {51.0, 0.28, 5856.48},
    {49.0, 0.49, 1194.45},         {41.0, 5.37, 8429.24},
    {41.0, 2.4, 19651.05},         {39.0, 6.17, 10447.39},
    {37.0, 6.04, 10213.29},        {37.0, 2.57, 1059.38},
    {36.0, 1.71, 2352.87},         {36.0, 1.78, 6812.77},
    {33.0, 0.59, 17789.85},        {30.0, 0.44, 83996.85},
    {30.0, 2.74, 1349.87},         {25.0, 3.16, 4690.48},
}};
constexpr std::array<PeriodicTerm, 34> kL1{{
    {628331966747.0, 0.0, 0.0},   {206059.0, 2.678235, 6283.07585},
    {4303.0, 2.6351, 12566.1517}, {425.0, 1.59, 3.523},
    {119.0, 5.796, 26.298},       {109.0, 2.966, 1577.344},
    {93.0, 2.59, 18849.23},       {72.0, 1.14, 529.69},
    {68.0, 1.87, 398.15},         {67.0, 4.41, 5507.55},
    {59.0, 2.89, 5223.69},        {56.0, 2.17, 155.42},
    {45.0, 0.4, 796.3},           {36.0, 0.47, 775.52},
    {29.0, 2.65, 7.11},           {21.0, 5.34, 0.98},
    {19.0, 1.85, 5486.78},        {19.0, 4.97, 213.3},
    {17.0, 2.99, 6275.96},        {16.0, 0.03, 2544.31},
    {16.0, 1.43, 2146.17},        {15.0, 1.21, 10977.08},
    {12.0, 2.83, 1748.02},        {12.0, 3.26, 5088.63},
    {12.0, 5.27, 1194.45},        {12.0, 2.08, 4694.0},
    {11.0, 0.77, 553.57},         {10.0, 1.3, 6286.6},
    {10.0, 4.24, 1349.87},        {9.0, 2.7, 242.73},
    {9.0, 5.64, 951.72},          {8.0, 5.3, 2352.87},
    {6.0, 2.65, 9437.76},         {6.0, 4.67, 4690.48},
}};
constexpr std::array<PeriodicTerm, 20> kL2{{
    {52919.0, 0.0, 0.0},    {8720.0, 1.0721, 6283.0758}, {309.0, 0.867, 12566.152},
    {27.0, 0.05, 3.52},     {16.0, 5.19, 26.3},          {16.0, 3.68, 155.42},
    {10.0, 0.76, 18849.23}, {9.0, 2.06, 77713.77},       {7.0, 0.83, 775.52},
    {5.0, 4.66, 1577.34},   {4.0, 1.03, 7.11},           {4.0, 3.44, 5573.14},
    {3.0, 5.14, 796.3},     {3.0, 6.05, 5507.55},        {3.0, 1.19, 242.73},
    {3.0, 6.12, 529.69},    {3.0, 0.31, 398.15},         {3.0, 2.28, 553.57},
    {2.0, 4.38, 5223.69},   {2.0, 3.75, 0.98},
}};
constexpr std::array<PeriodicTerm, 7> kL3{{
    {289.0, 5.844, 6283.076},
    {35.0, 0.0, 0.0},
    {17.0, 5.49, 12566.15},
    {3.0, 5.2, 155.42},
    {1.0, 4.72, 3.52},
    {1.0, 5.3, 18849.23},
    {1.0, 5.97, 242.73},
}};
constexpr std::array<PeriodicTerm, 3> kL4{{
    {114.0, 3.142, 0.0},
    {8.0, 4.13, 6283.08},
    {1.0, 3.84, 12566.15},
}};
constexpr std::array<PeriodicTerm, 1> kL5{{{1.0, 3.14, 0.0}}};

// earth heliocentric latitude terms B0..B1 (Table A4.2)
constexpr std::array<PeriodicTerm, 5> kB0{{
    {280.0, 3.199, 84334.662},
    {102.0, 5.422, 5507.553},
    {80.0, 3.88, 5223.69},
    {44.0, 3.7, 2352.87},
    {32.0, 4.0, 1577.34},
}};
constexpr std::array<PeriodicTerm, 2> kB1{{{9.0, 3.9, 5507.55}, {6.0, 1.73, 5223.69}}};

// earth radius vector terms R0..R4 (Table A4.2)
constexpr std::array<PeriodicTerm, 40> kR0{{
    {100013989.0, 0.0, 0.0},        {1670700.0, 3.0984635, 6283.07585},
    {13956.0, 3.05525, 12566.1517}, {3084.0, 5.1985, 77713.7715},
    {1628.0, 1.1739, 5753.3849},    {1576.0, 2.8469, 7860.4194},
    {925.0, 5.453, 11506.77},       {542.0, 4.564, 3930.21},
    {472.0, 3.661, 5884.927},       {346.0, 0.964, 5507.553},
    {329.0, 5.9, 5223.694},         {307.0, 0.299, 5573.143},
    {243.0, 4.273, 11790.629},      {212.0, 5.847, 1577.344},
    {186.0, 5.022, 10977.079},      {175.0, 3.012, 18849.228},
    {110.0, 5.055, 5486.778},       {98.0, 0.89, 6069.78},
    {86.0, 5.69, 15720.84},         {86.0, 1.27, 161000.69},
    {65.0, 0.27, 17260.15},         {63.0, 0.92, 529.69},
    {57.0, 2.01, 83996.85},         {56.0, 5.24, 71430.7},
    {49.0, 3.25, 2544.31},          {47.0, 2.58, 775.52},
    {45.0, 5.54, 9437.76},          {43.0, 6.01, 6275.96},
    {39.0, 5.36, 4694.0},           {38.0, 2.39, 8827.39},
    {37.0, 0.83, 19651.05},         {37.0, 4.9, 12139.55},
    {36.0, 1.67, 12036.46},         {35.0, 1.84, 2942.46},
    {33.0, 0.24, 7084.9},           {32.0, 0.18, 5088.63},
    {32.0, 1.78, 398.15},           {28.0, 1.21, 6286.6},
    {28.0, 1.9, 6279.55},           {26.0, 4.59, 10447.39},
}};
constexpr std::array<PeriodicTerm, 10> kR1{{
    {103019.0, 1.10749, 6283.07585},
    {1721.0, 1.0644, 12566.1517},
    {702.0, 3.142, 0.0},
    {32.0, 1.02, 18849.23},
    {31.0, 2.84, 5507.55},
    {25.0, 1.32, 5223.69},
    {18.0, 1.42, 1577.34},
    {10.0, 5.91, 10977.08},
    {9.0, 1.42, 6275.96},
    {9.0, 0.27, 5486.78},
}};
constexpr std::array<PeriodicTerm, 6> kR2{{
    {4359.0, 5.7846, 6283.0758},
    {124.0, 5.579, 12566.152},
    {12.0, 3.14, 0.0},
    {9.0, 3.63, 77713.77},
    {6.0, 1.87, 5573.14},
    {3.0, 5.47, 18849.23},
}};
constexpr std::array<PeriodicTerm, 2> kR3{{{145.0, 4.273, 6283.076}, {7.0, 3.92, 12566.15}}};
constexpr std::array<PeriodicTerm, 1> kR4{{{4.0, 2.56, 6283.08}}};

/// One row of the periodic terms for nutation (paper Table A4.3): multiples of the five
/// fundamental arguments D, M, M', F, Omega, and the longitude (a + b JCE) and obliquity
/// (c + d JCE) coefficients in units of 0.0001 arcsec.
struct NutationTerm {
  std::array<std::int8_t, 5> y;
  double a;
  double b;
  double c;
  double d;
};

// nutation in longitude and obliquity (Table A4.3), 63 terms
constexpr std::array<NutationTerm, 63> kNutation{{
    {{0, 0, 0, 0, 1}, -171996.0, -174.2, 92025.0, 8.9},
    {{-2, 0, 0, 2, 2}, -13187.0, -1.6, 5736.0, -3.1},
    {{0, 0, 0, 2, 2}, -2274.0, -0.2, 977.0, -0.5},
    {{0, 0, 0, 0, 2}, 2062.0, 0.2, -895.0, 0.5},
    {{0, 1, 0, 0, 0}, 1426.0, -3.4, 54.0, -0.1},
    {{0, 0, 1, 0, 0}, 712.0, 0.1, -7.0, 0.0},
    {{-2, 1, 0, 2, 2}, -517.0, 1.2, 224.0, -0.6},
    {{0, 0, 0, 2, 1}, -386.0, -0.4, 200.0, 0.0},
    {{0, 0, 1, 2, 2}, -301.0, 0.0, 129.0, -0.1},
    {{-2, -1, 0, 2, 2}, 217.0, -0.5, -95.0, 0.3},
    {{-2, 0, 1, 0, 0}, -158.0, 0.0, 0.0, 0.0},
    {{-2, 0, 0, 2, 1}, 129.0, 0.1, -70.0, 0.0},
    {{0, 0, -1, 2, 2}, 123.0, 0.0, -53.0, 0.0},
    {{2, 0, 0, 0, 0}, 63.0, 0.0, 0.0, 0.0},
    {{0, 0, 1, 0, 1}, 63.0, 0.1, -33.0, 0.0},
    {{2, 0, -1, 2, 2}, -59.0, 0.0, 26.0, 0.0},
    {{0, 0, -1, 0, 1}, -58.0, -0.1, 32.0, 0.0},
    {{0, 0, 1, 2, 1}, -51.0, 0.0, 27.0, 0.0},
    {{-2, 0, 2, 0, 0}, 48.0, 0.0, 0.0, 0.0},
    {{0, 0, -2, 2, 1}, 46.0, 0.0, -24.0, 0.0},
    {{2, 0, 0, 2, 2}, -38.0, 0.0, 16.0, 0.0},
    {{0, 0, 2, 2, 2}, -31.0, 0.0, 13.0, 0.0},
    {{0, 0, 2, 0, 0}, 29.0, 0.0, 0.0, 0.0},
    {{-2, 0, 1, 2, 2}, 29.0, 0.0, -12.0, 0.0},
    {{0, 0, 0, 2, 0}, 26.0, 0.0, 0.0, 0.0},
    {{-2, 0, 0, 2, 0}, -22.0, 0.0, 0.0, 0.0},
    {{0, 0, -1, 2, 1}, 21.0, 0.0, -10.0, 0.0},
    {{0, 2, 0, 0, 0}, 17.0, -0.1, 0.0, 0.0},
    {{2, 0, -1, 0, 1}, 16.0, 0.0, -8.0, 0.0},
    {{-2, 2, 0, 2, 2}, -16.0, 0.1, 7.0, 0.0},
    {{0, 1, 0, 0, 1}, -15.0, 0.0, 9.0, 0.0},
    {{-2, 0, 1, 0, 1}, -13.0, 0.0, 7.0, 0.0},
    {{0, -1, 0, 0, 1}, -12.0, 0.0, 6.0, 0.0},
    {{0, 0, 2, -2, 0}, 11.0, 0.0, 0.0, 0.0},
    {{2, 0, -1, 2, 1}, -10.0, 0.0, 5.0, 0.0},
    {{2, 0, 1, 2, 2}, -8.0, 0.0, 3.0, 0.0},
    {{0, 1, 0, 2, 2}, 7.0, 0.0, -3.0, 0.0},
    {{-2, 1, 1, 0, 0}, -7.0, 0.0, 0.0, 0.0},
    {{0, -1, 0, 2, 2}, -7.0, 0.0, 3.0, 0.0},
    {{2, 0, 0, 2, 1}, -7.0, 0.0, 3.0, 0.0},
    {{2, 0, 1, 0, 0}, 6.0, 0.0, 0.0, 0.0},
    {{-2, 0, 2, 2, 2}, 6.0, 0.0, -3.0, 0.0},
    {{-2, 0, 1, 2, 1}, 6.0, 0.0, -3.0, 0.0},
    {{2, 0, -2, 0, 1}, -6.0, 0.0, 3.0, 0.0},
    {{2, 0, 0, 0, 1}, -6.0, 0.0, 3.0, 0.0},
    {{0, -1, 1, 0, 0}, 5.0, 0.0, 0.0, 0.0},
    {{-2, -1, 0, 2, 1}, -5.0, 0.0, 3.0, 0.0},
    {{-2, 0, 0, 0, 1}, -5.0, 0.0, 3.0, 0.0},
    {{0, 0, 2, 2, 1}, -5.0, 0.0, 3.0, 0.0},
    {{-2, 0, 2, 0, 1}, 4.0, 0.0, 0.0, 0.0},
    {{-2, 1, 0, 2, 1}, 4.0, 0.0, 0.0, 0.0},
    {{0, 0, 1, -2, 0}, 4.0, 0.0, 0.0, 0.0},
    {{-1, 0, 1, 0, 0}, -4.0, 0.0, 0.0, 0.0},
    {{-2, 1, 0, 0, 0}, -4.0, 0.0, 0.0, 0.0},
    {{1, 0, 0, 0, 0}, -4.0, 0.0, 0.0, 0.0},
    {{0, 0, 1, 2, 0}, 3.0, 0.0, 0.0, 0.0},
    {{0, 0, -2, 2, 2}, -3.0, 0.0, 0.0, 0.0},
    {{-1, -1, 1, 0, 0}, -3.0, 0.0, 0.0, 0.0},
    {{0, 1, 1, 0, 0}, -3.0, 0.0, 0.0, 0.0},
    {{0, -1, 1, 2, 2}, -3.0, 0.0, 0.0, 0.0},
    {{2, -1, -1, 2, 2}, -3.0, 0.0, 0.0, 0.0},
    {{0, 0, 3, 2, 2}, -3.0, 0.0, 0.0, 0.0},
    {{2, -1, 0, 2, 2}, -3.0, 0.0, 0.0, 0.0},
}};

/// Reduces an angle in degrees to [0, 360).
double wrap_360(double angle_deg) {
  const double r = std::fmod(angle_deg, 360.0);
  return r < 0.0 ? r + 360.0 : r;
}

/// Sum of A cos(B + C JME) over one table of periodic terms (eq. 9).
template <std::size_t N>
double periodic_sum(const std::array<PeriodicTerm, N>& terms, double jme) {
  double sum = 0.0;
  for (const PeriodicTerm& t : terms) sum += t.a * std::cos(t.b + t.c * jme);
  return sum;
}

/// Evaluates a polynomial in JME whose coefficients are the series sums (eqs. 10, 11).
template <std::size_t N>
double series_1e8(const std::array<double, N>& sums, double jme) {
  double value = 0.0;
  for (std::size_t i = N; i-- > 0;) value = value * jme + sums[i];
  return value / 1e8;
}

/// Earth heliocentric longitude L [deg] in [0, 360) (eqs. 9-12).
double heliocentric_longitude_deg(double jme) {
  const std::array<double, 6> sums{periodic_sum(kL0, jme), periodic_sum(kL1, jme),
                                   periodic_sum(kL2, jme), periodic_sum(kL3, jme),
                                   periodic_sum(kL4, jme), periodic_sum(kL5, jme)};
  return wrap_360(series_1e8(sums, jme) * kDegPerRad);
}

/// Earth heliocentric latitude B [deg] (eq. 13).
double heliocentric_latitude_deg(double jme) {
  const std::array<double, 2> sums{periodic_sum(kB0, jme), periodic_sum(kB1, jme)};
  return series_1e8(sums, jme) * kDegPerRad;
}

/// Earth radius vector R [AU] (eq. 14).
double earth_radius_au(double jme) {
  const std::array<double, 5> sums{periodic_sum(kR0, jme), periodic_sum(kR1, jme),
                                   periodic_sum(kR2, jme), periodic_sum(kR3, jme),
                                   periodic_sum(kR4, jme)};
  return series_1e8(sums, jme);
}

/// Nutation in longitude and obliquity [deg] (eqs. 15-24).
struct Nutation {
  double longitude_deg;
  double obliquity_deg;
};

Nutation nutation(double jce) {
  // fundamental arguments of the moon and sun [deg] (eqs. 15-19)
  const double jce2 = jce * jce;
  const double jce3 = jce2 * jce;
  const std::array<double, 5> x_deg{
      297.85036 + 445267.111480 * jce - 0.0019142 * jce2 + jce3 / 189474.0,
      357.52772 + 35999.050340 * jce - 0.0001603 * jce2 - jce3 / 300000.0,
      134.96298 + 477198.867398 * jce + 0.0086972 * jce2 + jce3 / 56250.0,
      93.27191 + 483202.017538 * jce - 0.0036825 * jce2 + jce3 / 327270.0,
      125.04452 - 1934.136261 * jce + 0.0020708 * jce2 + jce3 / 450000.0};

  // periodic terms, summed in 0.0001 arcsec (eqs. 20-23)
  double psi_sum = 0.0;
  double eps_sum = 0.0;
  for (const NutationTerm& t : kNutation) {
    double arg_deg = 0.0;
    for (std::size_t j = 0; j < 5; ++j) arg_deg += x_deg[j] * static_cast<double>(t.y[j]);
    const double arg_rad = arg_deg * kRadPerDeg;
    psi_sum += (t.a + t.b * jce) * std::sin(arg_rad);
    eps_sum += (t.c + t.d * jce) * std::cos(arg_rad);
  }
  return {psi_sum / 36000000.0, eps_sum / 36000000.0};
}

/// Mean obliquity of the ecliptic epsilon0 [arcsec] (eq. 24), U = JME / 10.
double mean_obliquity_arcsec(double jme) {
  constexpr std::array<double, 11> kCoeff{84381.448, -4680.93, -1.55, 1999.25, -51.38, -249.67,
                                          -39.05,    7.12,     27.87, 5.79,    2.45};
  const double u = jme / 10.0;
  double value = 0.0;
  for (std::size_t i = kCoeff.size(); i-- > 0;) value = value * u + kCoeff[i];
  return value;
}

/// Equation of time [min] in [-20, 20] (eqs. A1-A3).
double equation_of_time_min(double jme, double alpha_deg, double dpsi_deg, double eps_deg) {
  // sun mean longitude M [deg] (eq. A2)
  const double jme2 = jme * jme;
  const double jme3 = jme2 * jme;
  const double jme4 = jme3 * jme;
  const double jme5 = jme4 * jme;
  const double m_deg = wrap_360(280.4664567 + 360007.6982779 * jme + 0.03032028 * jme2 +
                                jme3 / 49931.0 - jme4 / 15300.0 - jme5 / 2000000.0);

  // E in degrees, then 4 minutes per degree, folded into [-20, 20] minutes (eq. A1)
  const double e_min =
      4.0 * wrap_360(m_deg - 0.0057183 - alpha_deg + dpsi_deg * std::cos(eps_deg * kRadPerDeg));
  if (e_min > 20.0) return e_min - 1440.0;
  if (e_min < -20.0) return e_min + 1440.0;
  return e_min;
}

}  // namespace

double julian_day(double time_s) { return time_s / 86400.0 + 2440587.5; }

SpaDetail spa_detail(double time_s, double latitude_deg, double longitude_deg, double altitude_m,
                     double pressure_pa, double temperature_c, double delta_t_s,
                     double atmos_refract_deg) {
  SpaDetail d{};

  // julian day, ephemeris day, century and millennium (eqs. 4-8)
  d.julian_day = julian_day(time_s);
  d.julian_ephemeris_day = d.julian_day + delta_t_s / 86400.0;
  const double jc = (d.julian_day - 2451545.0) / 36525.0;
  const double jce = (d.julian_ephemeris_day - 2451545.0) / 36525.0;
  const double jme = jce / 10.0;

  // earth heliocentric position (eqs. 9-14)
  d.heliocentric_longitude_deg = heliocentric_longitude_deg(jme);
  d.heliocentric_latitude_deg = heliocentric_latitude_deg(jme);
  d.earth_radius_au = earth_radius_au(jme);

  // geocentric position (eqs. 13-14)
  d.geocentric_longitude_deg = wrap_360(d.heliocentric_longitude_deg + 180.0);
  d.geocentric_latitude_deg = -d.heliocentric_latitude_deg;

  // nutation and true obliquity (eqs. 15-25)
  const Nutation nut = nutation(jce);
  d.nutation_longitude_deg = nut.longitude_deg;
  d.nutation_obliquity_deg = nut.obliquity_deg;
  d.true_obliquity_deg = mean_obliquity_arcsec(jme) / 3600.0 + nut.obliquity_deg;

  // aberration and apparent sun longitude (eqs. 26-27)
  d.aberration_deg = -20.4898 / (3600.0 * d.earth_radius_au);
  d.apparent_sun_longitude_deg = d.geocentric_longitude_deg + nut.longitude_deg + d.aberration_deg;

  // apparent sidereal time at Greenwich (eqs. 28-29)
  const double nu0_deg = wrap_360(280.46061837 + 360.98564736629 * (d.julian_day - 2451545.0) +
                                  0.000387933 * jc * jc - jc * jc * jc / 38710000.0);
  const double eps_rad = d.true_obliquity_deg * kRadPerDeg;
  d.apparent_sidereal_time_deg = nu0_deg + nut.longitude_deg * std::cos(eps_rad);

  // geocentric sun right ascension and declination (eqs. 30-31)
  const double lambda_rad = d.apparent_sun_longitude_deg * kRadPerDeg;
  const double beta_rad = d.geocentric_latitude_deg * kRadPerDeg;
  d.right_ascension_deg = wrap_360(
      std::atan2(std::sin(lambda_rad) * std::cos(eps_rad) - std::tan(beta_rad) * std::sin(eps_rad),
                 std::cos(lambda_rad)) *
      kDegPerRad);
  const double delta_rad = std::asin(std::sin(beta_rad) * std::cos(eps_rad) +
                                     std::cos(beta_rad) * std::sin(eps_rad) * std::sin(lambda_rad));
  d.declination_deg = delta_rad * kDegPerRad;

  // observer local hour angle (eq. 32)
  d.hour_angle_deg = wrap_360(d.apparent_sidereal_time_deg + longitude_deg - d.right_ascension_deg);

  // topocentric parallax of right ascension and declination (eqs. 33-38)
  const double xi_rad = 8.794 / (3600.0 * d.earth_radius_au) * kRadPerDeg;
  const double phi_rad = latitude_deg * kRadPerDeg;
  const double u_rad = std::atan(0.99664719 * std::tan(phi_rad));
  const double x = std::cos(u_rad) + altitude_m / 6378140.0 * std::cos(phi_rad);
  const double y = 0.99664719 * std::sin(u_rad) + altitude_m / 6378140.0 * std::sin(phi_rad);
  const double h_rad = d.hour_angle_deg * kRadPerDeg;
  const double denom = std::cos(delta_rad) - x * std::sin(xi_rad) * std::cos(h_rad);
  const double dalpha_rad = std::atan2(-x * std::sin(xi_rad) * std::sin(h_rad), denom);
  const double delta_topo_rad =
      std::atan2((std::sin(delta_rad) - y * std::sin(xi_rad)) * std::cos(dalpha_rad), denom);
  d.topocentric_right_ascension_deg = d.right_ascension_deg + dalpha_rad * kDegPerRad;
  d.topocentric_declination_deg = delta_topo_rad * kDegPerRad;
  d.topocentric_hour_angle_deg = d.hour_angle_deg - dalpha_rad * kDegPerRad;

  // topocentric elevation without refraction (eq. 41)
  const double h_topo_rad = d.topocentric_hour_angle_deg * kRadPerDeg;
  const double e0_deg =
      std::asin(std::sin(phi_rad) * std::sin(delta_topo_rad) +
                std::cos(phi_rad) * std::cos(delta_topo_rad) * std::cos(h_topo_rad)) *
      kDegPerRad;

  // refraction with local pressure [mbar] and temperature, only near or above the horizon
  // (eq. 42)
  const double pressure_mbar = pressure_pa / 100.0;
  d.refraction_correction_deg = 0.0;
  if (e0_deg >= -(0.26667 + atmos_refract_deg)) {
    d.refraction_correction_deg = (pressure_mbar / 1010.0) * (283.0 / (273.0 + temperature_c)) *
                                  1.02 /
                                  (60.0 * std::tan((e0_deg + 10.3 / (e0_deg + 5.11)) * kRadPerDeg));
  }

  // topocentric elevation, zenith and azimuth east of north (eqs. 43-47)
  const double e_deg = e0_deg + d.refraction_correction_deg;
  const double gamma_deg =
      std::atan2(std::sin(h_topo_rad), std::cos(h_topo_rad) * std::sin(phi_rad) -
                                           std::tan(delta_topo_rad) * std::cos(phi_rad)) *
      kDegPerRad;
  SolarPosition& p = d.position;
  p.elevation_deg = e0_deg;
  p.zenith_deg = 90.0 - e0_deg;
  p.apparent_elevation_deg = e_deg;
  p.apparent_zenith_deg = 90.0 - e_deg;
  p.azimuth_deg = wrap_360(gamma_deg + 180.0);
  p.equation_of_time_min =
      equation_of_time_min(jme, d.right_ascension_deg, nut.longitude_deg, d.true_obliquity_deg);
  return d;
}

SolarPosition solar_position(double time_s, double latitude_deg, double longitude_deg,
                             double altitude_m, double pressure_pa, double temperature_c,
                             double delta_t_s, double atmos_refract_deg) {
  return spa_detail(time_s, latitude_deg, longitude_deg, altitude_m, pressure_pa, temperature_c,
                    delta_t_s, atmos_refract_deg)
      .position;
}

void solar_position(std::span<const double> times_s, double latitude_deg, double longitude_deg,
                    const SolarPositionSpans& out, double altitude_m, double pressure_pa,
                    double temperature_c, double delta_t_s, double atmos_refract_deg) {
  // every output column must match the input length
  const std::size_t n = times_s.size();
  const auto check = [n](std::span<double> column, const char* name) {
    if (column.size() != n) {
      throw std::invalid_argument(std::string("solar_position: out.") + name + " has " +
                                  std::to_string(column.size()) + " elements, times_s has " +
                                  std::to_string(n));
    }
  };
  check(out.apparent_zenith_deg, "apparent_zenith_deg");
  check(out.zenith_deg, "zenith_deg");
  check(out.apparent_elevation_deg, "apparent_elevation_deg");
  check(out.elevation_deg, "elevation_deg");
  check(out.azimuth_deg, "azimuth_deg");
  check(out.equation_of_time_min, "equation_of_time_min");

  // one independent SPA evaluation per instant
  const auto n_times = static_cast<std::int64_t>(n);
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n_times; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const SolarPosition p =
        solar_position(times_s[k], latitude_deg, longitude_deg, altitude_m, pressure_pa,
                       temperature_c, delta_t_s, atmos_refract_deg);
    out.apparent_zenith_deg[k] = p.apparent_zenith_deg;
    out.zenith_deg[k] = p.zenith_deg;
    out.apparent_elevation_deg[k] = p.apparent_elevation_deg;
    out.elevation_deg[k] = p.elevation_deg;
    out.azimuth_deg[k] = p.azimuth_deg;
    out.equation_of_time_min[k] = p.equation_of_time_min;
  }
}

}  // namespace citytwin::solar
