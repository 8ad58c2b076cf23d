// The cache-diagnosis-2026-04-07 beta: remembers what each answered request looked like, by the
// id of its answer, so a later request naming that id (diagnostics.previous_message_id) learns
// why it could not reuse the earlier prompt's prefix. Anthropic's reasons, in prompt order:
// model_changed, tools_changed, system_changed, messages_changed (an earlier entry differs, not
// only entries appended), previous_message_not_found; none (null) when the new request extends
// the old one. What is compared is what the model sees: the decoded request after the billing
// line is stripped, cache_control left out (moving a breakpoint changes no prefix).
// cache_missed_input_tokens is the earlier prompt's token count times the share of its bytes from
// the first difference on (approximate, as Anthropic's is). Front door only: it works the same
// in front of every backend. Thread-safe; bounded LRU.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/event.hpp"
#include "ir/request.hpp"

namespace anyclaude::anthropic {

// Hashes and byte sizes of a request's parts, in prompt order.
struct RequestShape {
    std::string model;
    uint64_t tools = 0, system = 0;
    std::vector<uint64_t> messages;
    std::size_t tools_bytes = 0, system_bytes = 0;
    std::vector<std::size_t> message_bytes;
    std::size_t total_bytes() const;
};

RequestShape shape_of(const ir::Request& req);

// Compares now with the earlier request's shape, whose prompt had prompt_tokens tokens.
ir::CacheDiagnostics compare_shapes(const RequestShape& before, int64_t prompt_tokens, const RequestShape& now);

class CacheDiagnosis {
public:
    explicit CacheDiagnosis(std::size_t capacity = 2048) : capacity_(capacity) {}

    // The diagnostics for a request that names an earlier answer (nullopt when it names none).
    std::optional<ir::CacheDiagnostics> diagnose(const ir::Request& req, const RequestShape& now);
    // Remembers the request answered by message_id (prompt_tokens: all its prompt tokens, cached or not).
    void remember(const std::string& message_id, RequestShape shape, int64_t prompt_tokens);
    // The final usage came: the prompt's token count as the backend counted it in the end.
    void set_prompt_tokens(const std::string& message_id, int64_t prompt_tokens);
    std::size_t size() const;

private:
    struct Entry {
        std::string id;
        RequestShape shape;
        int64_t prompt_tokens = 0;
    };
    std::size_t capacity_;
    mutable std::mutex mu_;
    std::list<Entry> lru_;  // most recent first
    std::unordered_map<std::string, std::list<Entry>::iterator> by_id_;
};

}  // namespace anyclaude::anthropic
