// Loading GGUF models (see model.hpp).
#include "engine/model.hpp"

#include "common/fnv1a.hpp"

#include <llama.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace anyclaude::engine {

namespace {

void log_from_llama(ggml_log_level level, const char* text, void*) {
    std::string line(text ? text : "");
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.empty()) return;
    switch (level) {
        case GGML_LOG_LEVEL_ERROR: spdlog::error("llama: {}", line); break;
        case GGML_LOG_LEVEL_WARN: spdlog::warn("llama: {}", line); break;
        default: spdlog::trace("llama: {}", line); break;
    }
}

// FNV-1a 64 over the file size, the first and the last MiB: cheap, and different weights or
// metadata give a different value. (Files differing only in the middle of a tensor are not
// told apart; a user who edits weights in place should clear the cache folder.)
std::string fingerprint_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    if (!f) return "unreadable";
    const uint64_t size = static_cast<uint64_t>(f.tellg());
    uint64_t h = fnv1a::kOffsetBasis;
    auto mix = [&](const char* p, std::size_t n) { h = fnv1a::mix(h, std::string_view(p, n)); };
    mix(reinterpret_cast<const char*>(&size), sizeof size);
    std::vector<char> buf(1 << 20);
    auto read_at = [&](uint64_t off) {
        f.clear();
        f.seekg(static_cast<std::streamoff>(off));
        f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        mix(buf.data(), static_cast<std::size_t>(f.gcount()));
    };
    read_at(0);
    if (size > buf.size()) read_at(size - buf.size());
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

}  // namespace

void init_llama_backend() {
    static std::once_flag once;
    std::call_once(once, [] {
        llama_log_set(log_from_llama, nullptr);
        llama_backend_init();
    });
}

Model::Model(const ModelOptions& opt) : path_(opt.path) {
    init_llama_backend();
    {
        std::ifstream probe(opt.path, std::ios::binary);
        if (!probe) throw std::runtime_error("cannot open model file " + opt.path);
    }
    auto params = llama_model_default_params();
    params.n_gpu_layers = opt.n_gpu_layers;
    struct Progress {
        int last = -1;
    } progress;
    params.progress_callback = [](float p, void* ud) -> bool {
        auto* pr = static_cast<Progress*>(ud);
        int pct = static_cast<int>(p * 100);
        if (pct / 25 != pr->last / 25 || pct == 100) {
            if (pct != pr->last) spdlog::info("loading model: {}%", pct);
            pr->last = pct;
        }
        return true;
    };
    params.progress_callback_user_data = &progress;
    spdlog::info("loading model {}", opt.path);
    model_ = llama_model_load_from_file(opt.path.c_str(), params);
    if (!model_) throw std::runtime_error("llama.cpp could not load the model " + opt.path + " (not a valid GGUF?)");
    fingerprint_ = fingerprint_file(opt.path);
    spdlog::info("model loaded: {} (fingerprint {})", description(), fingerprint_);
}

Model::~Model() {
    if (model_) llama_model_free(model_);
}

const llama_vocab* Model::vocab() const { return llama_model_get_vocab(model_); }

std::string Model::description() const {
    char buf[256];
    llama_model_desc(model_, buf, sizeof buf);
    return std::string(buf) + ", " + std::to_string(llama_model_size(model_) >> 20) + " MiB, " +
           std::to_string(llama_model_n_params(model_)) + " params";
}

int Model::n_ctx_train() const { return llama_model_n_ctx_train(model_); }

int64_t Model::kv_bytes_per_token(int element_bytes) const {
    // The GGUF's own key/value head sizes where it states them (qwen3: 128, not n_embd / n_head).
    auto meta_int = [&](const std::string& key) -> int64_t {
        char buf[64];
        if (llama_model_meta_val_str(model_, key.c_str(), buf, sizeof buf) < 0) return 0;
        return std::strtoll(buf, nullptr, 10);
    };
    char arch[64];
    std::string prefix = llama_model_meta_val_str(model_, "general.architecture", arch, sizeof arch) > 0 ? arch : "";
    const int64_t head = llama_model_n_head(model_) > 0 ? llama_model_n_embd(model_) / llama_model_n_head(model_) : 0;
    int64_t k = meta_int(prefix + ".attention.key_length");
    int64_t v = meta_int(prefix + ".attention.value_length");
    if (k <= 0) k = head;
    if (v <= 0) v = head;
    return static_cast<int64_t>(llama_model_n_layer(model_)) * llama_model_n_head_kv(model_) * (k + v) * element_bytes;
}

int64_t Model::weight_bytes() const { return static_cast<int64_t>(llama_model_size(model_)); }

Tokens Model::tokenize(const std::string& text, bool parse_special) const {
    const auto* v = vocab();
    bool add_bos = llama_vocab_get_add_bos(v);
    int n = -llama_tokenize(v, text.data(), static_cast<int32_t>(text.size()), nullptr, 0, add_bos, parse_special);
    Tokens out(static_cast<std::size_t>(std::max(n, 0)));
    if (n > 0)
        llama_tokenize(v, text.data(), static_cast<int32_t>(text.size()), out.data(), n, add_bos, parse_special);
    return out;
}

std::string Model::piece(Token t) const {
    char buf[256];
    int n = llama_token_to_piece(vocab(), t, buf, sizeof buf, 0, true);
    if (n < 0) {
        std::string big(static_cast<std::size_t>(-n), '\0');
        n = llama_token_to_piece(vocab(), t, big.data(), static_cast<int32_t>(big.size()), 0, true);
        big.resize(static_cast<std::size_t>(std::max(n, 0)));
        return big;
    }
    return std::string(buf, static_cast<std::size_t>(n));
}

bool Model::is_end_of_generation(Token t) const { return llama_vocab_is_eog(vocab(), t); }

}  // namespace anyclaude::engine
