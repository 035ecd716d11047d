// TempTree: a scratch directory for a test (a unique mkdtemp name), removed (recursively) on
// destruction.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace nnwasm::test {

class TempTree {
 public:
  TempTree() {
    std::string pattern = (std::filesystem::temp_directory_path() / "nnwasm_wasi_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
  }
  ~TempTree() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path operator/(const std::string& relative) const { return root_ / relative; }

  void write(const std::string& relative, const std::string& content) const {
    std::ofstream(root_ / relative, std::ios::binary) << content;
  }
  std::string read(const std::string& relative) const {
    std::ifstream in(root_ / relative, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void mkdir(const std::string& relative) const {
    std::filesystem::create_directories(root_ / relative);
  }
  // Creates the symlink `relative` -> `target` (the target is stored as given).
  void symlink(const std::string& target, const std::string& relative) const {
    if (::symlink(target.c_str(), (root_ / relative).c_str()) != 0) {
      throw std::runtime_error("symlink failed: " + relative);
    }
  }
  // True when `relative` exists (without following a final symlink).
  bool exists(const std::string& relative) const {
    struct stat st;
    return ::lstat((root_ / relative).c_str(), &st) == 0;
  }
  // An O_RDONLY | O_DIRECTORY fd for `relative` (the caller closes it).
  int open_dir(const std::string& relative) const {
    return ::open((root_ / relative).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }

 private:
  std::filesystem::path root_;
};

}  // namespace nnwasm::test
