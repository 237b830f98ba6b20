#include "metrics/process_collector.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace mercato {
namespace {

prometheus::MetricFamily Gauge(std::string name, std::string help, double value,
                               prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

int CountOpenFds() {
  int count = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr) ++count;
    closedir(dir);
    count -= 3;  // ".", ".." and the directory's own descriptor
  }
  return count;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may contain spaces.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields(stat.substr(close + 2));
  std::vector<std::string> f;
  for (std::string s; fields >> s;) f.push_back(s);
  // f[0] is field 3 (state); utime = field 14, stime = 15, num_threads = 20,
  // starttime = 22, vsize = 23, rss = 24.
  if (f.size() < 22) return out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  out.push_back(Gauge("process_cpu_seconds_total", "Total user and system CPU time in seconds.",
                      cpu, prometheus::MetricType::Counter));
  out.push_back(Gauge("process_threads", "Number of OS threads.", std::stod(f[17])));
  out.push_back(Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                      std::stod(f[20])));
  out.push_back(Gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                      std::stod(f[21]) * page));
  double boot_time = 0;
  std::ifstream proc_stat("/proc/stat");
  for (std::string line; std::getline(proc_stat, line);) {
    if (line.rfind("btime ", 0) == 0) boot_time = std::stod(line.substr(6));
  }
  out.push_back(Gauge("process_start_time_seconds",
                      "Start time of the process since the Unix epoch in seconds.",
                      boot_time + std::stod(f[19]) / ticks));
  out.push_back(Gauge("process_open_fds", "Number of open file descriptors.", CountOpenFds()));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(Gauge("process_max_fds", "Maximum number of open file descriptors.",
                        static_cast<double>(limit.rlim_cur)));
  }
  return out;
}

}  // namespace mercato
