#include "distributed/data_parallel/data_parallel.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "distributed/lazarus/runtime/process_group.h"

namespace warden::data_parallel {
namespace {

absl::StatusOr<int> IntVariable(const tensor::EnvLookup& env, const char* name, int min, int max) {
  const char* value = env(name);
  if (value == nullptr)
    return absl::InvalidArgumentError(absl::StrCat("WORLD_SIZE is set but ", name, " is not"));
  int parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < min || parsed > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, "=\"", value, "\" is not an integer in [", min, ", ", max, "]"));
  }
  return parsed;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

}  // namespace

absl::StatusOr<std::optional<LaunchEnv>> LaunchEnvFromEnvironment(const tensor::EnvLookup& env) {
  if (env("WORLD_SIZE") == nullptr) return std::optional<LaunchEnv>();
  LaunchEnv out;
  absl::StatusOr<int> world = IntVariable(env, "WORLD_SIZE", 1, 1 << 20);
  if (!world.ok()) return world.status();
  out.world = *world;
  absl::StatusOr<int> rank = IntVariable(env, "RANK", 0, out.world - 1);
  if (!rank.ok()) return rank.status();
  out.rank = *rank;
  absl::StatusOr<int> port = IntVariable(env, "MASTER_PORT", 1, 65535);
  if (!port.ok()) return port.status();
  out.master_port = *port;
  const char* addr = env("MASTER_ADDR");
  if (addr == nullptr || *addr == '\0') {
    return absl::InvalidArgumentError("WORLD_SIZE is set but MASTER_ADDR is not");
  }
  out.master_addr = addr;
  return std::optional<LaunchEnv>(out);
}

C10dCollective::C10dCollective(c10::intrusive_ptr<c10d::Store> store,
                               c10::intrusive_ptr<c10d::ProcessGroup> group)
    : store_(std::move(store)), group_(std::move(group)) {}

int C10dCollective::rank() const { return group_->getRank(); }
int C10dCollective::world() const { return group_->getSize(); }

absl::Status C10dCollective::SumInPlace(at::Tensor& t) {
  try {
    std::vector<at::Tensor> tensors = {t};
    group_->allreduce(tensors)->wait();
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("all-reduce failed (a rank is gone?): ", e.what()));
  }
  return absl::OkStatus();
}

absl::Status C10dCollective::BroadcastFromRoot(at::Tensor& t) {
  try {
    std::vector<at::Tensor> tensors = {t};
    c10d::BroadcastOptions options;
    options.rootRank = 0;
    group_->broadcast(tensors, options)->wait();
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("broadcast failed (a rank is gone?): ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<C10dCollective>> JoinGroup(const LaunchEnv& env,
                                                          std::chrono::milliseconds timeout) {
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(env.master_port);
    options.isServer = env.rank == 0;
    options.numWorkers = env.world;
    options.waitWorkers = false;
    options.timeout = timeout;
    auto store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
    std::string host = "127.0.0.1";
    if (!IsLoopback(env.master_addr)) {
      char name[256] = {};
      if (gethostname(name, sizeof(name) - 1) != 0) return absl::InternalError("gethostname failed");
      host = name;
    }
    auto group = lazarus::MakeGlooGroup(store, env.rank, env.world, timeout, host);
    return std::make_unique<C10dCollective>(store, group);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("rank ", env.rank, " of ", env.world,
                                               " cannot join the group at ", env.master_addr, ":",
                                               env.master_port, ": ", e.what()));
  }
}

absl::StatusOr<int> FreeLocalPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("cannot find a free port: ", std::strerror(errno)));
  }
  close(fd);
  return static_cast<int>(ntohs(address.sin_port));
}

absl::StatusOr<std::vector<std::string>> OwnCommandLine() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  if (!in) return absl::UnavailableError("cannot read /proc/self/cmdline");
  const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  size_t begin = 0;
  while (begin < raw.size()) {
    const size_t end = raw.find('\0', begin);
    argv.push_back(raw.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  if (argv.empty()) return absl::UnavailableError("empty /proc/self/cmdline");
  argv[0] = "/proc/self/exe";  // this binary, whatever the path it was started by
  return argv;
}

absl::Status RunLocalRanks(const std::vector<std::string>& argv, int nproc) {
  if (argv.empty()) return absl::InvalidArgumentError("no command to launch");
  if (nproc < 1) return absl::InvalidArgumentError(absl::StrCat("--nproc must be >= 1, not ", nproc));
  absl::StatusOr<int> port = FreeLocalPort();
  if (!port.ok()) return port.status();
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string threads = absl::StrCat(std::max(1, cores / nproc));
  const bool threads_set = std::getenv("OMP_NUM_THREADS") != nullptr;
  std::vector<pid_t> pids;
  for (int rank = 0; rank < nproc; ++rank) {
    const pid_t pid = fork();
    if (pid < 0) {
      for (pid_t p : pids) kill(p, SIGTERM);
      return absl::InternalError("fork failed");
    }
    if (pid == 0) {
      setenv("RANK", std::to_string(rank).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", std::to_string(*port).c_str(), 1);
      if (!threads_set) setenv("OMP_NUM_THREADS", threads.c_str(), 1);
      std::vector<std::string> args = argv;
      std::vector<char*> raw;
      for (std::string& a : args) raw.push_back(a.data());
      raw.push_back(nullptr);
      execv(raw[0], raw.data());
      _exit(127);
    }
    pids.push_back(pid);
  }
  int failed_rank = -1, failed_status = 0;
  for (size_t done = 0; done < pids.size();) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) break;
    int rank = -1;
    for (size_t r = 0; r < pids.size(); ++r) {
      if (pids[r] == pid) rank = static_cast<int>(r);
    }
    if (rank < 0) continue;
    pids[rank] = 0;  // reaped: never signal it again
    ++done;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok && failed_rank < 0) {
      failed_rank = rank;
      failed_status = status;
      for (pid_t p : pids) {
        if (p > 0) kill(p, SIGTERM);
      }
    }
  }
  if (failed_rank >= 0) {
    return absl::InternalError(absl::StrCat("rank ", failed_rank, " of ", nproc, " failed (",
                                            WIFEXITED(failed_status)
                                                ? absl::StrCat("exit status ", WEXITSTATUS(failed_status))
                                                : absl::StrCat("signal ", WTERMSIG(failed_status)),
                                            "); the other ranks were stopped"));
  }
  return absl::OkStatus();
}

}  // namespace warden::data_parallel
