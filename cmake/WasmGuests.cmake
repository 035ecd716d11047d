# nnwasm_add_guest(NAME SOURCE [FLAGS...]): compiles a C source to ${CMAKE_BINARY_DIR}/guests/NAME.wasm
# with clang --target=wasm32-wasi (Debian's clang + wasi-libc), as a dependency of target `guests`.
find_program(NNWASM_WASM_CC NAMES clang-14 clang REQUIRED)
set(NNWASM_GUEST_DIR "${CMAKE_BINARY_DIR}/guests")
file(MAKE_DIRECTORY "${NNWASM_GUEST_DIR}")
if(NOT TARGET guests)
  add_custom_target(guests ALL)
endif()

function(nnwasm_add_guest name source)
  set(output "${NNWASM_GUEST_DIR}/${name}.wasm")
  cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" OUTPUT_VARIABLE src)
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${NNWASM_WASM_CC}" --target=wasm32-wasi -O2 -Wall -Wextra
            -I "${PROJECT_SOURCE_DIR}/sdk/c" -I "${PROJECT_SOURCE_DIR}/tests/guests" ${ARGN}
            "${src}" -o "${output}"
    DEPENDS "${src}" "${PROJECT_SOURCE_DIR}/sdk/c/wasi_nn.h"
            "${PROJECT_SOURCE_DIR}/tests/guests/guest_check.h"
    COMMENT "Building guest ${name}.wasm"
    VERBATIM)
  add_custom_target(guest_${name} DEPENDS "${output}")
  add_dependencies(guests guest_${name})
endfunction()

# nnwasm_add_wat(NAME SOURCE): assembles a .wat text module to ${CMAKE_BINARY_DIR}/guests/NAME.wasm
# with wabt's wat2wasm (test modules that C cannot express: bad imports, raw traps).
find_program(NNWASM_WAT2WASM wat2wasm REQUIRED)
function(nnwasm_add_wat name source)
  set(output "${NNWASM_GUEST_DIR}/${name}.wasm")
  cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" OUTPUT_VARIABLE src)
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${NNWASM_WAT2WASM}" "${src}" -o "${output}"
    DEPENDS "${src}"
    COMMENT "Assembling ${name}.wasm"
    VERBATIM)
  add_custom_target(guest_${name} DEPENDS "${output}")
  add_dependencies(guests guest_${name})
endfunction()
