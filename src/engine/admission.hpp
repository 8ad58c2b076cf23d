// Admission of a request into one of the engine's sequences, as a plan: given what each sequence
// holds and the prompt cache's deepest match, it says which sequence takes the request, how the
// prompt's prefix is reused (continue in place, copy a live prefix, restore a snapshot, or compute
// fresh), which idle sequence first gives up its tokens to the RAM tier, or that the request must
// wait. No llama.cpp calls and no state: the engine executes the plan (engine.cpp) and this file
// is tested on its own (tests/engine/admission_test.cpp).
//
// The rules, each from a measured failure of the one-rule admission that came before:
//   - A request continues in place only in its own conversation: a sequence whose last prompt is
//     wholly a prefix of this one. Another conversation that merely shares a prefix (a second
//     session in the same repository: 9,620 tokens of tools+system) gets that prefix by copy into
//     another sequence; continuing in place had displaced the first session, which then recomputed.
//   - Room is made by giving up idle sequences only, in this order: side requests, subagents, main
//     conversations; least recently used first within each. A running request is never displaced.
//   - When another running request is still computing a prefix this one shares (parallel subagents
//     with the same system prompt and tools), this one waits and copies it, instead of computing
//     the same thousands of tokens a second time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/prompt_cache.hpp"
#include "ir/request.hpp"
#include "ir/usage.hpp"

namespace anyclaude::engine {

// What kind of conversation a sequence serves; the order is the order of eviction.
enum class SeqRole { side = 0, subagent = 1, main = 2 };

// Side request (ir::is_side_request), subagent (ir::Request::subagent) or main conversation.
inline SeqRole role_of(const ir::Request& r) {
    return ir::is_side_request(r) ? SeqRole::side : r.subagent ? SeqRole::subagent : SeqRole::main;
}

// One sequence as admission sees it.
struct SequenceView {
    std::size_t tokens = 0;      // cells it holds (computed)
    std::size_t common = 0;      // common prefix of those cells' tokens with the new prompt
    std::size_t prompt_len = 0;  // length of the prompt last admitted into it (0: none)
    bool busy = false;           // a request runs on it
    std::size_t shared = 0;      // busy: common prefix of its running prompt with the new prompt
    SeqRole role = SeqRole::main;
    uint64_t last_used = 0;
};

struct AdmissionRequest {
    std::size_t prompt_len = 0;
    CacheMatch best;  // the deepest match in any tier (PromptCache::find)
    bool prompt_cache = true;
};

enum class AdmitAction { continue_in_place, copy_live, restore, fresh, wait };
const char* to_string(AdmitAction a);

struct AdmissionPlan {
    AdmitAction action = AdmitAction::wait;
    int target = -1;            // the sequence that takes the request
    int source = -1;            // copy_live: the sequence whose cells are copied
    uint64_t snapshot_id = 0;   // restore: which snapshot
    std::size_t reuse = 0;      // prompt tokens the plan reuses
    int victim = -1;            // a sequence whose tokens go to the RAM tier first (the target, or -1)
    bool keep_old_tail = false;  // continue_in_place: snapshot the tokens being cut first (a branch)
};

// Tuning, with the reasons.
struct AdmissionTuning {
    std::size_t protect_tail = 512;     // a sequence losing more than this is snapshotted first
    std::size_t min_snapshot = 32;      // a snapshot must beat a live prefix by this much to be restored instead
    // A prefix being computed elsewhere is waited for when it saves at least this much. At 256 a
    // second subagent copied 512 of the first's 734-token prefix mid-prefill and computed the
    // other 222 again (engine_test ConcurrentSubagentsComputeTheirSharedPrefixOnce); the wait
    // lasts at most the time the first takes to finish that prefix.
    std::size_t worth_waiting = 64;
};

AdmissionPlan plan_admission(const std::vector<SequenceView>& seqs, const AdmissionRequest& req,
                             const AdmissionTuning& tuning = {});

// The idle sequence to give up (except `except`; optionally only one holding tokens), or -1:
// side requests first, then subagents, then main conversations, least recently used first.
int pick_victim(const std::vector<SequenceView>& seqs, int except, bool holding_tokens);

// Usage as Anthropic reports it: cache_read = reused, cache_creation = the tokens from there to
// the last cache_control breakpoint, input = the rest.
ir::Usage admission_usage(std::size_t prompt_len, std::size_t reused, const std::vector<std::size_t>& breakpoints);

}  // namespace anyclaude::engine
