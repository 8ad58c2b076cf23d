// Tool definitions and tool_choice decoding (see tools_decoder.hpp).
#include "anthropic/tools_decoder.hpp"

#include "anthropic/field_reader.hpp"
#include "common/json.hpp"

namespace anyclaude::anthropic {

namespace {

// Anthropic's rule for custom tool names: ^[a-zA-Z0-9_-]{1,128}$
bool is_valid_tool_name(std::string_view name) {
    if (name.empty() || name.size() > 128) return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool is_server_tool(const bj::object& o) {
    const bj::value* type = field(o, "type");
    if (!type || field(o, "input_schema")) return false;
    const bj::string* s = type->if_string();
    return !s || *s != "custom";
}

bool decode_tool(DecodeContext& ctx, const bj::object& o, const FieldPath& path, ir::Tool& out) {
    if (!read_string(ctx, o, "name", path, Need::required, out.name)) return false;
    if (!is_valid_tool_name(out.name))
        return ctx.fail(path / "name", "String should match pattern '^[a-zA-Z0-9_-]{1,128}$'");
    if (!read_string(ctx, o, "description", path, Need::optional, out.description)) return false;
    const bj::object* schema = nullptr;
    if (!read_object(ctx, o, "input_schema", path, Need::required, schema)) return false;
    json::write(*o.if_contains("input_schema"), out.input_schema_json);  // client key order
    if (!read_bool(ctx, o, "defer_loading", path, out.defer_loading)) return false;
    return read_cache_control(ctx, o, path, out.cache_breakpoint);
}

}  // namespace

bool decode_tools(DecodeContext& ctx, const bj::value& tools, const FieldPath& path, std::vector<ir::Tool>& out) {
    const bj::array* arr = tools.if_array();
    if (!arr) return ctx.fail(path, "Input should be a valid list");
    out.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
        FieldPath tp = path[i];
        const bj::object* o = as_object(ctx, (*arr)[i], tp);
        if (!o) return false;
        if (is_server_tool(*o)) {
            bool ignored = false;
            if (!read_cache_control(ctx, *o, tp, ignored)) return false;
            continue;
        }
        ir::Tool tool;
        if (!decode_tool(ctx, *o, tp, tool)) return false;
        for (const ir::Tool& earlier : out)
            if (earlier.name == tool.name) return ctx.fail(path, "Tool names must be unique.");
        out.push_back(std::move(tool));
    }
    return true;
}

bool decode_tool_choice(DecodeContext& ctx, const bj::value& choice, const FieldPath& path,
                        std::optional<ir::ToolChoice>& out) {
    const bj::object* o = as_object(ctx, choice, path);
    if (!o) return false;
    ir::ToolChoice tc;
    switch (read_tag(ctx, *o, path, {"auto", "any", "tool", "none"})) {
        case 0: tc.kind = ir::ToolChoice::Kind::auto_; break;
        case 1: tc.kind = ir::ToolChoice::Kind::any; break;
        case 2:
            tc.kind = ir::ToolChoice::Kind::tool;
            if (!read_string(ctx, *o, "name", path, Need::required, tc.name)) return false;
            break;
        case 3: tc.kind = ir::ToolChoice::Kind::none; break;
        default: return false;
    }
    if (!read_bool(ctx, *o, "disable_parallel_tool_use", path, tc.disable_parallel)) return false;
    out = std::move(tc);
    return true;
}

}  // namespace anyclaude::anthropic
