// Fidelity of the prompt cache: with greedy sampling, the tokens generated with the cache are
// identical to the tokens generated when every prompt is computed from scratch. 200+ generated
// scenarios on the tiny model cover follow-ups, branches, an edit in the middle, side requests,
// tool turns, eviction to RAM and to disk (tiny budgets, few sequences), and restarts.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <random>

#include "engine_support.hpp"

using namespace anyclaude;
using namespace anyclaude::test;
namespace bj = boost::json;

namespace {

const char* kWords[] = {"parser", "buffer", "cache",  "kernel", "socket", "token", "layer", "schema",
                        "commit", "branch", "module", "vector", "stream", "index", "frame", "reply"};

std::string words(std::mt19937& rng, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
        if (i) s += ' ';
        s += kWords[rng() % 16];
    }
    return s;
}

// A conversation as Anthropic JSON messages; turns alternate user/assistant, some assistant
// turns are tool calls answered by tool results.
struct Conversation {
    std::string system;
    bool with_tools = false;
    bj::array messages;
};

bj::object tool_def(const std::string& name) {
    return bj::object{{"name", name},
                      {"description", "Reads a file from the project"},
                      {"input_schema", bj::object{{"type", "object"},
                                                  {"properties", bj::object{{"path", bj::object{{"type", "string"}}}}},
                                                  {"required", bj::array{"path"}}}}};
}

void add_user(Conversation& c, std::mt19937& rng) {
    c.messages.push_back(bj::object{{"role", "user"}, {"content", words(rng, 6 + static_cast<int>(rng() % 10))}});
}

void add_assistant(Conversation& c, std::mt19937& rng, int id) {
    if (c.with_tools && rng() % 3 == 0) {
        std::string tid = "toolu_" + std::to_string(id);
        c.messages.push_back(bj::object{
            {"role", "assistant"},
            {"content", bj::array{bj::object{{"type", "tool_use"},
                                             {"id", tid},
                                             {"name", "Read"},
                                             {"input", bj::object{{"path", "src/" + words(rng, 1) + ".cpp"}}}}}}});
        c.messages.push_back(bj::object{
            {"role", "user"},
            {"content", bj::array{bj::object{{"type", "tool_result"}, {"tool_use_id", tid}, {"content", words(rng, 8)}}}}});
        return;
    }
    c.messages.push_back(bj::object{{"role", "assistant"}, {"content", words(rng, 5 + static_cast<int>(rng() % 8))}});
}

ir::Request to_request(const Conversation& c, int max_tokens) {
    bj::object o{{"model", "claude-sonnet-4-5"}, {"max_tokens", max_tokens}, {"temperature", 0}};
    o["system"] = bj::array{bj::object{{"type", "text"}, {"text", c.system}, {"cache_control", bj::object{{"type", "ephemeral"}}}}};
    if (c.with_tools) o["tools"] = bj::array{tool_def("Read")};
    o["messages"] = c.messages;
    return request_from_json(bj::serialize(o));
}

// The requests of one scenario, in order, plus where to restart the cached engine.
struct Scenario {
    std::vector<ir::Request> requests;
    std::size_t restart_before = SIZE_MAX;
    std::string kind;
};

