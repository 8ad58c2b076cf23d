// The admission planner on its own (no model): a table of situations, one row per action and
// rule, each with the plan it must give; then the victim order and the usage split.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/admission.hpp"

using namespace anyclaude::engine;

namespace {

// Shorthands for a sequence's state.
SequenceView idle(std::size_t tokens, std::size_t common, std::size_t prompt_len, uint64_t used,
                  SeqRole role = SeqRole::main) {
    SequenceView v;
    v.tokens = tokens;
    v.common = common;
    v.prompt_len = prompt_len;
    v.last_used = used;
    v.role = role;
    return v;
}
SequenceView empty() { return {}; }
SequenceView busy(std::size_t tokens, std::size_t common, std::size_t shared, uint64_t used = 50) {
    SequenceView v = idle(tokens, common, tokens, used);
    v.busy = true;
    v.shared = shared;
    return v;
}
CacheMatch snapshot(Tier tier, std::size_t length, uint64_t id = 7) {
    CacheMatch m;
    m.tier = tier;
    m.length = length;
    m.snapshot_id = id;
    return m;
}

struct Row {
    std::string name;
    std::vector<SequenceView> seqs;
    std::size_t prompt_len;
    CacheMatch best;
    AdmitAction action;
    int target, source, victim;
    std::size_t reuse;
    bool keep_old_tail = false;
};

const std::vector<Row> kRows = {
    // name, sequences, prompt, best snapshot, action, target, source, victim, reuse, keep tail
    {"FreshIntoAFreeSequence", {idle(800, 0, 700, 1), empty()}, 1000, {}, AdmitAction::fresh, 1, -1, -1, 0},
    {"FollowUpContinuesItsOwnConversation", {idle(800, 780, 700, 1), empty()}, 1000, {},
     AdmitAction::continue_in_place, 0, -1, -1, 780},
    // Session B shares A's 600-token tools+system prefix: copied into a free sequence, A stays.
    {"AnotherConversationCopiesTheSharedPrefix", {idle(800, 600, 700, 1), empty()}, 1000, {},
     AdmitAction::copy_live, 1, 0, -1, 600},
    // No free sequence: the least recently used other conversation gives up its sequence.
    {"CopyEvictsTheLeastRecentlyUsedOther", {idle(800, 600, 700, 3), idle(500, 0, 400, 1), idle(500, 0, 400, 2)}, 1000,
     {}, AdmitAction::copy_live, 1, 0, 1, 600},
    // Only the source is idle: it is taken over in place, its old tail snapshotted when long.
    {"CopyWithNoOtherIdleSequenceTakesTheSource", {idle(2000, 600, 1900, 1), busy(500, 0, 0)}, 1000, {},
     AdmitAction::continue_in_place, 0, -1, -1, 600, true},
    // Even a short other conversation taken over is kept (engine_test ShutdownWrites...: one
    // sequence, session B had dropped session A's 104 tokens).
    {"TakingOverAShortOtherConversationKeepsIt", {idle(104, 3, 100, 1)}, 79, {}, AdmitAction::continue_in_place, 0, -1,
     -1, 3, true},
    // A branch of the own conversation that cuts more than protect_tail keeps the old tail.
    {"BranchKeepsTheOldTail", {idle(3000, 1000, 1000, 1)}, 1200, {}, AdmitAction::continue_in_place, 0, -1, -1, 1000,
     true},
    {"RestoreFromRamIntoAFreeSequence", {idle(800, 10, 700, 1), empty()}, 1000, snapshot(Tier::ram, 900),
     AdmitAction::restore, 1, -1, -1, 900},
    {"RestoreFromDiskAfterARestart", {empty(), empty()}, 1000, snapshot(Tier::disk, 950), AdmitAction::restore, 0, -1, -1,
     950},
    // A deeper snapshot of the own conversation is restored into its own sequence.
    {"DeeperSnapshotRestoredInPlace", {idle(400, 400, 400, 1), empty()}, 1000, snapshot(Tier::ram, 900),
     AdmitAction::restore, 0, -1, -1, 900},
    // A snapshot barely deeper than the live prefix is not worth a restore.
    {"LivePrefixBeatsASlightlyDeeperSnapshot", {idle(800, 780, 700, 1)}, 1000, snapshot(Tier::ram, 790),
     AdmitAction::continue_in_place, 0, -1, -1, 780},
    // A subagent arrives while another is still computing the shared 6,000-token prefix: wait.
    {"WaitsForAPrefixBeingComputed", {busy(2000, 2000, 6000), empty()}, 7000, {}, AdmitAction::wait, -1, -1, -1, 0},
    // Once that prefix is computed, it is copied from the running sequence.
    {"CopiesFromARunningSequence", {busy(6500, 6000, 6000), empty()}, 7000, {}, AdmitAction::copy_live, 1, 0, -1, 6000},
    // Nothing to gain from waiting: a short shared prefix is computed again.
    {"DoesNotWaitForASmallGain", {busy(10, 10, 60), empty()}, 7000, {}, AdmitAction::copy_live, 1, 0, -1, 10},
    {"EverySequenceBusyWaits", {busy(500, 0, 0), busy(500, 0, 0)}, 1000, {}, AdmitAction::wait, -1, -1, -1, 0},
    // Victim order: the side request's sequence before a subagent's before a main conversation's.
    {"SideSequenceGivesWayFirst",
     {idle(900, 0, 900, 1, SeqRole::main), idle(300, 0, 300, 5, SeqRole::side), idle(700, 0, 700, 2, SeqRole::subagent)},
     1000, {}, AdmitAction::fresh, 1, -1, 1, 0},
    {"SubagentGivesWayBeforeMain",
     {idle(900, 0, 900, 1, SeqRole::main), idle(700, 0, 700, 2, SeqRole::subagent)}, 1000, {}, AdmitAction::fresh, 1, -1,
     1, 0},
};

class AdmissionTable : public testing::TestWithParam<Row> {};

TEST_P(AdmissionTable, Plan) {
    const Row& r = GetParam();
    AdmissionRequest req;
    req.prompt_len = r.prompt_len;
    req.best = r.best;
    AdmissionPlan p = plan_admission(r.seqs, req);
    EXPECT_EQ(to_string(p.action), std::string(to_string(r.action)));
    EXPECT_EQ(p.target, r.target);
    EXPECT_EQ(p.source, r.source);
    EXPECT_EQ(p.victim, r.victim);
    EXPECT_EQ(p.reuse, r.reuse);
    EXPECT_EQ(p.keep_old_tail, r.keep_old_tail);
    if (p.action == AdmitAction::restore) EXPECT_EQ(p.snapshot_id, r.best.snapshot_id);
}

INSTANTIATE_TEST_SUITE_P(Admission, AdmissionTable, testing::ValuesIn(kRows),
                         [](const testing::TestParamInfo<Row>& info) { return info.param.name; });

}  // namespace

