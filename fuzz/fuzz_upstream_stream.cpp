// Fuzzes what the gateway reads from an OpenAI-compatible upstream, driven the way
// backends/upstream_backend.cpp drives it: the input is the raw response body; an SseReader is
// fed it in chunks (split points chosen from the input), each event's data goes to a
// ChatStreamDecoder until [DONE] or an error payload, then the stream is finished (finish_reason
// or [DONE] seen) or failed (it ended early, or an error arrived). The same bytes are also read as
// the body of a non-200 answer (map_upstream_error), the only non-streaming upstream body.
//
// Invariants:
//   - the SSE events do not depend on where the bytes were split;
//   - the decoder's events form a well-formed Anthropic stream: block indices 0,1,2.. one open
//     at a time, deltas of the open block's kind, thinking closed by a signature, tool_use blocks
//     named and given input, text/thinking blocks never opened by whitespace, and it ends with
//     message_delta + message_stop (finished) or an error (failed), nothing after;
//   - every event encodes to an SSE frame whose data is valid (strict UTF-8) JSON, and reading the
//     frames back with SseReader gives the same frames; the stream:false aggregate is valid JSON;
//   - upstream errors map to a 4xx/5xx Anthropic error with a message, valid JSON when encoded.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "anthropic/sse_encoder.hpp"
#include "anthropic/bodies.hpp"
#include "anthropic/message_aggregator.hpp"
#include "common/json.hpp"
#include "fuzz_support.hpp"
#include "http/sse_reader.hpp"
#include "openai/stream_decoder.hpp"
#include "openai/upstream_error.hpp"

namespace {

using namespace anyclaude;

std::vector<ir::Tool> fuzz_tools() {
    return {
        {"Read", "Reads a file",
         R"({"type":"object","properties":{"file_path":{"type":"string"},"offset":{"type":"integer"},"limit":{"type":"integer"}},"required":["file_path"]})",
         false, false},
        {"Bash", "Runs a command",
         R"({"type":"object","properties":{"command":{"type":"string"},"timeout":{"type":"number"},"run_in_background":{"type":"boolean"},"env":{"type":"object"},"args":{"type":"array"}},"required":["command"]})",
         false, false},
    };
}

bool is_json(std::string_view text) { return json::parse(text, 100000).ok(); }

bool same(const std::vector<http::SseEvent>& a, const std::vector<http::SseEvent>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].event != b[i].event || a[i].data != b[i].data) return false;
    return true;
}

bool all_space(std::string_view s) {
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') return false;
    return true;
}

