// The request fields about prompt caching that are not per block: automatic caching (a
// top-level cache_control) and the cache-diagnosis-2026-04-07 beta's diagnostics object.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "anthropic/decode_context.hpp"
#include "ir/request.hpp"

namespace anyclaude::anthropic {

inline constexpr std::string_view kCacheDiagnosisBeta = "cache-diagnosis-2026-04-07";

// Whether a comma-separated anthropic-beta header value names beta (whitespace around names ignored).
bool has_beta(std::string_view header, std::string_view beta);

// After messages, system and tools: a top-level cache_control puts the breakpoint on the last
// cacheable block (the last message's last block that is not thinking, walking back over
// messages without one, then the last system block, then the last tool), as Anthropic's
// automatic caching does. It counts toward the breakpoint limit unless that block had one.
bool decode_automatic_caching(DecodeContext& ctx, const boost::json::object& body, ir::Request& out);

// diagnostics: {previous_message_id: "msg_..."}: read only when the cache-diagnosis beta is on
// (DecodeOptions::anthropic_beta), ignored like any unknown field otherwise.
bool decode_diagnostics(DecodeContext& ctx, const boost::json::object& body, ir::Request& out);

}  // namespace anyclaude::anthropic