TEST(Admission, CacheOffAlwaysComputesFresh) {
    AdmissionRequest req;
    req.prompt_len = 1000;
    req.prompt_cache = false;
    AdmissionPlan p = plan_admission({idle(800, 780, 700, 1), empty()}, req);
    EXPECT_EQ(p.action, AdmitAction::fresh);
    EXPECT_EQ(p.target, 1);
    EXPECT_EQ(p.reuse, 0u);
}

TEST(Admission, VictimIsNeverBusyNorTheExcludedOne) {
    std::vector<SequenceView> seqs = {busy(100, 0, 0, 0), idle(100, 0, 100, 9), idle(100, 0, 100, 4), empty()};
    EXPECT_EQ(pick_victim(seqs, -1, true), 2);    // least recently used of those holding tokens
    EXPECT_EQ(pick_victim(seqs, 2, true), 1);
    EXPECT_EQ(pick_victim(seqs, -1, false), 3);   // the empty one was used longest ago (0)
    EXPECT_EQ(pick_victim({busy(1, 0, 0)}, -1, false), -1);
}

TEST(Admission, UsageSplitsAtTheLastBreakpoint) {
    auto u = admission_usage(1000, 300, {200, 800, 1200});  // 1200 is past the prompt: ignored
    EXPECT_EQ(u.cache_read_input_tokens, 300);
    EXPECT_EQ(u.cache_creation_input_tokens, 500);
    EXPECT_EQ(u.input_tokens, 200);
    EXPECT_EQ(u.prompt_tokens(), 1000);
    auto past = admission_usage(1000, 900, {800});  // reused beyond the breakpoint: nothing created
    EXPECT_EQ(past.cache_creation_input_tokens, 0);
    EXPECT_EQ(past.input_tokens, 100);
}
