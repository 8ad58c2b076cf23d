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

bool is_web_search_tool(const bj::object& o) {
    const bj::value* type = field(o, "type");
    const bj::string* s = type ? type->if_string() : nullptr;
    return s && s->starts_with("web_search_");
}

bool read_domains(DecodeContext& ctx, const bj::object& o, std::string_view key, const FieldPath& path,
                  std::vector<std::string>& out) {
    const bj::array* arr = nullptr;
    if (!read_array(ctx, o, key, path, Need::optional, arr)) return false;
    if (!arr) return true;
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const bj::string* s = (*arr)[i].if_string();
        if (!s) return ctx.fail(path / key, "Input should be a valid list of strings");
        out.emplace_back(s->data(), s->size());
    }
    return true;
}

// {type: "web_search_...", name: "web_search", max_uses?, allowed_domains?, blocked_domains?,
//  user_location?: {type: "approximate", city?, region?, country?, timezone?}, cache_control?}
bool decode_web_search(DecodeContext& ctx, const bj::object& o, const FieldPath& path, ir::WebSearchTool& out) {
    if (!read_string(ctx, o, "type", path, Need::required, out.type)) return false;
    if (!read_string(ctx, o, "name", path, Need::optional, out.name)) return false;
    if (out.name.empty()) out.name = "web_search";
    std::optional<int64_t> max_uses;
    if (!read_int(ctx, o, "max_uses", path, Need::optional, max_uses)) return false;
    if (max_uses && *max_uses < 1) return ctx.fail(path / "max_uses", "Input should be greater than 0");
    out.max_uses = max_uses.value_or(0);
    if (!read_domains(ctx, o, "allowed_domains", path, out.allowed_domains)) return false;
    if (!read_domains(ctx, o, "blocked_domains", path, out.blocked_domains)) return false;
    if (!out.allowed_domains.empty() && !out.blocked_domains.empty())
        return ctx.fail(path, "Cannot specify both allowed_domains and blocked_domains");
    const bj::object* loc = nullptr;
    if (!read_object(ctx, o, "user_location", path, Need::optional, loc)) return false;
    if (loc) {
        FieldPath lp = path / "user_location";
        if (!read_string(ctx, *loc, "city", lp, Need::optional, out.city)) return false;
        if (!read_string(ctx, *loc, "region", lp, Need::optional, out.region)) return false;
        if (!read_string(ctx, *loc, "country", lp, Need::optional, out.country)) return false;
        if (!read_string(ctx, *loc, "timezone", lp, Need::optional, out.timezone)) return false;
    }
    bool ignored = false;
    return read_cache_control(ctx, o, path, ignored);
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

bool decode_tools(DecodeContext& ctx, const bj::value& tools, const FieldPath& path, std::vector<ir::Tool>& out,
                  std::optional<ir::WebSearchTool>* web_search) {
    const bj::array* arr = tools.if_array();
    if (!arr) return ctx.fail(path, "Input should be a valid list");
    out.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
        FieldPath tp = path[i];
        const bj::object* o = as_object(ctx, (*arr)[i], tp);
        if (!o) return false;
        if (is_server_tool(*o) && is_web_search_tool(*o) && web_search) {
            ir::WebSearchTool ws;
            if (!decode_web_search(ctx, *o, tp, ws)) return false;
            *web_search = std::move(ws);
            continue;
        }
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
