// FdTable: the guest's file descriptor numbers and the host resources behind them (host fd,
// preopen name, directory stream for fd_readdir).
#pragma once

#include <dirent.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wasi/wasi_types.h"

namespace nnwasm::wasi {

// One open guest fd: the host fd behind it and the rights the guest holds on it.
class FdEntry {
 public:
  // `owned`: close `host_fd` when the entry goes away (false for the configured stdio fds).
  FdEntry(int host_fd, bool owned, Rights rights) noexcept
      : host_fd_(host_fd), owned_(owned), rights_(rights) {}
  ~FdEntry();
  FdEntry(const FdEntry&) = delete;
  FdEntry& operator=(const FdEntry&) = delete;

  int host_fd() const noexcept { return host_fd_; }
  bool owned() const noexcept { return owned_; }

  const Rights& rights() const noexcept { return rights_; }
  // True when every right in `wanted` is among the base rights.
  bool has(uint64_t wanted) const noexcept { return (rights_.base & wanted) == wanted; }
  // fd_fdstat_set_rights: kNotcapable when `narrowed` would add a right (nothing changes then).
  Errno narrow_rights(Rights narrowed) noexcept;

  // A preopened directory reports its guest path through fd_prestat_*.
  bool is_preopen() const noexcept { return preopen_; }
  const std::string& preopen_name() const noexcept { return preopen_name_; }
  void set_preopen(std::string guest_path) {
    preopen_ = true;
    preopen_name_ = std::move(guest_path);
  }

  // The directory stream fd_readdir reads, positioned at `cookie` (0: the start). It is opened
  // on first use on its own open file description, so fd_seek and it do not interfere.
  Errno dir_stream_at(uint64_t cookie, DIR** out) noexcept;
  // Records the cookie the stream stands at after a readdir(3).
  void set_dir_cookie(uint64_t cookie) noexcept { dir_cookie_ = cookie; }

 private:
  int host_fd_;
  bool owned_;
  Rights rights_;
  bool preopen_ = false;
  std::string preopen_name_;
  DIR* dir_ = nullptr;
  uint64_t dir_cookie_ = 0;
};

class FdTable {
 public:
  static constexpr uint32_t kMaxFds = 1u << 16;

  FdTable() = default;
  FdTable(const FdTable&) = delete;
  FdTable& operator=(const FdTable&) = delete;

  // Gives `entry` the lowest free guest fd; kMfile when the table is full.
  Errno insert(std::unique_ptr<FdEntry> entry, uint32_t* fd);
  // Puts `entry` at `fd` (setup); kBadf when `fd` is taken or out of range.
  Errno insert_at(uint32_t fd, std::unique_ptr<FdEntry> entry);
  // The entry behind `fd`, or nullptr when it is not open.
  FdEntry* get(uint32_t fd) const noexcept;
  // Closes `fd` (the host fd too, unless it is a stdio fd); kBadf when not open.
  Errno close(uint32_t fd) noexcept;
  // fd_renumber: moves `from` onto `to`, closing what `to` held; both must be open.
  Errno renumber(uint32_t from, uint32_t to) noexcept;
  // How many guest fds are open.
  size_t open_count() const noexcept;

 private:
  void trim() noexcept;  // drops closed slots at the end

  std::vector<std::unique_ptr<FdEntry>> entries_;
};

}  // namespace nnwasm::wasi
