// Collects an event stream into the stream:false message JSON, accumulating exactly as the
// official SDK's MessageStream does (see message_aggregator.hpp): text and thinking deltas
// append, a signature delta replaces, message_delta carries the final stop and usage.
#include <variant>

#include "anthropic/message_aggregator.hpp"
#include "anthropic/tool_input.hpp"
#include "anthropic/wire_shapes.hpp"

namespace anyclaude::anthropic {

MessageAggregator::Block* MessageAggregator::block_at(int index) {
    if (index < 0 || static_cast<std::size_t>(index) >= blocks_.size()) return nullptr;
    Block& b = blocks_[static_cast<std::size_t>(index)];
    return b.started ? &b : nullptr;
}

void MessageAggregator::add(const ir::Event& ev) {
    if (failed_ || stopped_) return;
    if (const auto* e = std::get_if<ir::MessageStart>(&ev)) {
        if (started_) return;  // only the first message of a stream counts
        started_ = true;
        id_ = e->id;
        model_ = e->model;
        usage_ = e->usage;
        diagnostics_ = e->diagnostics;
    } else if (const auto* e = std::get_if<ir::BlockStart>(&ev)) {
        if (e->index < 0) return;
        auto i = static_cast<std::size_t>(e->index);
        if (i >= blocks_.size()) blocks_.resize(i + 1);
        Block& b = blocks_[i];
        b = Block{};
        b.started = true;
        b.kind = e->kind;
        b.id = e->tool_id;
        b.name = e->tool_name;
        b.search_results = e->search_results;
        b.error_code = e->error_code;
    } else if (const auto* e = std::get_if<ir::BlockDelta>(&ev)) {
        Block* b = block_at(e->index);
        if (!b) return;
        if (e->kind == ir::DeltaKind::signature)
            b->signature = e->data;
        else
            b->text += e->data;
    } else if (const auto* e = std::get_if<ir::MessageDelta>(&ev)) {
        has_stop_reason_ = true;
        stop_reason_ = e->stop_reason;
        stop_sequence_ = e->stop_sequence;
        usage_ = e->usage;
    } else if (std::holds_alternative<ir::MessageStop>(ev)) {
        stopped_ = true;
    } else if (const auto* e = std::get_if<ir::StreamError>(&ev)) {
        failed_ = true;
        error_ = e->error;
    }
    // BlockStop and Ping change nothing.
}

std::string MessageAggregator::to_json() const {
    std::string out;
    json::Writer w(out);
    w.begin_object();
    w.key("id").value(id_);
    w.key("type").value("message");
    w.key("role").value("assistant");
    w.key("model").value(model_);
    w.key("content").begin_array();
    for (const Block& b : blocks_) {
        if (!b.started) continue;
        w.begin_object();
        switch (b.kind) {
            case ir::BlockKind::thinking:
                w.key("type").value("thinking");
                w.key("thinking").value(b.text);
                w.key("signature").value(b.signature);
                break;
            case ir::BlockKind::tool_use:
                w.key("type").value("tool_use");
                w.key("id").value(b.id);
                w.key("name").value(b.name);
                w.key("input").raw(tool_input_object(b.text));
                break;
            case ir::BlockKind::redacted_thinking:
                w.key("type").value("redacted_thinking");
                w.key("data").value(b.text);
                break;
            case ir::BlockKind::server_tool_use:
                w.key("type").value("server_tool_use");
                w.key("id").value(b.id);
                w.key("name").value(b.name);
                w.key("input").raw(tool_input_object(b.text));
                break;
            case ir::BlockKind::web_search_tool_result:
                w.key("type").value("web_search_tool_result");
                w.key("tool_use_id").value(b.id);
                w.key("content");
                write_search_content(w, b.search_results, b.error_code);
                break;
            default:
                w.key("type").value("text");
                w.key("text").value(b.text);
                break;
        }
        w.end_object();
    }
    w.end_array();
    w.key("stop_reason");
    if (has_stop_reason_)
        w.value(ir::to_string(stop_reason_));
    else
        w.null();
    w.key("stop_sequence");
    write_stop_sequence(w, stop_sequence_);
    w.key("usage");
    write_usage(w, usage_);
    write_diagnostics(w, diagnostics_);
    w.end_object();
    return out;
}

}  // namespace anyclaude::anthropic
