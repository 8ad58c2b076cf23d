// Parsers for printed tool-call bodies: Hermes JSON and Qwen3-Coder XML (see tool_call_formats.hpp).
#include "openai/tool_call_formats.hpp"

#include <cctype>
#include <set>
#include <string>

#include "common/json.hpp"

namespace anyclaude::openai {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

TextSegment make_call(std::string name, std::string arguments_json) {
    TextSegment seg;
    seg.kind = TextSegment::Kind::tool_call;
    seg.name = std::move(name);
    seg.arguments_json = std::move(arguments_json);
    return seg;
}

// One Hermes call object -> segment; false when it is not {"name": str, "arguments": obj|str}.
bool hermes_call(const json::bj::value& v, std::vector<TextSegment>& calls) {
    const auto* o = v.if_object();
    if (!o) return false;
    const auto* name = json::find_string(*o, "name");
    if (!name || name->empty()) return false;
    const json::bj::value* args = json::find(*o, "arguments");
    if (!args) args = json::find(*o, "parameters");
    if (!args || args->is_null()) {
        calls.push_back(make_call(std::string(*name), "{}"));
        return true;
    }
    if (args->is_object()) {
        calls.push_back(make_call(std::string(*name), json::to_text(*args)));
        return true;
    }
    if (const auto* s = args->if_string()) {  // arguments printed as a JSON string
        std::string_view inner = trim(*s);
        if (inner.empty()) {
            calls.push_back(make_call(std::string(*name), "{}"));
            return true;
        }
        auto parsed = json::parse(inner);
        if (!parsed.ok() || !parsed.value.is_object()) return false;
        calls.push_back(make_call(std::string(*name), json::to_text(parsed.value)));
        return true;
    }
    return false;
}

// The "properties" of the named tool's input_schema, parsed (null when unknown).
json::bj::value tool_properties(const std::vector<ir::Tool>& tools, std::string_view tool) {
    for (const auto& t : tools) {
        if (t.name != tool) continue;
        auto schema = json::parse(t.input_schema_json);
        if (!schema.ok() || !schema.value.is_object()) return nullptr;
        if (const auto* props = json::find_object(schema.value.get_object(), "properties")) return *props;
        return nullptr;
    }
    return nullptr;
}

// The JSON type the schema properties give a parameter ("" when unknown). For a list of types
// (["integer","null"]) the first one that is not "null".
std::string schema_type(const json::bj::value& properties, std::string_view param) {
    const auto* props = properties.if_object();
    const auto* p = props ? json::find_object(*props, param) : nullptr;
    const auto* type = p ? json::find(*p, "type") : nullptr;
    if (!type) return {};
    if (const auto* s = type->if_string()) return std::string(*s);
    if (const auto* a = type->if_array()) {
        for (const auto& e : *a)
            if (e.is_string() && e.get_string() != "null") return std::string(e.get_string());
    }
    return {};
}

bool is_structured_type(std::string_view type) {
    return type == "integer" || type == "number" || type == "boolean" || type == "object" || type == "array";
}

// Parameter value as printed by Qwen3-Coder: one leading and one trailing newline removed.
std::string_view strip_one_newline(std::string_view v) {
    if (!v.empty() && v.front() == '\n') v.remove_prefix(1);
    if (!v.empty() && v.back() == '\n') v.remove_suffix(1);
    return v;
}

// Parses "<function=NAME>...</function>" starting at pos (after whitespace). Advances pos.
bool xml_function(std::string_view body, std::size_t& pos, const std::vector<ir::Tool>& tools,
                  std::vector<TextSegment>& calls) {
    constexpr std::string_view open = "<function=";
    constexpr std::string_view close = "</function>";
    constexpr std::string_view param_open = "<parameter=";
    constexpr std::string_view param_close = "</parameter>";

    if (body.substr(pos, open.size()) != open) return false;
    std::size_t name_end = body.find('>', pos + open.size());
    if (name_end == std::string_view::npos) return false;
    std::string_view name = trim(body.substr(pos + open.size(), name_end - pos - open.size()));
    if (name.empty() || name.find_first_of("<\n") != std::string_view::npos) return false;
    std::size_t end = body.find(close, name_end + 1);
    if (end == std::string_view::npos) return false;
    std::string_view inner = body.substr(name_end + 1, end - name_end - 1);
    pos = end + close.size();

    json::bj::value properties = tool_properties(tools, name);
    std::string args;
    json::Writer w(args);
    w.begin_object();
    std::set<std::string, std::less<>> seen;
    std::size_t p = 0;
    while (true) {
        while (p < inner.size() && std::isspace(static_cast<unsigned char>(inner[p]))) ++p;
        if (p == inner.size()) break;
        if (inner.substr(p, param_open.size()) != param_open) return false;
        std::size_t pname_end = inner.find('>', p + param_open.size());
        if (pname_end == std::string_view::npos) return false;
        std::string_view pname = trim(inner.substr(p + param_open.size(), pname_end - p - param_open.size()));
        if (pname.empty() || pname.find_first_of("<\n") != std::string_view::npos) return false;
        std::size_t value_end = inner.find(param_close, pname_end + 1);
        if (value_end == std::string_view::npos) return false;
        std::string_view value = strip_one_newline(inner.substr(pname_end + 1, value_end - pname_end - 1));
        p = value_end + param_close.size();

        if (!seen.insert(std::string(pname)).second) continue;  // a repeated parameter: first one wins
        w.key(pname);
        bool written = false;
        if (is_structured_type(schema_type(properties, pname))) {
            auto parsed = json::parse(trim(value));
            if (parsed.ok()) {
                w.json(parsed.value);
                written = true;
            }
        }
        if (!written) w.value(value);
    }
    w.end_object();
    calls.push_back(make_call(std::string(name), std::move(args)));
    return true;
}

}  // namespace

bool parse_hermes_calls(std::string_view body, std::vector<TextSegment>& calls) {
    auto parsed = json::parse(trim(body));
    if (!parsed.ok()) return false;
    std::vector<TextSegment> found;
    if (const auto* a = parsed.value.if_array()) {
        if (a->empty()) return false;
        for (const auto& e : *a)
            if (!hermes_call(e, found)) return false;
    } else if (!hermes_call(parsed.value, found)) {
        return false;
    }
    for (auto& c : found) calls.push_back(std::move(c));
    return true;
}

bool parse_xml_function_calls(std::string_view body, const std::vector<ir::Tool>& tools,
                              std::vector<TextSegment>& calls) {
    std::vector<TextSegment> found;
    std::size_t pos = 0;
    while (true) {
        while (pos < body.size() && std::isspace(static_cast<unsigned char>(body[pos]))) ++pos;
        if (pos == body.size()) break;
        if (!xml_function(body, pos, tools, found)) return false;
    }
    if (found.empty()) return false;
    for (auto& c : found) calls.push_back(std::move(c));
    return true;
}

}  // namespace anyclaude::openai
