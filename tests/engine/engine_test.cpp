// The engine on a real (tiny, random-weight) Qwen model: generation, prefix reuse across turns,
// side requests that keep the main conversation, RAM and disk tiers, restart, cancellation,
// usage accounting and the context limit.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine_support.hpp"

using namespace anyclaude;
using namespace anyclaude::test;

namespace {

const std::string kSystem =
    "You are a careful coding assistant. Follow the project's conventions, explain briefly, and use the "
    "tools when you need to read or change files. Never invent file contents.";

std::vector<std::string> turns(int n) {
    std::vector<std::string> t;
    for (int i = 0; i < n; ++i) {
        if (i % 2 == 0)
            t.push_back("Question " + std::to_string(i) + ": what does the function parse_config do in src/app?");
        else
            t.push_back("It reads the settings file and applies each key. (" + std::to_string(i) + ")");
    }
    return t;
}

}  // namespace

TEST(Engine, GeneratesAndReportsUsage) {
    engine::Engine eng(tiny_engine_options(fresh_dir("kv")));
    auto r = run_job(eng, conversation(kSystem, {"hello"}, 6));
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_TRUE(std::holds_alternative<ir::MessageStart>(r.events.front()));
    auto u = r.usage();
    EXPECT_EQ(u.prompt_tokens(), static_cast<int64_t>(r.job->prompt.tokens.size()));
    EXPECT_EQ(u.cache_read_input_tokens, 0);
    EXPECT_GE(u.output_tokens, 1);
    EXPECT_LE(u.output_tokens, 6);
    EXPECT_EQ(static_cast<int64_t>(r.job->output_tokens.size()), u.output_tokens);
}

TEST(Engine, FollowUpComputesOnlyItsNewTokens) {
    engine::Engine eng(tiny_engine_options(fresh_dir("kv")));
    auto first = run_job(eng, conversation(kSystem, turns(1), 4));
    ASSERT_TRUE(first.ok()) << first.error();
    auto before = eng.stats();
    auto follow = run_job(eng, conversation(kSystem, turns(3), 4));
    ASSERT_TRUE(follow.ok()) << follow.error();
    auto after = eng.stats();
    const auto n1 = first.job->prompt.tokens.size();
    const auto n2 = follow.job->prompt.tokens.size();
    // Everything the first turn's prompt held is reused (its generation prompt may differ).
    EXPECT_GE(follow.job->reused_tokens + 8, n1);
    EXPECT_EQ(follow.job->reused_from, engine::Tier::live);
    EXPECT_EQ(after.computed_tokens - before.computed_tokens, n2 - follow.job->reused_tokens);
    auto u = follow.usage();
    EXPECT_EQ(u.cache_read_input_tokens, static_cast<int64_t>(follow.job->reused_tokens));
    EXPECT_EQ(u.prompt_tokens(), static_cast<int64_t>(n2));
}

TEST(Engine, GreedyOutputIsIdenticalWithAndWithoutTheCache) {
    auto req = conversation(kSystem, turns(5), 12);
    std::vector<engine::Token> cold, warm;
    {
        engine::Engine eng(tiny_engine_options(fresh_dir("kv")));
        auto r = run_job(eng, req);
        ASSERT_TRUE(r.ok()) << r.error();
        cold = r.job->output_tokens;
    }
    {
        engine::Engine eng(tiny_engine_options(fresh_dir("kv")));
        ASSERT_TRUE(run_job(eng, conversation(kSystem, turns(3), 4)).ok());
        auto r = run_job(eng, req);
        ASSERT_TRUE(r.ok()) << r.error();
        EXPECT_GT(r.job->reused_tokens, 0u);
        warm = r.job->output_tokens;
    }
    EXPECT_EQ(cold, warm);
}

TEST(Engine, SideRequestsNeverEvictTheMainConversation) {
    engine::Engine eng(tiny_engine_options(fresh_dir("kv"), 2));
    auto main_turn = run_job(eng, conversation(kSystem, turns(3), 4));
    ASSERT_TRUE(main_turn.ok());
    // A title-style side request with another system prompt, between turns.
    auto side = run_job(eng, conversation("Generate a short title for the conversation as JSON.", {"hello there"}, 4));
    ASSERT_TRUE(side.ok()) << side.error();
    auto follow = run_job(eng, conversation(kSystem, turns(5), 4));
    ASSERT_TRUE(follow.ok()) << follow.error();
    EXPECT_EQ(follow.job->reused_from, engine::Tier::live);
    // The whole earlier prompt is still cached: only the new turn is computed.
    EXPECT_GE(follow.job->reused_tokens, main_turn.job->prompt.tokens.size());
    EXPECT_NE(side.job->reused_from, engine::Tier::ram);
}

