// Decodes message content (a string or an array of content blocks) into ir::ContentBlock,
// validating each block: text, image, document, tool_use, tool_result, thinking, redacted_thinking.
#pragma once

#include <boost/json/value.hpp>

#include <vector>

#include "anthropic/decode_context.hpp"
#include "ir/request.hpp"

namespace anyclaude::anthropic {

// Which block types a position accepts.
enum class BlockContext {
    message,      // a message's content: every type
    tool_result,  // inside tool_result.content: text, image, document
    system,       // top-level system array: text only
};

// content: a string (one text block) or an array of blocks.
bool decode_content(DecodeContext& ctx, const boost::json::value& content, const FieldPath& path, BlockContext where,
                    std::vector<ir::ContentBlock>& out);

// One block (a JSON object with a "type").
bool decode_block(DecodeContext& ctx, const boost::json::value& block, const FieldPath& path, BlockContext where,
                  ir::ContentBlock& out);

}  // namespace anyclaude::anthropic
