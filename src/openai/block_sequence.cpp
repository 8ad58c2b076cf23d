// Block bookkeeping for the stream decoder (see block_sequence.hpp).
#include "openai/block_sequence.hpp"

#include "ir/thinking_signature.hpp"

#include <cctype>
#include <cstdint>

namespace anyclaude::openai {

namespace {

constexpr std::size_t kTextTailBytes = 256;

std::size_t leading_space(std::string_view s) {
    std::size_t n = 0;
    while (n < s.size() && std::isspace(static_cast<unsigned char>(s[n]))) ++n;
    return n;
}

}  // namespace

void BlockSequence::start(Open kind, ir::BlockKind block_kind, std::vector<ir::Event>& out) {
    close(out);
    open_ = kind;
    open_index_ = next_index_++;
    ir::BlockStart bs;
    bs.index = open_index_;
    bs.kind = block_kind;
    out.push_back(bs);
}

void BlockSequence::content(Open kind, std::string_view s, std::vector<ir::Event>& out) {
    if (open_ != kind) {
        s.remove_prefix(leading_space(s));
        if (s.empty()) return;
        start(kind, kind == Open::text ? ir::BlockKind::text : ir::BlockKind::thinking, out);
    }
    if (s.empty()) return;
    if (kind == Open::thinking) {
        thinking_text_.append(s);
    } else {
        text_tail_.append(s);
        if (text_tail_.size() > 2 * kTextTailBytes) text_tail_.erase(0, text_tail_.size() - kTextTailBytes);
    }
    out.push_back(ir::BlockDelta{open_index_, kind == Open::text ? ir::DeltaKind::text : ir::DeltaKind::thinking,
                                 std::string(s)});
}

void BlockSequence::text(std::string_view s, std::vector<ir::Event>& out) { content(Open::text, s, out); }

void BlockSequence::thinking(std::string_view s, std::vector<ir::Event>& out) { content(Open::thinking, s, out); }

int BlockSequence::start_tool(const std::string& id, const std::string& name, std::vector<ir::Event>& out) {
    close(out);
    open_ = Open::tool;
    open_index_ = next_index_++;
    ++tool_blocks_;
    tool_input_sent_ = false;
    ir::BlockStart bs;
    bs.index = open_index_;
    bs.kind = ir::BlockKind::tool_use;
    bs.tool_id = id;
    bs.tool_name = name;
    out.push_back(std::move(bs));
    return open_index_;
}

void BlockSequence::tool_input(std::string_view json_fragment, std::vector<ir::Event>& out) {
    if (open_ != Open::tool || json_fragment.empty()) return;
    if (leading_space(json_fragment) < json_fragment.size()) tool_input_sent_ = true;
    out.push_back(ir::BlockDelta{open_index_, ir::DeltaKind::input_json, std::string(json_fragment)});
}

void BlockSequence::close(std::vector<ir::Event>& out) {
    switch (open_) {
        case Open::none: return;
        case Open::text: break;
        case Open::thinking:
            out.push_back(ir::BlockDelta{open_index_, ir::DeltaKind::signature, ir::thinking_signature(thinking_text_)});
            thinking_text_.clear();
            break;
        case Open::tool:
            if (!tool_input_sent_) out.push_back(ir::BlockDelta{open_index_, ir::DeltaKind::input_json, "{}"});
            break;
    }
    out.push_back(ir::BlockStop{open_index_});
    open_ = Open::none;
    open_index_ = -1;
}

}  // namespace anyclaude::openai
