// The engine on a real (tiny, random-weight) Qwen model: generation, prefix reuse across turns,
// side requests that keep the main conversation, RAM and disk tiers, restart, cancellation,
// usage accounting and the context limit. Tests that compare outputs use the varied model,
// whose greedy answers depend on the prompt.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <tuple>
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
    // The varied model: its greedy answer depends on the prompt, so a wrong cached state shows.
    auto req = conversation(kSystem, turns(5), 12);
    JobResult cold, warm;
    {
        engine::Engine eng(varied_engine_options(fresh_dir("kv")));
        cold = run_job(eng, req, /*record_first_logits=*/true);
        ASSERT_TRUE(cold.ok()) << cold.error();
        auto other = run_job(eng, conversation(kSystem, turns(3), 12));
        ASSERT_TRUE(other.ok()) << other.error();
        ASSERT_NE(other.job->output_tokens, cold.job->output_tokens) << "the model answers two prompts alike";
    }
    {
        engine::Engine eng(varied_engine_options(fresh_dir("kv")));
        ASSERT_TRUE(run_job(eng, conversation(kSystem, turns(3), 4)).ok());
        warm = run_job(eng, req, /*record_first_logits=*/true);
        ASSERT_TRUE(warm.ok()) << warm.error();
        EXPECT_GT(warm.job->reused_tokens, 0u);
    }
    EXPECT_EQ(cold.job->output_tokens, warm.job->output_tokens);
    ASSERT_EQ(cold.job->first_logits.size(), warm.job->first_logits.size());
    for (std::size_t i = 0; i < cold.job->first_logits.size(); ++i)
        ASSERT_NEAR(cold.job->first_logits[i], warm.job->first_logits[i], 1e-3) << "token " << i;
}

// Three sequences, all holding something: the main conversation, another one, a side request.
// The next side request takes the side request's sequence (plain LRU would take the other
// conversation's), and both conversations continue from their live sequences.
TEST(Engine, SideRequestsTakeTheSideSequenceWhenEverySequenceIsHeld) {
    engine::Engine eng(tiny_engine_options(fresh_dir("kv"), 3));
    const std::string other_system = "Another project entirely, with other rules for the assistant to follow.";
    const std::string title_system = "Generate a short title for the conversation as JSON.";
    auto main_turn = run_job(eng, conversation(kSystem, turns(3), 4));
    ASSERT_TRUE(main_turn.ok()) << main_turn.error();
    auto other_turn = run_job(eng, conversation(other_system, turns(3), 4));
    ASSERT_TRUE(other_turn.ok()) << other_turn.error();
    ASSERT_TRUE(run_job(eng, conversation(title_system, {"hello there"}, 4)).ok());
    auto main_again = run_job(eng, conversation(kSystem, turns(5), 4));
    ASSERT_TRUE(main_again.ok()) << main_again.error();
    EXPECT_EQ(main_again.job->reused_from, engine::Tier::live);
    // Every sequence holds tokens now; the least recently used is the other conversation. A side
    // request with another system prompt (so it does not continue the first one in place):
    auto side = run_job(eng, conversation("Summarize the output of this command in one line.", {"ls -la"}, 4));
    ASSERT_TRUE(side.ok()) << side.error();
    for (const auto& [system, n, before] :
         {std::tuple{kSystem, 7, main_again.job->prompt.tokens.size()},
          std::tuple{other_system, 5, other_turn.job->prompt.tokens.size()}}) {
        auto follow = run_job(eng, conversation(system, turns(n), 4));
        ASSERT_TRUE(follow.ok()) << follow.error();
        EXPECT_EQ(follow.job->reused_from, engine::Tier::live) << system;
        EXPECT_GE(follow.job->reused_tokens, before) << system;  // the whole earlier prompt
    }
    EXPECT_EQ(eng.stats().reused_ram, 0u);  // nothing had to come back from RAM
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
        engine::Engine eng(varied_engine_options(dir));
        ASSERT_TRUE(run_job(eng, first).ok());
    }  // shutdown writes the sequences to disk
    {
        engine::Engine eng(varied_engine_options(dir));
        auto r = run_job(eng, conversation(kSystem, turns(5), 8));
        ASSERT_TRUE(r.ok()) << r.error();
        EXPECT_EQ(r.job->reused_from, engine::Tier::disk);
        EXPECT_GT(r.job->reused_tokens, 0u);
        warm_out = r.job->output_tokens;
    }
    engine::Engine cold(varied_engine_options(fresh_dir("kv")));
    auto r = run_job(cold, conversation(kSystem, turns(5), 8));
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r.job->output_tokens, warm_out);  // restored state gives the same greedy output
    auto other = run_job(cold, conversation(kSystem, turns(3), 8));
    ASSERT_TRUE(other.ok()) << other.error();
    EXPECT_NE(other.job->output_tokens, warm_out);  // and that output depends on the prompt
}

