// Tokenizing a rendered prompt and mapping byte offsets in its text to token counts: a count
// covers only whole tokens (it never splits one), so a prefix of the prompt text maps to a prefix
// of the prompt tokens.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/tokens.hpp"

struct llama_vocab;

namespace anyclaude::engine {

// The prompt's tokens: special tokens parsed, BOS added when the vocab asks for it.
Tokens tokenize_prompt(const llama_vocab* vocab, const std::string& text);

class TokenOffsets {
public:
    TokenOffsets(const llama_vocab* vocab, const Tokens& tokens);
    // How many leading tokens end at or before byte `offset` of the text.
    std::size_t tokens_before(std::size_t offset) const;
    std::size_t text_bytes() const { return ends_.empty() ? 0 : ends_.back(); }

private:
    std::vector<std::size_t> ends_;  // byte end of each token in the text, non-decreasing
};

}  // namespace anyclaude::engine
