// One request as the gateway answered it: the one per-request record that the recorder
// (--record), the request log (--request-log), the metrics (/metrics) and the status page read.
//
// Who fills what:
//   Observer (observer.hpp)      arrival, and the answer as it leaves (status, stream, TTFT, the
//                                usage/error frames, complete, total) through an ObservingWriter;
//                                at the end read_answer() turns the frames into usage and stop reason
//   Gateway (app/gateway.cpp)    route, session key, model asked and served, backend, client
//                                disconnect, backend error kind (through summary_of(writer))
//   engine facts (observer.hpp)  tier reused, queue wait, prefill/decode speed (embedded mode)
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "http/server.hpp"
#include "ir/usage.hpp"

namespace anyclaude::observe {

using Clock = std::chrono::steady_clock;

struct RequestSummary {
    // Arrival.
    Clock::time_point t0;
    double arrived_epoch_ms = 0;
    std::string method, target, peer;
    // Set by the gateway ("" / false when it never got that far).
    std::string route = "other";  // a bounded name: messages, count_tokens, models, health, metrics, status, page, other
    std::string session;          // X-Claude-Code-Session-Id, else metadata.user_id's session_id
    std::string model_asked, model_served, backend;
    bool client_disconnect = false;
    std::string backend_error;    // the ApiError type of a failure the backend returned ("" none)
    // The answer as it left.
    unsigned status = 0;
    bool stream = false, complete = false;
    std::optional<double> ttft_ms;  // the first content_block_start or _delta (bench/session/client.mjs's TTFT)
    double total_ms = 0;
    std::string frames;     // SSE frames carrying usage or an error (message_start, message_delta, error)
    std::string json_body;  // a whole-body answer up to 64 KiB
    // Read from the answer at the end (read_answer).
    std::optional<json::bj::object> usage_object;  // as sent (count_tokens: {"input_tokens": N})
    ir::Usage usage;
    std::string message_id, stop_reason, error, error_type;
    // Engine facts (embedded mode; tier "" when unknown).
    std::string tier;
    int64_t reused_tokens = 0;
    std::optional<double> queue_wait_ms, prefill_tps, decode_tps;

    bool is_api() const { return route == "messages" || route == "count_tokens" || route == "models"; }
};

// Passes everything through to the inner writer and records the answer into a summary.
class ObservingWriter final : public http::ResponseWriter {
public:
    ObservingWriter(http::ResponseWriter& inner, RequestSummary& s) : inner_(inner), s_(s) {}
    awaitable<void> send(unsigned status, std::string_view content_type, std::string&& body,
                         const std::vector<std::pair<std::string, std::string>>& headers) override;
    awaitable<void> start_stream(unsigned status, std::string_view content_type,
                                 const std::vector<std::pair<std::string, std::string>>& headers) override;
    awaitable<bool> write_chunk(std::string_view data) override;
    awaitable<void> end_stream() override { co_await inner_.end_stream(); }
    awaitable<void> wait_client_gone() override { co_await inner_.wait_client_gone(); }
    void abort() override { inner_.abort(); }
    bool started() const override { return inner_.started(); }
    std::string peer() const override { return inner_.peer(); }
    RequestSummary& summary() { return s_; }

private:
    void observe(std::string_view data);
    http::ResponseWriter& inner_;
    RequestSummary& s_;
};

// The summary behind a writer the Observer handed out; nullptr when none observes it.
RequestSummary* summary_of(http::ResponseWriter& w);

// Fills usage_object, usage, message_id, stop_reason, error and error_type from the frames/body.
void read_answer(RequestSummary& s);

// The session key of a request: the X-Claude-Code-Session-Id header, else the session_id inside
// metadata.user_id (Claude Code 2.1.328 sends a JSON text there: {"device_id":..,"session_id":..}).
std::string session_key(const http::Request& req, const std::string& user_id);

}  // namespace anyclaude::observe
