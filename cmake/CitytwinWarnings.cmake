# citytwin::warnings carries the warning flags (and sanitizers) every citytwin target links.
add_library(citytwin_warnings INTERFACE)
add_library(citytwin::warnings ALIAS citytwin_warnings)
target_compile_options(citytwin_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion)
# GCC 12 reports -Wrestrict inside libstdc++'s std::string at -O3 for plain assignments of
# short literals (GCC bug 105651, fixed in GCC 13): a false positive, so it is off for GCC 12.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(citytwin_warnings INTERFACE -Wno-restrict)
endif()
if(CITYTWIN_WERROR)
  target_compile_options(citytwin_warnings INTERFACE -Werror)
endif()
if(CITYTWIN_SANITIZE)
  string(REPLACE ";" "," _citytwin_san "${CITYTWIN_SANITIZE}")
  target_compile_options(citytwin_warnings INTERFACE -fsanitize=${_citytwin_san} -fno-omit-frame-pointer)
  target_link_options(citytwin_warnings INTERFACE -fsanitize=${_citytwin_san})
endif()
