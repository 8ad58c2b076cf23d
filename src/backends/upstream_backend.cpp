// OpenAI-compatible upstream backend (see upstream_backend.hpp).
#include "backends/upstream_backend.hpp"

#include <spdlog/spdlog.h>

#include "ir/ids.hpp"

#include <random>

#include "common/json.hpp"
#include "http/sse_reader.hpp"
#include "ir/conversation_key.hpp"
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

// The upstream does not answer at all (refused, reset, timed out). Claude Code 2.1.328 retries
// 408, 409, 429 and every 5xx, up to 10 times with backoff (its retry predicate in the bundle
// ends `if(e.status===429)...;if(e.status&&e.status>=500)return!0;return!1`, and honours
// x-should-retry:false only for first-party subscription 429/529/503): with LM Studio closed a
// user watched minutes of silent retries of the 500 this used to be. Any other 4xx is shown at
// once ("API Error: 400 ..."), so this is a 400 that says what is wrong and what fixes it. (It
// names none of the phrases Claude Code takes for a prompt that is too long.)
// Only a server that cannot be reached at all: one that took the connection and then dropped it
// (MLX-LM does that on a bad parameter) or timed out is a 500 as before. The prefixes are
// http/client.cpp's wording for a failed name lookup or connect.
ir::ApiError transport_error(const UpstreamConfig& cfg, const std::string& why) {
    if (why.rfind("cannot connect to ", 0) != 0 && why.rfind("cannot resolve ", 0) != 0)
        return ir::ApiError::api("upstream failed: " + why);
    auto text = unreachable_text(cfg.mode, cfg.url.to_string());
    return ir::ApiError::invalid_request(text.problem + " (" + why + "): " + text.fix);
}

bool rejects_late_system(const ir::ApiError& e) {
    return e.message.find("System message must be at the beginning") != std::string::npos ||
           e.message.find("system message must be at the beginning") != std::string::npos;
}

}  // namespace

bool is_unreachable(const ir::ApiError& err) {
    return err.status == 400 && (err.message.find(" (cannot connect to ") != std::string::npos ||
                                 err.message.find(" (cannot resolve ") != std::string::npos);
}

struct UpstreamBackend::Attempt {
    std::string body;
    std::string model;          // the client's name for it (message_start)
    std::string backend_model;  // the upstream's
    int64_t estimate = 0;
    ContextWindow window;
    std::chrono::milliseconds grace{0};
    bool may_refit = false;                     // an output overflow may be retried (once)
    std::optional<int64_t> fitting_max_tokens;  // the upstream said max_tokens did not fit: this does
    bool finished = false;
    bool images = false;         // the body carries images (not placeholders)
    bool image_rejected = false;  // the upstream refused them before any event: retry with placeholders
    std::optional<ir::ApiError> result;     // error to answer with (nothing emitted yet)
    std::optional<ir::ApiError> retryable;  // late-system rejection seen before any event
    uint64_t route_key = 0;                 // the conversation key (sent when route_key_header is set)
};

namespace {
// The usage of message_delta, which Claude Code merges over message_start's. Its merge takes a
// field of message_delta only when it is above 0 (2.1.328: `input_tokens:o.input_tokens!==null&&
// o.input_tokens>0?o.input_tokens:e.input_tokens`, the same for both cache fields), and
// message_start carried the estimate as input_tokens. So a prompt the upstream read wholly from
// its cache (input 0, cache_read N) would count as estimate + N: one cached token is reported
// as read instead, which keeps the total exact. No usage at all: the estimate stands.
void final_usage(ir::Usage& u, int64_t estimate) {
    if (u.prompt_tokens() == 0) {
        u.input_tokens = estimate;
    } else if (u.input_tokens == 0 && u.cache_read_input_tokens > 0) {
        u.input_tokens = 1;
        u.cache_read_input_tokens -= 1;
    }
}

// message_start before the upstream reports usage: the prompt size is the estimate.
ir::Event message_start(const UpstreamBackend::Attempt& at) {
    ir::MessageStart start{ir::new_message_id(), at.model, {}};
    start.usage.input_tokens = at.estimate;
    return start;
}
}  // namespace

