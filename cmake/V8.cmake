# Imported target nnwasm::v8 for V8 10.2 from libnode (Node.js 18), as set up by scripts/setup.sh:
# headers in ${NNWASM_V8_PREFIX}/include/node, the (pre-bound) library in ${NNWASM_V8_PREFIX}/lib.
if(NOT NNWASM_V8_PREFIX)
  message(FATAL_ERROR "NNWASM_V8_PREFIX is not set: run scripts/setup.sh first "
                      "(it writes ${NNWASM_CACHE}/paths.cmake)")
endif()
find_path(NNWASM_V8_INCLUDE_DIR v8.h PATHS "${NNWASM_V8_PREFIX}/include/node" NO_DEFAULT_PATH REQUIRED)
find_library(NNWASM_V8_LIBRARY NAMES libnode.so.108 node PATHS "${NNWASM_V8_PREFIX}/lib"
             NO_DEFAULT_PATH REQUIRED)
add_library(nnwasm::v8 SHARED IMPORTED)
set_target_properties(nnwasm::v8 PROPERTIES
  IMPORTED_LOCATION "${NNWASM_V8_LIBRARY}"
  IMPORTED_NO_SONAME OFF
  INTERFACE_INCLUDE_DIRECTORIES "${NNWASM_V8_INCLUDE_DIR}")
# libnode's headers expect these (Node 18 builds V8 without pointer compression).
set_property(TARGET nnwasm::v8 APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS V8_DEPRECATION_WARNINGS=0)
get_filename_component(NNWASM_V8_LIBDIR "${NNWASM_V8_LIBRARY}" DIRECTORY)
set(CMAKE_BUILD_RPATH "${NNWASM_V8_LIBDIR}")
set(CMAKE_INSTALL_RPATH "${NNWASM_V8_LIBDIR}")
