# `cmake --install`: the nnwasm binary, the backend plugins (lib/nnwasm/backends, where both
# the binary and the library look), the headers and libnnwasm.so with a CMake package
# (find_package(nnwasm)) and a pkg-config file. Installed files keep their rpaths to the
# dependency cache (V8, ONNX Runtime, llama.cpp) that scripts/setup.sh filled.
include(CMakePackageConfigHelpers)
install(TARGETS nnwasm RUNTIME DESTINATION bin)
set_target_properties(nnwasm_embed PROPERTIES EXPORT_NAME nnwasm)
install(TARGETS nnwasm_embed EXPORT nnwasmTargets LIBRARY DESTINATION lib)
install(FILES include/nnwasm/nnwasm.h include/nnwasm/backend.h DESTINATION include/nnwasm)
install(EXPORT nnwasmTargets NAMESPACE nnwasm:: DESTINATION lib/cmake/nnwasm)
configure_package_config_file(cmake/nnwasmConfig.cmake.in
                              "${CMAKE_CURRENT_BINARY_DIR}/nnwasmConfig.cmake"
                              INSTALL_DESTINATION lib/cmake/nnwasm)
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/nnwasmConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/nnwasmConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/nnwasmConfigVersion.cmake"
        DESTINATION lib/cmake/nnwasm)
configure_file(cmake/nnwasm.pc.in "${CMAKE_CURRENT_BINARY_DIR}/nnwasm.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/nnwasm.pc" DESTINATION lib/pkgconfig)
