// Embree's C functions that the shading calls, loaded on first use (as PROJ's:
// sim/src/proj_on_demand.cpp). Only runs that cast shadow rays need Embree (and the TBB it
// loads, ~1 ms of every process start otherwise): the first call opens the libembree3 the build
// was configured with (CITYTWIN_EMBREE_SONAME) and each forwards to the library's own function,
// looked up once. The per-ray-packet calls cost one indirect call more than a linked call.
#include <embree3/rtcore.h>

#include <cstddef>

#include <citytwin/sim/shared_library.hpp>

namespace {

// the library's function `name` (the library opened at the first call), of the type of its
// declaration F in <embree3/rtcore.h>
template <typename F>
F* function(const char* name) {
  return citytwin::sim::shared_library_function_as<F>(CITYTWIN_EMBREE_SONAME, "libembree3-3", name);
}

}  // namespace

extern "C" {

RTCDevice rtcNewDevice(const char* config) {
  static auto* const f = function<decltype(rtcNewDevice)>("rtcNewDevice");
  return f(config);
}

void rtcReleaseDevice(RTCDevice device) {
  static auto* const f = function<decltype(rtcReleaseDevice)>("rtcReleaseDevice");
  f(device);
}

RTCError rtcGetDeviceError(RTCDevice device) {
  static auto* const f = function<decltype(rtcGetDeviceError)>("rtcGetDeviceError");
  return f(device);
}

RTCScene rtcNewScene(RTCDevice device) {
  static auto* const f = function<decltype(rtcNewScene)>("rtcNewScene");
  return f(device);
}

void rtcReleaseScene(RTCScene scene) {
  static auto* const f = function<decltype(rtcReleaseScene)>("rtcReleaseScene");
  f(scene);
}

void rtcSetSceneFlags(RTCScene scene, RTCSceneFlags flags) {
  static auto* const f = function<decltype(rtcSetSceneFlags)>("rtcSetSceneFlags");
  f(scene, flags);
}

void rtcSetSceneBuildQuality(RTCScene scene, RTCBuildQuality quality) {
  static auto* const f = function<decltype(rtcSetSceneBuildQuality)>("rtcSetSceneBuildQuality");
  f(scene, quality);
}

void rtcCommitScene(RTCScene scene) {
  static auto* const f = function<decltype(rtcCommitScene)>("rtcCommitScene");
  f(scene);
}

RTCGeometry rtcNewGeometry(RTCDevice device, RTCGeometryType type) {
  static auto* const f = function<decltype(rtcNewGeometry)>("rtcNewGeometry");
  return f(device, type);
}

void rtcReleaseGeometry(RTCGeometry geometry) {
  static auto* const f = function<decltype(rtcReleaseGeometry)>("rtcReleaseGeometry");
  f(geometry);
}

void rtcSetGeometryBuildQuality(RTCGeometry geometry, RTCBuildQuality quality) {
  static auto* const f =
      function<decltype(rtcSetGeometryBuildQuality)>("rtcSetGeometryBuildQuality");
  f(geometry, quality);
}

void* rtcSetNewGeometryBuffer(RTCGeometry geometry, RTCBufferType type, unsigned int slot,
                              RTCFormat format, std::size_t byteStride, std::size_t itemCount) {
  static auto* const f = function<decltype(rtcSetNewGeometryBuffer)>("rtcSetNewGeometryBuffer");
  return f(geometry, type, slot, format, byteStride, itemCount);
}

void rtcCommitGeometry(RTCGeometry geometry) {
  static auto* const f = function<decltype(rtcCommitGeometry)>("rtcCommitGeometry");
  f(geometry);
}

unsigned int rtcAttachGeometry(RTCScene scene, RTCGeometry geometry) {
  static auto* const f = function<decltype(rtcAttachGeometry)>("rtcAttachGeometry");
  return f(scene, geometry);
}

void rtcOccluded1(RTCScene scene, RTCIntersectContext* context, RTCRay* ray) {
  static auto* const f = function<decltype(rtcOccluded1)>("rtcOccluded1");
  f(scene, context, ray);
}

void rtcOccluded1M(RTCScene scene, RTCIntersectContext* context, RTCRay* ray, unsigned int M,
                   std::size_t byteStride) {
  static auto* const f = function<decltype(rtcOccluded1M)>("rtcOccluded1M");
  f(scene, context, ray, M, byteStride);
}

void rtcOccluded8(const int* valid, RTCScene scene, RTCIntersectContext* context, RTCRay8* ray) {
  static auto* const f = function<decltype(rtcOccluded8)>("rtcOccluded8");
  f(valid, scene, context, ray);
}

void rtcOccluded16(const int* valid, RTCScene scene, RTCIntersectContext* context,
                   RTCRay16* ray) {
  static auto* const f = function<decltype(rtcOccluded16)>("rtcOccluded16");
  f(valid, scene, context, ray);
}

}  // extern "C"
