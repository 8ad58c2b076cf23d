// Maps upstream (OpenAI-compatible server) error bodies to Anthropic-shaped errors, keeping the
// upstream's message verbatim inside ours.
#include "openai/upstream_error.hpp"

#include <algorithm>
#include <cctype>

#include "common/json.hpp"
#include "common/utf8.hpp"
#include "openai/upstream_error_body.hpp"

namespace anyclaude::openai {

namespace {

constexpr std::size_t kMaxPlainBody = 2000;  // plain-text bodies (HTML pages...) are cut here

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// A message from a value that is a string, or an object with "message"/"msg"/"detail".
std::string message_of(const json::bj::value& v) {
    if (auto* s = v.if_string()) return std::string(*s);
    if (auto* o = v.if_object()) {
        for (const char* k : {"message", "msg", "detail"}) {
            if (auto* s = json::find_string(*o, k)) return std::string(*s);
        }
        if (auto* inner = json::find(*o, "error")) return message_of(*inner);
    }
    if (auto* a = v.if_array()) {  // FastAPI validation errors: [{"loc":..,"msg":..},..]
        std::string joined;
        for (const auto& e : *a) {
            std::string m = message_of(e);
            if (m.empty()) continue;
            if (!joined.empty()) joined += "; ";
            joined += m;
        }
        return joined;
    }
    return {};
}

// The error for a context overflow (see upstream_error_body.hpp). The output case must avoid
// every phrase of Claude Code 2.1.328's prompt-too-long list ("maximum context length",
// "reduce the length of the messages", ...: research file section 5), so it never quotes the
// upstream's text.
ir::ApiError context_error(const ContextOverflow& o, std::string_view head, const std::string& upstream) {
    if (o.kind == ContextOverflow::Kind::output && o.prompt_tokens && o.window)
        return ir::ApiError::invalid_request("max_tokens does not fit: the prompt has " +
                                             std::to_string(*o.prompt_tokens) + " of the model's " +
                                             std::to_string(*o.window) + " tokens, leaving " +
                                             std::to_string(*o.window - *o.prompt_tokens) + " for the answer");
    if (o.prompt_tokens && o.window) return ir::ApiError::prompt_too_long(*o.prompt_tokens, *o.window);
    return ir::ApiError::invalid_request("prompt is too long: " + std::string(head) + ": " + upstream);
}

}  // namespace

std::string utf8_excerpt(std::string_view text, std::size_t max_bytes) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t n = utf8::sequence_length(text, i);
        if (i + (n ? n : 1) > max_bytes) return out + "...";
        if (n)
            out.append(text.substr(i, n));
        else
            out += "\xEF\xBF\xBD";  // U+FFFD
        i += n ? n : 1;
    }
    return out;
}

std::string error_message_from_body(std::string_view body) {
    std::string_view text = trim(body);
    if (text.empty()) return {};
    if (text.front() == '{') {
        auto parsed = json::parse(text);
        if (parsed.ok() && parsed.value.is_object()) {
            const auto& o = parsed.value.get_object();
            for (const char* k : {"error", "message", "detail"}) {
                if (auto* v = json::find(o, k)) {
                    std::string m = message_of(*v);
                    if (!m.empty()) return m;
                }
            }
        }
    }
    return utf8_excerpt(text, kMaxPlainBody);
}

int error_status_from_body(std::string_view body) {
    auto parsed = json::parse(trim(body));
    if (!parsed.ok() || !parsed.value.is_object()) return 0;
    const auto& o = parsed.value.get_object();
    const json::bj::object* err = json::find_object(o, "error");
    const json::bj::object& holder = err ? *err : o;
    auto code = json::find_int(holder, "code");
    if (code && *code >= 400 && *code <= 599) return static_cast<int>(*code);
    return 0;
}

namespace {
ir::ApiError error_for(int status, std::string_view head, std::string_view body,
                       const std::optional<ContextOverflow>& overflow) {
    std::string upstream = error_message_from_body(body);
    if (upstream.empty()) upstream = "(empty body)";
    if (overflow) return context_error(*overflow, head, upstream);
    return ir::ApiError::from_status(status, std::string(head) + ": " + upstream);
}
}  // namespace

ir::ApiError upstream_error_from_body(int status, std::string_view head, std::string_view body) {
    return error_for(status, head, body, context_overflow(body));
}

UpstreamError read_upstream_error(int http_status, std::string_view body, std::string_view url) {
    std::string head = "upstream ";
    if (!url.empty()) {
        head += url;
        head += ' ';
    }
    head += "returned " + std::to_string(http_status);
    auto overflow = context_overflow(body);
    return {error_for(http_status, head, body, overflow), overflow};
}

ir::ApiError map_upstream_error(int http_status, std::string_view body, std::string_view url) {
    return read_upstream_error(http_status, body, url).error;
}

}  // namespace anyclaude::openai
