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

namespace {
constexpr std::size_t kRecentPrompts = 8;

Tokens tokenize_part(const llama_vocab* vocab, const char* text, std::size_t size, bool add_bos) {
    Tokens tokens(size + 2);
    auto run = [&] {
        return llama_tokenize(vocab, text, static_cast<int32_t>(size), tokens.data(), static_cast<int32_t>(tokens.size()),
                              add_bos, /*parse_special=*/true);
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
}  // namespace

Tokens tokenize_prompt(const llama_vocab* vocab, const std::string& text) {
    return tokenize_part(vocab, text.data(), text.size(), llama_vocab_get_add_bos(vocab));
}

PromptTokenizer::Result PromptTokenizer::tokenize(const std::string& text) {
    Result out;
    std::size_t keep = 0, offset = 0;
    {
        std::lock_guard lock(mu_);
        // The recent prompt sharing the longest text prefix.
        const Entry* best = nullptr;
        std::size_t best_len = 0;
        for (const auto& e : recent_) {
            std::size_t n = std::min(e.text.size(), text.size());
            std::size_t l = static_cast<std::size_t>(
                std::mismatch(e.text.begin(), e.text.begin() + static_cast<std::ptrdiff_t>(n), text.begin()).first -
                e.text.begin());
            if (l > best_len) best = &e, best_len = l;
        }
        if (best) {
            const auto& ends = best->result.ends;
            const auto& toks = best->result.tokens;
            // The last control token that ends inside the shared prefix.
            std::size_t i = static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), best_len) - ends.begin());
            while (i > 0 && !(llama_vocab_get_attr(vocab_, toks[i - 1]) & LLAMA_TOKEN_ATTR_CONTROL)) --i;
            if (i > 0) {
                keep = i;
                offset = ends[i - 1];
                out.tokens.assign(toks.begin(), toks.begin() + static_cast<std::ptrdiff_t>(keep));
                out.ends.assign(ends.begin(), ends.begin() + static_cast<std::ptrdiff_t>(keep));
            }
        }
    }
    const bool add_bos = offset == 0 && llama_vocab_get_add_bos(vocab_);
    Tokens tail = tokenize_part(vocab_, text.data() + offset, text.size() - offset, add_bos);
    std::size_t end = offset;
    for (std::size_t i = 0; i < tail.size(); ++i) {
        const bool added_bos = add_bos && i == 0 && tail[0] == llama_vocab_bos(vocab_);
        if (!added_bos) end += piece_length(vocab_, tail[i]);
        out.ends.push_back(end);
    }
    out.tokens.insert(out.tokens.end(), tail.begin(), tail.end());
    out.reused = keep;

    std::lock_guard lock(mu_);
    Entry e{text, out, ++clock_};
    if (recent_.size() < kRecentPrompts) {
        recent_.push_back(std::move(e));
    } else {
        auto oldest = std::min_element(recent_.begin(), recent_.end(),
                                       [](const Entry& a, const Entry& b) { return a.used < b.used; });
        *oldest = std::move(e);
    }
    return out;
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
