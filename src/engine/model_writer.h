// Writing Llama-family models as GGUF: conversion of llama2.c models (with their tokenizer
// embedded), requantization of GGUF files, and random-weight models of real shapes (the presets of
// model_presets.h, such as llama-1b or qwen2-0.5b, as vLLM's dummy loader provides) for speed and
// scheduling tests.
// 2-D weights take the types of the requested file type (file_type.h: llama.cpp's choices, the
// K-quant mixes and fallbacks included); norms and biases stay F32.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/file_type.h"
#include "engine/ggml_types.h"
#include "engine/model.h"
#include "engine/model_presets.h"

namespace llms::engine {

// Called after each tensor with (tensors written, total).
using WriteProgress = std::function<void(size_t, size_t)>;

Status ConvertLlama2cToGguf(const std::string& model_path, const std::string& tokenizer_path,
                            const std::string& output, const FileType& type,
                            const WriteProgress& progress = nullptr);

// Rewrites a GGUF model with its 2-D weights in `type`'s types; metadata and other tensors are
// kept.
Status QuantizeGguf(const std::string& input, const std::string& output, const FileType& type,
                    const WriteProgress& progress = nullptr);

// Random weights (uniform, std 0.02; norms 1), a synthetic SentencePiece vocabulary of
// config.vocab_size pieces (bytes, ASCII, then letter sequences), seeded and reproducible.
// `chat_template`, when not empty, is recorded as `tokenizer.chat_template`.
Status WriteRandomModel(const ModelConfig& config, bool tied, const FileType& type, uint64_t seed,
                        const std::string& output, const std::string& name,
                        const WriteProgress& progress = nullptr,
                        const std::string& chat_template = "");

}  // namespace llms::engine
