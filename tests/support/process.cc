#include "support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/create_channel.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"

extern char** environ;

namespace mercato::testing {

std::string BinaryPath(const std::string& service) {
  return absl::StrCat(MERCATO_BINARY_DIR, "/services/", service, "/", service);
}

std::string SourceDir() { return MERCATO_SOURCE_DIR; }

std::string ScratchDir(const std::string& name) {
  std::string dir = absl::StrCat(MERCATO_BINARY_DIR, "/test-scratch/", name);
  std::filesystem::create_directories(dir);
  return dir;
}

ChildProcess::ChildProcess(std::string binary, std::map<std::string, std::string> env,
                           std::string name, std::vector<std::string> args)
    : binary_(std::move(binary)),
      env_(std::move(env)),
      name_(std::move(name)),
      args_(std::move(args)) {
  static std::atomic<int> sequence{0};
  log_path_ = absl::StrCat(ScratchDir("logs"), "/", name_, "-", getpid(), "-", ++sequence, ".log");
}

ChildProcess::~ChildProcess() { Kill(); }

absl::Status ChildProcess::Start() {
  // Build argv and envp before fork: only async-signal-safe calls after it.
  std::vector<std::string> env_strings;
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env_) merged[k] = v;
  for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_strings = {binary_};
  arg_strings.insert(arg_strings.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (auto& s : arg_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  const int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("cannot open ", log_path_));
  pid_ = fork();
  if (pid_ < 0) {
    close(log_fd);
    return absl::InternalError("fork failed");
  }
  if (pid_ == 0) {
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    // The test runner may block signals; the service must see SIGTERM.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    setpgid(0, 0);
    execve(binary_.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  return absl::OkStatus();
}

bool ChildProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return r == 0;
}

void ChildProcess::Signal(int signal_number) {
  if (pid_ > 0) kill(pid_, signal_number);
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

void ChildProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string ChildProcess::ReadLog() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

bool CanBind(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

// Claims `port` for this process among all test processes of the machine (ctest runs several
// test binaries at once, each picking ports from the same range): an O_EXCL file per port
// holding the owner's pid. A claim whose owner has exited is taken over.
bool ClaimAcrossProcesses(int port) {
  const std::string dir = "/tmp/mercato-test-ports";
  mkdir(dir.c_str(), 0777);
  const std::string path = absl::StrCat(dir, "/", port);
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) {
      const std::string pid = absl::StrCat(getpid());
      (void)!write(fd, pid.data(), pid.size());
      close(fd);
      return true;
    }
    std::ifstream in(path);
    int owner = 0;
    in >> owner;
    if (owner > 0 && (owner == getpid() || kill(owner, 0) == 0 || errno != ESRCH)) return false;
    unlink(path.c_str());  // the owner is gone
  }
  return false;
}

int FreePort() {
  // Below Linux's ephemeral range (32768-60999 by default): the kernel hands ports from that
  // range to outgoing connections, which on a busy machine would take a port between this
  // check and the service binding it.
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(getpid()));
  std::uniform_int_distribution<int> pick(20000, 32000);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int port = pick(rng);
    if (CanBind(port) && ClaimAcrossProcesses(port)) return port;
  }
  return 0;
}

absl::Status WaitForPort(int port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (ok) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(absl::StrCat("nothing listens on port ", port));
}

absl::Status WaitForGrpcHealthy(const std::string& address, std::chrono::milliseconds timeout) {
  // Poll quickly: gRPC's default reconnect backoff (1 s, growing) would add seconds to every
  // service (re)start in the tests.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  auto channel =
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  auto stub = grpc::health::v1::Health::NewStub(channel);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    // Wait for the connection within the deadline: a call that fails fast while the channel
    // is in TRANSIENT_FAILURE cancels the connection attempt it started, and gRPC 1.51 then
    // takes about 5 s to connect at all.
    ctx.set_wait_for_ready(true);
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    if (stub->Check(&ctx, request, &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(address, " did not become healthy"));
}

int RunCommand(const std::string& command, std::string* output) {
  std::string cmd = command + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace mercato::testing
