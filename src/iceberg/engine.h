// Real authoritative DNS engines as child processes: NSD, Knot DNS, BIND 9, PowerDNS (bind
// backend), gdnsd and YADIFA, as Debian packages them. Each gets its own working directory with a
// generated configuration and the zone file, listens on 127.0.0.1 on a free port, runs in the
// foreground and is stopped with SIGTERM when the EngineProcess goes. A start-up failure returns
// the engine's log.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "dns/zone_parser.h"
#include "iceberg/spec.h"

namespace llms::iceberg {

// "nsd", "knot", "bind", "pdns", "gdnsd", "yadifa".
const std::vector<std::string>& EngineNames();

// Record types the engine cannot load (DNAME for gdnsd and YADIFA), CheckSupported's error
// naming the first such record of a zone, and the zone without them (what a campaign checks on
// such an engine).
std::vector<uint16_t> UnsupportedTypes(const std::string& engine);
Status CheckSupported(const std::string& engine, const dns::Zone& zone);
dns::Zone WithoutTypes(dns::Zone zone, const std::vector<uint16_t>& types);

// The specification's profile matching an engine's documented default choices (docs/iceberg.md
// lists them): a difference these explain is not a finding.
Profile EngineProfile(const std::string& engine);

class EngineProcess {
 public:
  // Writes the zone and the configuration under `workdir` (created), starts the engine on
  // 127.0.0.1:`port` (0: a free port) and waits until it answers the zone's SOA query (up to
  // `startup_timeout_s`). A zone with records the engine cannot load is refused before anything
  // starts (CheckSupported).
  static Result<std::unique_ptr<EngineProcess>> Start(const std::string& engine,
                                                      const dns::Zone& zone,
                                                      const std::string& workdir,
                                                      double startup_timeout_s = 15,
                                                      uint16_t port = 0);
  ~EngineProcess();
  EngineProcess(const EngineProcess&) = delete;
  EngineProcess& operator=(const EngineProcess&) = delete;

  const std::string& engine() const { return engine_; }
  uint16_t port() const { return port_; }
  // The engine's output so far (its log).
  std::string Log() const;
  // The engine's version line (e.g. "NSD 4.6.1").
  const std::string& version() const { return version_; }

 private:
  EngineProcess() = default;
  void Stop();

  std::string engine_, workdir_, log_path_, version_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace llms::iceberg
