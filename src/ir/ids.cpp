// Random ids (see ids.hpp).
#include "ir/ids.hpp"

#include <random>

namespace anyclaude::ir {

std::string random_id(std::string_view prefix) {
    static constexpr char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::string id(prefix);
    for (int i = 0; i < 24; ++i) id.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
    return id;
}

}  // namespace anyclaude::ir
