// Prompt tokenization and byte offset -> token count (see chat_render_tokens.hpp).
#include "engine/chat_render_tokens.hpp"

#include <llama.h>

#include <algorithm>
#include <stdexcept>

namespace anyclaude::engine {

namespace {

std::size_t piece_length(const llama_vocab* vocab, Token t) {
    char buf[256];
    int32_t n = llama_token_to_piece(vocab, t, buf, sizeof buf, 0, /*special=*/true);
    if (n >= 0) return static_cast<std::size_t>(n);
    std::string big(static_cast<std::size_t>(-n), '\0');
    n = llama_token_to_piece(vocab, t, big.data(), static_cast<int32_t>(big.size()), 0, true);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace

Tokens tokenize_prompt(const llama_vocab* vocab, const std::string& text) {
    const bool add_bos = llama_vocab_get_add_bos(vocab);
    Tokens tokens(text.size() + 2);
    auto run = [&] {
        return llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                              static_cast<int32_t>(tokens.size()), add_bos, /*parse_special=*/true);
    };
    int32_t n = run();
    if (n < 0) {
        tokens.resize(static_cast<std::size_t>(-n));
        n = run();
    }
    if (n < 0) throw std::runtime_error("tokenizing the prompt failed");
    tokens.resize(static_cast<std::size_t>(n));
    return tokens;
}

TokenOffsets::TokenOffsets(const llama_vocab* vocab, const Tokens& tokens) {
    ends_.reserve(tokens.size());
    std::size_t end = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        // A BOS the tokenizer added is not in the text.
        const bool added_bos = i == 0 && llama_vocab_get_add_bos(vocab) && tokens[0] == llama_vocab_bos(vocab);
        if (!added_bos) end += piece_length(vocab, tokens[i]);
        ends_.push_back(end);
    }
}

std::size_t TokenOffsets::tokens_before(std::size_t offset) const {
    return static_cast<std::size_t>(std::upper_bound(ends_.begin(), ends_.end(), offset) - ends_.begin());
}

}  // namespace anyclaude::engine
