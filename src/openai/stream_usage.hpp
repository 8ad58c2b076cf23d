// Internal: collects the token counts a chat/completions stream reports ("usage", usually in a
// last chunk with empty choices, and llama-server's "timings") and gives them as Anthropic usage:
// input_tokens = prompt - cached, cache_read_input_tokens = cached, cache_creation 0,
// output_tokens = completion. Cached tokens come from usage.prompt_tokens_details.cached_tokens,
// else from timings.cache_n.
#pragma once

#include <cstdint>
#include <optional>

#include "common/json.hpp"
#include "ir/usage.hpp"

namespace anyclaude::openai {

class StreamUsage {
public:
    void read_chunk(const json::bj::object& chunk);  // picks up "usage" and "timings" when present
    ir::Usage to_anthropic() const;

private:
    std::optional<int64_t> prompt_;
    std::optional<int64_t> completion_;
    std::optional<int64_t> cached_;
    std::optional<int64_t> timings_cache_n_;
    std::optional<int64_t> timings_prompt_n_;
    std::optional<int64_t> timings_predicted_n_;
};

}  // namespace anyclaude::openai
