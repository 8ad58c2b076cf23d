// Minimal Anthropic JSON -> ir::Request mapping for tests (see fixture_ir.hpp).
#include "openai/fixture_ir.hpp"

#include <stdexcept>

#include "common/json.hpp"
#include "support/test_support.hpp"

namespace anyclaude::test {

namespace {

namespace bj = boost::json;

std::string str(const bj::object& o, std::string_view key) {
    const auto* s = json::find_string(o, key);
    return s ? std::string(*s) : std::string();
}

std::vector<ir::ContentBlock> blocks_from(const bj::value& content);

ir::ContentBlock block_from(const bj::object& b) {
    ir::ContentBlock out;
    std::string type = str(b, "type");
    out.cache_breakpoint = json::find(b, "cache_control") != nullptr;
    if (type == "text") {
        out.kind = ir::BlockKind::text;
        out.text = str(b, "text");
    } else if (type == "image") {
        out.kind = ir::BlockKind::image;
        if (const auto* src = json::find_object(b, "source")) {
            out.media_type = str(*src, "media_type");
            out.data = str(*src, "data");
            out.url = str(*src, "url");
        }
    } else if (type == "tool_use") {
        out.kind = ir::BlockKind::tool_use;
        out.id = str(b, "id");
        out.name = str(b, "name");
        const auto* input = json::find(b, "input");
        out.input_json = input ? json::to_text(*input) : "{}";
    } else if (type == "tool_result") {
        out.kind = ir::BlockKind::tool_result;
        out.id = str(b, "tool_use_id");
        out.is_error = json::find_bool(b, "is_error").value_or(false);
        if (const auto* c = json::find(b, "content")) out.content = blocks_from(*c);
    } else if (type == "thinking") {
        out.kind = ir::BlockKind::thinking;
        out.text = str(b, "thinking");
        out.signature = str(b, "signature");
    } else {
        throw std::runtime_error("fixture_ir: unhandled block type " + type);
    }
    return out;
}

std::vector<ir::ContentBlock> blocks_from(const bj::value& content) {
    std::vector<ir::ContentBlock> out;
    if (const auto* s = content.if_string()) {
        out.push_back(ir::ContentBlock::make_text(std::string(*s)));
    } else if (const auto* a = content.if_array()) {
        for (const auto& b : *a) out.push_back(block_from(b.as_object()));
    }
    return out;
}

ir::Role role_from(const std::string& r) {
    if (r == "assistant") return ir::Role::assistant;
    if (r == "system") return ir::Role::system;
    return ir::Role::user;
}

}  // namespace

ir::Request request_from_anthropic_json(std::string_view text) {
    auto parsed = json::parse(text);
    if (!parsed.ok()) throw std::runtime_error("fixture_ir: " + parsed.error);
    const auto& o = parsed.value.as_object();
    ir::Request req;
    req.model = str(o, "model");
    if (const auto* sys = json::find(o, "system")) {
        for (auto& b : blocks_from(*sys)) {
            if (b.text.starts_with("x-anthropic-billing-header:")) continue;
            req.system.push_back(std::move(b));
        }
    }
    for (const auto& m : o.at("messages").as_array()) {
        const auto& mo = m.as_object();
        ir::Message msg;
        msg.role = role_from(str(mo, "role"));
        msg.content = blocks_from(mo.at("content"));
        req.messages.push_back(std::move(msg));
    }
    if (const auto* tools = json::find_array(o, "tools")) {
        for (const auto& t : *tools) {
            const auto& to = t.as_object();
            ir::Tool tool;
            tool.name = str(to, "name");
            tool.description = str(to, "description");
            tool.input_schema_json = json::to_text(to.at("input_schema"));
            tool.defer_loading = json::find_bool(to, "defer_loading").value_or(false);
            req.tools.push_back(std::move(tool));
        }
    }
    if (const auto* tc = json::find_object(o, "tool_choice")) {
        ir::ToolChoice choice;
        std::string type = str(*tc, "type");
        if (type == "any") choice.kind = ir::ToolChoice::Kind::any;
        if (type == "none") choice.kind = ir::ToolChoice::Kind::none;
        if (type == "tool") choice.kind = ir::ToolChoice::Kind::tool;
        choice.name = str(*tc, "name");
        choice.disable_parallel = json::find_bool(*tc, "disable_parallel_tool_use").value_or(false);
        req.tool_choice = choice;
    }
    req.max_tokens = json::find_int(o, "max_tokens").value_or(0);
    req.temperature = json::find_number(o, "temperature");
    req.top_p = json::find_number(o, "top_p");
    req.top_k = json::find_int(o, "top_k");
    if (const auto* stops = json::find_array(o, "stop_sequences"))
        for (const auto& s : *stops) req.stop_sequences.emplace_back(s.as_string());
    req.stream = json::find_bool(o, "stream").value_or(false);
    if (const auto* th = json::find_object(o, "thinking")) {
        std::string type = str(*th, "type");
        if (type == "enabled") req.thinking.kind = ir::Thinking::Kind::enabled;
        if (type == "adaptive") req.thinking.kind = ir::Thinking::Kind::adaptive;
        if (type == "disabled") req.thinking.kind = ir::Thinking::Kind::disabled;
        req.thinking.budget_tokens = json::find_int(*th, "budget_tokens").value_or(0);
    }
    if (const auto* oc = json::find_object(o, "output_config")) {
        req.effort = str(*oc, "effort");
        if (const auto* fmt = json::find_object(*oc, "format"))
            if (const auto* schema = json::find(*fmt, "schema")) req.output_schema_json = json::to_text(*schema);
    }
    return req;
}

ir::Request fixture_request(const std::string& name) { return request_from_anthropic_json(fixture(name)); }

}  // namespace anyclaude::test
