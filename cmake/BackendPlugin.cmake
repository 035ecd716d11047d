# nnwasm_backend_plugin(TARGET NAME name SOURCES src... LIBRARIES lib... RPATH dir): a backend
# plugin, libnnwasm-<name>.so in ${CMAKE_BINARY_DIR}/backends, built against
# include/nnwasm/backend.h. It exports only nnwasm_backend_entry (backends/common/exports.map):
# everything else, its framework's inline code included, stays local, so plugins never clash.
function(nnwasm_backend_plugin target)
  cmake_parse_arguments(ARG "" "NAME;RPATH" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${target} SHARED ${ARG_SOURCES})
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${target} PRIVATE ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME nnwasm-${ARG_NAME}
    PREFIX lib
    LIBRARY_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/backends"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    BUILD_RPATH "${ARG_RPATH}"
    INSTALL_RPATH "${ARG_RPATH}")
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  set(exports "${PROJECT_SOURCE_DIR}/backends/common/exports.map")
  target_link_options(${target} PRIVATE "-Wl,--version-script=${exports}")
  if(NOT NNWASM_SANITIZE)  # clang leaves sanitizer runtime symbols undefined in shared libraries
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${exports}")
  install(TARGETS ${target} LIBRARY DESTINATION lib/nnwasm/backends)
endfunction()
