// Decodes chat/completions stream chunks into neutral events (see stream_decoder.hpp).
// Per chunk: "error" -> error(); "usage"/"timings" -> usage; choices[0].delta ->
// reasoning_content|reasoning (thinking), content (text, through the text tool-call parser),
// tool_calls (fragments keyed by index, or whole calls); choices[0].finish_reason -> stop reason.
//
// Tool calls: each becomes a tool_use block started when its name is known. Its argument
// fragments stream into the block while it is the open block. Fragments for a call whose block
// already closed (a later call or text started; an upstream oddity) are appended to that call's
// buffer and not emitted: Anthropic blocks cannot be reopened.
//
// Stop reason: length -> max_tokens; else any tool_use block -> tool_use; content_filter ->
// refusal; a stop sequence -> stop_sequence when the backend names it (vLLM's choices[].stop_reason,
// llama-server's stopping_word) or the text ends with one (best effort: servers usually strip it);
// else end_turn. A finish_reason "tool_calls" without any tool_use block gives end_turn, since a
// tool_use stop with nothing to run would leave the client waiting for a call.
#include "openai/stream_decoder.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "common/json.hpp"
#include "openai/block_sequence.hpp"
#include "openai/stream_usage.hpp"
#include "openai/text_tool_calls.hpp"
#include "ir/ids.hpp"
#include "openai/upstream_error_body.hpp"

namespace anyclaude::openai {

namespace {

constexpr std::size_t kMalformedExcerpt = 200;

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string_view string_or_empty(const json::bj::object& o, std::string_view key) {
    const auto* s = json::find_string(o, key);
    return s ? std::string_view(*s) : std::string_view();
}

// The choice to decode: the one with index 0 (n=1 is all we ask for), else the first.
const json::bj::object* main_choice(const json::bj::object& chunk) {
    const auto* choices = json::find_array(chunk, "choices");
    if (!choices) return nullptr;
    const json::bj::object* first = nullptr;
    for (const auto& c : *choices) {
        const auto* o = c.if_object();
        if (!o) continue;
        if (!first) first = o;
        auto index = json::find_int(*o, "index");
        if (!index || *index == 0) return o;
    }
    return first;
}

}  // namespace

struct ChatStreamDecoder::Impl {
    struct ToolCall {
        std::string id;
        std::string name;
        std::string arguments;  // everything received, emitted or not
        int block_index = -1;   // -1 until its block started
    };

    explicit Impl(StreamDecoderOptions o)
        : opt(std::move(o)),
          use_parser(opt.parse_text_tool_calls || opt.parse_think_tags),
          parser(opt.tools, opt.parse_text_tool_calls, opt.parse_think_tags) {}

    StreamDecoderOptions opt;
    bool use_parser;
    TextToolCallParser parser;
    BlockSequence blocks;
    StreamUsage usage;
    std::vector<ToolCall> calls;
    std::map<int64_t, std::size_t> call_by_index;  // upstream tool_calls[].index -> calls
    std::string finish_reason;
    std::string reported_stop;  // the stop string the backend says ended generation
    bool saw_finish = false;
    bool saw_done = false;
    bool saw_delta = false;
    bool ended = false;
    std::optional<ir::ApiError> error;

