// Block bookkeeping for the stream decoder (see block_sequence.hpp).
#include "openai/block_sequence.hpp"

#include <cctype>

namespace anyclaude::openai {

namespace {

constexpr std::size_t kTextTailBytes = 256;

std::size_t leading_space(std::string_view s) {
    std::size_t n = 0;
    while (n < s.size() && std::isspace(static_cast<unsigned char>(s[n]))) ++n;
    return n;
}

}  // namespace

void BlockSequence::content(ir::BlockKind kind, std::string_view s, std::vector<ir::Event>& out) {
    if (blocks_.open_kind() != kind) {
        s.remove_prefix(leading_space(s));
        if (s.empty()) return;
        blocks_.start(kind, out);
    }
    if (s.empty()) return;
    if (kind == ir::BlockKind::text) {
        text_tail_.append(s);
        if (text_tail_.size() > 2 * kTextTailBytes) text_tail_.erase(0, text_tail_.size() - kTextTailBytes);
    }
    blocks_.delta(s, out);
}

void BlockSequence::text(std::string_view s, std::vector<ir::Event>& out) { content(ir::BlockKind::text, s, out); }

void BlockSequence::thinking(std::string_view s, std::vector<ir::Event>& out) {
    content(ir::BlockKind::thinking, s, out);
}

int BlockSequence::start_tool(const std::string& id, const std::string& name, std::vector<ir::Event>& out) {
    ++tool_blocks_;
    return blocks_.start_tool(id, name, out);
}

void BlockSequence::tool_input(std::string_view json_fragment, std::vector<ir::Event>& out) {
    if (blocks_.open_kind() != ir::BlockKind::tool_use) return;
    blocks_.delta(json_fragment, out);
}

}  // namespace anyclaude::openai
