// Block events of one response (see output_parser_blocks.hpp).
#include "engine/output_parser_blocks.hpp"

#include "ir/thinking_signature.hpp"

namespace anyclaude::engine {

void BlockWriter::start(ir::BlockKind kind, std::vector<ir::Event>& out) {
    stop(out);
    open_ = kind;
    out.push_back(ir::BlockStart{++index_, kind, {}, {}});
}

void BlockWriter::start_tool(const std::string& id, const std::string& name, std::vector<ir::Event>& out) {
    stop(out);
    open_ = ir::BlockKind::tool_use;
    out.push_back(ir::BlockStart{++index_, ir::BlockKind::tool_use, id, name});
}

void BlockWriter::delta(std::string_view data, std::vector<ir::Event>& out) {
    if (!open_ || data.empty()) return;
    ir::DeltaKind kind = ir::DeltaKind::text;
    if (*open_ == ir::BlockKind::thinking) {
        kind = ir::DeltaKind::thinking;
        thinking_ += data;
    } else if (*open_ == ir::BlockKind::tool_use) {
        kind = ir::DeltaKind::input_json;
    }
    out.push_back(ir::BlockDelta{index_, kind, std::string(data)});
}

void BlockWriter::stop(std::vector<ir::Event>& out) {
    if (!open_) return;
    if (*open_ == ir::BlockKind::thinking) {
        out.push_back(ir::BlockDelta{index_, ir::DeltaKind::signature, ir::thinking_signature(thinking_)});
        thinking_.clear();
    }
    out.push_back(ir::BlockStop{index_});
    open_.reset();
}

}  // namespace anyclaude::engine
