// A GGUF model loaded with llama.cpp: load with progress in the log, the facts the engine needs
// (context length, end-of-generation tokens), and a fingerprint that identifies the weights so
// disk-cache files made with another model are never loaded.
#pragma once

#include <memory>
#include <string>

#include "engine/tokens.hpp"

struct llama_model;
struct llama_vocab;

namespace anyclaude::engine {

struct ModelOptions {
    std::string path;
    int n_gpu_layers = 0;  // -1 = all (when built with CUDA)
};

class Model {
public:
    // Loads the model; throws std::runtime_error with a clear message on failure.
    explicit Model(const ModelOptions& opt);
    ~Model();
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    llama_model* get() const { return model_; }
    const llama_vocab* vocab() const;
    const std::string& path() const { return path_; }
    const std::string& fingerprint() const { return fingerprint_; }  // hex, stable across restarts
    std::string description() const;  // e.g. "qwen2 ?B F16, 16 MB"
    int n_ctx_train() const;
    // Keys + values of one token over all layers, at element_bytes per value (2: f16).
    int64_t kv_bytes_per_token(int element_bytes) const;
    int64_t weight_bytes() const;

    Tokens tokenize(const std::string& text, bool parse_special) const;
    std::string piece(Token t) const;  // raw bytes of one token (may be a partial UTF-8 sequence)
    bool is_end_of_generation(Token t) const;

private:
    llama_model* model_ = nullptr;
    std::string path_;
    std::string fingerprint_;
};

// Initialises llama.cpp's backends once and routes its log into ours.
void init_llama_backend();

}  // namespace anyclaude::engine