// The decoder's output, checked event by event.
class StreamChecker {
public:
    void add(const ir::Event& ev) {
        FUZZ_CHECK(!ended_);
        if (const auto* e = std::get_if<ir::BlockStart>(&ev)) {
            FUZZ_CHECK(open_ < 0);
            FUZZ_CHECK(e->index == next_);
            open_ = next_++;
            kind_ = e->kind;
            deltas_ = 0;
            last_signature_ = false;
            tool_input_ = false;
            FUZZ_CHECK(kind_ == ir::BlockKind::text || kind_ == ir::BlockKind::thinking ||
                       kind_ == ir::BlockKind::tool_use);
            if (kind_ == ir::BlockKind::tool_use) {
                FUZZ_CHECK(!e->tool_id.empty());
                FUZZ_CHECK(!e->tool_name.empty());
                ++tools_;
            }
        } else if (const auto* e = std::get_if<ir::BlockDelta>(&ev)) {
            FUZZ_CHECK(open_ >= 0 && e->index == open_);
            FUZZ_CHECK(!e->data.empty());
            FUZZ_CHECK(!last_signature_);  // the signature is the thinking block's last delta
            switch (kind_) {
                case ir::BlockKind::text: FUZZ_CHECK(e->kind == ir::DeltaKind::text); break;
                case ir::BlockKind::thinking:
                    FUZZ_CHECK(e->kind == ir::DeltaKind::thinking || e->kind == ir::DeltaKind::signature);
                    last_signature_ = e->kind == ir::DeltaKind::signature;
                    break;
                default:
                    FUZZ_CHECK(e->kind == ir::DeltaKind::input_json);
                    if (!all_space(e->data)) tool_input_ = true;
                    break;
            }
            if (deltas_ == 0 && kind_ != ir::BlockKind::tool_use) FUZZ_CHECK(!all_space(e->data.substr(0, 1)));
            ++deltas_;
        } else if (const auto* e = std::get_if<ir::BlockStop>(&ev)) {
            FUZZ_CHECK(open_ >= 0 && e->index == open_);
            if (kind_ == ir::BlockKind::thinking) FUZZ_CHECK(last_signature_);
            if (kind_ == ir::BlockKind::tool_use) FUZZ_CHECK(tool_input_);
            if (kind_ == ir::BlockKind::text) FUZZ_CHECK(deltas_ > 0);
            open_ = -1;
        } else if (const auto* e = std::get_if<ir::MessageDelta>(&ev)) {
            FUZZ_CHECK(open_ < 0 && !message_delta_);
            message_delta_ = true;
            FUZZ_CHECK((e->stop_reason == ir::StopReason::stop_sequence) == !e->stop_sequence.empty());
            if (tools_ > 0 && e->stop_reason != ir::StopReason::max_tokens)
                FUZZ_CHECK(e->stop_reason == ir::StopReason::tool_use);
            if (tools_ == 0) FUZZ_CHECK(e->stop_reason != ir::StopReason::tool_use);
        } else if (std::holds_alternative<ir::MessageStop>(ev)) {
            FUZZ_CHECK(message_delta_);
            ended_ = true;
        } else if (const auto* e = std::get_if<ir::StreamError>(&ev)) {
            FUZZ_CHECK(open_ < 0 && !message_delta_);
            FUZZ_CHECK(e->error.status >= 400 && e->error.status <= 599);
            FUZZ_CHECK(!e->error.message.empty());
            ended_ = true;
        } else {
            FUZZ_CHECK(false);  // the decoder never emits message_start or ping
        }
    }
    bool ended() const { return ended_; }

private:
    int next_ = 0;
    int open_ = -1;
    ir::BlockKind kind_ = ir::BlockKind::text;
    int deltas_ = 0;
    int tools_ = 0;
    bool last_signature_ = false;
    bool tool_input_ = false;
    bool message_delta_ = false;
    bool ended_ = false;
};

// Encodes the whole response as the gateway would (SSE and stream:false) and checks both.
void check_encoded(const std::vector<ir::Event>& events) {
    std::vector<ir::Event> all;
    ir::MessageStart start{"msg_fuzz", "claude-fuzz", {}};
    start.usage.input_tokens = 7;
    all.push_back(start);
    all.insert(all.end(), events.begin(), events.end());

    std::string sse;
    anthropic::MessageAggregator aggregate;
    for (const auto& ev : all) {
        std::string frame;
        anthropic::encode_sse(ev, frame);
        FUZZ_CHECK(frame.starts_with("event: ") && frame.ends_with("\n\n"));
        sse += frame;
        aggregate.add(ev);
    }
    http::SseReader reader;
    std::vector<http::SseEvent> frames;
    reader.feed(sse, frames);
    FUZZ_CHECK(reader.buffered() == 0);
    reader.finish(frames);
    FUZZ_CHECK(frames.size() == all.size());
    for (const auto& f : frames) {
        auto parsed = json::parse(f.data);
        FUZZ_CHECK(parsed.ok() && parsed.value.is_object());
        const auto* type = json::find_string(parsed.value.get_object(), "type");
        FUZZ_CHECK(type && *type == f.event);
    }
    FUZZ_CHECK(aggregate.failed() || aggregate.complete());
    if (aggregate.complete()) FUZZ_CHECK(is_json(aggregate.to_json()));
    if (aggregate.failed()) FUZZ_CHECK(is_json(anthropic::error_body(aggregate.error())));
}

