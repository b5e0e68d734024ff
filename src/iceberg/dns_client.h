// A stub DNS client for checking engines on the loopback: one query over UDP (EDNS0, 1232-octet
// buffer, RD clear), retried over TCP when the answer comes back truncated (RFC 7766 §5), with a
// timeout and a retry for lost datagrams.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "dns/message.h"

namespace llms::iceberg {

struct ClientOptions {
  double timeout_s = 2.0;  // per attempt
  int udp_attempts = 2;
};

// Sends `question` to host:port and returns the decoded response (whose ID and question match).
Result<dns::Message> QueryServer(const std::string& host, uint16_t port,
                                 const dns::Question& question,
                                 const ClientOptions& options = ClientOptions());

// A port on 127.0.0.1 that is free for both UDP and TCP right now.
Result<uint16_t> FreeLoopbackPort();
// Whether both TCP and UDP `port` of 127.0.0.1 can be bound now.
bool LoopbackPortIsFree(uint16_t port);

}  // namespace llms::iceberg
