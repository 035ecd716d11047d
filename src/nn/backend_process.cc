// The backend process: start, watch and stop the child that runs untrusted models.
#include "nn/backend_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

namespace nnwasm::nn {

namespace {

using Clock = std::chrono::steady_clock;

// How long a new child may take to listen, and a dying one to be gone.
constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kExitTimeout = std::chrono::seconds(5);
constexpr auto kMaybeExiting = std::chrono::milliseconds(250);
constexpr auto kPoll = std::chrono::milliseconds(5);

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(sig);
    std::string text =
        abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
    text += std::string(" (") + strsignal(sig) + ")";
    if (sig == SIGKILL) text += ", perhaps by the out-of-memory killer";
    return text;
  }
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

std::string crash_message(std::string_view backend, std::string_view doing, std::string_view fate) {
  std::string message = "backend '";
  message.append(backend).append("' crashed ").append(doing).append(": ").append(fate);
  message.append("; it ran in the backend process (--nn-isolate), which the next load starts anew");
  return message;
}

std::string_view without_transport_prefix(std::string_view message) {
  constexpr std::string_view kPrefix = "rpc: ";
  if (message.substr(0, kPrefix.size()) == kPrefix) message.remove_prefix(kPrefix.size());
  return message;
}

bool parse_isolation_mode(std::string_view text, IsolationMode* out) {
  if (text == "none")
    *out = IsolationMode::none;
  else if (text == "guest")
    *out = IsolationMode::guest;
  else if (text == "all")
    *out = IsolationMode::all;
  else
    return false;
  return true;
}

BackendProcess::BackendProcess(IsolationConfig config) : config_(std::move(config)) {}

BackendProcess::~BackendProcess() {
  std::lock_guard lock(mutex_);
  stop();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

NnStatus BackendProcess::ensure_running(std::string* uri, uint64_t* generation) {
  std::lock_guard lock(mutex_);
  if (pid_ > 0) reap(WNOHANG);
  if (pid_ <= 0) {
    if (NnStatus status = start(); !status.is_ok()) return status;
  }
  *uri = "unix://" + socket_;
  *generation = generation_;
  return NnStatus::ok();
}

std::string BackendProcess::fate(uint64_t generation, nnwasm_status code) {
  std::lock_guard lock(mutex_);
  if (generation == generation_ && pid_ > 0 && !reap(WNOHANG)) {
    // A dying child cannot be reaped until its last thread is gone. Its main thread a zombie,
    // or its socket closed: it is on its way out. Otherwise the kernel may still be tearing it
    // down when the call sees its connection drop (a runtime_error): give it a moment.
    std::chrono::milliseconds wait = kExitTimeout;
    if (!leader_exited() && socket_accepts()) {
      if (code != NNWASM_RUNTIME_ERROR) return "";  // an answer: the failure was the model's
      wait = kMaybeExiting;
    }
    const auto deadline = Clock::now() + wait;
    while (!reap(WNOHANG)) {
      if (Clock::now() > deadline) return "";
      std::this_thread::sleep_for(kPoll);
    }
  }
  auto it = fates_.find(generation);
  return it != fates_.end() ? it->second : "";
}

NnStatus BackendProcess::start() {
  if (dir_.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/nnwasm-backend-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      return nn_error(NNWASM_RUNTIME_ERROR,
                      "cannot create a directory for the backend process in " + pattern + ": " +
                          std::strerror(errno) + "; set TMPDIR, or run with --nn-isolate=none");
    }
    dir_ = pattern;
  }
  ++generation_;
  socket_ = dir_ + "/backend-" + std::to_string(generation_) + ".sock";
  if (socket_.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return nn_error(NNWASM_RUNTIME_ERROR, "the backend process socket path " + socket_ +
                                              " is too long; set a shorter TMPDIR");
  }
  // Everything the child needs is made before fork: after it only async-signal-safe calls.
  std::vector<std::string> args{config_.server, "--listen", "unix://" + socket_,
                                "--nn-backend-process", std::to_string(getpid())};
  args.insert(args.end(), config_.args.begin(), config_.args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t pid = fork();
  if (pid < 0) {
    if (null_fd >= 0) ::close(null_fd);
    return nn_error(NNWASM_RUNTIME_ERROR,
                    std::string("cannot start the backend process: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // The guest's stdin is not the child's; stdout and stderr are shared (its log lines and
    // a framework's own messages reach the host's stderr).
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    if (close_range(3, ~0u, 0) != 0) {
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (null_fd >= 0) ::close(null_fd);
  pid_ = pid;
  const auto deadline = Clock::now() + kStartTimeout;
  while (!socket_accepts()) {
    if (reap(WNOHANG)) {
      return nn_error(NNWASM_RUNTIME_ERROR,
                      "the backend process " + config_.server + " ended at start (" +
                          fates_[generation_] +
                          (fates_[generation_] == "exit status 127" ? ": cannot run it" : "") +
                          "); reinstall nnwasm, or run with --nn-isolate=none");
    }
    if (Clock::now() > deadline) {
      stop();
      return nn_error(NNWASM_RUNTIME_ERROR, "the backend process " + config_.server +
                                                " did not listen within 30 s; run with "
                                                "--nn-isolate=none");
    }
    std::this_thread::sleep_for(kPoll);
  }
  return NnStatus::ok();
}

bool BackendProcess::reap(int options) {
  if (pid_ <= 0) return false;  // never waitpid(-1): other children are not ours to reap
  int status = 0;
  const pid_t done = waitpid(pid_, &status, options);
  if (done != pid_) return false;
  fates_[generation_] = describe_exit(status);
  pid_ = -1;
  return true;
}

bool BackendProcess::leader_exited() const {
  char path[32], stat[256];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid_));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  const ssize_t n = ::read(fd, stat, sizeof stat - 1);
  ::close(fd);
  if (n <= 0) return true;
  stat[n] = '\0';
  // "pid (comm) S ...": the state follows the last ')' (comm may hold one).
  const char* close = std::strrchr(stat, ')');
  return close == nullptr || close[1] == '\0' || close[2] == 'Z' || close[2] == 'X';
}

bool BackendProcess::socket_accepts() const {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_.c_str(), socket_.size() + 1);
  const bool accepted =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return accepted;
}

void BackendProcess::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);  // it drains (briefly: nothing is left to finish) and removes its socket
  const auto deadline = Clock::now() + kExitTimeout;
  while (!reap(WNOHANG)) {
    if (Clock::now() > deadline) {
      kill(pid_, SIGKILL);
      reap(0);
      return;
    }
    std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace nnwasm::nn
