// Base64 well-formedness check (see base64_check.hpp).
#include "anthropic/base64_check.hpp"

#include <array>

namespace anyclaude::anthropic {

static constexpr std::array<bool, 256> make_alphabet() {
    std::array<bool, 256> t{};
    for (char c = 'A'; c <= 'Z'; ++c) t[static_cast<unsigned char>(c)] = true;
    for (char c = 'a'; c <= 'z'; ++c) t[static_cast<unsigned char>(c)] = true;
    for (char c = '0'; c <= '9'; ++c) t[static_cast<unsigned char>(c)] = true;
    t['+'] = true;
    t['/'] = true;
    return t;
}

static constexpr std::array<bool, 256> kAlphabet = make_alphabet();

bool is_valid_base64(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return false;
    std::size_t end = text.size();
    if (text[end - 1] == '=') --end;
    if (text[end - 1] == '=') --end;
    for (std::size_t i = 0; i < end; ++i)
        if (!kAlphabet[static_cast<unsigned char>(text[i])]) return false;
    return true;
}

}  // namespace anyclaude::anthropic