TEST(Engine, CancelledJobFreesItsSequenceQuickly) {
    engine::Engine eng(tiny_engine_options(fresh_dir("kv"), 1));
    auto p = start_job(eng, conversation(kSystem, {"write a long story"}, 4000, 1.0));
    auto wait_for_tokens = [&](uint64_t n) {
        for (int i = 0; i < 5000 && eng.stats().generated_tokens < n; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return eng.stats().generated_tokens >= n;
    };
    // How long one decode step takes on this machine, now (sanitizers and load slow it down).
    ASSERT_TRUE(wait_for_tokens(3));
    auto t_step = std::chrono::steady_clock::now();
    ASSERT_TRUE(wait_for_tokens(13));
    const auto step = (std::chrono::steady_clock::now() - t_step) / 10;
    auto t0 = std::chrono::steady_clock::now();
    p.job->cancelled = true;
    while (eng.stats().cancelled == 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30))
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(eng.stats().cancelled, 1u);
    // The engine notices a cancellation between two steps: a few steps at most, plus the
    // polling above (1 ms sleeps).
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10 * step + std::chrono::milliseconds(20))
        << "one step took " << std::chrono::duration<double, std::milli>(step).count() << " ms";
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
    auto req = conversation(kSystem, {big}, 4);
    const auto n = eng.renderer().render(req)->tokens.size();
    auto r = run_job(eng, req);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error(), "prompt is too long: " + std::to_string(n) + " tokens > 255 maximum");
}

// cache_creation_input_tokens: the tokens from the reused prefix up to the last cache_control
// breakpoint, exactly; input_tokens the rest.
TEST(Engine, CacheCreationCountsUpToTheLastBreakpoint) {
    engine::Engine eng(tiny_engine_options(fresh_dir("kv")));
    auto with_breakpoints = [](int n_turns) {
        boost::json::array msgs;
        auto t = turns(n_turns);
        for (std::size_t i = 0; i < t.size(); ++i) {
            boost::json::object block{{"type", "text"}, {"text", t[i]}};
            if (i + 2 == t.size()) block["cache_control"] = boost::json::object{{"type", "ephemeral"}};
            msgs.push_back(boost::json::object{{"role", i % 2 == 0 ? "user" : "assistant"},
                                               {"content", boost::json::array{block}}});
        }
        boost::json::object o{{"model", "claude-sonnet-4-5"}, {"max_tokens", 4}, {"temperature", 0}};
        o["system"] = boost::json::array{boost::json::object{
            {"type", "text"}, {"text", kSystem}, {"cache_control", boost::json::object{{"type", "ephemeral"}}}}};
        o["messages"] = std::move(msgs);
        return request_from_json(boost::json::serialize(o));
    };
    for (int n_turns : {3, 5}) {  // the second reuses the first's prefix
        auto r = run_job(eng, with_breakpoints(n_turns));
        ASSERT_TRUE(r.ok()) << r.error();
        const auto& bps = r.job->prompt.breakpoints;
        ASSERT_EQ(bps.size(), 2u);
        const auto last_bp = static_cast<int64_t>(*std::max_element(bps.begin(), bps.end()));
        const auto reused = static_cast<int64_t>(r.job->reused_tokens);
        const auto n = static_cast<int64_t>(r.job->prompt.tokens.size());
        ASSERT_LT(reused, last_bp) << "the second turn's breakpoint is past the first prompt";
        auto u = r.usage();
        EXPECT_EQ(u.cache_read_input_tokens, reused);
        EXPECT_EQ(u.cache_creation_input_tokens, last_bp - reused);
        EXPECT_EQ(u.input_tokens, n - last_bp);
        if (n_turns == 5) EXPECT_GT(reused, 0);
    }
}