Scenario make_scenario(int seed) {
    std::mt19937 rng(static_cast<uint32_t>(seed) * 2654435761u + 17);
    Scenario sc;
    const int max_tokens = 5;
    Conversation main;
    main.system = "Project rules: " + words(rng, 20);
    main.with_tools = rng() % 2 == 0;
    int id = 0;
    add_user(main, rng);
    switch (seed % 6) {
        case 0: {  // linear follow-ups
            sc.kind = "follow-ups";
            for (int t = 0; t < 3; ++t) {
                sc.requests.push_back(to_request(main, max_tokens));
                add_assistant(main, rng, id++);
                add_user(main, rng);
            }
            break;
        }
        case 1: {  // branch: same prefix, two different continuations
            sc.kind = "branch";
            add_assistant(main, rng, id++);
            add_user(main, rng);
            Conversation other = main;
            add_assistant(main, rng, id++);
            add_user(main, rng);
            add_assistant(other, rng, id++);
            add_user(other, rng);
            sc.requests = {to_request(main, max_tokens), to_request(other, max_tokens), to_request(main, max_tokens)};
            break;
        }
        case 2: {  // an edit in the middle of the conversation
            sc.kind = "edit";
            for (int t = 0; t < 3; ++t) {
                add_assistant(main, rng, id++);
                add_user(main, rng);
            }
            sc.requests.push_back(to_request(main, max_tokens));
            // Rewrite the middle-most plain user message (tool results stay paired with their calls).
            Conversation edited = main;
            std::size_t mid = edited.messages.size() / 2;
            for (std::size_t k = mid; k-- > 0;) {
                auto& m = edited.messages[k].as_object();
                if (m.at("role") == "user" && m.at("content").is_string()) {
                    m["content"] = words(rng, 7);
                    break;
                }
            }
            sc.requests.push_back(to_request(edited, max_tokens));
            break;
        }
        case 3: {  // side requests between turns
            sc.kind = "side";
            Conversation side;
            side.system = "Generate a short title: " + words(rng, 4);
            add_user(side, rng);
            for (int t = 0; t < 2; ++t) {
                sc.requests.push_back(to_request(main, max_tokens));
                sc.requests.push_back(to_request(side, max_tokens));
                add_assistant(main, rng, id++);
                add_user(main, rng);
            }
            sc.requests.push_back(to_request(main, max_tokens));
            break;
        }
        case 4: {  // several conversations interleaved: evictions to RAM and disk
            sc.kind = "evict";
            std::vector<Conversation> convs(3, main);
            for (auto& c : convs) {
                c.system = "Repository " + words(rng, 12);
                c.messages.clear();
                add_user(c, rng);
            }
            for (int round = 0; round < 2; ++round)
                for (auto& c : convs) {
                    sc.requests.push_back(to_request(c, max_tokens));
                    add_assistant(c, rng, id++);
                    add_user(c, rng);
                }
            break;
        }
        default: {  // restart between turns: the disk tier carries the prefix
            sc.kind = "restart";
            sc.requests.push_back(to_request(main, max_tokens));
            add_assistant(main, rng, id++);
            add_user(main, rng);
            sc.restart_before = 1;
            sc.requests.push_back(to_request(main, max_tokens));
            break;
        }
    }
    return sc;
}

engine::EngineOptions cached_options(const std::string& dir) {
    auto o = tiny_engine_options(dir, 2);      // two sequences: conversations compete for them
    o.cache.ram_budget_bytes = 2ull << 20;     // ~2 MiB of RAM snapshots: evictions reach the disk tier
    o.n_batch = 64;                            // prefill in several chunks
    return o;
}

}  // namespace

TEST(Fidelity, CachedGreedyOutputEqualsUncachedOver200Scenarios) {
    constexpr int kScenarios = 204;
    auto ref_opt = tiny_engine_options(fresh_dir("kv-ref"), 1);
    ref_opt.prompt_cache = false;
    ref_opt.cache.disk_dir.clear();
    engine::Engine reference(ref_opt);

    std::string dir = fresh_dir("kv-fidelity");
    auto engine = std::make_unique<engine::Engine>(cached_options(dir));
    int compared = 0, reused_requests = 0, mismatches = 0;
    std::map<std::string, int> reused_by_kind;
    for (int seed = 0; seed < kScenarios; ++seed) {
        Scenario sc = make_scenario(seed);
        for (std::size_t i = 0; i < sc.requests.size(); ++i) {
            if (i == sc.restart_before) {
                engine.reset();  // shutdown writes the sequences to disk
                engine = std::make_unique<engine::Engine>(cached_options(dir));
            }
            auto want = run_job(reference, sc.requests[i]);
            auto got = run_job(*engine, sc.requests[i]);
            ASSERT_TRUE(want.ok()) << want.error();
            ASSERT_TRUE(got.ok()) << got.error();
            EXPECT_EQ(want.job->reused_tokens, 0u);
            if (got.job->reused_tokens > 0) {
                ++reused_requests;
                ++reused_by_kind[sc.kind + "/" + engine::to_string(got.job->reused_from)];
            }
            if (got.job->output_tokens != want.job->output_tokens) {
                ++mismatches;
                ADD_FAILURE() << "scenario " << seed << " (" << sc.kind << ") request " << i << ": reused "
                              << got.job->reused_tokens << " from " << engine::to_string(got.job->reused_from);
            }
            ++compared;
        }
    }
    std::string kinds;
    for (auto& [k, n] : reused_by_kind) kinds += " " + k + "=" + std::to_string(n);
    std::printf("fidelity: %d requests compared in %d scenarios, %d reused a cached prefix (%s), %d mismatches\n",
                compared, kScenarios, reused_requests, kinds.c_str(), mismatches);
    EXPECT_EQ(mismatches, 0);
    // The scenarios really exercised every tier.
    auto st = engine->stats();
    EXPECT_GT(reused_requests, compared / 3);
    EXPECT_GT(reused_by_kind["evict/ram"] + reused_by_kind["evict/disk"], 0) << kinds;
    EXPECT_GT(reused_by_kind["restart/disk"], 0) << kinds;
    (void)st;
}
