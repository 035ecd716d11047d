// run_process: fork/exec with three pipes, pumped with poll(2) so large outputs cannot deadlock.
#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stdexcept>

namespace nnwasm::test {

void exec_argv(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

void no_leak_checks_in_children() {
#ifdef __SANITIZE_ADDRESS__
  static const bool once = [] {
    const char* lsan = std::getenv("LSAN_OPTIONS");
    const std::string options = std::string(lsan ? lsan : "") + ":detect_leaks=0";
    return setenv("LSAN_OPTIONS", options.c_str(), 1) == 0;
  }();
  (void)once;
#endif
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input,
                          const std::string& cwd, int timeout_s) {
  std::signal(SIGPIPE, SIG_IGN);  // the child may exit without reading its stdin
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
    throw std::runtime_error("pipe failed");
  }
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    exec_argv(argv);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);

  ProcessResult result;
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  char buffer[65536];
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(timeout_s);
  while (out_fd >= 0 || err_fd >= 0) {
    pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    int wait_ms = -1;
    if (timeout_s > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        // Killed, it closes its pipes: the loop ends once they are drained.
        if (!result.timed_out) kill(pid, SIGKILL);
        result.timed_out = true;
        left = std::chrono::milliseconds(1000);
      }
      wait_ms = static_cast<int>(left.count());
    }
    int ready = poll(fds, 3, wait_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready == 0 && result.timed_out) break;  // pipes held open by something else
    if (ready <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? out_fd : err_fd;
      if (fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fd);
        fd = -1;
      }
    }
    if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = input.size();
      if (written == input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
  }
  for (int fd : {in_fd, out_fd, err_fd}) {
    if (fd >= 0) close(fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string nnwasm_binary() {
  return NNWASM_TEST_BINARY;
}
std::string test_plugin_dir() {
  return NNWASM_TEST_PLUGIN_DIR;
}
std::string guest_path(const std::string& name) {
  return std::string(NNWASM_TEST_GUEST_DIR) + "/" + name + ".wasm";
}

}  // namespace nnwasm::test
