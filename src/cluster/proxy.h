// Proxy: the cluster's stateless front door (aegaeon proxy). It speaks the same OpenAI API as
// aegaeon serve and forwards each completion to a live node serving its model (cluster/router.h
// over cluster/membership.h's view), relaying the node's answer unchanged: server-sent events
// chunk by chunk as they arrive, whole bodies at once. /v1/models is the union of the live nodes'
// models; /health and /metrics are the proxy's own. Faults, as docs/cluster.md specifies:
//   - a node that cannot be reached, refuses, or is draining (503) before it answered: the
//     request goes to another node serving the model (each node tried once), and the proxy
//     routes nothing more to a node it could not reach until that node beats again;
//   - a node lost after its answer began (killed, or stalled past its lease): a streamed request
//     gets an error event and the stream ends without [DONE]; a whole one a 502 error object;
//   - no live node serves the model: 503 with an OpenAI error object naming it;
//   - a client that goes away closes the node's connection, which cancels the request there.
// Request ids are req-P-N, P the proxy's number from Redis (INCR PREFIX:proxy_seq at start) and N
// its own count, and each request's record (model, node, proxy, state) lives in Redis for an hour
// under PREFIX:request:ID, written off the request's path, so nothing a proxy keeps in memory is
// needed by another. One thread per client connection (blocking I/O, bounded by
// --max-connections); SIGTERM or SIGINT stops accepting and waits for open requests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cluster/membership.h"
#include "core/status.h"
#include "serving/router.h"

namespace llms::cluster {

struct ProxyOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;  // 0: any free port
  std::string port_file;
  std::string api_key;  // when set, /v1/* needs "Authorization: Bearer KEY" (forwarded as is)
  std::string name;     // in request ids and logs (default: proxy-PID)
  size_t max_connections = 4096;
  size_t max_body_bytes = 8 << 20;
  double header_timeout_s = 10;
  double connect_timeout_s = 1;
  double drain_timeout_s = 60;
  int64_t switch_penalty = serving::Router::kDefaultSwitchPenalty;  // serving/router.h
};

// Blocks SIGTERM and SIGINT in the calling thread and the threads it starts afterwards: call it
// first thing, before any thread exists, so that Proxy::Run is the one to receive them.
void BlockStopSignals();

class Proxy {
 public:
  // Binds the address (an error that says why when it cannot).
  static Result<std::unique_ptr<Proxy>> Start(ProxyOptions options, ClusterView* view);
  ~Proxy();
  uint16_t port() const;
  // Serves until SIGTERM or SIGINT (blocked beforehand: BlockStopSignals), then waits for open
  // requests (up to the drain timeout, after which their connections are cut).
  Status Run();

 private:
  struct Impl;
  explicit Proxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace llms::cluster
