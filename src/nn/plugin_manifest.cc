// Reading a plugin's manifest section straight from its ELF file.
#include "nn/plugin_manifest.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nnwasm/backend.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <vector>

namespace nnwasm::nn {

namespace {

// Reads exactly `size` bytes at `offset`.
bool read_at(int fd, void* out, size_t size, uint64_t offset) {
  auto* p = static_cast<char*>(out);
  while (size > 0) {
    ssize_t n = pread(fd, p, size, static_cast<off_t>(offset));
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

bool parse_number(std::string_view text, uint32_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// "474755460a" -> the bytes it spells; false for odd lengths or non-hex digits.
bool parse_hex(std::string_view hex, std::string* out) {
  if (hex.empty() || hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    uint32_t byte = 0;
    auto [end, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, byte, 16);
    if (ec != std::errc() || end != hex.data() + i + 2) return false;
    out->push_back(static_cast<char>(byte));
  }
  return true;
}

// Calls `each` on every comma-separated item of `list`; false as soon as it does.
template <typename Each>
bool for_each_item(std::string_view list, Each&& each) {
  for (size_t at = 0; at <= list.size();) {
    size_t comma = list.find(',', at);
    if (!each(list.substr(at, comma == std::string_view::npos ? comma : comma - at))) return false;
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return true;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::optional<PluginManifest> parse_plugin_manifest(std::string_view text) {
  constexpr std::string_view kTag = "nnwasm-backend";
  if (text.substr(0, kTag.size()) != kTag) return std::nullopt;
  PluginManifest m;
  bool has_abi = false, has_encodings = false;
  size_t pos = kTag.size();
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') ++pos;
    size_t end = text.find(' ', pos);
    std::string_view field = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? text.size() : end;
    if (field.empty()) continue;
    size_t eq = field.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
    if (key == "abi") {
      if (!parse_number(value, &m.abi)) return std::nullopt;
      has_abi = true;
    } else if (key == "name") {
      m.name = value;
    } else if (key == "encodings") {
      const bool ok = for_each_item(value, [&](std::string_view item) {
        uint32_t encoding = 0;
        if (!parse_number(item, &encoding)) return false;
        m.encodings.push_back(encoding);
        return true;
      });
      if (!ok) return std::nullopt;
      has_encodings = true;
    } else if (key == "magic") {
      const bool ok = for_each_item(value, [&](std::string_view item) {
        std::string magic;
        if (!parse_hex(item, &magic)) return false;
        m.magics.push_back(std::move(magic));
        return true;
      });
      if (!ok) return std::nullopt;
    } else if (key == "names") {
      m.resolves_names = value == "1";
    } else if (key == "requires") {
      m.requires_option = value;
    }
  }
  if (!has_abi || !has_encodings || m.name.empty()) return std::nullopt;
  return m;
}

bool PluginManifest::may_recognise(std::string_view head) const {
  if (magics.empty()) return true;
  for (const std::string& magic : magics) {
    if (head.substr(0, magic.size()) == magic) return true;
  }
  return false;
}

std::string plugin_file_problem(const std::string& path, bool* out_of_fds) {
#if defined(__x86_64__)
  constexpr uint16_t kMachine = EM_X86_64;
#elif defined(__aarch64__)
  constexpr uint16_t kMachine = EM_AARCH64;
#else
  constexpr uint16_t kMachine = EM_NONE;  // not checked
#endif
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    const int error = errno;
    const std::string why = std::string("cannot open it: ") + std::strerror(error);
    if (error != EMFILE && error != ENFILE) return why;
    if (out_of_fds != nullptr) *out_of_fds = true;
    return out_of_fds_message(why);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return "it is not a regular file";
  const auto size = static_cast<uint64_t>(st.st_size);
  Elf64_Ehdr header;
  if (!read_at(fd.get(), &header, sizeof(header), 0) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    return "it is not an ELF shared library (truncated or not a plugin)";
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB ||
      header.e_type != ET_DYN || (kMachine != EM_NONE && header.e_machine != kMachine)) {
    return "it is not a 64-bit shared library for this CPU";
  }
  if (header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0 || header.e_phnum > 4096 ||
      header.e_phoff > size ||
      uint64_t{header.e_phnum} * sizeof(Elf64_Phdr) > size - header.e_phoff) {
    return "its program headers lie outside the file (truncated?)";
  }
  std::vector<Elf64_Phdr> segments(header.e_phnum);
  if (!read_at(fd.get(), segments.data(), segments.size() * sizeof(Elf64_Phdr), header.e_phoff)) {
    return "its program headers cannot be read";
  }
  for (const Elf64_Phdr& segment : segments) {
    if (segment.p_type == PT_LOAD &&
        (segment.p_offset > size || segment.p_filesz > size - segment.p_offset)) {
      return "it is truncated: a loadable segment ends at byte " +
             std::to_string(segment.p_offset + segment.p_filesz) + " of a " + std::to_string(size) +
             "-byte file";
    }
  }
  return "";
}

std::optional<PluginManifest> read_plugin_manifest(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::nullopt;
  Elf64_Ehdr header;
  if (!read_at(fd.get(), &header, sizeof(header), 0) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_ident[EI_DATA] != ELFDATA2LSB || header.e_shentsize != sizeof(Elf64_Shdr) ||
      header.e_shstrndx >= header.e_shnum || header.e_shnum > 4096) {
    return std::nullopt;
  }
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (!read_at(fd.get(), sections.data(), sections.size() * sizeof(Elf64_Shdr), header.e_shoff)) {
    return std::nullopt;
  }
  const Elf64_Shdr& names = sections[header.e_shstrndx];
  if (names.sh_size > (1u << 20)) return std::nullopt;
  std::string strings(names.sh_size, '\0');
  if (!read_at(fd.get(), strings.data(), strings.size(), names.sh_offset)) return std::nullopt;
  for (const Elf64_Shdr& section : sections) {
    if (section.sh_name >= strings.size() ||
        std::strcmp(strings.c_str() + section.sh_name, NNWASM_BACKEND_MANIFEST_SECTION) != 0) {
      continue;
    }
    if (section.sh_type == SHT_NOBITS || section.sh_size > 4096) return std::nullopt;
    std::string text(section.sh_size, '\0');
    if (!read_at(fd.get(), text.data(), text.size(), section.sh_offset)) return std::nullopt;
    text.resize(std::strlen(text.c_str()));  // the section holds one NUL-terminated string
    return parse_plugin_manifest(text);
  }
  return std::nullopt;
}

std::string out_of_fds_message(const std::string& what) {
  return what +
         ": the process has no file descriptor left (a guest's open files count too); close some "
         "files, or raise the limit (ulimit -n)";
}

}  // namespace nnwasm::nn
