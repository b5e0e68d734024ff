// HttpServer: the OpenAI-compatible HTTP/1.1 front end of a ModelService, on Boost.Beast with
// C++20 coroutines on one I/O thread (the model work runs on the scheduler's threads). Routes:
// GET /health, GET /metrics (Prometheus), GET /v1/models[/ID], POST /v1/completions and
// POST /v1/chat/completions, whole or streamed as server-sent events ending in `data: [DONE]`.
// Errors are OpenAI error objects with the status an OpenAI client expects. A client that goes
// away cancels its request (its KV is freed at the scheduler's next step). SIGTERM or SIGINT
// drains: new requests get 503, in-flight ones finish, then Run() returns.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "server/model_service.h"

namespace llms::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;             // 0: any free port (see port_file)
  std::string port_file;            // where to write the bound port once listening (tests, scripts)
  std::string api_key;              // when set, /v1/* needs "Authorization: Bearer <key>"
  size_t max_body_bytes = 8 << 20;  // larger bodies get 413
  double drain_timeout_s = 60;      // SIGTERM: how long in-flight requests may take to finish
};

// Serves until SIGTERM/SIGINT, then drains; an error when it cannot bind.
Status RunHttpServer(ModelService* service, const ServerOptions& options);

}  // namespace llms::server
