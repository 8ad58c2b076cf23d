// `anyclaude status`: the status page's summary in the terminal, from a running gateway's
// /status.json (default port 8082 or --port, with --api-key when the gateway has one).
#pragma once

#include <string>

#include "app/config.hpp"

namespace anyclaude::app {

// The text printed for a /status.json body ("" with *why when the body is not one).
std::string format_status(const std::string& status_json, std::string* why);

// Fetches and prints it; returns the exit code (1: no gateway answers, 2: refused or bad answer).
int print_status(const Config& cfg);

}  // namespace anyclaude::app
