// Block positions in a rendered prompt (see chat_render_locate.hpp).
#include "engine/chat_render_locate.hpp"

#include <string_view>

namespace anyclaude::engine {

namespace {

// Templates often trim message text; the trimmed text is what is searched for.
std::string_view trimmed(std::string_view s) {
    const char* space = " \t\r\n";
    std::size_t b = s.find_first_not_of(space);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(space) - b + 1);
}

// Walks the prompt forward, finding each block's pieces after the previous find. Past the start
// of the conversation a piece must start within a few KB of the previous find (plus the size of
// pieces not found since), so text the template changed cannot match a copy far ahead.
class Cursor {
public:
    explicit Cursor(const std::string& prompt) : prompt_(prompt) {}

    TextSpan find(const std::vector<std::string>& pieces, bool near = false) {
        TextSpan span;
        for (const auto& piece : pieces) {
            std::string_view needle = trimmed(piece);
            if (needle.empty()) continue;
            std::size_t at = prompt_.find(needle, pos_);
            if (at == std::string::npos || (near && at - pos_ > max_gap + skipped_)) {
                skipped_ += piece.size();
                continue;
            }
            if (!span.found) span.begin = at;
            span.found = true;
            pos_ = at + needle.size();
            skipped_ = 0;
        }
        if (!span.found) span.begin = pos_;
        span.end = pos_;
        return span;
    }

    std::size_t position() const { return pos_; }

private:
    static constexpr std::size_t max_gap = 4096;  // template text between two blocks
    const std::string& prompt_;
    std::size_t pos_ = 0;
    std::size_t skipped_ = 0;
};

// Where the first found block of a turn starts (or where the cursor stood when none was found).
std::size_t turn_begin(const std::vector<TextSpan>& spans, std::size_t fallback) {
    for (const auto& s : spans) {
        if (s.found) return s.begin;
    }
    return spans.empty() ? fallback : spans.front().begin;
}

// End of the tools section: tool names are searched in order; when they all sit before the
// conversation (templates that describe tools in the system turn), the section runs up to where
// the conversation starts.
std::size_t find_tools_end(const std::string& prompt, const ChatTools& tools, std::size_t conversation_begin) {
    Cursor cursor(prompt);
    bool any = false;
    for (const auto& t : tools.tools) any = cursor.find({t.name}).found || any;
    if (!any) return 0;
    return cursor.position() <= conversation_begin ? conversation_begin : cursor.position();
}

}  // namespace

PromptLayout locate_blocks(const std::string& prompt, const ChatMessages& msgs, const ChatTools& tools,
                           std::size_t first_conversation_turn) {
    PromptLayout layout;
    Cursor cursor(prompt);
    for (const auto& trace : msgs.system) layout.system.push_back(cursor.find(trace.pieces));
    layout.conversation_begin = std::string::npos;
    for (std::size_t i = 0; i < msgs.turns.size(); ++i) {
        std::size_t before = cursor.position();
        auto& spans = layout.turns.emplace_back();
        for (const auto& trace : msgs.turns[i]) {
            // Only the first conversation block may sit far away (after a tools section).
            const bool near = i > first_conversation_turn || (i == first_conversation_turn && !spans.empty());
            spans.push_back(cursor.find(trace.pieces, near));
        }
        if (i == first_conversation_turn) layout.conversation_begin = turn_begin(spans, before);
    }
    if (layout.conversation_begin == std::string::npos) layout.conversation_begin = cursor.position();
    layout.tools_end = find_tools_end(prompt, tools, layout.conversation_begin);
    return layout;
}

}  // namespace anyclaude::engine
