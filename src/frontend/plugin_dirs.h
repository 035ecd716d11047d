// Where a front end looks for backend plugins: the user's dirs, NNWASM_BACKEND_PATH, then the
// folders beside the nnwasm binary or library that uses them. Shared by the CLI, the embedding
// API and the benchmarks, so every front end finds the same plugins in a build tree and after
// `cmake --install`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace nnwasm::frontend {

// `explicit_dirs`, then NNWASM_BACKEND_PATH (':'-separated), then beside `anchor` (the running
// executable or library): <dir>/backends (build tree), <dir>/nnwasm/backends (a library in
// <prefix>/lib), <dir>/../lib/nnwasm/backends (a binary in <prefix>/bin). An empty anchor adds
// nothing beside it.
std::vector<std::string> plugin_dirs(std::vector<std::string> explicit_dirs,
                                     const std::filesystem::path& anchor);

// The file of the running executable ("" when /proc/self/exe cannot be read).
std::filesystem::path executable_path();
// The shared object that holds `address` ("" when unknown).
std::filesystem::path library_path(const void* address);

}  // namespace nnwasm::frontend
