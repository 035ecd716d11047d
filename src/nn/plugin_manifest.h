// The manifest a backend plugin carries in its ELF section "nnwasm_manifest" (backend.h),
// read from the file without dlopen, so the frameworks of plugins that do not handle an
// encoding are never loaded to find that out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nnwasm::nn {

struct PluginManifest {
  uint32_t abi = 0;
  std::string name;
  std::vector<uint32_t> encodings;
  // Byte prefixes every model of this backend starts with (empty: unknown); when autodetecting,
  // a plugin none of whose prefixes match is not loaded to sniff.
  std::vector<std::string> magics;
  // names=1: the plugin resolves model names itself (backend.h load_by_name).
  bool resolves_names = false;
  // requires=KEY: the plugin is only of use when the host sets backend option KEY.
  std::string requires_option;

  bool may_recognise(std::string_view head) const;
};

// The manifest of the shared library at `path`; nullopt when it has none or the file is not a
// 64-bit little-endian ELF file (the plugin is then opened instead).
std::optional<PluginManifest> read_plugin_manifest(const std::string& path);

// Why the file at `path` cannot be a shared library for this machine ("" when it can): checked
// before dlopen, which maps each loadable segment and dies of SIGBUS on a truncated file. A
// regular file (never waits on a FIFO), 64-bit little-endian ELF, ET_DYN for this CPU, with its
// program headers and every PT_LOAD segment's bytes inside the file. When the file could not
// even be opened for want of file descriptors (EMFILE, ENFILE: a guest holding many files,
// whose files are this process's), `*out_of_fds` is set: not a property of the file, so a
// caller remembers nothing of it and tries again on the next load.
std::string plugin_file_problem(const std::string& path, bool* out_of_fds = nullptr);

// The message for a failure `what` (e.g. "cannot read the directory D: Too many open files")
// caused by running out of file descriptors.
std::string out_of_fds_message(const std::string& what);

// Parses the manifest text "nnwasm-backend abi=2 name=llama encodings=6[,N...]
// [magic=HEX[,HEX...]] [names=1]".
std::optional<PluginManifest> parse_plugin_manifest(std::string_view text);

}  // namespace nnwasm::nn
