// Completion of partial tool input JSON (see tool_input.hpp).
#include "anthropic/tool_input.hpp"

#include <vector>

#include "common/json.hpp"

namespace anyclaude::anthropic {

namespace {

// The canonical text of text when it parses as a JSON object.
bool object_text(const std::string& text, std::string& out) {
    json::ParseResult r = json::parse(text);
    if (!r.ok() || !r.value.is_object()) return false;
    out = json::to_text(r.value);
    return true;
}

void append_closers(std::string& text, const std::string& open) {
    for (auto it = open.rbegin(); it != open.rend(); ++it) text.push_back(*it == '{' ? '}' : ']');
}

// A prefix that is valid JSON once the brackets open at that point are closed.
struct CutPoint {
    std::size_t length = 0;
    std::string open;
};

}  // namespace

std::string tool_input_object(std::string_view partial) {
    std::string out;
    if (partial.find_first_not_of(" \t\r\n") == std::string_view::npos) return "{}";
    if (object_text(std::string(partial), out)) return out;

    // One scan: track open brackets and strings, and remember the last place where the
    // text so far ends on a complete member (before a comma, after an opening or closing bracket).
    std::string open;
    CutPoint cut;
    bool in_string = false, escaped = false;
    for (std::size_t i = 0; i < partial.size(); ++i) {
        char c = partial[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
            case '"': in_string = true; break;
            case '{':
            case '[':
                open.push_back(c);
                cut = {i + 1, open};
                break;
            case '}':
            case ']':
                if (!open.empty()) open.pop_back();
                cut = {i + 1, open};
                break;
            case ',': cut = {i, open}; break;
            default: break;
        }
    }

    // First try: keep everything, closing an open string (keeps a half-streamed string value).
    std::string text(partial);
    if (in_string && !escaped) {
        text.push_back('"');
        append_closers(text, open);
        if (object_text(text, out)) return out;
        text.assign(partial);
    }
    if (!in_string) {
        append_closers(text, open);
        if (object_text(text, out)) return out;
    }
    // Second try: cut back to the last complete member.
    text.assign(partial.substr(0, cut.length));
    append_closers(text, cut.open);
    if (object_text(text, out)) return out;
    return "{}";
}

}  // namespace anyclaude::anthropic