    void on_chunk(const json::bj::object& chunk, std::vector<ir::Event>& out);
    void on_delta(const json::bj::object& delta, std::vector<ir::Event>& out);
    void on_content(std::string_view text, std::vector<ir::Event>& out);
    void on_segments(std::vector<TextSegment>& segments, std::vector<ir::Event>& out);
    void on_tool_call(const json::bj::object& entry, std::vector<ir::Event>& out);
    std::size_t call_slot(std::optional<int64_t> index, std::string_view id, std::string_view name);
    void flush_text(std::vector<ir::Event>& out);
    ir::StopReason stop_reason(std::string& stop_sequence) const;
};

void ChatStreamDecoder::Impl::on_chunk(const json::bj::object& chunk, std::vector<ir::Event>& out) {
    usage.read_chunk(chunk);
    if (auto w = string_or_empty(chunk, "stopping_word"); !w.empty()) reported_stop = w;

    const auto* choice = main_choice(chunk);
    if (!choice) return;
    if (const auto* delta = json::find_object(*choice, "delta")) on_delta(*delta, out);
    if (auto reason = string_or_empty(*choice, "finish_reason"); !reason.empty()) {
        saw_finish = true;
        finish_reason = reason;
    }
    for (const char* key : {"stop_reason", "stopping_word"}) {
        if (auto w = string_or_empty(*choice, key); !w.empty()) reported_stop = w;
    }
}

void ChatStreamDecoder::Impl::on_delta(const json::bj::object& delta, std::vector<ir::Event>& out) {
    // vLLM copies reasoning into both fields: take one.
    std::string_view reasoning = string_or_empty(delta, "reasoning_content");
    if (reasoning.empty()) reasoning = string_or_empty(delta, "reasoning");
    if (!reasoning.empty()) {
        saw_delta = true;
        blocks.thinking(reasoning, out);
    }
    if (auto content = string_or_empty(delta, "content"); !content.empty()) {
        saw_delta = true;
        on_content(content, out);
    }
    if (const auto* tool_calls = json::find_array(delta, "tool_calls")) {
        for (const auto& entry : *tool_calls) {
            if (const auto* o = entry.if_object()) {
                saw_delta = true;
                on_tool_call(*o, out);
            }
        }
    }
    if (const auto* fc = json::find_object(delta, "function_call")) {  // legacy single-call shape
        json::bj::object entry;
        entry["index"] = 0;
        entry["function"] = *fc;
        saw_delta = true;
        on_tool_call(entry, out);
    }
}

void ChatStreamDecoder::Impl::on_content(std::string_view text, std::vector<ir::Event>& out) {
    if (!use_parser) {
        blocks.text(text, out);
        return;
    }
    std::vector<TextSegment> segments;
    parser.feed(text, segments);
    on_segments(segments, out);
}

void ChatStreamDecoder::Impl::on_segments(std::vector<TextSegment>& segments, std::vector<ir::Event>& out) {
    for (auto& seg : segments) {
        switch (seg.kind) {
            case TextSegment::Kind::text: blocks.text(seg.text, out); break;
            case TextSegment::Kind::thinking: blocks.thinking(seg.text, out); break;
            case TextSegment::Kind::tool_call:
                blocks.start_tool(ir::new_tool_id(), seg.name, out);
                blocks.tool_input(seg.arguments_json, out);
                blocks.close(out);
                break;
        }
    }
}

void ChatStreamDecoder::Impl::flush_text(std::vector<ir::Event>& out) {
    if (!use_parser) return;
    std::vector<TextSegment> segments;
    parser.finish(segments);
    on_segments(segments, out);
}

std::size_t ChatStreamDecoder::Impl::call_slot(std::optional<int64_t> index, std::string_view id,
                                               std::string_view name) {
    auto new_slot = [&] {
        calls.emplace_back();
        return calls.size() - 1;
    };
    if (index) {
        auto it = call_by_index.find(*index);
        if (it != call_by_index.end()) {
            const ToolCall& known = calls[it->second];
            // The same index with another id and a name: the server reused the index for a new call.
            bool another_call = !id.empty() && !known.id.empty() && id != known.id && !name.empty();
            if (!another_call) return it->second;
        }
        std::size_t slot = new_slot();
        call_by_index[*index] = slot;
        return slot;
    }
    // No index: a named entry starts a call (unless it repeats the latest call's id); a bare
    // fragment continues the latest call.
    if (calls.empty()) return new_slot();
    if (!name.empty() && (id.empty() || id != calls.back().id)) return new_slot();
    return calls.size() - 1;
}

void ChatStreamDecoder::Impl::on_tool_call(const json::bj::object& entry, std::vector<ir::Event>& out) {
    const auto* fn = json::find_object(entry, "function");
    std::string_view id = string_or_empty(entry, "id");
    std::string_view name = fn ? string_or_empty(*fn, "name") : std::string_view();
    std::string fragment;
    if (const auto* args = fn ? json::find(*fn, "arguments") : nullptr) {
        if (const auto* s = args->if_string()) {
            fragment = std::string(*s);
        } else if (args->is_object()) {  // some servers send the object itself
            fragment = json::to_text(*args);
        }
    }

    ToolCall& call = calls[call_slot(json::find_int(entry, "index"), id, name)];
    if (call.id.empty() && !id.empty()) call.id = std::string(id);
    if (call.name.empty() && !name.empty()) call.name = std::string(name);
    call.arguments += fragment;

    if (call.block_index < 0) {
        if (call.name.empty()) return;  // wait for the name; fragments stay in call.arguments
        flush_text(out);  // text held back by the parser came first
        if (call.id.empty()) call.id = ir::new_tool_id();
        call.block_index = blocks.start_tool(call.id, call.name, out);
        blocks.tool_input(call.arguments, out);
    } else if (blocks.is_open(call.block_index)) {
        blocks.tool_input(fragment, out);
    }
    // else: the call's block already closed; the fragment stays in call.arguments only.
}

ir::StopReason ChatStreamDecoder::Impl::stop_reason(std::string& stop_sequence) const {
    if (finish_reason == "length") return ir::StopReason::max_tokens;
    if (blocks.produced_tool_use()) return ir::StopReason::tool_use;
    if (finish_reason == "content_filter") return ir::StopReason::refusal;
    const auto& stops = opt.stop_sequences;
    if (!reported_stop.empty() && std::find(stops.begin(), stops.end(), reported_stop) != stops.end()) {
        stop_sequence = reported_stop;
        return ir::StopReason::stop_sequence;
    }
    for (const auto& s : stops) {
        if (!s.empty() && blocks.text_tail().ends_with(s)) {
            stop_sequence = s;
            return ir::StopReason::stop_sequence;
        }
    }
    return ir::StopReason::end_turn;
}

ChatStreamDecoder::ChatStreamDecoder(StreamDecoderOptions opt) : impl_(std::make_unique<Impl>(std::move(opt))) {}

ChatStreamDecoder::~ChatStreamDecoder() = default;

void ChatStreamDecoder::on_data(std::string_view payload, std::vector<ir::Event>& out) {
    Impl& d = *impl_;
    if (d.ended || d.error) return;
    std::string_view text = trim(payload);
    if (text.empty() || text.front() == ':') return;  // keep-alives and SSE comments
    if (text == "[DONE]") {
        d.saw_done = true;
        return;
    }
    auto parsed = json::parse(text);
    if (!parsed.ok() || !parsed.value.is_object()) {
        std::string excerpt = utf8_excerpt(text, kMalformedExcerpt);
        d.error = ir::ApiError::api("upstream sent malformed data: " + excerpt);
        return;
    }
    const auto& chunk = parsed.value.get_object();
    if (const auto* err = json::find(chunk, "error"); err && !err->is_null()) {
        int status = error_status_from_body(text);
        d.error = upstream_error_from_body(status ? status : 500, "upstream error during the stream", text);
        return;
    }
    d.on_chunk(chunk, out);
}

void ChatStreamDecoder::finish(std::vector<ir::Event>& out) {
    Impl& d = *impl_;
    if (d.ended) return;
    d.ended = true;
    d.flush_text(out);
    d.blocks.close(out);
    ir::MessageDelta md;
    md.stop_reason = d.stop_reason(md.stop_sequence);
    md.usage = d.usage.to_anthropic();
    out.push_back(std::move(md));
    out.push_back(ir::MessageStop{});
}

void ChatStreamDecoder::fail(const ir::ApiError& err, std::vector<ir::Event>& out) {
    Impl& d = *impl_;
    if (d.ended) return;
    d.ended = true;
    d.blocks.close(out);
    out.push_back(ir::StreamError{err});
}

bool ChatStreamDecoder::saw_finish_reason() const { return impl_->saw_finish; }
bool ChatStreamDecoder::saw_done() const { return impl_->saw_done; }
bool ChatStreamDecoder::saw_any_delta() const { return impl_->saw_delta; }
const std::optional<ir::ApiError>& ChatStreamDecoder::error() const { return impl_->error; }

}  // namespace anyclaude::openai