TEST(Engine, EvictedConversationsComeBackFromRam) {
    engine::Engine eng(tiny_engine_options(fresh_dir("kv"), 1));  // one sequence: every switch evicts
    auto a = conversation(kSystem, turns(3), 4);
    auto b = conversation("Another project entirely, with other rules for the assistant to follow.", turns(3), 4);
    ASSERT_TRUE(run_job(eng, a).ok());
    ASSERT_TRUE(run_job(eng, b).ok());
    auto again = run_job(eng, conversation(kSystem, turns(5), 4));
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_EQ(again.job->reused_from, engine::Tier::ram);
    EXPECT_GT(again.job->reused_tokens, 0u);
}

TEST(Engine, DiskTierSurvivesARestart) {
    std::string dir = fresh_dir("kv");
    auto first = conversation(kSystem, turns(3), 4);
    std::vector<engine::Token> warm_out;
    {
        engine::Engine eng(tiny_engine_options(dir));
        ASSERT_TRUE(run_job(eng, first).ok());
    }  // shutdown writes the sequences to disk
    {
        engine::Engine eng(tiny_engine_options(dir));
        auto r = run_job(eng, conversation(kSystem, turns(5), 8));
        ASSERT_TRUE(r.ok()) << r.error();
        EXPECT_EQ(r.job->reused_from, engine::Tier::disk);
        EXPECT_GT(r.job->reused_tokens, 0u);
        warm_out = r.job->output_tokens;
    }
    engine::Engine cold(tiny_engine_options(fresh_dir("kv")));
    auto r = run_job(cold, conversation(kSystem, turns(5), 8));
    EXPECT_EQ(r.job->output_tokens, warm_out);  // restored state gives the same greedy output
}

TEST(Engine, CancelledJobFreesItsSequenceQuickly) {
    engine::Engine eng(tiny_engine_options(fresh_dir("kv"), 1));
    auto p = start_job(eng, conversation(kSystem, {"write a long story"}, 4000, 1.0));
    // Wait until it is generating, then cancel.
    for (int i = 0; i < 500 && eng.stats().generated_tokens < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto t0 = std::chrono::steady_clock::now();
    p.job->cancelled = true;
    while (eng.stats().cancelled == 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2))
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(eng.stats().cancelled, 1u);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100));
    // The single sequence is free again.
    EXPECT_TRUE(run_job(eng, conversation(kSystem, {"hi"}, 2)).ok());
}

TEST(Engine, LongPromptArrivingWhileOthersDecodeFitsOneDecodeCall) {
    // Regression (found by the soak benchmark): a step holds one token per decoding sequence
    // plus a full n_batch prompt chunk; llama.cpp aborted the process when that exceeded the
    // context's batch size.
    engine::Engine eng(tiny_engine_options(fresh_dir("kv"), 2));
    auto decoding = start_job(eng, conversation(kSystem, {"write a long story"}, 200, 1.0));
    for (int i = 0; i < 500 && eng.stats().generated_tokens < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_GE(eng.stats().generated_tokens, 2u);
    std::string big;
    for (int i = 0; i < 150; ++i) big += "lorem ipsum dolor sit amet ";  // several n_batch chunks
    auto r = run_job(eng, conversation(kSystem, {big}, 4));
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_GT(r.job->prompt.tokens.size(), 2u * 256);
    auto d = decoding.wait();
    ASSERT_TRUE(d.ok()) << d.error();
}

TEST(Engine, PromptLongerThanTheContextIsRejectedWithBothNumbers) {
    auto opt = tiny_engine_options(fresh_dir("kv"));
    opt.n_ctx = 256;
    engine::Engine eng(opt);
    std::string big;
    for (int i = 0; i < 200; ++i) big += "lorem ipsum dolor sit amet ";
    auto r = run_job(eng, conversation(kSystem, {big}, 4));
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.error().find("prompt is too long"), std::string::npos) << r.error();
    EXPECT_NE(r.error().find("255"), std::string::npos) << r.error();
}

TEST(Engine, StopSequencesEndGeneration) {
    engine::Engine eng(tiny_engine_options(fresh_dir("kv")));
    auto free_run = run_job(eng, conversation(kSystem, {"count"}, 24));
    ASSERT_TRUE(free_run.ok());
    std::string text = free_run.text();
    if (text.size() < 6) GTEST_SKIP() << "the random model produced too little text to pick a stop sequence";
    std::string stop = text.substr(3, 3);
    auto req = conversation(kSystem, {"count"}, 24);
    req.stop_sequences = {stop};
    auto r = run_job(eng, req);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r.stop_reason(), ir::StopReason::stop_sequence);
    EXPECT_EQ(r.text(), text.substr(0, text.find(stop)));
}
