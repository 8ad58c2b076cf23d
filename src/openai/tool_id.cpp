// Random tool-call ids (see tool_id.hpp).
#include "openai/tool_id.hpp"

#include <mutex>
#include <random>

namespace anyclaude::openai {

std::string new_tool_id() {
    static constexpr char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    static std::mutex mutex;
    static std::mt19937_64 rng{std::random_device{}()};
    std::string id = "toolu_";
    std::lock_guard<std::mutex> lock(mutex);
    for (int i = 0; i < 24; ++i) id.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
    return id;
}

}  // namespace anyclaude::openai
