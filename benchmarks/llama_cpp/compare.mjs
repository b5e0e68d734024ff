// Times llama.cpp (through node-llama-cpp's prebuilt CPU binaries) on a GGUF file: prefill of the
// prompt's tokens (with the BOS token first, as the file asks and as `aegaeon run` sends it) and
// greedy decode of N tokens at batch 1, with a fixed thread count. Prints one JSON line. Used by
// benchmarks/llama_cpp_compare.sh next to `aegaeon run` on the same file.
//   node compare.mjs MODEL.gguf THREADS DECODE_TOKENS "PROMPT"
// node-llama-cpp as tests/llama_cpp installs it (pinned by its package-lock.json).
import {getLlama} from "../../tests/llama_cpp/node_modules/node-llama-cpp/dist/index.js";

const [modelPath, threadsArg, decodeArg, prompt] = process.argv.slice(2);
const threads = Number(threadsArg), decode = Number(decodeArg);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error", maxThreads: threads});
const model = await llama.loadModel({modelPath, gpuLayers: 0});
const context = await model.createContext({contextSize: 1024, batchSize: 512, threads, sequences: 1});
// node-llama-cpp's tokenize adds no BOS; prepend it where the model has one (add_bos_token).
const text = model.tokenize(prompt, false);
const bos = model.tokens.bos;
const tokens = bos != null && model.tokens.shouldPrependBosToken !== false ? [bos, ...text] : text;
const run = async () => {
  const sequence = context.getSequence();
  const t0 = performance.now();
  let first = 0, n = 0;
  for await (const token of sequence.evaluate(tokens, {temperature: 0})) {
    if (n === 0) first = performance.now();
    if (++n > decode) break;
  }
  const t1 = performance.now();
  sequence.dispose();
  return {prefill_tok_s: tokens.length / ((first - t0) / 1000), decode_tok_s: decode / ((t1 - first) / 1000)};
};
await run();  // warm-up: page in the weights
const r = await run();
console.log(JSON.stringify({engine: "llama.cpp", threads, prompt_tokens: tokens.length, decode, ...r}));
await context.dispose();
await model.dispose();
