// Writes the content blocks of one response as events: one block open at a time, indices from 0
// in start order. A thinking block ends with a signature delta ("anyclaude-" + a hash of its text)
// so clients that require signatures accept it (ir::thinking_signature: the same text signs the same in every mode).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/event.hpp"

namespace anyclaude::engine {

class BlockWriter {
public:
    void start(ir::BlockKind kind, std::vector<ir::Event>& out);  // text or thinking
    void start_tool(const std::string& id, const std::string& name, std::vector<ir::Event>& out);
    void delta(std::string_view data, std::vector<ir::Event>& out);  // to the open block
    void stop(std::vector<ir::Event>& out);                          // closes the open block, if any

    std::optional<ir::BlockKind> open_kind() const { return open_; }

private:
    std::optional<ir::BlockKind> open_;
    int index_ = -1;
    std::string thinking_;  // text of the open thinking block
};

}  // namespace anyclaude::engine
