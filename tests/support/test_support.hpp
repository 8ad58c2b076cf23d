// Helpers shared by the test binaries: fixture loading and paths.
#pragma once

#include <string>

namespace anyclaude::test {

// Whole text of a Claude Code 2.1.328 fixture, e.g. fixture("capture-first.json").
std::string fixture(const std::string& name);
std::string read_file(const std::string& path);

}  // namespace anyclaude::test
