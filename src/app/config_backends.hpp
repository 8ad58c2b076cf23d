// The config file's "backends" list: several upstream servers (a fleet, src/fleet/), each
//   {"url": "http://host:8080/v1", "weight": 2, "models": ["qwen3-coder"], "key": "..."}
// with url required and the rest optional. Replaces backend-url (its first entry becomes it).
#pragma once

#include <string>

#include "app/config.hpp"
#include "common/json.hpp"

namespace anyclaude::app {

// Reads v into c.backends; returns "" or what is wrong, naming the entry and field.
std::string read_backend_list(Config& c, const json::bj::value& v);

}  // namespace anyclaude::app
