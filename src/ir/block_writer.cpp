// See block_writer.hpp.
#include "ir/block_writer.hpp"

#include <algorithm>
#include <cctype>

#include "ir/thinking_signature.hpp"

namespace anyclaude::ir {

void BlockWriter::start(BlockKind kind, std::vector<Event>& out) {
    stop(out);
    open_ = kind;
    out.push_back(BlockStart{++index_, kind, {}, {}});
}

int BlockWriter::start_tool(const std::string& id, const std::string& name, std::vector<Event>& out) {
    stop(out);
    open_ = BlockKind::tool_use;
    tool_input_ = false;
    out.push_back(BlockStart{++index_, BlockKind::tool_use, id, name});
    return index_;
}

void BlockWriter::delta(std::string_view data, std::vector<Event>& out) {
    if (!open_ || data.empty()) return;
    DeltaKind kind = DeltaKind::text;
    if (*open_ == BlockKind::thinking) {
        kind = DeltaKind::thinking;
        thinking_ += data;
    } else if (*open_ == BlockKind::tool_use) {
        kind = DeltaKind::input_json;
        if (std::any_of(data.begin(), data.end(), [](char c) { return !std::isspace(static_cast<unsigned char>(c)); }))
            tool_input_ = true;
    }
    out.push_back(BlockDelta{index_, kind, std::string(data)});
}

void BlockWriter::stop(std::vector<Event>& out) {
    if (!open_) return;
    if (*open_ == BlockKind::thinking) {
        out.push_back(BlockDelta{index_, DeltaKind::signature, thinking_signature(thinking_)});
        thinking_.clear();
    } else if (*open_ == BlockKind::tool_use && !tool_input_) {
        out.push_back(BlockDelta{index_, DeltaKind::input_json, "{}"});
    }
    out.push_back(BlockStop{index_});
    open_.reset();
}

}  // namespace anyclaude::ir
