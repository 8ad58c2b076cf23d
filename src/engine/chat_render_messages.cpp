// ir::Request -> common chat messages and tools (see chat_render_messages.hpp).
#include "engine/chat_render_messages.hpp"

#include <spdlog/spdlog.h>

#include <map>

#include "common/json.hpp"

namespace anyclaude::engine {

namespace {

namespace bj = boost::json;

// The engine has no vision: images become this placeholder (the model is told something was there).
constexpr const char* image_placeholder = "[image]";
constexpr const char* document_placeholder = "[document]";

void append_joined(std::string& out, const std::string& piece) {
    if (!out.empty()) out += block_separator;
    out += piece;
}

// Text that a user-side block (text, image, document) contributes to its message.
std::string user_block_text(const ir::ContentBlock& b) {
    switch (b.kind) {
        case ir::BlockKind::image:
            spdlog::debug("chat_render: image replaced by \"{}\" (the engine has no vision)", image_placeholder);
            return image_placeholder;
        case ir::BlockKind::document:
            return b.text.empty() ? document_placeholder : b.text;
        default:
            return b.text;
    }
}

// The text of a tool_result: its text blocks joined, images as placeholders, errors marked.
std::string tool_result_text(const ir::ContentBlock& b) {
    std::string text = b.text;
    for (const auto& part : b.content) append_joined(text, user_block_text(part));
    return b.is_error ? "Error: " + text : text;
}

// The last scalar of a JSON value as it would appear in a prompt (strings unescaped); "" if none.
std::string last_leaf(const bj::value& v) {
    if (const auto* o = v.if_object()) return o->empty() ? "" : last_leaf(o->crbegin()->value());
    if (const auto* a = v.if_array()) return a->empty() ? "" : last_leaf(a->back());
    if (const auto* s = v.if_string()) return std::string(*s);
    if (v.is_null()) return "";
    return json::to_text(v);
}

// Pieces a tool_use block leaves in the prompt: its name, then (templates re-serialise arguments
// in their own way) the last scalar of its input, which most formats print verbatim.
BlockTrace tool_use_trace(const ir::ContentBlock& b) {
    BlockTrace t{{b.name}, b.cache_breakpoint};
    auto parsed = json::parse(b.input_json);
    if (parsed.ok()) t.pieces.push_back(last_leaf(parsed.value));
    return t;
}

common_chat_msg make_msg(const char* role, std::string content) {
    common_chat_msg m;
    m.role = role;
    m.content = std::move(content);
    return m;
}

// Builds the chat messages of one conversation, in order.
class MessageBuilder {
public:
    MessageBuilder(ChatMessages& out, bool late_system_as_system)
        : out_(out), late_system_as_system_(late_system_as_system) {}

    void add_system_prompt(const std::vector<ir::ContentBlock>& blocks) {
        if (blocks.empty()) return;
        std::string text;
        for (const auto& b : blocks) {
            append_joined(text, b.text);
            out_.system.push_back({{b.text}, b.cache_breakpoint});
        }
        out_.messages.push_back(make_msg("system", std::move(text)));
    }

    void add(const ir::Message& m) {
        auto& traces = out_.turns.emplace_back();
        switch (m.role) {
            case ir::Role::system: add_system(m, traces); break;
            case ir::Role::user: add_user(m, traces); break;
            case ir::Role::assistant: add_assistant(m, traces); break;
        }
    }

private:
    // A system message stays where the client put it: as "system" when the template takes one
    // there (or it is the first message anyway), otherwise as a user message in the same place.
    void add_system(const ir::Message& m, std::vector<BlockTrace>& traces) {
        std::string text;
        for (const auto& b : m.content) {
            std::string piece = user_block_text(b);
            append_joined(text, piece);
            traces.push_back({{std::move(piece)}, b.cache_breakpoint});
        }
        bool as_system = late_system_as_system_ || out_.messages.empty();
        out_.messages.push_back(make_msg(as_system ? "system" : "user", std::move(text)));
    }

    // User text, images and documents form user messages; each tool_result becomes a "tool"
    // message, in block order.
    void add_user(const ir::Message& m, std::vector<BlockTrace>& traces) {
        std::string text;
        bool pending = false;
        auto flush = [&] {
            if (pending) out_.messages.push_back(make_msg("user", std::move(text)));
            text.clear();
            pending = false;
        };
        for (const auto& b : m.content) {
            if (b.kind == ir::BlockKind::tool_result) {
                flush();
                out_.messages.push_back(tool_message(b));
                traces.push_back({{out_.messages.back().content}, b.cache_breakpoint});
                continue;
            }
            std::string piece = user_block_text(b);
            append_joined(text, piece);
            pending = true;
            traces.push_back({{piece}, b.cache_breakpoint});
        }
        if (m.content.empty()) pending = true;  // keep the turn, even empty
        flush();
    }

    common_chat_msg tool_message(const ir::ContentBlock& b) {
        common_chat_msg msg = make_msg("tool", tool_result_text(b));
        msg.tool_call_id = b.id;
        auto it = tool_names_.find(b.id);
        if (it != tool_names_.end()) msg.tool_name = it->second;
        return msg;
    }

