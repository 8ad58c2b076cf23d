// Front-door routing and request handling (see gateway.hpp).
#include "app/gateway.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "anthropic/request_decoder.hpp"
#include "anthropic/bodies.hpp"
#include "app/diagnosed_sink.hpp"
#include "app/event_sinks.hpp"
#include "app/ping_sink.hpp"
#include "common/allocator.hpp"
#include "common/json.hpp"
#include "ir/prompt_stability.hpp"
#include "observe/status_page.hpp"

namespace anyclaude::app {

using namespace net::experimental::awaitable_operators;

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

bool equal_constant_time(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The route label of a path (bounded: metrics and the request log group by it).
const char* route_of(const std::string& path) {
    static const std::pair<const char*, const char*> kRoutes[] = {
        {"/v1/messages", "messages"}, {"/v1/messages/count_tokens", "count_tokens"}, {"/v1/models", "models"},
        {"/health", "health"}, {"/health/backend", "health"}, {"/metrics", "metrics"},
        {"/status.json", "status"}, {"/", "page"}};
    for (const auto& [p, name] : kRoutes)
        if (path == p) return name;
    return path.rfind("/v1/models/", 0) == 0 ? "models" : "other";
}

bool wants_json(const http::Request& req) {
    auto it = req.find(bhttp::field::accept);
    return it != req.end() && it->value().find("application/json") != std::string_view::npos;
}

struct InFlight {
    std::atomic<std::size_t>& n;
    explicit InFlight(std::atomic<std::size_t>& c) : n(c) { ++n; }
    ~InFlight() { --n; }
};

}  // namespace

Gateway::Gateway(const Config& cfg, std::shared_ptr<backends::Backend> backend)
    : cfg_(cfg), backend_(std::move(backend)) {}

std::string Gateway::map_model(const std::string& client_model) const {
    // An id the backend serves is taken as picked on purpose. Any other id (a Claude id, or a
    // name the backend does not have: Claude Code sends whatever ANTHROPIC_MODEL or /model says)
    // goes to the configured model, haiku-class ones to the small model: passed upstream as they
    // are, they failed on servers that check the name (vLLM 404, Ollama 404, MLX-LM loads it).
    if (!client_model.empty() && backend_->serves(client_model)) return client_model;
    if (!cfg_.small_model.empty() && lower(client_model).find("haiku") != std::string::npos) return cfg_.small_model;
    return cfg_.model;
}

bool Gateway::authorized(const http::Request& req) const {
    if (cfg_.api_key.empty()) return true;
    if (auto it = req.find("x-api-key"); it != req.end())
        if (equal_constant_time(std::string(it->value()), cfg_.api_key)) return true;
    if (auto it = req.find(bhttp::field::authorization); it != req.end()) {
        std::string v(it->value());
        if (v.size() > 7 && lower(v.substr(0, 7)) == "bearer " && equal_constant_time(v.substr(7), cfg_.api_key))
            return true;
    }
    return false;
}

awaitable<void> Gateway::send_error(http::ResponseWriter& w, const ir::ApiError& e) {
    ++stats_.errors;
    std::vector<std::pair<std::string, std::string>> headers;
    if (e.status == 529 || e.status == 429) headers.push_back({"retry-after", "1"});
    co_await w.send(static_cast<unsigned>(e.status), "application/json", anthropic::error_body(e), headers);
}

awaitable<void> Gateway::handle(const http::Request& req, http::ResponseWriter& w) {
    ++stats_.requests;
    auto t0 = std::chrono::steady_clock::now();
    std::string target(req.target());
    std::string path = target.substr(0, target.find('?'));
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    const auto method = req.method();

    if (auto* s = observe::summary_of(w)) s->route = route_of(path);
    if (path == "/health" || (path == "/" && (!obs_ || wants_json(req)))) {
        co_await health(w);  // `/` answered like /health before the status page: JSON clients still get that
    } else if (obs_ && (path == "/" || path == "/metrics" || path == "/status.json")) {
        co_await observation(path, req, w);
    } else if (path == "/health/backend") {
        co_await backend_health(w);
    } else if (path.rfind("/v1/", 0) != 0) {
        co_await send_error(w, ir::ApiError::not_found("Not found: " + path));
    } else if (!authorized(req)) {
        co_await send_error(w, ir::ApiError::authentication("invalid x-api-key"));
    } else if (path == "/v1/messages") {
        if (method != bhttp::verb::post)
            co_await send_error(w, {405, "invalid_request_error", "Method not allowed; use POST for " + path});
        else
            co_await messages(req, w);
    } else if (path == "/v1/messages/count_tokens") {
        if (method != bhttp::verb::post)
            co_await send_error(w, {405, "invalid_request_error", "Method not allowed; use POST for " + path});
        else
            co_await count_tokens(req, w);
    } else if (path == "/v1/models" || path.rfind("/v1/models/", 0) == 0) {
        if (method != bhttp::verb::get)
            co_await send_error(w, {405, "invalid_request_error", "Method not allowed; use GET for " + path});
        else
            co_await list_models(path, w);
    } else {
        co_await send_error(w, ir::ApiError::not_found("Not found: " + path));
    }
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    spdlog::debug("{} {} from {} in {:.1f} ms", std::string(req.method_string()), path, w.peer(), ms);
}

// The status page and its data. The page itself carries no data (it asks for the key when
// /status.json answers 401); /metrics and /status.json follow the API's key rule.
awaitable<void> Gateway::observation(const std::string& path, const http::Request& req, http::ResponseWriter& w) {
    if (path == "/") {
        co_await w.send(200, "text/html; charset=utf-8", std::string(observe::status_page_html()),
                        {{"cache-control", "no-store"}});
    } else if (!authorized(req)) {
        co_await send_error(w, ir::ApiError::authentication("invalid x-api-key"));
    } else if (path == "/metrics" && obs_->metrics_on()) {
        co_await w.send(200, "text/plain; version=0.0.4; charset=utf-8", obs_->metrics_text(stats_.in_flight.load()));
    } else if (path == "/status.json") {
        observe::GatewayInfo g{ANYCLAUDE_VERSION, cfg_.mode, backend_->describe(), cfg_.model, backend_->window().source,
                               std::nullopt, stats_.requests.load(), stats_.in_flight.load()};
        if (const auto window = backend_->window(); window.known()) g.context_window = window.tokens;
        co_await w.send(200, "application/json", obs_->status_json(g), {{"cache-control", "no-store"}});
    } else {
        co_await send_error(w, ir::ApiError::not_found("Not found: " + path + " (metrics are off: --metrics false)"));
    }
}

awaitable<void> Gateway::health(http::ResponseWriter& w) {
    std::string body;
    json::Writer j(body);
    j.begin_object();
    j.key("status").value("ok");
    j.key("name").value("anyclaude");
    j.key("version").value(ANYCLAUDE_VERSION);
    j.key("mode").value(cfg_.mode);
    j.key("backend").value(backend_->describe());
    // The window as last learned (no probe here: /health/backend asks the backend).
    const auto window = backend_->window();
    j.key("context_window");
    if (window.known())
        j.value(window.tokens);
    else
        j.null();
    j.key("window_source").value(window.source);
    if (auto method = backend_->count_tokens_method(); !method.empty()) j.key("count_tokens").value(method);
    j.key("requests").value(static_cast<int64_t>(stats_.requests.load()));
    j.key("in_flight").value(static_cast<int64_t>(stats_.in_flight.load()));
    if (auto engine = backend_->stats_json(); !engine.empty()) j.key("engine").raw(engine);
    if (auto fleet = backend_->fleet_json(); !fleet.empty()) j.key("fleet").raw(fleet);
    // The allocator's view, to tell live data from memory it holds on to (fragmentation) when
    // the resident size grows: heap_in_use_bytes is what the process has allocated and not freed.
    if (auto heap = common::heap_stats()) {
        j.key("memory").begin_object();
        j.key("heap_in_use_bytes").value(heap->in_use_bytes);
        j.key("heap_free_held_bytes").value(heap->free_held_bytes);
        j.end_object();
    }
    j.end_object();
    co_await w.send(200, "application/json", std::move(body));
}

// GET /health/backend: the contract the launcher checks before it starts Claude Code.
// {"reachable": bool, "model": "<id>" | "", "context_window": int | null,
//  "window_source": "<where the window came from>", "problem": "<one line>" | "", "fix": "<command>" | ""}
// Always 200 (the answer is in the body); it asks the backend now, with short timeouts.
awaitable<void> Gateway::backend_health(http::ResponseWriter& w) {
    const auto st = co_await backend_->status();
    std::string body;
    json::Writer j(body);
    j.begin_object();
    j.key("reachable").value(st.reachable);
    j.key("model").value(st.model);
    j.key("context_window");
    if (st.context_window)
        j.value(*st.context_window);
    else
        j.null();
    j.key("window_source").value(st.window_source);
    j.key("problem").value(st.problem);
    j.key("fix").value(st.fix);
    j.end_object();
    co_await w.send(200, "application/json", std::move(body));
}

awaitable<void> Gateway::list_models(const std::string& path, http::ResponseWriter& w) {
    std::vector<anthropic::ModelEntry> entries;
    for (const auto& m : backend_->models()) entries.push_back({m.id, m.display_name});
    if (path == "/v1/models") {
        co_await w.send(200, "application/json", anthropic::models_body(entries));
        co_return;
    }
    std::string id = path.substr(std::string("/v1/models/").size());
    for (const auto& e : entries) {
        if (e.id == id) {
            co_await w.send(200, "application/json", anthropic::model_body(e));
            co_return;
        }
    }
    co_await send_error(w, ir::ApiError::not_found("model: " + id));
}

void Gateway::log_body(const http::Request& req, const http::ResponseWriter& w) const {
    // Bodies hold the user's code and conversation: logged only when asked (--log-bodies).
    // Headers are never logged (x-api-key, authorization).
    if (cfg_.log_bodies)
        spdlog::info("{} {} from {}: {} bytes: {}", std::string(req.method_string()), std::string(req.target()),
                     w.peer(), req.body().size(), req.body());
}

awaitable<void> Gateway::count_tokens(const http::Request& req, http::ResponseWriter& w) {
    log_body(req, w);
    anthropic::DecodeOptions opt;
    opt.require_max_tokens = false;
    auto decoded = anthropic::decode_messages_request(req.body(), opt);
    if (!decoded) {
        co_await send_error(w, decoded.error());
        co_return;
    }
    if (cfg_.strip_billing_header) ir::strip_billing_header(*decoded);
    decoded->backend_model = map_model(decoded->model);
    if (auto* s = observe::summary_of(w)) {
        s->session = observe::session_key(req, decoded->user_id);
        s->model_asked = decoded->model;
        s->model_served = decoded->backend_model;
        s->backend = cfg_.mode;
    }
    auto n = co_await backend_->count_tokens(*decoded);
    if (!n) {
        co_await send_error(w, n.error());
        co_return;
    }
    co_await w.send(200, "application/json", anthropic::count_tokens_body(*n));
}

awaitable<void> Gateway::messages(const http::Request& req, http::ResponseWriter& w) {
    if (stats_.in_flight >= cfg_.max_concurrent_requests) {
        co_await send_error(w, ir::ApiError::overloaded("Too many concurrent requests (" +
                                                        std::to_string(cfg_.max_concurrent_requests) +
                                                        "); try again shortly."));
        co_return;
    }
    InFlight in_flight(stats_.in_flight);
    log_body(req, w);
    anthropic::DecodeOptions opt;
    if (auto beta = req.find("anthropic-beta"); beta != req.end()) opt.anthropic_beta = std::string(beta->value());
    auto decoded = anthropic::decode_messages_request(req.body(), opt);
    if (!decoded) {
        co_await send_error(w, decoded.error());
        co_return;
    }
    ir::Request& r = *decoded;
    r.subagent = req.find("x-claude-code-agent-id") != req.end() || ir::billing_marks_subagent(r);
    if (cfg_.strip_billing_header) ir::strip_billing_header(r);
    r.backend_model = map_model(r.model);
    // The max-tokens-cap setting, for every backend alike (each then fits it to its window).
    if (cfg_.max_tokens_cap > 0) r.max_tokens = std::min(r.max_tokens, cfg_.max_tokens_cap);
    observe::RequestSummary* summary = observe::summary_of(w);
    if (summary) {
        summary->session = observe::session_key(req, r.user_id);
        summary->model_asked = r.model;
        summary->model_served = r.backend_model;
        summary->backend = cfg_.mode;
    }
    auto note = [&](bool disconnected, const std::optional<ir::ApiError>& err) {
        if (!summary) return;
        summary->client_disconnect = disconnected;
        if (err) summary->backend_error = err->type;
    };

    if (r.stream) {
        SseSink sink(w);
        DiagnosedSink diagnosed(sink, r);
        PingingSink pinging(diagnosed, std::chrono::milliseconds(cfg_.ping_interval_ms));
        std::optional<ir::ApiError> err;
        // Pings beside the backend (they end with it); nested in a coroutine of its own because
        // `(a || b) || c` flattens to one variant, where index 1 would be the pinger.
        auto run = [&]() -> awaitable<void> {
            auto generate = [&]() -> awaitable<void> { err = co_await backend_->generate(r, pinging); };
            co_await (generate() || pinging.run());
        };
        auto outcome = co_await (run() || w.wait_client_gone());
        if (outcome.index() == 1) {
            ++stats_.client_disconnects;
            spdlog::info("client {} disconnected; request cancelled", w.peer());
        }
        note(outcome.index() == 1, err);
        if (err && !sink.committed()) {
            co_await send_error(w, *err);
            co_return;
        }
        co_await sink.flush();
        co_return;
    }

    CollectingSink sink;
    DiagnosedSink diagnosed(sink, r);
    std::optional<ir::ApiError> err;
    auto run = [&]() -> awaitable<void> { err = co_await backend_->generate(r, diagnosed); };
    auto outcome = co_await (run() || w.wait_client_gone());
    note(outcome.index() == 1, err);
    if (outcome.index() == 1) {
        ++stats_.client_disconnects;
        co_return;
    }
    if (err) {
        co_await send_error(w, *err);
    } else if (sink.message().failed()) {
        co_await send_error(w, sink.message().error());
    } else {
        co_await w.send(200, "application/json", sink.message().to_json());
    }
}

}  // namespace anyclaude::app
