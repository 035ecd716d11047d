// Parsing of --dir/--map-dir and --env values (the peers' spellings).
#include "run_options.h"

#include <cstdlib>
#include <filesystem>

namespace nnwasm::cli {

std::string parse_dir(const std::string& value, bool map_dir, wasi::Preopen& out) {
  if (value.empty()) return "empty directory mapping";
  size_t double_colon = value.find("::");
  if (double_colon != std::string::npos) {
    std::string left = value.substr(0, double_colon);
    std::string right = value.substr(double_colon + 2);
    if (left.empty() || right.empty())
      return "'" + value + "': expected HOST::GUEST or GUEST::HOST";
    out = map_dir ? wasi::Preopen{left, right} : wasi::Preopen{right, left};
    return {};
  }
  size_t colon = value.find(':');
  if (colon != std::string::npos) {
    std::string guest = value.substr(0, colon);
    std::string host = value.substr(colon + 1);
    if (guest.empty() || host.empty()) return "'" + value + "': expected GUEST:HOST";
    out = wasi::Preopen{guest, host};
    return {};
  }
  if (map_dir) return "'" + value + "': --map-dir expects GUEST::HOST";
  out = wasi::Preopen{value, value};
  return {};
}

std::string parse_env(const std::string& value, std::vector<std::string>& env) {
  size_t eq = value.find('=');
  if (eq == 0) return "'" + value + "': expected KEY=VALUE";
  if (eq == std::string::npos) {
    const char* host_value = std::getenv(value.c_str());
    if (host_value == nullptr) return {};  // like Wasmtime: an unset host variable is skipped
    env.push_back(value + "=" + host_value);
    return {};
  }
  env.push_back(value);
  return {};
}

}  // namespace nnwasm::cli
