// FdTable and FdEntry: guest fd allocation, closing, renumbering and directory streams.

#include "wasi/fd_table.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace nnwasm::wasi {

FdEntry::~FdEntry() {
  if (dir_ != nullptr) ::closedir(dir_);
  if (owned_ && host_fd_ >= 0) ::close(host_fd_);
}

Errno FdEntry::narrow_rights(Rights narrowed) noexcept {
  if ((narrowed.base & ~rights_.base) != 0 || (narrowed.inheriting & ~rights_.inheriting) != 0) {
    return Errno::kNotcapable;
  }
  rights_ = narrowed;
  return Errno::kSuccess;
}

Errno FdEntry::dir_stream_at(uint64_t cookie, DIR** out) noexcept {
  if (dir_ == nullptr) {
    int fd = ::openat(host_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return last_host_errno();
    dir_ = ::fdopendir(fd);
    if (dir_ == nullptr) {
      Errno e = last_host_errno();
      ::close(fd);
      return e;
    }
    dir_cookie_ = 0;
  }
  if (cookie != dir_cookie_) {
    if (cookie == kDircookieStart) {
      ::rewinddir(dir_);
    } else {
      if (cookie > static_cast<uint64_t>(INT64_MAX)) return Errno::kInval;
      ::seekdir(dir_, static_cast<long>(cookie));
    }
    dir_cookie_ = cookie;
  }
  *out = dir_;
  return Errno::kSuccess;
}

Errno FdTable::insert(std::unique_ptr<FdEntry> entry, uint32_t* fd) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i] == nullptr) {
      entries_[i] = std::move(entry);
      *fd = static_cast<uint32_t>(i);
      return Errno::kSuccess;
    }
  }
  if (entries_.size() >= kMaxFds) return Errno::kMfile;
  entries_.push_back(std::move(entry));
  *fd = static_cast<uint32_t>(entries_.size() - 1);
  return Errno::kSuccess;
}

Errno FdTable::insert_at(uint32_t fd, std::unique_ptr<FdEntry> entry) {
  if (fd >= kMaxFds) return Errno::kBadf;
  if (fd >= entries_.size()) entries_.resize(size_t{fd} + 1);
  if (entries_[fd] != nullptr) return Errno::kBadf;
  entries_[fd] = std::move(entry);
  return Errno::kSuccess;
}

FdEntry* FdTable::get(uint32_t fd) const noexcept {
  return fd < entries_.size() ? entries_[fd].get() : nullptr;
}

Errno FdTable::close(uint32_t fd) noexcept {
  if (get(fd) == nullptr) return Errno::kBadf;
  entries_[fd].reset();
  trim();
  return Errno::kSuccess;
}

Errno FdTable::renumber(uint32_t from, uint32_t to) noexcept {
  if (get(from) == nullptr || get(to) == nullptr) return Errno::kBadf;
  if (from == to) return Errno::kSuccess;
  entries_[to] = std::move(entries_[from]);  // destroys what `to` held
  trim();
  return Errno::kSuccess;
}

void FdTable::trim() noexcept {
  while (!entries_.empty() && entries_.back() == nullptr) entries_.pop_back();
}

size_t FdTable::open_count() const noexcept {
  size_t count = 0;
  for (const auto& entry : entries_) count += entry != nullptr;
  return count;
}

}  // namespace nnwasm::wasi
