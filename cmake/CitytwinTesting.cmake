# citytwin_add_test(name SOURCES ... LIBS ...): one GoogleTest executable registered with CTest.
function(citytwin_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} citytwin_test_support GTest::gtest_main citytwin::warnings)
  target_compile_features(${name} PRIVATE cxx_std_20)
  # ctest runs tests side by side (-j): idle OpenMP threads sleep instead of spinning, or the
  # threads of two test processes on the same cores would wait for each other's time slices
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "CITYTWIN_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
                                  ENVIRONMENT_MODIFICATION "OMP_WAIT_POLICY=set:passive"
                                  LABELS "${ARG_LABELS}")
endfunction()
