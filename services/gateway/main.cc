// The API gateway: HTTP/JSON for the storefront and clients, in front of the gRPC services.
#include <gperftools/malloc_extension_c.h>
#include <gperftools/tcmalloc.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <thread>

#include "common/logging.h"
#include "common/signals.h"
#include "gateway/backends.h"
#include "gateway/config.h"
#include "gateway/gateway_service.h"
#include "gateway/http_server.h"
#include "gateway/static_files.h"

namespace {

// The gateway's allocations go to tcmalloc (gperftools' minimal build, linked in
// CMakeLists.txt; docs/benchmarks.md, "Allocator"): a fifth fewer instructions per uncached
// listing than glibc's malloc, and 25-30 % more of them per second. Its per-thread caches are
// capped at kThreadCacheBytes in all (its default, 32 MiB, would stay resident after a burst);
// the idle trim hands its free pages back to the system.
constexpr size_t kThreadCacheBytes = size_t{4} << 20;

// Applies the cap, then says which allocator serves malloc, or warns when the link order let
// glibc's win after all.
void ConfigureAllocator() {
  MallocExtension_SetNumericProperty("tcmalloc.max_total_thread_cache_bytes", kThreadCacheBytes);
  void* probe = std::malloc(64);
  const bool tcmalloc = MallocExtension_GetOwnership(probe) == MallocExtension_kOwned;
  std::free(probe);
  if (tcmalloc) {
    spdlog::info("memory allocator: tcmalloc {}", tc_version(nullptr, nullptr, nullptr));
  } else {
    spdlog::warn("memory allocator: tcmalloc is linked but malloc is not served by it");
  }
}

}  // namespace

int main() {
  using namespace mercato;
  using namespace mercato::gateway;
  InitProcess();
  EnvReader env;
  auto config = LoadGatewayConfig(env);
  if (!config.ok()) ExitWithConfigError("gateway", config.status());
  InitLogging("gateway", config->log_level);
  ConfigureAllocator();

  auto files = StaticFiles::Load(config->web_root);
  if (!files.ok()) {
    spdlog::critical("{}", files.status().message());
    return 1;
  }
  Metrics metrics("gateway");
  if (auto s = metrics.StartAdminServer(config->bind_address, config->admin_port); !s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  // Once idle, tcmalloc (not glibc's malloc_trim) returns its free pages to the system.
  auto idle_trim =
      StartIdleMemoryTrim(metrics.registry(), [] { MallocExtension_ReleaseFreeMemory(); });
  Backends backends = ConnectBackends(*config, metrics);
  GatewayService service(*config, backends, *std::move(files), metrics);
  HttpServer server({.address = config->bind_address,
                     .port = config->http_port,
                     .io_threads = config->io_threads,
                     .max_header_bytes = config->max_header_bytes,
                     .max_body_bytes = config->max_body_bytes,
                     .idle_timeout = config->idle_timeout},
                    service);
  if (auto s = server.Start(); !s.ok()) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  spdlog::info("gateway listening on http://{}:{} ({} I/O threads, {} routes)",
               config->bind_address, server.port(), config->io_threads,
               service.router().routes().size());

  const int signal_number = WaitForTerminationSignal();
  spdlog::info("received signal {}, draining for up to {} ms", signal_number,
               config->shutdown_grace.count());
  service.StartDraining();
  server.StopAccepting();
  const auto deadline = std::chrono::steady_clock::now() + config->shutdown_grace;
  while (service.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  server.Stop();
  spdlog::info("gateway stopped");
  return 0;
}
