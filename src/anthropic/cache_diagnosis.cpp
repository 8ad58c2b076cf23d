// Cache diagnosis by message id (see cache_diagnosis.hpp).
#include "anthropic/cache_diagnosis.hpp"

#include <cstring>

namespace anyclaude::anthropic {

namespace {

// Hashes fields with their lengths, so ("ab","c") and ("a","bc") differ. Eight bytes a step:
// the byte-wise FNV-1a with a length string per field took 7% of the gateway's CPU on the
// overhead benchmark's 57 KB request (perf), on the path before the request goes upstream. The
// hashes live only in this process's memory (compared, never stored), so any good mix will do.
struct Hasher {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    std::size_t bytes = 0;
    void word(uint64_t w) {
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    void add(std::string_view s) {
        word(s.size());
        std::size_t i = 0;
        for (; i + 8 <= s.size(); i += 8) {
            uint64_t w;
            std::memcpy(&w, s.data() + i, 8);
            word(w);
        }
        uint64_t tail = 0;
        if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
        word(tail);
        bytes += s.size();
    }
};

void add_block(Hasher& x, const ir::ContentBlock& b) {
    x.add(ir::to_string(b.kind));
    for (const std::string* f : {&b.text, &b.signature, &b.media_type, &b.data, &b.url, &b.id, &b.name, &b.input_json,
                                 &b.error_code})
        x.add(*f);
    x.add(b.is_error ? "error" : "");
    for (const auto& r : b.search_results)
        for (const std::string* f : {&r.url, &r.title, &r.page_age, &r.encrypted_content}) x.add(*f);
    for (const auto& c : b.content) add_block(x, c);  // tool_result's own blocks
}

}  // namespace

std::size_t RequestShape::total_bytes() const {
    std::size_t n = tools_bytes + system_bytes;
    for (auto b : message_bytes) n += b;
    return n;
}

RequestShape shape_of(const ir::Request& req) {
    RequestShape s;
    s.model = req.model;
    Hasher tools;
    for (const auto& t : req.tools) {
        for (const std::string* f : {&t.name, &t.description, &t.input_schema_json}) tools.add(*f);
        tools.add(t.defer_loading ? "deferred" : "");
    }
    if (req.web_search) tools.add(req.web_search->type);
    s.tools = tools.h;
    s.tools_bytes = tools.bytes;
    Hasher system;
    for (const auto& b : req.system) add_block(system, b);
    s.system = system.h;
    s.system_bytes = system.bytes;
    for (const auto& m : req.messages) {
        Hasher x;
        x.add(ir::to_string(m.role));
        for (const auto& b : m.content) add_block(x, b);
        s.messages.push_back(x.h);
        s.message_bytes.push_back(x.bytes);
    }
    return s;
}

ir::CacheDiagnostics compare_shapes(const RequestShape& before, int64_t prompt_tokens, const RequestShape& now) {
    std::size_t kept = 0;  // bytes of the earlier prompt before the first difference
    auto miss = [&](const char* reason) {
        std::size_t total = before.total_bytes();
        double lost = total ? static_cast<double>(total - kept) / static_cast<double>(total) : 1.0;
        return ir::CacheDiagnostics{reason, static_cast<int64_t>(static_cast<double>(prompt_tokens) * lost + 0.5)};
    };
    struct Part {
        const char* reason;
        bool same;
        std::size_t bytes;
    };
    const Part parts[] = {{"model_changed", before.model == now.model, 0},
                          {"tools_changed", before.tools == now.tools, before.tools_bytes},
                          {"system_changed", before.system == now.system, before.system_bytes}};
    for (const Part& p : parts) {
        if (!p.same) return miss(p.reason);
        kept += p.bytes;
    }
    for (std::size_t i = 0; i < before.messages.size(); ++i) {
        if (i >= now.messages.size() || before.messages[i] != now.messages[i]) return miss("messages_changed");
        kept += before.message_bytes[i];
    }
    return {};
}

std::optional<ir::CacheDiagnostics> CacheDiagnosis::diagnose(const ir::Request& req, const RequestShape& now) {
    if (!req.diagnose_against) return std::nullopt;
    std::lock_guard lock(mu_);
    auto it = by_id_.find(*req.diagnose_against);
    if (it == by_id_.end()) return ir::CacheDiagnostics{"previous_message_not_found", std::nullopt};
    lru_.splice(lru_.begin(), lru_, it->second);
    return compare_shapes(it->second->shape, it->second->prompt_tokens, now);
}

void CacheDiagnosis::remember(const std::string& message_id, RequestShape shape, int64_t prompt_tokens) {
    std::lock_guard lock(mu_);
    if (auto it = by_id_.find(message_id); it != by_id_.end()) {
        lru_.erase(it->second);
        by_id_.erase(it);
    }
    lru_.push_front(Entry{message_id, std::move(shape), prompt_tokens});
    by_id_[message_id] = lru_.begin();
    while (lru_.size() > capacity_) {
        by_id_.erase(lru_.back().id);
        lru_.pop_back();
    }
}

void CacheDiagnosis::set_prompt_tokens(const std::string& message_id, int64_t prompt_tokens) {
    std::lock_guard lock(mu_);
    if (auto it = by_id_.find(message_id); it != by_id_.end()) it->second->prompt_tokens = prompt_tokens;
}

std::size_t CacheDiagnosis::size() const {
    std::lock_guard lock(mu_);
    return lru_.size();
}

}  // namespace anyclaude::anthropic
