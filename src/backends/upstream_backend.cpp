// OpenAI-compatible upstream backend (see upstream_backend.hpp).
#include "backends/upstream_backend.hpp"

#include <spdlog/spdlog.h>

#include "backends/message_id.hpp"

#include <random>

#include "common/json.hpp"
#include "http/sse_reader.hpp"
#include "ir/prompt_stability.hpp"
#include "openai/stream_decoder.hpp"
#include "openai/upstream_error.hpp"

namespace anyclaude::backends {

using namespace net::experimental::awaitable_operators;

UpstreamConfig upstream_defaults(const std::string& mode) {
    UpstreamConfig c;
    c.mode = mode;
    if (mode == "lmstudio") {
        c.url = *http::Url::parse("http://localhost:1234/v1");
        c.mid_system = openai::MidSystem::as_user;  // Qwen templates in LM Studio reject late system messages
        c.thinking = openai::ThinkingControl::reasoning_effort;
    } else if (mode == "mlx-lm") {
        c.url = *http::Url::parse("http://localhost:8081/v1");
        c.mid_system = openai::MidSystem::as_user;
        c.thinking = openai::ThinkingControl::template_kwargs;
    } else {
        c.url = *http::Url::parse("http://localhost:8080/v1");
        c.mid_system = openai::MidSystem::keep;
        c.thinking = openai::ThinkingControl::none;
    }
    return c;
}

namespace {

bool rejects_late_system(const ir::ApiError& e) {
    return e.message.find("System message must be at the beginning") != std::string::npos ||
           e.message.find("system message must be at the beginning") != std::string::npos;
}

}  // namespace

struct UpstreamBackend::Attempt {
    std::string body;
    std::string model;
    int64_t estimate = 0;
    bool first_token = false;
    bool finished = false;
    std::optional<ir::ApiError> result;     // error to answer with (nothing emitted yet)
    std::optional<ir::ApiError> retryable;  // late-system rejection seen before any event
};

namespace {
// message_start before the upstream reports usage: the prompt size is the estimate.
ir::Event message_start(const UpstreamBackend::Attempt& at) {
    ir::MessageStart start{new_message_id(), at.model, {}};
    start.usage.input_tokens = at.estimate;
    return start;
}
}  // namespace

UpstreamBackend::UpstreamBackend(UpstreamConfig cfg) : cfg_(std::move(cfg)) {
    late_system_as_user_ = cfg_.mid_system == openai::MidSystem::as_user;
}

std::string UpstreamBackend::describe() const { return cfg_.mode + " " + cfg_.url.to_string(); }

std::vector<ModelInfo> UpstreamBackend::models() const {
    std::vector<ModelInfo> out;
    for (const auto& m : cfg_.models)
        if (!m.empty()) out.push_back({m, m + " via " + cfg_.mode});
    if (out.empty() && !discovered_model_.empty()) out.push_back({discovered_model_, discovered_model_ + " via " + cfg_.mode});
    return out;
}

awaitable<ir::Result<int64_t>> UpstreamBackend::count_tokens(const ir::Request& req) {
    co_return ir::estimate_tokens(req);
}

awaitable<std::string> UpstreamBackend::resolve_model(const ir::Request& req) {
    if (!req.backend_model.empty()) co_return req.backend_model;
    if (!cfg_.default_model.empty()) co_return cfg_.default_model;
    if (!model_discovery_done_) {
        model_discovery_done_ = true;
        http::OutgoingRequest get;
        get.method = bhttp::verb::get;
        get.path = "/models";
        if (!cfg_.api_key.empty()) get.headers.push_back({"Authorization", "Bearer " + cfg_.api_key});
        http::ClientTimeouts t = cfg_.timeouts;
        t.first_byte = std::chrono::seconds(10);
        auto sent = co_await http::send_request(cfg_.url, get, t, &pool_);
        if (!sent.response) {
            spdlog::warn("could not list models at {}: {}", cfg_.url.to_string(), sent.error);
        } else {
            auto text = co_await sent.response->read_all();
            if (sent.response->status() == 200) {
                auto parsed = json::parse(text);
                if (parsed.ok() && parsed.value.is_object())
                    if (auto* data = json::find_array(parsed.value.get_object(), "data"); data && !data->empty())
                        if (auto* first = data->front().if_object())
                            if (auto* id = json::find_string(*first, "id")) discovered_model_ = std::string(*id);
            }
            if (!discovered_model_.empty())
                spdlog::info("upstream {} serves model '{}' (from /models)", cfg_.url.to_string(), discovered_model_);
        }
    }
    co_return discovered_model_;
}

awaitable<std::optional<ir::ApiError>> UpstreamBackend::generate(const ir::Request& req, EventSink& sink) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        openai::ChatEncodeOptions opt;
        opt.model = co_await resolve_model(req);
        opt.mid_system = late_system_as_user_ ? openai::MidSystem::as_user : openai::MidSystem::keep;
        opt.thinking = cfg_.thinking;
        opt.max_tokens_cap = cfg_.max_tokens_cap;

