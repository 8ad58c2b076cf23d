// Tokenizing a rendered prompt and mapping byte offsets in its text to token counts: a count
// covers only whole tokens (it never splits one), so a prefix of the prompt text maps to a prefix
// of the prompt tokens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "engine/tokens.hpp"

struct llama_vocab;

namespace anyclaude::engine {

// The prompt's tokens: special tokens parsed, BOS added when the vocab asks for it.
Tokens tokenize_prompt(const llama_vocab* vocab, const std::string& text);

// Tokenizes rendered prompts, reusing the tokens of a recent prompt that shares a text prefix
// with this one (a follow-up turn shares ~all of it). llama.cpp tokenizes the text between
// special tokens piece by piece, so the tokens up to the last control token inside the shared
// prefix are exactly what a full tokenization gives; only the rest is tokenized. Thread-safe.
class PromptTokenizer {
public:
    explicit PromptTokenizer(const llama_vocab* vocab) : vocab_(vocab) {}
    struct Result {
        Tokens tokens;
        std::vector<std::size_t> ends;  // byte end of each token in the text
        std::size_t reused = 0;         // tokens taken from a recent prompt
    };
    Result tokenize(const std::string& text);

private:
    struct Entry {
        std::string text;
        Result result;
        uint64_t used = 0;
    };
    const llama_vocab* vocab_;
    std::mutex mu_;
    std::vector<Entry> recent_;  // a few most recent prompts
    uint64_t clock_ = 0;
};

class TokenOffsets {
public:
    TokenOffsets(const llama_vocab* vocab, const Tokens& tokens);
    explicit TokenOffsets(std::vector<std::size_t> ends) : ends_(std::move(ends)) {}
    // How many leading tokens end at or before byte `offset` of the text.
    std::size_t tokens_before(std::size_t offset) const;
    std::size_t text_bytes() const { return ends_.empty() ? 0 : ends_.back(); }

private:
    std::vector<std::size_t> ends_;  // byte end of each token in the text, non-decreasing
};

}  // namespace anyclaude::engine
