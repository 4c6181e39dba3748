// PROJ's C functions that citytwin calls, loaded on first use (docs/architecture.md#proj).
//
// Every model that reads coordinates in a CRS (OSM, CityJSON/CityGML, GBFS) calls PROJ through
// <proj.h>. Linked normally, libproj and what it needs (libcurl with its TLS stack, SQLite,
// libtiff: about 30 shared libraries) load at the start of every process, ~3 to 8 ms, also for
// runs that never transform a coordinate. These definitions stand in for PROJ's: the first call
// opens the libproj the build was configured with (CITYTWIN_PROJ_SONAME) and each forwards to
// the library's own function, looked up once.
#include <proj.h>

#include <citytwin/sim/shared_library.hpp>

namespace {

// the library's function `name` (the library opened at the first call), of the type of its
// declaration F in <proj.h>
template <typename F>
F* function(const char* name) {
  return citytwin::sim::shared_library_function_as<F>(CITYTWIN_PROJ_SONAME, "libproj25", name);
}

}  // namespace

extern "C" {

PJ_CONTEXT* proj_context_create(void) {
  static auto* const f = function<decltype(proj_context_create)>("proj_context_create");
  return f();
}

PJ_CONTEXT* proj_context_destroy(PJ_CONTEXT* ctx) {
  static auto* const f = function<decltype(proj_context_destroy)>("proj_context_destroy");
  return f(ctx);
}

PJ* proj_create(PJ_CONTEXT* ctx, const char* definition) {
  static auto* const f = function<decltype(proj_create)>("proj_create");
  return f(ctx, definition);
}

PJ* proj_create_crs_to_crs(PJ_CONTEXT* ctx, const char* source_crs, const char* target_crs,
                           PJ_AREA* area) {
  static auto* const f = function<decltype(proj_create_crs_to_crs)>("proj_create_crs_to_crs");
  return f(ctx, source_crs, target_crs, area);
}

PJ* proj_create_crs_to_crs_from_pj(PJ_CONTEXT* ctx, const PJ* source_crs, const PJ* target_crs,
                                   PJ_AREA* area, const char* const* options) {
  static auto* const f =
      function<decltype(proj_create_crs_to_crs_from_pj)>("proj_create_crs_to_crs_from_pj");
  return f(ctx, source_crs, target_crs, area, options);
}

PJ* proj_normalize_for_visualization(PJ_CONTEXT* ctx, const PJ* obj) {
  static auto* const f =
      function<decltype(proj_normalize_for_visualization)>("proj_normalize_for_visualization");
  return f(ctx, obj);
}

PJ* proj_crs_get_sub_crs(PJ_CONTEXT* ctx, const PJ* crs, int index) {
  static auto* const f = function<decltype(proj_crs_get_sub_crs)>("proj_crs_get_sub_crs");
  return f(ctx, crs, index);
}

PJ* proj_destroy(PJ* P) {
  static auto* const f = function<decltype(proj_destroy)>("proj_destroy");
  return f(P);
}

PJ_TYPE proj_get_type(const PJ* obj) {
  static auto* const f = function<decltype(proj_get_type)>("proj_get_type");
  return f(obj);
}

const char* proj_get_id_auth_name(const PJ* obj, int index) {
  static auto* const f = function<decltype(proj_get_id_auth_name)>("proj_get_id_auth_name");
  return f(obj, index);
}

const char* proj_get_id_code(const PJ* obj, int index) {
  static auto* const f = function<decltype(proj_get_id_code)>("proj_get_id_code");
  return f(obj, index);
}

PJ_COORD proj_coord(double x, double y, double z, double t) {
  static auto* const f = function<decltype(proj_coord)>("proj_coord");
  return f(x, y, z, t);
}

PJ_COORD proj_trans(PJ* P, PJ_DIRECTION direction, PJ_COORD coord) {
  static auto* const f = function<decltype(proj_trans)>("proj_trans");
  return f(P, direction, coord);
}

}  // extern "C"