// One streamed response, as UpstreamBackend::run reads it.
void run_stream(std::string_view body, const std::vector<std::string_view>& pieces, bool parse_text,
                bool parse_think, const std::vector<http::SseEvent>& expected_events) {
    openai::StreamDecoderOptions opt;
    opt.parse_text_tool_calls = parse_text;
    opt.parse_think_tags = parse_think;
    opt.tools = fuzz_tools();
    opt.stop_sequences = {"STOP", "\n\nHuman:", "</end>"};
    openai::ChatStreamDecoder decoder(std::move(opt));

    std::vector<ir::Event> events, emitted;
    http::SseReader reader;
    std::vector<http::SseEvent> sse, seen;
    bool failed = false;
    auto fail = [&](const ir::ApiError& err) {
        decoder.fail(err, events);
        failed = true;
    };
    std::size_t next = 0;
    bool ended = false;
    while (!ended && !decoder.saw_done()) {
        if (next == pieces.size()) {
            reader.finish(sse);
            ended = true;
        } else {
            reader.feed(pieces[next++], sse);
        }
        for (auto& e : sse) {
            seen.push_back(e);
            decoder.on_data(e.data, events);
            if (decoder.error() || decoder.saw_done()) break;
        }
        sse.clear();
        if (decoder.error()) {
            fail(*decoder.error());  // after the events decoded before the error
            break;
        }
        emitted.insert(emitted.end(), events.begin(), events.end());
        events.clear();
    }
    if (!failed) {
        if (decoder.saw_finish_reason() || decoder.saw_done()) {
            decoder.finish(events);
        } else {
            fail(ir::ApiError::api("upstream ended the stream before it finished (no finish_reason)"));
        }
    }
    emitted.insert(emitted.end(), events.begin(), events.end());

    // The events the decoder saw are a prefix of the whole body's events.
    FUZZ_CHECK(seen.size() <= expected_events.size());
    for (std::size_t i = 0; i < seen.size(); ++i)
        FUZZ_CHECK(seen[i].event == expected_events[i].event && seen[i].data == expected_events[i].data);
    if (decoder.error()) FUZZ_CHECK(decoder.error()->status >= 400 && decoder.error()->status <= 599);

    StreamChecker checker;
    for (const auto& ev : emitted) checker.add(ev);
    FUZZ_CHECK(checker.ended());
    check_encoded(emitted);
    (void)body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    uint64_t seed = fuzz::input_hash(body);

    // SSE framing: whole, one byte at a time, and input-chosen chunks agree.
    std::vector<http::SseEvent> whole, bytewise, chunked;
    {
        http::SseReader r;
        r.feed(body, whole);
        r.finish(whole);
    }
    {
        http::SseReader r;
        for (std::size_t i = 0; i < body.size(); ++i) r.feed(body.substr(i, 1), bytewise);
        r.finish(bytewise);
    }
    auto pieces = fuzz::split(body, seed);
    {
        http::SseReader r;
        for (auto p : pieces) r.feed(p, chunked);
        r.finish(chunked);
    }
    FUZZ_CHECK(same(whole, bytewise));
    FUZZ_CHECK(same(whole, chunked));

    run_stream(body, pieces, true, true, whole);
    run_stream(body, pieces, (seed >> 20) & 1, false, whole);

    // The body of a non-200 answer.
    static const int statuses[] = {400, 401, 403, 404, 413, 422, 429, 500, 502, 503};
    int status = statuses[(seed >> 40) % (sizeof statuses / sizeof statuses[0])];
    ir::ApiError err = openai::map_upstream_error(status, body, "http://127.0.0.1:8080/v1");
    FUZZ_CHECK(err.status >= 400 && err.status <= 599);
    FUZZ_CHECK(!err.message.empty() && !err.type.empty());
    FUZZ_CHECK(is_json(anthropic::error_body(err)));
    return 0;
}
