// PromptTokenizer reuses a recent prompt's tokens and must give exactly what a full
// tokenization gives, for follow-ups, branches and unrelated prompts.
#include <gtest/gtest.h>

#include <llama.h>

#include "engine/chat_render_tokens.hpp"
#include "engine/model.hpp"
#include "engine_support.hpp"
#include "support/test_support.hpp"

using namespace anyclaude;

namespace {

const engine::Model& model() {
    static engine::Model m(engine::ModelOptions{test::tiny_model_path(), 0});
    return m;
}

std::string render_text(const std::string& fixture) {
    static engine::ChatRenderer renderer(model().get());
    auto r = renderer.render(test::request_from_json(test::fixture(fixture)));
    EXPECT_TRUE(r.ok());
    return r ? r->text : std::string();
}

}  // namespace

TEST(PromptTokenizer, ReusedTokensEqualAFullTokenization) {
    const llama_vocab* vocab = model().vocab();
    engine::PromptTokenizer tok(vocab);
    std::vector<std::string> texts;
    for (auto f : {"capture-first.json", "capture-followup.json", "capture-toolresult-followup.json",
                   "capture-side-1.json", "capture-interactive-first.json"})
        texts.push_back(render_text(f));
    // A follow-up that extends the first prompt, and a branch that edits its end.
    texts.push_back(texts[0] + "<|im_start|>user\nand one more question<|im_end|>\n<|im_start|>assistant\n");
    texts.push_back(texts[0].substr(0, texts[0].size() - 40) + "an edited ending");
    std::size_t reused_total = 0;
    for (const auto& t : texts) {
        auto got = tok.tokenize(t);
        auto want = engine::tokenize_prompt(vocab, t);
        ASSERT_EQ(got.tokens, want);
        engine::TokenOffsets full(vocab, want);
        ASSERT_EQ(got.ends.size(), want.size());
        EXPECT_EQ(got.ends.back(), full.text_bytes());
        reused_total += got.reused;
    }
    EXPECT_GT(reused_total, 10000u);  // the follow-ups really reused earlier tokens
}
