// The gateway's web search loop (see web_search_backend.hpp).
#include "backends/web_search_backend.hpp"

#include <spdlog/spdlog.h>

#include <map>

#include "search/web_search_blocks.hpp"
#include "ir/ids.hpp"

namespace anyclaude::backends {

namespace {

// Searches one request may run when the client sets no max_uses (Anthropic sets none; Claude
// Code 2.1.328's WebSearch sends max_uses 8).
constexpr int64_t kDefaultMaxUses = 10;

// Sits between one round of the inner backend and the client: renumbers block indices so they
// run on across rounds, lets only the first message_start through, turns the model's web_search
// tool_use blocks into server_tool_use blocks, records what the client saw (the next round's
// history), and holds back message_delta / message_stop while a round called the search.
class RoundSink final : public EventSink {
public:
    RoundSink(EventSink& client, std::string tool_name) : client_(client), tool_name_(std::move(tool_name)) {}

    struct Call {
        std::string id;
        std::string input_json;
    };

    void begin_round() {
        inner_to_outer_.clear();
        calls_.clear();
        client_tool_calls_ = false;
        held_.reset();
    }
    bool committed() const override { return client_.committed(); }

    awaitable<void> emit(const ir::Event& ev) override {
        if (const auto* s = std::get_if<ir::MessageStart>(&ev)) {
            if (started_) co_return;
            started_ = true;
            co_return co_await client_.emit(*s);
        }
        if (const auto* s = std::get_if<ir::BlockStart>(&ev)) co_return co_await on_start(*s);
        if (const auto* d = std::get_if<ir::BlockDelta>(&ev)) {
            ir::BlockDelta out = *d;
            out.index = outer(d->index);
            if (auto* b = block(out.index)) {
                if (d->kind == ir::DeltaKind::signature) b->signature = d->data;
                else if (d->kind == ir::DeltaKind::input_json) b->input_json += d->data;
                else b->text += d->data;
            }
            co_return co_await client_.emit(out);
        }
        if (const auto* s = std::get_if<ir::BlockStop>(&ev)) co_return co_await client_.emit(ir::BlockStop{outer(s->index)});
        if (const auto* m = std::get_if<ir::MessageDelta>(&ev)) {
            output_tokens_ += m->usage.output_tokens;
            last_usage_ = m->usage;
            held_ = *m;
            if (calls_.empty()) co_await finish();
            co_return;
        }
        if (std::holds_alternative<ir::MessageStop>(ev)) co_return;  // finish() sends it
        if (std::holds_alternative<ir::StreamError>(ev)) failed_ = true;
        co_await client_.emit(ev);
    }

    // A whole web_search_tool_result block.
    awaitable<void> emit_result(const std::string& id, std::vector<ir::WebSearchResult> results, std::string error_code) {
        ir::BlockStart start;
        start.index = next_index_++;
        start.kind = ir::BlockKind::web_search_tool_result;
        start.tool_id = id;
        start.search_results = std::move(results);
        start.error_code = std::move(error_code);
        ir::ContentBlock b;
        b.kind = ir::BlockKind::web_search_tool_result;
        b.id = id;
        b.search_results = start.search_results;
        b.error_code = start.error_code;
        seen_.emplace(start.index, std::move(b));
        co_await client_.emit(start);
        co_await client_.emit(ir::BlockStop{start.index});
    }

    // The final message_delta (the held stop reason, end_turn when it was only a search call)
    // and message_stop.
    awaitable<void> finish() {
        if (finished_ || failed_) co_return;
        finished_ = true;
        ir::MessageDelta md = held_.value_or(ir::MessageDelta{});
        if (md.stop_reason == ir::StopReason::tool_use && !client_tool_calls_) md.stop_reason = ir::StopReason::end_turn;
        md.usage = last_usage_;  // the last round's prompt holds every earlier round
        md.usage.output_tokens = output_tokens_;
        md.usage.web_search_requests = searches_;
        co_await client_.emit(md);
        co_await client_.emit(ir::MessageStop{});
    }

    // What the client has seen so far, as one assistant message's blocks (the next round's history).
    std::vector<ir::ContentBlock> seen() const {
        std::vector<ir::ContentBlock> out;
        for (const auto& [i, b] : seen_) {
            ir::ContentBlock c = b;
            if (c.kind == ir::BlockKind::server_tool_use && c.input_json.empty()) c.input_json = "{}";
            out.push_back(std::move(c));
        }
        return out;
    }

    const std::vector<Call>& calls() const { return calls_; }
    bool client_tool_calls() const { return client_tool_calls_; }
    bool failed() const { return failed_; }
    bool finished() const { return finished_; }
    void count_search() { ++searches_; }
    // The input of a call as it streamed (the block's deltas).
    std::string input_of(const std::string& id) const {
        for (const auto& [i, b] : seen_)
            if (b.id == id) return b.input_json;
        return {};
    }

private:
    awaitable<void> on_start(const ir::BlockStart& s) {
        ir::BlockStart out = s;
        out.index = next_index_++;
        inner_to_outer_[s.index] = out.index;
        ir::ContentBlock b;
        b.kind = s.kind;
        b.id = s.tool_id;
        b.name = s.tool_name;
        if (s.kind == ir::BlockKind::tool_use && s.tool_name == tool_name_) {
            out.kind = b.kind = ir::BlockKind::server_tool_use;
            out.tool_id = b.id = ir::new_server_tool_id();
            calls_.push_back({out.tool_id, {}});
        } else if (s.kind == ir::BlockKind::tool_use) {
            client_tool_calls_ = true;
        }
        seen_.emplace(out.index, std::move(b));
        co_await client_.emit(out);
    }
    int outer(int inner) const {
        auto it = inner_to_outer_.find(inner);
        return it == inner_to_outer_.end() ? inner : it->second;
    }
    ir::ContentBlock* block(int outer_index) {
        auto it = seen_.find(outer_index);
        return it == seen_.end() ? nullptr : &it->second;
    }