UpstreamBackend::UpstreamBackend(UpstreamConfig cfg)
    : cfg_(std::move(cfg)), counter_(cfg_.url, cfg_.api_key, &pool_) {
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

// The body generate() would send, counted by the server when it can (a cache hit costs nothing).
awaitable<ir::Result<int64_t>> UpstreamBackend::count_tokens(const ir::Request& req) {
    const bool images = has_images(req);
    const std::string model = co_await route_images(req, co_await resolve_model(req));
    auto n = co_await counter_.count(openai::encode_chat_request(req, encode_options(model, images)));
    co_return n ? *n : ir::estimate_tokens(req);
}

std::string UpstreamBackend::count_tokens_method() const {
    auto m = counter_.method();
    return m.empty() ? "not asked yet (the first count_tokens asks the server)" : m;
}

openai::ChatEncodeOptions UpstreamBackend::encode_options(const std::string& model, bool images) const {
    openai::ChatEncodeOptions opt;
    opt.model = model;
    opt.mid_system = late_system_as_user_ ? openai::MidSystem::as_user : openai::MidSystem::keep;
    opt.thinking = cfg_.thinking;
    opt.images_as_text = images && text_only(model);
    return opt;
}

bool UpstreamBackend::text_only(const std::string& model) const {
    auto it = vision_.find(model);
    return it != vision_.end() && !it->second.vision;
}

void UpstreamBackend::learn_text_only(const std::string& model, const std::string& source) {
    vision_[model] = {false, source};
    spdlog::warn("model '{}' at {} reads text only ({}): images are sent as a short text placeholder from now on{}",
                 model, cfg_.url.to_string(), source,
                 cfg_.vision_model.empty() ? "; --vision-model ID sends requests with images to a model that sees them"
                                           : "");
    placeholder_logged_.insert(model);
}

// With vision-model set, a request carrying images goes to that model (Claude Code resends the
// whole history, so every later request of that conversation does too).
awaitable<std::string> UpstreamBackend::route_images(const ir::Request& req, std::string model) {
    if (cfg_.vision_model.empty() || model == cfg_.vision_model || !has_images(req)) co_return model;
    spdlog::debug("request with images: model '{}' instead of '{}'", cfg_.vision_model, model);
    co_return cfg_.vision_model;
}

bool UpstreamBackend::serves(const std::string& model_id) const {
    for (const auto& m : cfg_.models)
        if (m == model_id) return true;
    for (const auto& m : served_)
        if (m == model_id) return true;
    return false;
}

void UpstreamBackend::learn(const UpstreamProbe& probe) {
    served_ = probe.models;
    if (!probe.models.empty() && discovered_model_.empty()) {
        discovered_model_ = probe.models.front();
        spdlog::info("upstream {} serves model '{}' (from /models)", cfg_.url.to_string(), discovered_model_);
    }
    windows_[probe.model] = {probe.window, std::chrono::steady_clock::now()};
    // The metadata's word on images, unless a rejection already taught otherwise.
    if (probe.vision && !text_only(probe.model)) {
        vision_[probe.model] = *probe.vision;
        if (!probe.vision->vision) learn_text_only(probe.model, probe.vision->source);
    }
    if (probe.window.known()) {
        spdlog::info("model '{}' at {}: context window {} tokens (from {})", probe.model, cfg_.url.to_string(),
                     probe.window.tokens, probe.window.source);
    } else if (warned_.insert(probe.model).second) {
        spdlog::warn("the context window of model '{}' at {} is not known: none of its endpoints tells it; "
                     "reporting the default {} and leaving the limit to the backend. Set --context-window N "
                     "(ANYCLAUDE_CONTEXT_WINDOW) to the real one",
                     probe.model, cfg_.url.to_string(), kDefaultContextWindow);
    }
}

ContextWindow UpstreamBackend::cached_window(const std::string& model) const {
    if (cfg_.context_window > 0) return {cfg_.context_window, "setting context-window"};
    auto it = windows_.find(model);
    return it == windows_.end() ? ContextWindow{} : it->second.window;
}

awaitable<std::string> UpstreamBackend::resolve_model(const ir::Request& req) {
    if (!req.backend_model.empty()) co_return req.backend_model;
    if (!cfg_.default_model.empty()) co_return cfg_.default_model;
    if (discovered_model_.empty()) {
        auto probe = co_await probe_upstream(cfg_.url, cfg_.api_key, "", &pool_);
        if (probe.reachable)
            learn(probe);
        else
            spdlog::warn("could not list models at {}: {}", cfg_.url.to_string(), probe.error);
    }
    co_return discovered_model_;
}

awaitable<ContextWindow> UpstreamBackend::window_for(const std::string& model) {
    if (cfg_.context_window > 0) co_return cached_window(model);
    // A window nothing told is asked again after a minute: Ollama's /api/ps names a model's
    // context only once a request has loaded it.
    auto it = windows_.find(model);
    if (it == windows_.end() ||
        (!it->second.window.known() && std::chrono::steady_clock::now() - it->second.at > std::chrono::minutes(1))) {
        auto probe = co_await probe_upstream(cfg_.url, cfg_.api_key, model, &pool_);
        if (probe.reachable) learn(probe);
    }
    co_return cached_window(model);
}

// A prompt refused before it is sent: clearly over a known window, or over at all where the
// backend would silently drop the start of the conversation instead of refusing (Ollama).
std::optional<ir::ApiError> UpstreamBackend::refuse(const ContextWindow& w, int64_t estimate) const {
    if (!w.known()) return std::nullopt;
    if (clearly_over(estimate, w.tokens) || (w.truncates && estimate > w.tokens)) {
        spdlog::info("refused a prompt of ~{} tokens (estimated) for a {}-token window ({})", estimate, w.tokens,
                     w.source);
        return ir::ApiError::prompt_too_long(estimate, w.tokens);
    }
    return std::nullopt;
}

awaitable<BackendStatus> UpstreamBackend::status() {
    BackendStatus st;
    const std::string url = cfg_.url.to_string();
    auto probe = co_await probe_upstream(cfg_.url, cfg_.api_key, cfg_.default_model, &pool_);
    if (probe.reachable) learn(probe);
    st.reachable = probe.reachable;
    st.model = probe.model;
    ContextWindow w = cached_window(probe.model);
    if (w.known()) {
        st.context_window = w.tokens;
        st.window_source = w.source;
    } else if (probe.reachable) {
        st.context_window = kDefaultContextWindow;
        st.window_source = kDefaultWindowSource;
    }
    ProblemText text;
    if (!probe.reachable)
        text = unreachable_text(cfg_.mode, url);
    else if (probe.model.empty())
        text = no_model_text(cfg_.mode, url);
    st.problem = text.problem;
    st.fix = text.fix;
    co_return st;
}

ContextWindow UpstreamBackend::window() const {
    return cached_window(cfg_.default_model.empty() ? discovered_model_ : cfg_.default_model);
}

// A context error from the upstream. Its window is learned (it is exact); a max_tokens that did
// not fit is retried once with what fits (at.fitting_max_tokens); a prompt overflow without
// numbers (LM Studio, Ollama) gets them from the window and the estimate, so that Claude Code
// can size its compaction (N is at least M + 1: the upstream said it is over). Returns the error
// to answer with, or nullopt for the upstream's own translation.
std::optional<ir::ApiError> UpstreamBackend::on_context_error(const openai::ContextOverflow& o, Attempt& at) {
    if (o.window && cfg_.context_window <= 0)
        windows_[at.backend_model] = {{*o.window, o.backend + " context error", at.window.truncates},
                                      std::chrono::steady_clock::now()};
    if (o.kind == openai::ContextOverflow::Kind::output && o.prompt_tokens && o.window) {
        if (at.may_refit) at.fitting_max_tokens = std::max<int64_t>(1, *o.window - *o.prompt_tokens);
        return std::nullopt;
    }
    if (o.kind == openai::ContextOverflow::Kind::prompt && !(o.prompt_tokens && o.window) && at.window.known())
        return ir::ApiError::prompt_too_long(std::max(at.estimate, at.window.tokens + 1), at.window.tokens);
    return std::nullopt;
}

awaitable<std::optional<ir::ApiError>> UpstreamBackend::generate(const ir::Request& req, EventSink& sink) {
    co_return co_await generate_keyed(req, sink, cfg_.route_key_header.empty() ? 0 : ir::conversation_key(req));
}

awaitable<std::optional<ir::ApiError>> UpstreamBackend::generate_keyed(const ir::Request& req, EventSink& sink,
                                                                       uint64_t key) {
    const bool images = has_images(req);
    const std::string model = co_await route_images(req, co_await resolve_model(req));
    const ContextWindow window = co_await window_for(model);
    const int64_t estimate = ir::estimate_tokens(req);
    if (auto refused = refuse(window, estimate)) co_return refused;
    int64_t max_tokens = fit_max_tokens(req.max_tokens, estimate, window.tokens);
    bool refitted = false;
    for (int attempt = 0; attempt < 4; ++attempt) {  // image placeholders, late system, refit: once each
        openai::ChatEncodeOptions opt = encode_options(model, images);
        opt.max_tokens_cap = max_tokens;
        if (opt.images_as_text && placeholder_logged_.insert(model).second)
            spdlog::info("model '{}' reads text only: images replaced by placeholders", model);

        Attempt at;
        at.body = openai::encode_chat_request(req, opt);
        at.model = req.model;
        at.backend_model = model;
        at.estimate = estimate;
        at.window = window;
        at.grace = commit_grace(estimate, window.tokens, cfg_.commit_grace, cfg_.commit_grace_near_window);
        at.may_refit = !refitted;
        at.images = images && !opt.images_as_text;
        at.route_key = key;
        co_await (run(req, sink, at) || keepalive(req, sink, at));
        // A text-only model refused the image: learned for this model, sent again with placeholders.
        if (at.image_rejected && !sink.committed()) {
            learn_text_only(model, "it rejected an image");
            continue;
        }
        if (at.retryable && !late_system_as_user_ && cfg_.mid_system_fallback && !sink.committed()) {
            spdlog::warn("upstream {} rejects system messages after the first; sending them as user messages from now on",
                         cfg_.url.to_string());
            late_system_as_user_ = true;
            continue;
        }
        // The estimate was low and prompt + max_tokens did not fit (vLLM, SGLang): once more with
        // what the upstream's exact count leaves, instead of an error that is no prompt overflow.
        if (at.fitting_max_tokens && !refitted) {
            spdlog::info("upstream {}: max_tokens {} did not fit; retrying with {}", cfg_.url.to_string(), max_tokens,
                         *at.fitting_max_tokens);
            max_tokens = *at.fitting_max_tokens;
            refitted = true;
            continue;
        }
        if (at.retryable) co_return at.retryable;
        co_return at.result;
    }
    co_return std::nullopt;
}

// message_start once the grace is over and the upstream has not answered; the pings that follow
// until the first token are the front door's (app/ping_sink.hpp). Waits on until run() ends it.
awaitable<void> UpstreamBackend::keepalive(const ir::Request& req, EventSink& sink, Attempt& at) {
    net::steady_timer timer(co_await net::this_coro::executor);
    timer.expires_after(at.grace);
    co_await timer.async_wait(use_awaitable);
    if (!sink.committed()) {
        co_await sink.emit(message_start(at));
    }
    timer.expires_after(std::chrono::hours(24));
    co_await timer.async_wait(use_awaitable);
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
            if (auto* md = std::get_if<ir::MessageDelta>(&ev)) final_usage(md->usage, at.estimate);
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
    out.body = at.body;  // kept in `at` for a retry
    if (!cfg_.api_key.empty()) out.headers.push_back({"Authorization", "Bearer " + cfg_.api_key});
    if (!cfg_.route_key_header.empty())
        out.headers.push_back({cfg_.route_key_header, ir::conversation_key_text(at.route_key)});
    auto sent = co_await http::send_request(cfg_.url, out, cfg_.timeouts, &pool_);
    if (!sent.response) {
        co_await fail(transport_error(cfg_, sent.error));
        co_return;
    }
    auto& res = sent.response;

    if (res->status() != 200) {
        auto text = co_await res->read_all(64 * 1024);
        auto upstream = openai::read_upstream_error(static_cast<int>(res->status()), text, cfg_.url.to_string());
        // Error texts can quote the request (pydantic-style validation errors in vLLM/SGLang
        // echo the input), so they are logged only when asked; the client gets them either way.
        if (cfg_.log_bodies)
            spdlog::warn("upstream answered {} ({}): {}", res->status(), upstream.error.type, upstream.error.message);
        else
            spdlog::warn("upstream answered {} ({}); passed to the client", res->status(), upstream.error.type);
        if (at.images && !sink.committed() && is_image_rejection(upstream.error.message)) {
            at.image_rejected = true;
            co_return;
        }
        if (rejects_late_system(upstream.error) && !sink.committed()) {
            at.retryable = upstream.error;
            co_return;
        }
        if (upstream.overflow) {
            auto err = on_context_error(*upstream.overflow, at);
            if (at.fitting_max_tokens) co_return;
            co_await fail(std::move(err ? *err : upstream.error));
            co_return;
        }
        co_await fail(std::move(upstream.error));
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
        // The chunked body's end follows [DONE] at once; read it so the connection is reused.
        // Without this every request opened a new upstream connection (connect + the server's
        // accept on the request path: perf put socket/connect/close at 5% of the gateway's CPU).
        if (!ended) co_await res->discard_rest(std::chrono::milliseconds(200));
    } else {
        co_await fail(ir::ApiError::api("upstream " + cfg_.url.to_string() +
                                        " ended the stream before it finished (no finish_reason)"));
    }
    at.finished = true;
}

}  // namespace anyclaude::backends
