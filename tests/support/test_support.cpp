// Fixture loading for tests (see test_support.hpp).
#include "support/test_support.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace anyclaude::test {

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string fixture(const std::string& name) { return read_file(std::string(ANYCLAUDE_FIXTURES_DIR) + "/" + name); }

}  // namespace anyclaude::test
