#include "util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "util/file.h"

extern char** environ;

namespace nb {
namespace {

using Clock = std::chrono::steady_clock;

// The environment handed to execve, built before fork: the child may only make
// async-signal-safe calls.
std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  const auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    bool overridden = false;
    for (const auto& x : extra) overridden = overridden || name_of(x) == name_of(entry);
    if (!overridden) out.push_back(entry);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void exec_child(int in, int out, int err, char* const* argv, char* const* envp) {
  ::setpgid(0, 0);
  // The daemon ignores SIGPIPE and the ignore would survive exec: a program writing to a
  // closed pipe should die of it as it would from a shell.
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  ::execve(argv[0], argv, envp);
  ::_exit(127);
}

// Feeds stdin and drains the output until the program exits, the deadline passes or the
// caller cancels; what is left running then is killed with its whole group.
void supervise(pid_t pid, UniqueFd in, UniqueFd out, const std::string& input,
               Clock::time_point deadline, const std::function<bool()>& cancelled,
               CommandOutcome& outcome, int& status) {
  size_t written = 0;
  if (input.empty()) in.reset();
  bool exited = false;
  while (!exited) {
    if (Clock::now() >= deadline || (cancelled && cancelled())) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      outcome.timed_out = true;
      ::waitpid(pid, &status, 0);
      return;
    }
    pollfd fds[2] = {{out.get(), POLLIN, 0}, {in.get(), POLLOUT, 0}};
    const int n = ::poll(fds, in.valid() ? 2 : 1, out.valid() ? 50 : 0);
    if (n < 0 && errno != EINTR) break;
    if (out.valid() && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buffer[4096];
      const ssize_t got = ::read(out.get(), buffer, sizeof buffer);
      if (got > 0) {
        const size_t room = kMaxCommandOutput - std::min(kMaxCommandOutput, outcome.output.size());
        outcome.output.append(buffer, std::min(static_cast<size_t>(got), room));
      } else if (got == 0 || errno != EAGAIN) {
        out.reset();
      }
    }
    if (in.valid() && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t put = ::write(in.get(), input.data() + written, input.size() - written);
      if (put > 0) written += static_cast<size_t>(put);
      if (put < 0 && errno != EAGAIN) in.reset();  // it closed its stdin: fine
      if (written == input.size()) in.reset();
    }
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    // A program that exited may have left a child holding the output open: what it wrote so
    // far is kept, and the rest is not waited for.
    if (done == pid) exited = true;
    if (!out.valid() && !exited) ::poll(nullptr, 0, 10);
  }
  while (out.valid() && outcome.output.size() < kMaxCommandOutput) {
    char buffer[4096];
    const ssize_t got = ::read(out.get(), buffer, sizeof buffer);
    if (got <= 0) break;
    outcome.output.append(
        buffer, std::min(static_cast<size_t>(got), kMaxCommandOutput - outcome.output.size()));
  }
}

// One pipe, its read end non-blocking (for poll), both ends closed on exec.
Result<std::pair<UniqueFd, UniqueFd>> make_pipe(const std::string& program) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("run", program, errno);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  return std::pair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Reads what `fd` has; false once it is at its end (or broken). `got` holds what was read.
bool read_some(UniqueFd& fd, std::string& got) {
  char buffer[64 * 1024];
  const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
  if (n > 0) {
    got.assign(buffer, static_cast<size_t>(n));
    return true;
  }
  got.clear();
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  fd.reset();
  return false;
}

// Drains stdout into `out` and stderr into the outcome until both end and the program has
// exited; kills the group at the deadline or when `out` refuses data.
Result<> supervise_stream(pid_t pid, UniqueFd out_fd, UniqueFd err_fd, Clock::time_point deadline,
                          const OutputSink& out, const std::function<bool()>& cancelled,
                          CommandOutcome& outcome, int& status) {
  bool exited = false;
  std::string got;
  while (out_fd.valid() || err_fd.valid() || !exited) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      ::kill(-pid, SIGKILL);
      outcome.timed_out = true;
      if (!exited) ::waitpid(pid, &status, 0);
      return {};
    }
    if (cancelled && cancelled()) {
      ::kill(-pid, SIGKILL);
      if (!exited) ::waitpid(pid, &status, 0);
      return fail("run", "", ECANCELED, "cancelled", true);
    }
    pollfd fds[2] = {{out_fd.get(), POLLIN, 0}, {err_fd.get(), POLLIN, 0}};
    // Bounded so that the program's exit (no SIGCHLD here) and the deadline are noticed.
    const int wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 50));
    if (out_fd.valid() || err_fd.valid()) {
      if (::poll(fds, 2, wait_ms) < 0 && errno != EINTR) return errno_error("poll", "", errno);
    }
    if (out_fd.valid() && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (read_some(out_fd, got) && !got.empty()) {
        if (auto r = out(got); !r) {
          ::kill(-pid, SIGKILL);
          if (!exited) ::waitpid(pid, &status, 0);
          return r;
        }
      }
    }
    if (err_fd.valid() && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (read_some(err_fd, got)) {
        const size_t room = kMaxCommandOutput - std::min(kMaxCommandOutput, outcome.output.size());
        outcome.output.append(got, 0, std::min(got.size(), room));
      }
    }
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      // What it left running in its group (a `cmd &`) would hold the pipe open until the
      // deadline; a pipeline's writers are all gone by now (the shell waited for them), and
      // what they wrote stays readable.
      ::kill(-pid, SIGKILL);
    }
    if (!exited && !out_fd.valid() && !err_fd.valid()) ::poll(nullptr, 0, wait_ms);
  }
  return {};
}

}  // namespace

