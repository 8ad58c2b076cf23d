// Decodes the request's generation settings: max_tokens, sampling (temperature, top_p, top_k,
// stop_sequences), stream, thinking, output_config (effort, json_schema format), metadata.user_id.
#pragma once

#include <boost/json/object.hpp>

#include "anthropic/decode_context.hpp"
#include "ir/request.hpp"

namespace anyclaude::anthropic {

bool decode_max_tokens(DecodeContext& ctx, const boost::json::object& body, ir::Request& out);
bool decode_sampling(DecodeContext& ctx, const boost::json::object& body, ir::Request& out);
// After decode_max_tokens: an enabled budget must stay below max_tokens.
bool decode_thinking(DecodeContext& ctx, const boost::json::object& body, ir::Request& out);
bool decode_output_config(DecodeContext& ctx, const boost::json::object& body, ir::Request& out);
bool decode_metadata(DecodeContext& ctx, const boost::json::object& body, ir::Request& out);

}  // namespace anyclaude::anthropic