TEST(Engine, StopSequencesEndGeneration) {
    // The varied model writes varied text; the stop sequence is three plain characters from the
    // middle of its free answer.
    engine::Engine eng(varied_engine_options(fresh_dir("kv")));
    auto free_run = run_job(eng, conversation(kSystem, {"count"}, 24));
    ASSERT_TRUE(free_run.ok()) << free_run.error();
    const std::string text = free_run.text();
    std::size_t at = std::string::npos;
    for (std::size_t i = text.size() / 3; i + 3 <= text.size() && at == std::string::npos; ++i) {
        bool plain = true;
        for (std::size_t k = i; k < i + 3; ++k) plain = plain && text[k] > ' ' && text[k] < 0x7f;
        if (plain) at = i;
    }
    ASSERT_NE(at, std::string::npos) << "no three plain characters in: " << text;
    const std::string stop = text.substr(at, 3);
    auto req = conversation(kSystem, {"count"}, 24);
    req.stop_sequences = {stop};
    auto r = run_job(eng, req);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r.stop_reason(), ir::StopReason::stop_sequence);
    EXPECT_EQ(r.text(), text.substr(0, text.find(stop)));
    EXPECT_LT(r.text().size(), text.size());
}

// Claude Code's Agent tool starts subagents at once with the same system prompt and tools: the
// first computes the shared prefix, the others wait for it and copy it (admission.hpp).
TEST(Engine, ConcurrentSubagentsComputeTheirSharedPrefixOnce) {
    engine::Engine eng(tiny_engine_options(fresh_dir("kv"), 4));
    std::string system = "You are a subagent. Explore the repository and report what you find. ";
    for (int i = 0; i < 60; ++i) system += "Rule " + std::to_string(i) + ": read files before you change them. ";
    std::vector<ir::Request> reqs;
    for (const char* task : {"find the parser", "list the tests", "read the README"}) {
        auto r = conversation(system, {task}, 4);
        r.subagent = true;
        reqs.push_back(std::move(r));
    }
    std::vector<PendingJob> pending;
    for (const auto& r : reqs) pending.push_back(start_job(eng, r));
    std::size_t shared = SIZE_MAX, total = 0;
    std::vector<JobResult> done;
    for (auto& p : pending) done.push_back(p.wait());
    for (const auto& d : done) {
        ASSERT_TRUE(d.ok()) << d.error();
        total += d.job->prompt.tokens.size();
        shared = std::min(shared, engine::common_prefix(done.front().job->prompt.tokens, d.job->prompt.tokens));
    }
    ASSERT_GT(shared, 600u);
    // Computed: the shared prefix once, plus each request's own tail (and at most the planner's
    // worth_waiting, 64, of the prefix again per request).
    EXPECT_LE(eng.stats().computed_tokens, total - 2 * shared + 2 * 64);
    EXPECT_GE(done[1].job->reused_tokens + done[2].job->reused_tokens, 2 * (shared - 64));
}

// SIGTERM writes every conversation to disk, those moved to the RAM tier too: after a restart
// each of several sessions resumes where it was, not just from the shared tools+system prefix.
TEST(Engine, ShutdownWritesRamTierConversationsToDisk) {
    std::string dir = fresh_dir("kv");
    const std::string other_system = "Another project entirely, with other rules for the assistant to follow.";
    std::size_t a_len = 0, b_len = 0;
    {
        engine::Engine eng(tiny_engine_options(dir, 1));  // one sequence: A moves to the RAM tier for B
        auto a = run_job(eng, conversation(kSystem, turns(3), 4));
        ASSERT_TRUE(a.ok()) << a.error();
        auto b = run_job(eng, conversation(other_system, turns(3), 4));
        ASSERT_TRUE(b.ok()) << b.error();
        a_len = a.job->prompt.tokens.size();
        b_len = b.job->prompt.tokens.size();
    }
    engine::Engine eng(tiny_engine_options(dir, 1));  // the same KV buffers (snapshots are per buffer count)
    for (const auto& [system, before] : {std::pair{kSystem, a_len}, std::pair{other_system, b_len}}) {
        auto r = run_job(eng, conversation(system, turns(5), 4));
        ASSERT_TRUE(r.ok()) << r.error();
        EXPECT_EQ(r.job->reused_from, engine::Tier::disk) << system;
        EXPECT_GE(r.job->reused_tokens, before) << system;
    }
}
