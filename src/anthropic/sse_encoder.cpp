// Neutral events -> Anthropic SSE frames ("event: NAME\ndata: JSON\n\n"), in the exact
// shapes the official SDKs accumulate (see sse_encoder.hpp).
#include <variant>

#include "anthropic/sse_encoder.hpp"
#include "anthropic/bodies.hpp"
#include "anthropic/wire_shapes.hpp"

namespace anyclaude::anthropic {

namespace {

using json::Writer;

void begin_frame(std::string& out, std::string_view event) {
    out += "event: ";
    out.append(event);
    out += "\ndata: ";
}

void end_frame(std::string& out) { out += "\n\n"; }

void encode(const ir::MessageStart& e, std::string& out) {
    begin_frame(out, "message_start");
    Writer w(out);
    w.begin_object();
    w.key("type").value("message_start");
    w.key("message").begin_object();
    w.key("id").value(e.id);
    w.key("type").value("message");
    w.key("role").value("assistant");
    w.key("model").value(e.model);
    w.key("content").begin_array().end_array();
    w.key("stop_reason").null();
    w.key("stop_sequence").null();
    w.key("usage");
    write_usage(w, e.usage);
    write_diagnostics(w, e.diagnostics);
    w.end_object();
    w.end_object();
    end_frame(out);
}

void encode(const ir::BlockStart& e, std::string& out) {
    begin_frame(out, "content_block_start");
    Writer w(out);
    w.begin_object();
    w.key("type").value("content_block_start");
    w.key("index").value(e.index);
    w.key("content_block").begin_object();
    switch (e.kind) {
        case ir::BlockKind::thinking:
            w.key("type").value("thinking");
            w.key("thinking").value("");
            w.key("signature").value("");
            break;
        case ir::BlockKind::tool_use:
            w.key("type").value("tool_use");
            w.key("id").value(e.tool_id);
            w.key("name").value(e.tool_name);
            w.key("input").begin_object().end_object();
            break;
        case ir::BlockKind::redacted_thinking:
            w.key("type").value("redacted_thinking");
            w.key("data").value("");
            break;
        case ir::BlockKind::server_tool_use:  // input follows as input_json_delta, like tool_use
            w.key("type").value("server_tool_use");
            w.key("id").value(e.tool_id);
            w.key("name").value(e.tool_name);
            w.key("input").begin_object().end_object();
            break;
        case ir::BlockKind::web_search_tool_result:  // the whole content in the start event
            w.key("type").value("web_search_tool_result");
            w.key("tool_use_id").value(e.tool_id);
            w.key("content");
            write_search_content(w, e.search_results, e.error_code);
            break;
        default:  // text; the other kinds never appear in a response
            w.key("type").value("text");
            w.key("text").value("");
            break;
    }
    w.end_object();
    w.end_object();
    end_frame(out);
}

const char* delta_field(ir::DeltaKind k) {
    switch (k) {
        case ir::DeltaKind::text: return "text";
        case ir::DeltaKind::thinking: return "thinking";
        case ir::DeltaKind::signature: return "signature";
        case ir::DeltaKind::input_json: return "partial_json";
    }
    return "text";
}

void encode(const ir::BlockDelta& e, std::string& out) {
    begin_frame(out, "content_block_delta");
    Writer w(out);
    w.begin_object();
    w.key("type").value("content_block_delta");
    w.key("index").value(e.index);
    w.key("delta").begin_object();
    w.key("type").value(ir::to_string(e.kind));
    w.key(delta_field(e.kind)).value(e.data);
    w.end_object();
    w.end_object();
    end_frame(out);
}

void encode(const ir::BlockStop& e, std::string& out) {
    begin_frame(out, "content_block_stop");
    Writer w(out);
    w.begin_object();
    w.key("type").value("content_block_stop");
    w.key("index").value(e.index);
    w.end_object();
    end_frame(out);
}

void encode(const ir::MessageDelta& e, std::string& out) {
    begin_frame(out, "message_delta");
    Writer w(out);
    w.begin_object();
    w.key("type").value("message_delta");
    w.key("delta").begin_object();
    w.key("stop_reason").value(ir::to_string(e.stop_reason));
    w.key("stop_sequence");
    write_stop_sequence(w, e.stop_sequence);
    w.end_object();
    w.key("usage");
    write_usage(w, e.usage);
    w.end_object();
    end_frame(out);
}

void encode(const ir::MessageStop&, std::string& out) {
    begin_frame(out, "message_stop");
    out += R"({"type":"message_stop"})";
    end_frame(out);
}

void encode(const ir::Ping&, std::string& out) {
    begin_frame(out, "ping");
    out += R"({"type":"ping"})";
    end_frame(out);
}

void encode(const ir::StreamError& e, std::string& out) {
    begin_frame(out, "error");
    out += error_body(e.error);
    end_frame(out);
}

}  // namespace

void encode_sse(const ir::Event& ev, std::string& out) {
    std::visit([&out](const auto& e) { encode(e, out); }, ev);
}

}  // namespace anyclaude::anthropic
