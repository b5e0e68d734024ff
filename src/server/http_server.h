// HttpServer: the OpenAI-compatible HTTP/1.1 front end of a ModelService, on Boost.Beast with
// C++20 coroutines on one I/O thread that only moves bytes: parsing request bodies, tokenizing
// prompts, submitting to and withdrawing from the scheduler and building /metrics run on a small
// pool of worker threads, and the model work on the scheduler's threads. Routes: GET (and HEAD)
// /health, /metrics (Prometheus), /v1/models[/ID]; POST /v1/completions and
// /v1/chat/completions, whole or streamed as server-sent events ending in `data: [DONE]` (plain
// close-delimited bodies for HTTP/1.0 clients). Errors are OpenAI error objects with the status an
// OpenAI client expects. A client that goes away cancels its request (its KV is freed at the
// scheduler's next step). Deployment limits: a header timeout, a body timeout, an idle keep-alive
// timeout, a maximum generation time, a connection cap and a prompt-size cap. SIGTERM or SIGINT
// drains: new requests get 503, in-flight ones finish; past the drain timeout (or on a second
// signal) the rest get an explicit error and Run() returns an error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "server/model_service.h"

namespace llms::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;               // 0: any free port (see port_file)
  std::string port_file;              // where to write the bound port once serving (tests, scripts)
  std::string api_key;                // when set, /v1/* needs "Authorization: Bearer <key>"
  size_t max_body_bytes = 8 << 20;    // larger bodies get 413
  size_t max_prompt_bytes = 4 << 20;  // a longer prompt text gets 400 before it is tokenized
  double drain_timeout_s = 60;        // SIGTERM: how long in-flight requests may take to finish
  double header_timeout_s = 10;       // for a request's line and headers to arrive
  double body_timeout_s = 60;         // for its body to arrive
  double keep_alive_timeout_s = 5;    // idle time allowed between requests on one connection
  double max_generation_s = 600;      // a generation running longer is ended with an error
  int max_connections = 4096;         // more get 503 and are closed
  int worker_threads = 2;             // parse, tokenize, submit (niced below the model work)
};

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Checks the address and binds the port (an error naming the problem when it cannot): done
  // before the models load, so a bad --host or a port in use fails at once.
  Status Bind();
  // Serves `service` until SIGTERM/SIGINT, then drains; an error when the drain timed out (the
  // requests still running were ended with an error).
  Status Run(ModelService* service);
  uint16_t port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace llms::server
