// Exact token counts from the upstream server (see upstream_token_count.hpp).
#include "backends/upstream_token_count.hpp"

#include <spdlog/spdlog.h>

#include <functional>

#include "backends/upstream_probe.hpp"
#include "common/json.hpp"

namespace anyclaude::backends {

namespace {

namespace bj = boost::json;

constexpr std::size_t kCacheEntries = 512;
// An "estimate" decision is revisited after this (the server may have been swapped or restarted).
constexpr auto kRetryEstimate = std::chrono::minutes(5);

struct Method {
    const char* name;
};
const Method kMethods[] = {
    {"llama-server /v1/chat/completions/input_tokens"},
    {"llama-server /apply-template+/tokenize"},
    {"vLLM /tokenize"},
};
constexpr std::size_t kEstimate = std::size(kMethods);

std::optional<bj::object> object_of(std::string_view body) {
    auto parsed = json::parse(body);
    if (!parsed.ok() || !parsed.value.is_object()) return std::nullopt;
    return parsed.value.get_object();
}

std::optional<int64_t> int_field(std::string_view body, std::string_view key) {
    auto o = object_of(body);
    if (!o) return std::nullopt;
    auto n = json::find_int(*o, key);
    if (!n || *n < 0) return std::nullopt;
    return *n;
}

}  // namespace

std::optional<int64_t> read_input_tokens(std::string_view body) { return int_field(body, "input_tokens"); }
std::optional<int64_t> read_vllm_count(std::string_view body) { return int_field(body, "count"); }

std::optional<std::string> read_applied_prompt(std::string_view body) {
    auto o = object_of(body);
    const auto* p = o ? json::find_string(*o, "prompt") : nullptr;
    if (!p) return std::nullopt;
    return std::string(*p);
}

std::optional<int64_t> read_token_list(std::string_view body) {
    auto o = object_of(body);
    const auto* t = o ? json::find_array(*o, "tokens") : nullptr;
    if (!t) return std::nullopt;
    return static_cast<int64_t>(t->size());
}

std::string vllm_tokenize_body(std::string_view chat_body) {
    auto o = object_of(chat_body);
    std::string out;
    json::Writer w(out);
    w.begin_object();
    for (const char* key : {"model", "messages", "tools"})
        if (o && o->contains(key)) w.key(key).json(o->at(key));
    w.key("add_generation_prompt").value(true);
    w.end_object();
    return out;
}

std::string UpstreamTokenCounter::method() const {
    if (!method_) return {};
    return *method_ == kEstimate ? "estimate" : kMethods[*method_].name;
}

// POSTs body; the answer of a 200, nullopt otherwise (*unsupported: the server has no such
// endpoint or could not take the body: 404, 405, 501, 400 and 500 from a parser).
awaitable<std::optional<std::string>> UpstreamTokenCounter::post(bool under_base, const std::string& path,
                                                                 const std::string& body, bool* unsupported) {
    http::Url url = base_;
    if (!under_base) url.prefix.clear();
    http::OutgoingRequest req;
    req.path = path;
    req.body = body;
    if (!api_key_.empty()) req.headers.push_back({"Authorization", "Bearer " + api_key_});
    auto sent = co_await http::send_request(url, req, probe_timeouts(), pool_);
    if (!sent.response) co_return std::nullopt;  // not reachable: no conclusion
    auto text = co_await sent.response->read_all(64u << 20);
    if (sent.response->status() == 200 && sent.response->error().empty()) co_return text;
    *unsupported = true;
    co_return std::nullopt;
}

awaitable<std::optional<int64_t>> UpstreamTokenCounter::count_with(std::size_t m, const std::string& chat_body,
                                                                   bool* unsupported) {
    std::optional<int64_t> n;
    if (m == 0) {
        if (auto a = co_await post(true, "/chat/completions/input_tokens", chat_body, unsupported)) n = read_input_tokens(*a);
    } else if (m == 1) {
        auto applied = co_await post(false, "/apply-template", chat_body, unsupported);
        auto prompt = applied ? read_applied_prompt(*applied) : std::nullopt;
        if (prompt) {
            std::string body;
            json::Writer w(body);
            w.begin_object().key("content").value(*prompt).key("add_special").value(true);
            w.key("parse_special").value(true).end_object();
            if (auto t = co_await post(false, "/tokenize", body, unsupported)) n = read_token_list(*t);
        }
    } else if (m == 2) {
        if (auto a = co_await post(false, "/tokenize", vllm_tokenize_body(chat_body), unsupported)) n = read_vllm_count(*a);
    }
    if (!n) *unsupported = true;
    co_return n;
}

void UpstreamTokenCounter::remember(std::size_t key, int64_t n) {
    lru_.emplace_front(key, n);
    index_[key] = lru_.begin();
    if (lru_.size() > kCacheEntries) {
        index_.erase(lru_.back().first);
        lru_.pop_back();
    }
}

awaitable<std::optional<int64_t>> UpstreamTokenCounter::count(const std::string& chat_body) {
    const std::size_t key = std::hash<std::string>{}(chat_body) ^ (chat_body.size() * 0x9E3779B97F4A7C15ull);
    if (auto it = index_.find(key); it != index_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        ++hits_;
        co_return it->second->second;
    }
    if (method_ == kEstimate && std::chrono::steady_clock::now() - decided_at_ > kRetryEstimate) method_.reset();
    if (method_ == kEstimate) co_return std::nullopt;
    for (std::size_t m = method_.value_or(0); m < kEstimate; ++m) {
        bool unsupported = false;
        auto n = co_await count_with(m, chat_body, &unsupported);
        if (n) {
            if (method_ != m) spdlog::info("count_tokens at {}: {}", base_.to_string(), kMethods[m].name);
            method_ = m;
            remember(key, *n);
            co_return n;
        }
        if (!unsupported) co_return std::nullopt;  // unreachable now: estimate this once
        if (method_) co_return std::nullopt;       // the known method failed for this body
    }
    spdlog::info("count_tokens at {}: the server has no counting endpoint; estimating", base_.to_string());
    method_ = kEstimate;
    decided_at_ = std::chrono::steady_clock::now();
    co_return std::nullopt;
}

}  // namespace anyclaude::backends
