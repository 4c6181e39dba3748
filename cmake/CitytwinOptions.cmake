# Build options of citytwin; every option is printed at configure time.
option(CITYTWIN_BUILD_TESTS "Build the GoogleTest suites" ON)
option(CITYTWIN_BUILD_PYTHON "Build the citytwin._core Python extension" ON)
option(CITYTWIN_BUILD_BENCHMARKS "Build the Google Benchmark programs in benchmarks/" ON)
option(CITYTWIN_USE_OPENMP "Parallelise entity loops with OpenMP" ON)
option(CITYTWIN_WERROR "Treat compiler warnings as errors" OFF)
set(CITYTWIN_SANITIZE "" CACHE STRING "Sanitizers to build with: 'address;undefined' or 'thread'")

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_CXX_EXTENSIONS OFF)

# ccache shortens rebuilds in CI and at home when it is installed
find_program(CITYTWIN_CCACHE ccache)
if(CITYTWIN_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CITYTWIN_CCACHE}")
endif()

foreach(opt CITYTWIN_BUILD_TESTS CITYTWIN_BUILD_PYTHON CITYTWIN_BUILD_BENCHMARKS CITYTWIN_USE_OPENMP
            CITYTWIN_WERROR CITYTWIN_SANITIZE CMAKE_BUILD_TYPE CMAKE_CXX_COMPILER_LAUNCHER)
  message(STATUS "citytwin: ${opt} = ${${opt}}")
endforeach()
