// Conversations as the status page shows them: each session key's turns (TTFT, cached fraction,
// tier) from the finished /v1/messages requests, the 32 most recently used sessions, the last
// 100 turns of each. Requests without a session key are grouped under "-".
#pragma once

#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <vector>

#include "observe/figures.hpp"
#include "observe/observer.hpp"

namespace anyclaude::observe {

struct Turn {
    double epoch_ms = 0;
    std::optional<double> ttft_ms;
    int64_t prompt_tokens = 0, cached_tokens = 0, output_tokens = 0;
    std::string tier;  // the engine tier it reused from ("" upstream)
    std::string message_id;
};

class SessionBook final : public Consumer {
public:
    void end(const RequestSummary& s, const std::shared_ptr<void>&) override;
    // JSON array, most recent first: {"key","turns","last_epoch_ms","prompt_tokens","cached_tokens",
    // "tier","held":"live (sequence N)"|"ram/disk snapshot"|"backend","series":[{ttft_ms,cached_fraction,..}]}
    std::string json(const std::vector<SequenceFigures>& sequences, bool embedded) const;

private:
    struct Session {
        std::string key;
        uint64_t turns = 0;
        std::deque<Turn> series;
    };
    mutable std::mutex mu_;
    std::list<Session> sessions_;  // most recent first
};

}  // namespace anyclaude::observe