    // One assistant message: text blocks joined as content, thinking as reasoning_content,
    // tool_use blocks as tool calls (arguments = the client's input JSON text, as is).
    void add_assistant(const ir::Message& m, std::vector<BlockTrace>& traces) {
        common_chat_msg msg = make_msg("assistant", "");
        std::size_t last_text = std::string::npos;  // trace of the last text block
        for (const auto& b : m.content) {
            switch (b.kind) {
                case ir::BlockKind::thinking:
                    append_joined(msg.reasoning_content, b.text);
                    traces.push_back({{b.text}, b.cache_breakpoint});
                    break;
                case ir::BlockKind::tool_use:
                    msg.tool_calls.push_back({b.name, b.input_json.empty() ? "{}" : b.input_json, b.id});
                    tool_names_[b.id] = b.name;
                    traces.push_back(tool_use_trace(b));
                    break;
                case ir::BlockKind::redacted_thinking:  // opaque to a local model
                    traces.push_back({{}, b.cache_breakpoint});
                    break;
                default: {
                    std::string piece = user_block_text(b);
                    append_joined(msg.content, piece);
                    last_text = traces.size();
                    traces.push_back({{std::move(piece)}, b.cache_breakpoint});
                    break;
                }
            }
        }
        if (!msg.tool_calls.empty() && last_text != std::string::npos) trim_before_calls(msg, traces[last_text]);
        out_.messages.push_back(std::move(msg));
    }

    // Text before tool calls comes back from the output parser with the newline the model wrote
    // before <tool_call>, and the template writes its own there: "X\n" rendered "X\n\n<tool_call>"
    // where the model generated "X\n<tool_call>", so the next turn recomputed the whole assistant
    // turn (34 tokens for a one-line text + Read call with Qwen2.5's template, 40 with
    // Qwen3-Coder's; tests/engine/rerender_test.cpp). Trailing newlines are dropped.
    static void trim_before_calls(common_chat_msg& msg, BlockTrace& trace) {
        std::size_t n = 0;
        while (n < msg.content.size() && msg.content[msg.content.size() - 1 - n] == '\n') ++n;
        msg.content.resize(msg.content.size() - n);
        if (trace.pieces.empty()) return;
        std::string& piece = trace.pieces.back();
        while (n-- > 0 && !piece.empty() && piece.back() == '\n') piece.pop_back();
    }

    ChatMessages& out_;
    bool late_system_as_system_;
    std::map<std::string, std::string> tool_names_;  // tool_use id -> tool name
};

ir::Result<std::string> checked_schema(const ir::Tool& t, std::size_t index) {
    if (t.input_schema_json.empty()) return std::string(R"({"type":"object","properties":{}})");
    auto parsed = json::parse(t.input_schema_json);
    if (!parsed.ok() || !parsed.value.is_object()) {
        return ir::ApiError::invalid_request("tools." + std::to_string(index) + ".input_schema: tool '" + t.name +
                                             "' needs a JSON object schema");
    }
    return t.input_schema_json;
}

}  // namespace

ir::Result<ChatMessages> build_chat_messages(const ir::Request& req, bool late_system_as_system) {
    ChatMessages out;
    MessageBuilder builder(out, late_system_as_system);
    builder.add_system_prompt(req.system);
    for (const auto& m : req.messages) builder.add(m);
    out.ends_with_assistant = !req.messages.empty() && req.messages.back().role == ir::Role::assistant;
    return out;
}

ir::Result<ChatTools> build_chat_tools(const ir::Request& req) {
    ChatTools out;
    const ir::ToolChoice choice = req.tool_choice.value_or(ir::ToolChoice{});
    out.parallel = !choice.disable_parallel;
    const bool only_named = choice.kind == ir::ToolChoice::Kind::tool;
    for (std::size_t i = 0; i < req.tools.size(); ++i) {
        const auto& t = req.tools[i];
        if (only_named ? t.name != choice.name : t.defer_loading) continue;
        auto schema = checked_schema(t, i);
        if (!schema) return schema.error();
        out.tools.push_back({t.name, t.description, std::move(*schema)});
        out.breakpoint = out.breakpoint || t.cache_breakpoint;
    }
    switch (choice.kind) {
        case ir::ToolChoice::Kind::auto_: out.choice = COMMON_CHAT_TOOL_CHOICE_AUTO; break;
        case ir::ToolChoice::Kind::none: out.choice = COMMON_CHAT_TOOL_CHOICE_NONE; break;
        case ir::ToolChoice::Kind::any:
        case ir::ToolChoice::Kind::tool: out.choice = COMMON_CHAT_TOOL_CHOICE_REQUIRED; break;
    }
    if (only_named && out.tools.empty()) {
        return ir::ApiError::invalid_request("tool_choice: tool '" + choice.name + "' is not in tools");
    }
    if (out.choice == COMMON_CHAT_TOOL_CHOICE_REQUIRED && out.tools.empty()) {
        return ir::ApiError::invalid_request("tool_choice: a tool call is required but no tools are given");
    }
    return out;
}

}  // namespace anyclaude::engine