        Attempt at;
        at.body = openai::encode_chat_request(req, opt);
        at.model = req.model;
        at.estimate = ir::estimate_tokens(req);
        co_await (run(req, sink, at) || keepalive(req, sink, at));
        if (at.retryable && !late_system_as_user_ && cfg_.mid_system_fallback && !sink.committed()) {
            spdlog::warn("upstream {} rejects system messages after the first; sending them as user messages from now on",
                         cfg_.url.to_string());
            late_system_as_user_ = true;
            continue;
        }
        if (at.retryable) co_return at.retryable;
        co_return at.result;
    }
    co_return std::nullopt;
}

awaitable<void> UpstreamBackend::keepalive(const ir::Request& req, EventSink& sink, Attempt& at) {
    net::steady_timer timer(co_await net::this_coro::executor);
    timer.expires_after(cfg_.commit_grace);
    co_await timer.async_wait(use_awaitable);
    if (!sink.committed()) {
        co_await sink.emit(message_start(at));
    }
    for (;;) {
        timer.expires_after(at.first_token ? std::chrono::hours(24) : cfg_.ping_interval);
        co_await timer.async_wait(use_awaitable);
        if (!at.first_token) co_await sink.emit(ir::Ping{});
    }
}

awaitable<void> UpstreamBackend::run(const ir::Request& req, EventSink& sink, Attempt& at) {
    openai::StreamDecoderOptions dopt;
    dopt.parse_text_tool_calls = cfg_.parse_text_tool_calls;
    dopt.tools = req.tools;
    dopt.stop_sequences = req.stop_sequences;
    openai::ChatStreamDecoder decoder(std::move(dopt));
    std::vector<ir::Event> events;

    auto emit_all = [&]() -> awaitable<void> {
        for (auto& ev : events) {
            if (auto* md = std::get_if<ir::MessageDelta>(&ev); md && md->usage.prompt_tokens() == 0)
                md->usage.input_tokens = at.estimate;  // upstream reported no usage: keep the estimate
            co_await sink.emit(std::move(ev));
        }
        events.clear();
    };
    auto fail = [&](ir::ApiError err) -> awaitable<void> {
        if (!sink.committed()) {
            at.result = std::move(err);
            co_return;
        }
        decoder.fail(err, events);
        co_await emit_all();
    };

    http::OutgoingRequest out;
    out.path = "/chat/completions";
    out.body = at.body;
    if (!cfg_.api_key.empty()) out.headers.push_back({"Authorization", "Bearer " + cfg_.api_key});
    auto sent = co_await http::send_request(cfg_.url, out, cfg_.timeouts, &pool_);
    if (!sent.response) {
        co_await fail(ir::ApiError::api("upstream unreachable: " + sent.error));
        co_return;
    }
    auto& res = sent.response;

    if (res->status() != 200) {
        auto text = co_await res->read_all(64 * 1024);
        auto err = openai::map_upstream_error(static_cast<int>(res->status()), text, cfg_.url.to_string());
        // Error texts can quote the request (pydantic-style validation errors in vLLM/SGLang
        // echo the input), so they are logged only when asked; the client gets them either way.
        if (cfg_.log_bodies)
            spdlog::warn("upstream answered {} ({}): {}", res->status(), err.type, err.message);
        else
            spdlog::warn("upstream answered {} ({}); passed to the client", res->status(), err.type);
        if (rejects_late_system(err) && !sink.committed()) {
            at.retryable = err;
            co_return;
        }
        co_await fail(std::move(err));
        co_return;
    }
    if (!sink.committed()) {
        co_await sink.emit(message_start(at));
    }
    http::SseReader reader;
    std::vector<http::SseEvent> sse;
    bool ended = false;
    while (!ended && !decoder.saw_done()) {
        auto piece = co_await res->read_some();
        if (!piece) {
            if (!res->error().empty()) {
                co_await fail(ir::ApiError::api("upstream stream failed: " + res->error()));
                co_return;
            }
            reader.finish(sse);
            ended = true;
        } else {
            reader.feed(*piece, sse);
        }
        for (auto& e : sse) {
            decoder.on_data(e.data, events);
            if (decoder.error() || decoder.saw_done()) break;
        }
        sse.clear();
        if (!at.first_token && decoder.saw_any_delta()) at.first_token = true;
        if (decoder.error()) {
            // The events decoded before the error go out first: fail() closes their open block.
            co_await fail(*decoder.error());
            co_return;
        }
        co_await emit_all();
    }
    if (decoder.saw_finish_reason() || decoder.saw_done()) {
        decoder.finish(events);
        co_await emit_all();
    } else {
        co_await fail(ir::ApiError::api("upstream " + cfg_.url.to_string() +
                                        " ended the stream before it finished (no finish_reason)"));
    }
    at.finished = true;
}

}  // namespace anyclaude::backends
