// The request log (--request-log FILE): one JSON line per API request (/v1/messages,
// /v1/messages/count_tokens, /v1/models), written when its answer has ended; the last 200 lines
// are also kept in memory for the status page and `anyclaude status`. Never bodies, never keys.
//
// A line (fields absent when unknown; README "Request log" documents them for readers):
//   {"time":"2025-01-02T03:04:05.678Z", "route":"messages", "session":"<key>", "model_asked":"...",
//    "model_served":"...", "backend":"embedded", "status":200, "stop_reason":"end_turn",
//    "ttft_ms":12.3, "total_ms":45.6, "input_tokens":N, "cache_read_input_tokens":N,
//    "cache_creation_input_tokens":N, "output_tokens":N, "tier":"live|ram|disk|none",
//    "reused_tokens":N, "queue_wait_ms":x, "prefill_tps":x, "decode_tps":x,
//    "client_disconnect":false, "error_type":"...", "error":"<first 200 bytes>"}
#pragma once

#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "observe/observer.hpp"

namespace anyclaude::observe {

// The JSON line for one request (no trailing newline).
std::string log_line(const RequestSummary& s);

class RequestLog final : public Consumer {
public:
    // path "" keeps only the in-memory list; nullptr with *why when the file cannot be opened.
    static std::shared_ptr<RequestLog> open(const std::string& path, std::string* why);
    ~RequestLog() override;
    void end(const RequestSummary& s, const std::shared_ptr<void>&) override;
    std::vector<std::string> recent(std::size_t n) const;  // newest last

private:
    RequestLog() = default;
    mutable std::mutex mu_;
    std::FILE* file_ = nullptr;
    std::deque<std::string> recent_;
};

}  // namespace anyclaude::observe