    EventSink& client_;
    std::string tool_name_;
    std::map<int, int> inner_to_outer_;
    std::map<int, ir::ContentBlock> seen_;  // by outer index
    std::vector<Call> calls_;
    std::optional<ir::MessageDelta> held_;
    ir::Usage last_usage_;
    int64_t output_tokens_ = 0;
    int64_t searches_ = 0;
    int next_index_ = 0;
    bool started_ = false;
    bool client_tool_calls_ = false;
    bool failed_ = false;
    bool finished_ = false;
};

}  // namespace

WebSearchBackend::WebSearchBackend(std::shared_ptr<Backend> inner, std::unique_ptr<search::Provider> provider)
    : inner_(std::move(inner)), provider_(std::move(provider)) {}

std::shared_ptr<Backend> with_web_search(std::shared_ptr<Backend> backend, std::unique_ptr<search::Provider> provider) {
    return std::make_shared<WebSearchBackend>(std::move(backend), std::move(provider));
}

awaitable<ir::Result<int64_t>> WebSearchBackend::count_tokens(const ir::Request& req) {
    if (!req.web_search && !search::has_server_blocks(req)) co_return co_await inner_->count_tokens(req);
    search::RewriteOptions opt;
    opt.add_tool = true;
    opt.provider_configured = provider_ != nullptr;
    co_return co_await inner_->count_tokens(search::for_backend(req, opt));
}

awaitable<std::optional<ir::ApiError>> WebSearchBackend::generate(const ir::Request& req, EventSink& sink) {
    if (req.web_search) co_return co_await loop(req, sink);
    if (!search::has_server_blocks(req)) co_return co_await inner_->generate(req, sink);
    search::RewriteOptions opt;
    opt.provider_configured = provider_ != nullptr;
    co_return co_await inner_->generate(search::for_backend(req, opt), sink);
}

awaitable<search::Outcome> WebSearchBackend::run_search(const std::string& query, const ir::WebSearchTool& ws) {
    if (query.empty()) co_return search::Outcome::fail("invalid_tool_input", "the search call had no query string");
    if (!provider_) {
        if (!warned_unconfigured_) {
            warned_unconfigured_ = true;
            spdlog::warn("a request asked for web search, but {}", search::kNotConfigured);
        }
        co_return search::Outcome::fail("unavailable", std::string(search::kNotConfigured));
    }
    search::Query q;
    q.text = query;
    q.allowed_domains = ws.allowed_domains;
    q.blocked_domains = ws.blocked_domains;
    q.country = ws.country;
    auto out = co_await provider_->search(q);
    if (out.ok())
        spdlog::info("web search via {}: {} results", provider_->describe(), out.hits.size());
    else
        spdlog::warn("web search via {} failed ({}): {}", provider_->describe(), out.error_code, out.message);
    co_return out;
}

awaitable<std::optional<ir::ApiError>> WebSearchBackend::loop(const ir::Request& req, EventSink& sink) {
    const ir::WebSearchTool& ws = *req.web_search;
    const int64_t max_uses = ws.max_uses > 0 ? ws.max_uses : kDefaultMaxUses;
    RoundSink round(sink, ws.name);
    search::RewriteOptions opt;
    opt.add_tool = true;
    opt.provider_configured = provider_ != nullptr;
    int64_t uses = 0;
    // Rounds are bounded: a model that keeps calling after max_uses gets max_uses_exceeded once
    // more, then the answer ends.
    for (int64_t r = 0; r <= max_uses + 1; ++r) {
        ir::Request turn = req;
        if (r > 0) {
            if (turn.messages.empty() || turn.messages.back().role != ir::Role::assistant)
                turn.messages.push_back(ir::Message{ir::Role::assistant, {}});
            for (auto& b : round.seen()) turn.messages.back().content.push_back(std::move(b));
        }
        round.begin_round();
        auto err = co_await inner_->generate(search::for_backend(turn, opt), round);
        if (err) {
            if (!sink.committed()) co_return err;
            co_await sink.emit(ir::StreamError{*err});
            co_return std::nullopt;
        }
        if (round.failed() || round.finished()) co_return std::nullopt;
        for (const auto& call : round.calls()) {
            std::string query = search::query_of(round.input_of(call.id));
            search::Outcome out;
            if (uses >= max_uses) {
                out = search::Outcome::fail("max_uses_exceeded", search::error_text("max_uses_exceeded", true));
            } else {
                ++uses;
                out = co_await run_search(query, ws);
                if (!query.empty() && provider_) round.count_search();
            }
            std::vector<ir::WebSearchResult> results;
            for (const auto& h : out.hits) results.push_back(search::to_result(h));
            if (!out.ok()) opt.error_messages[call.id] = out.message;
            co_await round.emit_result(call.id, std::move(results), out.error_code);
        }
        if (round.client_tool_calls()) break;  // the client runs its tools; it sends the results back
    }
    co_await round.finish();
    co_return std::nullopt;
}

}  // namespace anyclaude::backends
