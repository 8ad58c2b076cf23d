// JSON fragments shared by the SSE encoder and the stream:false aggregator, so both speak
// exactly the same shapes: the usage object and the stop_sequence value.
#pragma once

#include <string>

#include "common/json.hpp"
#include "ir/usage.hpp"

namespace anyclaude::anthropic {

// {"input_tokens","cache_creation_input_tokens","cache_read_input_tokens","output_tokens"}
void write_usage(json::Writer& w, const ir::Usage& usage);

// The stop_sequence value: the matched sequence, or null when there is none.
void write_stop_sequence(json::Writer& w, const std::string& stop_sequence);

}  // namespace anyclaude::anthropic