Result<CommandOutcome> stream_command(const std::vector<std::string>& argv,
                                      std::chrono::milliseconds timeout, const OutputSink& out,
                                      const std::function<bool()>& cancelled) {
  if (argv.empty()) return fail("run", "", EINVAL, "no program");
  const auto deadline = Clock::now() + timeout;
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null.valid()) return errno_error("open", "/dev/null", errno);
  auto out_pipe = make_pipe(argv[0]);
  if (!out_pipe) return std::unexpected(out_pipe.error());
  auto err_pipe = make_pipe(argv[0]);
  if (!err_pipe) return std::unexpected(err_pipe.error());
  std::vector<std::string> args = argv;
  std::vector<std::string> envs = merged_environment({});
  auto arg_ptrs = pointers(args);
  auto env_ptrs = pointers(envs);
  if (::access(argv[0].c_str(), X_OK) != 0) return errno_error("run", argv[0], errno);
  const pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork", argv[0], errno);
  if (pid == 0) {
    exec_child(null.get(), out_pipe->second.get(), err_pipe->second.get(), arg_ptrs.data(),
               env_ptrs.data());
  }
  ::setpgid(pid, pid);  // also here, so a kill of the group cannot race the child's own call
  out_pipe->second.reset();
  err_pipe->second.reset();
  CommandOutcome outcome;
  int status = 0;
  auto r = supervise_stream(pid, std::move(out_pipe->first), std::move(err_pipe->first), deadline,
                            out, cancelled, outcome, status);
  if (!r) return std::unexpected(r.error());
  if (!outcome.timed_out) ::kill(-pid, SIGKILL);  // anything it left behind in its group
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  return outcome;
}

std::string CommandOutcome::describe() const {
  if (timed_out) return "timed out and was killed";
  if (exit_code >= 0) return "exit status " + std::to_string(exit_code);
  return "killed by signal " + std::to_string(signal);
}

Result<CommandOutcome> run_command(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env, const std::string& input,
                                   std::chrono::milliseconds timeout,
                                   const std::function<bool()>& cancelled) {
  if (argv.empty()) return fail("run", "", EINVAL, "no program");
  const auto deadline = Clock::now() + timeout;
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return errno_error("run", argv[0], errno);
  UniqueFd in_read(in_pipe[0]), in_write(in_pipe[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return errno_error("run", argv[0], errno);
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  ::fcntl(in_write.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  std::vector<std::string> args = argv;
  std::vector<std::string> envs = merged_environment(env);
  auto arg_ptrs = pointers(args);
  auto env_ptrs = pointers(envs);
  if (::access(argv[0].c_str(), X_OK) != 0) return errno_error("run", argv[0], errno);
  const pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork", argv[0], errno);
  if (pid == 0) {
    exec_child(in_read.get(), out_write.get(), out_write.get(), arg_ptrs.data(), env_ptrs.data());
  }
  ::setpgid(pid, pid);  // also here, so a kill of the group cannot race the child's own call
  in_read.reset();
  out_write.reset();
  CommandOutcome outcome;
  int status = 0;
  supervise(pid, std::move(in_write), std::move(out_read), input, deadline, cancelled, outcome,
            status);
  if (!outcome.timed_out) ::kill(-pid, SIGKILL);  // anything it left behind in its group
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  return outcome;
}

}  // namespace nb
