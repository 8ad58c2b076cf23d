// JSON fragments shared by the SSE encoder and the stream:false aggregator, so both speak
// exactly the same shapes: the usage object, the stop_sequence value, the cache diagnostics.
#pragma once

#include <string>

#include "common/json.hpp"
#include "ir/event.hpp"
#include "ir/request.hpp"
#include "ir/usage.hpp"

namespace anyclaude::anthropic {

// {"input_tokens","cache_creation_input_tokens","cache_read_input_tokens","output_tokens"}, and
// "server_tool_use":{"web_search_requests":N} when the gateway ran searches.
void write_usage(json::Writer& w, const ir::Usage& usage);

// A web_search_tool_result's "content": a list of {"type":"web_search_result","url","title",
// "encrypted_content","page_age"}, or {"type":"web_search_tool_result_error","error_code"}.
void write_search_content(json::Writer& w, const std::vector<ir::WebSearchResult>& results,
                          const std::string& error_code);

// The stop_sequence value: the matched sequence, or null when there is none.
void write_stop_sequence(json::Writer& w, const std::string& stop_sequence);

// "diagnostics":{"cache_miss_reason":null} or {"cache_miss_reason":{"type":"system_changed",
// "cache_missed_input_tokens":N}} (previous_message_not_found has no token count); nothing when
// the client did not ask (d empty).
void write_diagnostics(json::Writer& w, const std::optional<ir::CacheDiagnostics>& d);

}  // namespace anyclaude::anthropic
