// llama_ref: llama.cpp's own library (the prebuilt CPU build inside the npm package
// node-llama-cpp, with the headers of the same release from its source bundle) driven from the
// command line, the outside reference tests/llama_cpp_reference_test.cc compares the engine with:
//   llama_ref eval MODEL N_DECODE ID...   the logits after the prompt ids (one line of floats),
//                                         then N_DECODE greedy tokens (one line); F32 KV cache,
//                                         one thread, no flash attention
//   llama_ref tokenize MODEL FILE         FILE: one hex-encoded string per line; prints each one's
//                                         token ids (no BOS, special tokens not parsed)
//   llama_ref quantize IN OUT FTYPE       llama.cpp's quantizer (FTYPE: LLAMA_FTYPE_* number)
//   llama_ref batched MODEL BATCH STEPS CONTEXT THREADS
//                                         aggregate decode speed: BATCH sequences sharing a
//                                         CONTEXT-token prefix (one unified KV cache, llama.cpp's
//                                         default KV type and attention), STEPS steps of one token
//                                         per sequence after a warm-up step; prints "tok/s X"
// Errors go to stderr with exit status 1.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "ggml-backend.h"
#include "llama.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "llama_ref: %s\n", message.c_str());
  return 1;
}

void Quiet(ggml_log_level, const char*, void*) {}

llama_model* Load(const char* path) {
  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  return llama_model_load_from_file(path, mp);
}

int Eval(const char* path, int n_decode, std::vector<llama_token> ids) {
  llama_model* model = Load(path);
  if (!model) return Fail(std::string("cannot load ") + path);
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<uint32_t>(ids.size() + n_decode + 8);
  cp.n_batch = cp.n_ubatch = static_cast<uint32_t>(ids.size() + 1);
  cp.n_threads = cp.n_threads_batch = 1;
  cp.type_k = cp.type_v = GGML_TYPE_F32;
  cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  llama_context* ctx = llama_init_from_model(model, cp);
  if (!ctx) return Fail("cannot create a context");
  const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
  if (llama_decode(ctx, llama_batch_get_one(ids.data(), static_cast<int32_t>(ids.size()))) != 0)
    return Fail("decode failed");
  const float* logits = llama_get_logits_ith(ctx, -1);
  for (int i = 0; i < n_vocab; ++i) std::printf(i ? " %.9g" : "%.9g", logits[i]);
  std::printf("\n");
  for (int step = 0; step < n_decode; ++step) {
    logits = llama_get_logits_ith(ctx, -1);
    llama_token best = 0;
    for (int i = 1; i < n_vocab; ++i)
      if (logits[i] > logits[best]) best = i;
    std::printf(step ? " %d" : "%d", best);
    if (llama_decode(ctx, llama_batch_get_one(&best, 1)) != 0) return Fail("decode failed");
  }
  std::printf("\n");
  llama_free(ctx);
  llama_model_free(model);
  return 0;
}

int Tokenize(const char* path, const char* file) {
  llama_model_params mp = llama_model_default_params();
  mp.vocab_only = true;
  llama_model* model = llama_model_load_from_file(path, mp);
  if (!model) return Fail(std::string("cannot load ") + path);
  const llama_vocab* vocab = llama_model_get_vocab(model);
  std::ifstream in(file);
  if (!in) return Fail(std::string("cannot read ") + file);
  std::string hex;
  while (std::getline(in, hex)) {
    std::string text;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
      text += static_cast<char>(std::strtol(hex.substr(i, 2).c_str(), nullptr, 16));
    std::vector<llama_token> ids(text.size() + 8);
    int n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), ids.data(),
                           static_cast<int32_t>(ids.size()), false, false);
    if (n < 0) return Fail("tokenize failed");
    for (int i = 0; i < n; ++i) std::printf(i ? " %d" : "%d", ids[i]);
    std::printf("\n");
  }
  llama_model_free(model);
  return 0;
}

int Quantize(const char* in, const char* out, int ftype) {
  llama_model_quantize_params qp = llama_model_quantize_default_params();
  qp.nthread = 1;
  qp.ftype = static_cast<llama_ftype>(ftype);
  return llama_model_quantize(in, out, &qp) == 0 ? 0 : Fail("quantize failed");
}

int Batched(const char* path, int batch, int steps, int context, int threads) {
  llama_model* model = Load(path);
  if (!model) return Fail(std::string("cannot load ") + path);
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<uint32_t>(context + batch * (steps + 2) + 64);
  cp.n_batch = cp.n_ubatch = static_cast<uint32_t>(std::max(context, batch));
  cp.n_seq_max = static_cast<uint32_t>(batch);
  cp.n_threads = cp.n_threads_batch = threads;
  cp.kv_unified = true;
  llama_context* ctx = llama_init_from_model(model, cp);
  if (!ctx) return Fail("cannot create a context");
  std::vector<llama_token> prefix;
  for (int i = 0; i < context; ++i) prefix.push_back(100 + i);
  if (llama_decode(ctx, llama_batch_get_one(prefix.data(), context)) != 0)
    return Fail("decode failed");
  for (int s = 1; s < batch; ++s) llama_memory_seq_cp(llama_get_memory(ctx), 0, s, -1, -1);
  llama_batch b = llama_batch_init(batch, 0, 1);
  auto step = [&](int k) {
    b.n_tokens = batch;
    for (int i = 0; i < batch; ++i) {
      b.token[i] = 42;
      b.pos[i] = context + k;
      b.n_seq_id[i] = 1;
      b.seq_id[i][0] = i;
      b.logits[i] = 1;
    }
    return llama_decode(ctx, b) == 0;
  };
  if (!step(0)) return Fail("decode failed");
  const auto t0 = std::chrono::steady_clock::now();
  for (int k = 1; k <= steps; ++k)
    if (!step(k)) return Fail("decode failed");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("tok/s %.2f\n", batch * steps / secs);
  llama_batch_free(b);
  llama_free(ctx);
  llama_model_free(model);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    return Fail("usage: llama_ref eval|tokenize|quantize|batched ... (see the file's comment)");
  }
  llama_log_set(Quiet, nullptr);
  ggml_backend_load_all_from_path(LLAMA_REF_LIB_DIR);
  llama_backend_init();
  const std::string cmd = argv[1];
  if (cmd == "eval" && argc >= 4) {
    std::vector<llama_token> ids;
    for (int i = 4; i < argc; ++i) ids.push_back(std::atoi(argv[i]));
    if (ids.empty()) return Fail("eval needs at least one token id");
    return Eval(argv[2], std::atoi(argv[3]), ids);
  }
  if (cmd == "tokenize" && argc == 4) return Tokenize(argv[2], argv[3]);
  if (cmd == "quantize" && argc == 5) return Quantize(argv[2], argv[3], std::atoi(argv[4]));
  if (cmd == "batched" && argc == 7) {
    return Batched(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]),
                   std::atoi(argv[6]));
  }
  return Fail("unknown command or wrong arguments: " + cmd);
}
