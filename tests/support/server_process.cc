// ServerProcess: fork/exec, a thread pumping the child's pipes, signals to stop it.
#include "support/server_process.h"

#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <stdexcept>

namespace nnwasm::test {

ServerProcess::ServerProcess(const std::vector<std::string>& argv, const std::string& ready,
                             int timeout_s) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) throw std::runtime_error("pipe");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    const int null_in = open("/dev/null", O_RDONLY);
    dup2(null_in, 0);
    exec_argv(argv);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];

  // Reads stdout up to the ready line here; the rest goes to the pump thread.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  char c;
  ready_ = ready.empty();
  while (!ready_ && std::chrono::steady_clock::now() < deadline) {
    pollfd fd{out_fd_, POLLIN, 0};
    if (poll(&fd, 1, 100) <= 0) continue;
    const ssize_t n = read(out_fd_, &c, 1);
    if (n <= 0) break;
    if (c != '\n') {
      line += c;
      continue;
    }
    if (line.find(ready) != std::string::npos) {
      ready_ = true;
      ready_line_ = line;
      break;
    }
    output_ += line + "\n";
    line.clear();
  }
  pump_ = std::thread([this] {
    char buffer[4096];
    int fds[2] = {out_fd_, err_fd_};
    while (fds[0] >= 0 || fds[1] >= 0) {
      pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
      if (poll(p, 2, -1) < 0 && errno != EINTR) break;
      for (int i = 0; i < 2; ++i) {
        if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t n = read(fds[i], buffer, sizeof buffer);
        if (n > 0) {
          std::lock_guard lock(mutex_);
          output_.append(buffer, static_cast<size_t>(n));
        } else {
          close(fds[i]);
          fds[i] = -1;
        }
      }
    }
  });
}

int ServerProcess::stop(int signal, int timeout_s) {
  if (pid_ <= 0) return exit_code_;
  kill(pid_, signal);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    usleep(10000);
  }
  pid_ = -1;
  if (pump_.joinable()) pump_.join();
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_code_;
}

std::string ServerProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop(SIGKILL, 5);
  if (pump_.joinable()) pump_.join();
}

}  // namespace nnwasm::test
