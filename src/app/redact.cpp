// Same-length filler for recorded requests (see redact.hpp).
#include "app/redact.hpp"

#include <array>
#include <cstdint>
#include <vector>

#include "common/fnv1a.hpp"
#include "common/json.hpp"

namespace anyclaude::app {

namespace {

namespace bj = boost::json;

// Common English and code words by length (index = length - 1). Real words, not random letters:
// a tokenizer spends one or two tokens on each, as on the identifiers and prose they replace;
// random letters cost 2-3x more tokens and would break the "token count stays close" promise.
const std::array<std::vector<const char*>, 12>& vocabulary() {
    static const std::array<std::vector<const char*>, 12> words = {{
        {"a", "b", "c", "d", "e", "i", "n", "s", "t", "x"},
        {"to", "of", "in", "is", "it", "on", "at", "by", "id", "fn"},
        {"the", "and", "for", "new", "get", "set", "map", "key", "run", "add"},
        {"data", "list", "item", "name", "file", "line", "path", "node", "read", "text"},
        {"value", "index", "count", "start", "table", "order", "state", "label", "event", "write"},
        {"result", "string", "object", "number", "buffer", "handle", "config", "record", "option", "window"},
        {"request", "message", "current", "default", "element", "setting", "counter", "process", "version", "channel"},
        {"function", "response", "resource", "property", "document", "position", "interval", "category", "argument", "template"},
        {"parameter", "component", "reference", "attribute", "directory", "operation", "condition", "container", "character", "structure"},
        {"connection", "collection", "dependency", "constraint", "expression", "definition", "invocation", "allocation", "comparison", "processing"},
        {"environment", "information", "description", "application", "transaction", "destination", "performance", "measurement", "maintenance", "translation"},
        {"notification", "registration", "construction", "distribution", "verification", "architecture", "experimental", "subscription", "optimization", "presentation"},
    }};
    return words;
}

uint64_t hash_of(std::string_view s, uint64_t seed = fnv1a::kOffsetBasis) { return fnv1a::mix(seed, s); }

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_letter(char c) { return is_upper(c) || is_lower(c); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A lower-case filler word of length n for `word` (n > 12: words joined).
std::string word_of_length(std::string_view word, std::size_t n) {
    std::string out;
    uint64_t h = hash_of(word);
    while (out.size() < n) {
        std::size_t take = std::min<std::size_t>(n - out.size(), 12);
        if (n - out.size() > 12 && n - out.size() - take < 3) take -= 3;  // no 1-2 letter tail
        const auto& list = vocabulary()[take - 1];
        out += list[h % list.size()];
        h = h * 6364136223846793005ull + 1442695040888963407ull;
    }
    return out;
}

// One case-shaped segment (lower, Capitalised or UPPER) replaced by a word of its length.
void append_segment(std::string_view seg, std::string& out) {
    std::string w = word_of_length(seg, seg.size());
    const bool all_upper = seg.size() > 1 && is_upper(seg[0]) && is_upper(seg[1]);
    for (std::size_t i = 0; i < w.size(); ++i) {
        const bool up = all_upper || (i == 0 && is_upper(seg[0]));
        out += up ? static_cast<char>(w[i] - 'a' + 'A') : w[i];
    }
}

// The end of the case segment starting at i: "Name" in "getName", "HTTP" in "HTTPServer".
std::size_t segment_end(std::string_view s, std::size_t i) {
    std::size_t j = i + 1;
    if (is_upper(s[i]) && j < s.size() && is_upper(s[j])) {
        while (j < s.size() && is_upper(s[j])) ++j;
        if (j < s.size() && is_lower(s[j])) --j;  // the last capital starts the next word
        return j;
    }
    while (j < s.size() && is_lower(s[j])) ++j;
    return j;
}

std::size_t utf8_length(unsigned char lead) {
    if (lead >= 0xF0) return 4;
    if (lead >= 0xE0) return 3;
    if (lead >= 0xC0) return 2;
    return 1;
}

bool path_char(char c) { return is_letter(c) || is_digit(c) || c == '/' || c == '.' || c == '_' || c == '-' || c == '~'; }

// Where a path-like run starting at i ends (i when it is none): /a/b, ~/a, ./a/b.
std::size_t path_end(std::string_view s, std::size_t i) {
    if (i > 0 && (path_char(s[i - 1]) || s[i - 1] == ':')) return i;  // mid-word, or a URL's //
    const bool home = s.compare(i, 2, "~/") == 0, dot = s.compare(i, 2, "./") == 0;
    if (s[i] != '/' && !home && !dot) return i;
    std::size_t j = i, slashes = 0;
    while (j < s.size() && path_char(s[j])) slashes += s[j++] == '/';
    return (slashes >= 2 || ((home || dot) && j > i + 2)) ? j : i;
}

void redact_reminders(bj::string& s) {
    static constexpr std::string_view open = "<system-reminder>", close = "</system-reminder>";
    std::string_view in(s);
    std::string out;
    std::size_t pos = 0;
    for (;;) {
        std::size_t a = in.find(open, pos);
        if (a == std::string_view::npos) break;
        std::size_t b = in.find(close, a + open.size());
        if (b == std::string_view::npos) break;
        out.append(in.substr(pos, a + open.size() - pos));
        out.append(filler_text(in.substr(a + open.size(), b - a - open.size())));
        pos = b;
    }
    if (pos == 0) return;
    out.append(in.substr(pos));
    s = out;
}

// Message or system text: reminders' insides, then path-like runs.
void redact_text(bj::string& s) {
    redact_reminders(s);
    s = filler_paths(std::string_view(s));
}

// Every string inside v but block types.
void redact_strings(bj::value& v) {
    if (v.is_string()) {
        v.get_string() = filler_text(std::string_view(v.get_string()));
    } else if (v.is_array()) {
        for (auto& x : v.get_array()) redact_strings(x);
    } else if (v.is_object()) {
        for (auto& kv : v.get_object())
            if (kv.key() != "type" && kv.key() != "media_type") redact_strings(kv.value());
    }
}

// One content block of a message (or of the system list).
void redact_block(bj::object& block) {
    const auto* type = json::find_string(block, "type");
    const std::string_view t = type ? std::string_view(*type) : std::string_view();
    if (t == "tool_result") {
        if (auto* c = block.if_contains("content")) redact_strings(*c);
    } else if (t == "tool_use" || t == "server_tool_use") {
        if (auto* in = block.if_contains("input")) redact_strings(*in);
    } else if (t == "text") {
        if (auto* text = block.if_contains("text"); text && text->is_string()) redact_text(text->get_string());
    } else if (t == "thinking") {
        if (auto* text = block.if_contains("thinking"); text && text->is_string()) redact_text(text->get_string());
    }
}

// A string or a list of blocks (message content, system).
void redact_content(bj::value& content) {
    if (content.is_string()) {
        redact_text(content.get_string());
    } else if (content.is_array()) {
        for (auto& b : content.get_array())
            if (b.is_object()) redact_block(b.get_object());
    }
}

}  // namespace

std::string filler_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (is_letter(c)) {
            std::size_t j = segment_end(s, i);
            append_segment(s.substr(i, j - i), out);
            i = j;
        } else if (is_digit(c)) {
            std::size_t j = i;
            while (j < s.size() && is_digit(s[j])) ++j;
            uint64_t h = hash_of(s.substr(i, j - i), 7);
            for (std::size_t k = i; k < j; ++k, h /= 10) out += static_cast<char>('0' + h % 10);
            i = j;
        } else if (static_cast<unsigned char>(c) >= 0x80) {
            std::size_t n = std::min(utf8_length(static_cast<unsigned char>(c)), s.size() - i);
            out += static_cast<char>('a' + hash_of(s.substr(i, n)) % 26);
            i += n;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

std::string filler_paths(std::string_view s) {
    std::string out;
    std::size_t i = 0, copied = 0;
    while (i < s.size()) {
        std::size_t j = path_end(s, i);
        if (j == i) {
            ++i;
            continue;
        }
        out.append(s.substr(copied, i - copied));
        out.append(filler_text(s.substr(i, j - i)));
        copied = i = j;
    }
    out.append(s.substr(copied));
    return out;
}

std::string redact_body(std::string_view body) {
    auto parsed = json::parse(body, 256);
    if (!parsed.ok() || !parsed.value.is_object()) return filler_text(body);
    bj::object& root = parsed.value.get_object();
    if (auto* system = root.if_contains("system")) redact_content(*system);
    if (auto* messages = root.if_contains("messages"); messages && messages->is_array())
        for (auto& m : messages->get_array())
            if (m.is_object())
                if (auto* c = m.get_object().if_contains("content")) redact_content(*c);
    return json::to_text(parsed.value);
}

}  // namespace anyclaude::app
