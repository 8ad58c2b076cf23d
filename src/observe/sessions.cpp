// Sessions for the status page (see sessions.hpp).
#include "observe/sessions.hpp"

#include <algorithm>

namespace anyclaude::observe {

void SessionBook::end(const RequestSummary& s, const std::shared_ptr<void>&) {
    if (s.route != "messages" || s.status != 200) return;
    Turn t;
    t.epoch_ms = s.arrived_epoch_ms;
    t.ttft_ms = s.ttft_ms;
    t.prompt_tokens = s.usage.prompt_tokens();
    t.cached_tokens = s.tier.empty() ? s.usage.cache_read_input_tokens : s.reused_tokens;
    t.output_tokens = s.usage.output_tokens;
    t.tier = s.tier;
    t.message_id = s.message_id;
    const std::string key = s.session.empty() ? "-" : s.session;
    std::lock_guard lk(mu_);
    auto it = std::find_if(sessions_.begin(), sessions_.end(), [&](const Session& x) { return x.key == key; });
    if (it == sessions_.end()) {
        sessions_.push_front(Session{key, 0, {}});
        if (sessions_.size() > 32) sessions_.pop_back();
        it = sessions_.begin();
    } else {
        sessions_.splice(sessions_.begin(), sessions_, it);
    }
    ++it->turns;
    it->series.push_back(std::move(t));
    if (it->series.size() > 100) it->series.pop_front();
}

namespace {

// Where a conversation's state is now: still in the sequence that served its last turn (nobody
// used that sequence since), else only in the cache's snapshots (the engine moves a sequence it
// takes over to the RAM tier, and the RAM tier spills to disk).
std::string held(const Turn& last, const std::vector<SequenceFigures>& seqs, bool embedded) {
    if (!embedded) return "backend";
    for (const auto& q : seqs)
        if (q.message_id == last.message_id && !last.message_id.empty() && q.tokens > 0)
            return "live (sequence " + std::to_string(q.seq) + ")";
    return "ram/disk snapshot";
}

}  // namespace

std::string SessionBook::json(const std::vector<SequenceFigures>& sequences, bool embedded) const {
    std::string out;
    json::Writer j(out);
    std::lock_guard lk(mu_);
    j.begin_array();
    for (const auto& s : sessions_) {
        const Turn& last = s.series.back();
        j.begin_object();
        j.key("key").value(s.key);
        j.key("turns").value(static_cast<int64_t>(s.turns));
        j.key("last_epoch_ms").value(last.epoch_ms);
        j.key("prompt_tokens").value(last.prompt_tokens);
        j.key("cached_tokens").value(last.cached_tokens);
        j.key("tier").value(last.tier);
        j.key("held").value(held(last, sequences, embedded));
        j.key("series").begin_array();
        for (const auto& t : s.series) {
            j.begin_object();
            j.key("ttft_ms");
            if (t.ttft_ms) j.value(*t.ttft_ms); else j.null();
            j.key("prompt_tokens").value(t.prompt_tokens);
            j.key("cached_fraction").value(t.prompt_tokens > 0 ? static_cast<double>(t.cached_tokens) / t.prompt_tokens : 0.0);
            j.key("tier").value(t.tier);
            j.end_object();
        }
        j.end_array();
        j.end_object();
    }
    j.end_array();
    return out;
}

}  // namespace anyclaude::observe
