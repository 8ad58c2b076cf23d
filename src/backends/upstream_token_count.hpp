// Exact count_tokens for upstream servers that can count: the chat/completions body the gateway
// would send (tools, mid-conversation system messages, images as it sends them) is counted by
// the server itself, with the first method of this table it answers:
//   llama-server  POST /v1/chat/completions/input_tokens  (the same body; its own prompt count)
//   llama-server  POST /apply-template, then POST /tokenize (older builds; add_special and
//                 parse_special as its completion path tokenizes)
//   vLLM          POST /tokenize {model, messages, tools, add_generation_prompt}  -> count
// else the gateway's estimate (ir::estimate_tokens). Which method is in use is on /health.
// Counts are kept in an LRU keyed by a hash of the whole body: Claude Code's /context sends
// ~26 count_tokens in a burst and repeats them; a prefix's count cannot be reused for a longer
// prompt exactly (templates join messages), so only whole bodies are cached.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/asio.hpp"
#include "http/client.hpp"
#include "http/url.hpp"

namespace anyclaude::backends {

// Reads each method's answer (pure, tested on recorded bodies).
std::optional<int64_t> read_input_tokens(std::string_view body);  // {"input_tokens": N}
std::optional<std::string> read_applied_prompt(std::string_view body);  // {"prompt": "..."}
std::optional<int64_t> read_token_list(std::string_view body);     // {"tokens": [..]} -> size
std::optional<int64_t> read_vllm_count(std::string_view body);     // {"count": N, ...}
// The vLLM /tokenize body for a chat/completions body: its model, messages and tools, and
// add_generation_prompt (the prompt as generation sees it).
std::string vllm_tokenize_body(std::string_view chat_body);

class UpstreamTokenCounter {
public:
    UpstreamTokenCounter(http::Url base, std::string api_key, http::ConnectionPool* pool)
        : base_(std::move(base)), api_key_(std::move(api_key)), pool_(pool) {}

    // The server's count of chat_body's prompt; nullopt when it cannot count (then estimate).
    awaitable<std::optional<int64_t>> count(const std::string& chat_body);

    // "llama-server /v1/chat/completions/input_tokens", ..., "estimate", or "" before the first count.
    std::string method() const;
    uint64_t cache_hits() const { return hits_; }

private:
    awaitable<std::optional<int64_t>> count_with(std::size_t method, const std::string& chat_body, bool* unsupported);
    awaitable<std::optional<std::string>> post(bool under_base, const std::string& path, const std::string& body,
                                               bool* unsupported);
    void remember(std::size_t key, int64_t n);

    http::Url base_;
    std::string api_key_;
    http::ConnectionPool* pool_;
    std::optional<std::size_t> method_;  // index into the table; table size = estimate
    std::chrono::steady_clock::time_point decided_at_{};
    std::list<std::pair<std::size_t, int64_t>> lru_;
    std::unordered_map<std::size_t, std::list<std::pair<std::size_t, int64_t>>::iterator> index_;
    uint64_t hits_ = 0;
};

}  // namespace anyclaude::backends
