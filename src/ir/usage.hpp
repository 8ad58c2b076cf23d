// Token usage as Anthropic reports it:
// input_tokens (not from cache) + cache_read_input_tokens + cache_creation_input_tokens = prompt tokens.
#pragma once

#include <cstdint>

namespace anyclaude::ir {

struct Usage {
    int64_t input_tokens = 0;
    int64_t output_tokens = 0;
    int64_t cache_read_input_tokens = 0;
    int64_t cache_creation_input_tokens = 0;
    int64_t web_search_requests = 0;  // usage.server_tool_use.web_search_requests (written when > 0)

    int64_t prompt_tokens() const {
        return input_tokens + cache_read_input_tokens + cache_creation_input_tokens;
    }
};

}  // namespace anyclaude::ir
