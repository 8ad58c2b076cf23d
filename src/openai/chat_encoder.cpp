// Encodes an ir::Request as a streaming /v1/chat/completions body. Keys always come in this order:
// model, messages, tools, tool_choice, parallel_tool_calls, max_tokens, temperature, top_p, top_k,
// stop, response_format, chat_template_kwargs | reasoning_effort, stream, stream_options.
#include "openai/chat_encoder.hpp"

#include <algorithm>
#include <string_view>

#include "common/json.hpp"
#include "openai/chat_messages.hpp"

namespace anyclaude::openai {

namespace {

constexpr std::string_view kEmptySchema = R"({"type":"object","properties":{}})";

// Writes "tools" (deferred tools left out: Claude Code loads them through ToolSearch).
// Returns how many tools were written.
int write_tools(json::Writer& w, const ir::Request& req) {
    int sent = 0;
    for (const auto& t : req.tools) {
        if (t.defer_loading) continue;
        if (sent == 0) w.key("tools").begin_array();
        ++sent;
        w.begin_object();
        w.key("type").value("function");
        w.key("function").begin_object();
        w.key("name").value(t.name);
        if (!t.description.empty()) w.key("description").value(t.description);
        w.key("parameters").raw(t.input_schema_json.empty() ? kEmptySchema : std::string_view(t.input_schema_json));
        w.end_object();
        w.end_object();
    }
    if (sent > 0) w.end_array();
    return sent;
}

void write_tool_choice(json::Writer& w, const ir::ToolChoice& choice) {
    w.key("tool_choice");
    switch (choice.kind) {
        case ir::ToolChoice::Kind::auto_: w.value("auto"); break;
        case ir::ToolChoice::Kind::any: w.value("required"); break;
        case ir::ToolChoice::Kind::none: w.value("none"); break;
        case ir::ToolChoice::Kind::tool:
            w.begin_object();
            w.key("type").value("function");
            w.key("function").begin_object().key("name").value(choice.name).end_object();
            w.end_object();
            break;
    }
    if (choice.disable_parallel) w.key("parallel_tool_calls").value(false);
}

// The OpenAI reasoning_effort for an Anthropic effort; "" when there is none to send.
std::string_view effort_level(std::string_view effort) {
    if (effort == "minimal" || effort == "low") return "low";
    if (effort == "medium") return "medium";
    if (effort == "high" || effort == "xhigh" || effort == "max") return "high";
    return "";
}

void write_thinking_control(json::Writer& w, const ir::Request& req, ThinkingControl control) {
    if (req.thinking.kind == ir::Thinking::Kind::unset) return;
    switch (control) {
        case ThinkingControl::none: break;
        case ThinkingControl::template_kwargs:
            w.key("chat_template_kwargs").begin_object().key("enable_thinking").value(req.thinking.wanted()).end_object();
            break;
        case ThinkingControl::reasoning_effort:
            if (!req.thinking.wanted()) {
                w.key("reasoning_effort").value("none");
            } else if (auto level = effort_level(req.effort); !level.empty()) {
                w.key("reasoning_effort").value(level);
            }
            break;
    }
}

std::size_t estimated_size(const ir::Request& req) {
    std::size_t n = 512;
    for (const auto& b : req.system) n += b.text.size();
    for (const auto& m : req.messages)
        for (const auto& b : m.content) n += b.text.size() + b.input_json.size() + b.data.size() + 64;
    for (const auto& t : req.tools) n += t.description.size() + t.input_schema_json.size() + 64;
    return n + n / 8;  // room for escapes
}

}  // namespace

std::string encode_chat_request(const ir::Request& req, const ChatEncodeOptions& opt) {
    std::string out;
    out.reserve(estimated_size(req));
    json::Writer w(out);
    w.begin_object();
    if (!opt.model.empty()) w.key("model").value(opt.model);

    w.key("messages");
    write_chat_messages(w, req, opt);

    // tool_choice only makes sense with tools; servers reject "required" without any.
    if (write_tools(w, req) > 0 && req.tool_choice) write_tool_choice(w, *req.tool_choice);

    if (req.max_tokens > 0) {
        int64_t max_tokens = req.max_tokens;
        if (opt.max_tokens_cap > 0) max_tokens = std::min(max_tokens, opt.max_tokens_cap);
        w.key("max_tokens").value(max_tokens);
    }
    if (req.temperature) w.key("temperature").value(*req.temperature);
    if (req.top_p) w.key("top_p").value(*req.top_p);
    if (req.top_k) w.key("top_k").value(*req.top_k);
    if (!req.stop_sequences.empty()) {
        w.key("stop").begin_array();
        for (const auto& s : req.stop_sequences) w.value(s);
        w.end_array();
    }
    if (!req.output_schema_json.empty()) {
        w.key("response_format").begin_object();
        w.key("type").value("json_schema");
        w.key("json_schema").begin_object();
        w.key("name").value("output");
        w.key("schema").raw(req.output_schema_json);
        w.key("strict").value(true);
        w.end_object();
        w.end_object();
    }
    write_thinking_control(w, req, opt.thinking);

    w.key("stream").value(true);
    w.key("stream_options").begin_object().key("include_usage").value(true).end_object();
    w.end_object();
    return out;
}

}  // namespace anyclaude::openai
