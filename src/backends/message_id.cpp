// Random message ids (see message_id.hpp).
#include "backends/message_id.hpp"

#include <random>

namespace anyclaude::backends {

std::string new_message_id() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char* digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    std::string id = "msg_";
    for (int i = 0; i < 24; ++i) id.push_back(digits[rng() % 62]);
    return id;
}

}  // namespace anyclaude::backends
