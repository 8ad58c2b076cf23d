// Test helper: ir events as short readable lines, so decoder tests compare whole event sequences.
//   "start 0 text" | "start 1 tool_use <id> <name>" | "delta 0 text <data>" | "stop 0"
//   "message_delta <stop_reason>[ <stop_sequence>] in=<n> out=<n> cache_read=<n> cache_creation=<n>"
//   "message_stop" | "error <type> <message>" | "ping" | "message_start"
#pragma once

#include <string>
#include <vector>

#include "ir/event.hpp"

namespace anyclaude::test {

std::string event_text(const ir::Event& e);
std::vector<std::string> event_lines(const std::vector<ir::Event>& events);

// Merges consecutive deltas of the same block and kind, so a stream fed in pieces can be
// compared with the same stream fed whole.
std::vector<ir::Event> merge_deltas(const std::vector<ir::Event>& events);

// Replaces tool ids we generated ("toolu_" + 24 characters) with "toolu_*".
std::vector<std::string> without_generated_ids(std::vector<std::string> lines);

}  // namespace anyclaude::test
