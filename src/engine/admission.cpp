// Admission planning (see admission.hpp).
#include "engine/admission.hpp"

#include <algorithm>

namespace anyclaude::engine {

const char* to_string(AdmitAction a) {
    switch (a) {
        case AdmitAction::continue_in_place: return "continue";
        case AdmitAction::copy_live: return "copy";
        case AdmitAction::restore: return "restore";
        case AdmitAction::fresh: return "fresh";
        case AdmitAction::wait: return "wait";
    }
    return "?";
}

int pick_victim(const std::vector<SequenceView>& seqs, int except, bool holding_tokens) {
    int victim = -1;
    for (int i = 0; i < static_cast<int>(seqs.size()); ++i) {
        const SequenceView& s = seqs[static_cast<std::size_t>(i)];
        if (i == except || s.busy || (holding_tokens && s.tokens == 0)) continue;
        if (victim < 0) {
            victim = i;
            continue;
        }
        const SequenceView& v = seqs[static_cast<std::size_t>(victim)];
        if (s.role != v.role ? s.role < v.role : s.last_used < v.last_used) victim = i;
    }
    return victim;
}

namespace {

int free_sequence(const std::vector<SequenceView>& seqs) {
    for (int i = 0; i < static_cast<int>(seqs.size()); ++i)
        if (!seqs[static_cast<std::size_t>(i)].busy && seqs[static_cast<std::size_t>(i)].tokens == 0) return i;
    return -1;
}

// A sequence for a request that does not continue in place: a free one, else a victim (never
// `keep`, the copy source, unless nothing else is idle).
void place(const std::vector<SequenceView>& seqs, int keep, AdmissionPlan& plan) {
    plan.target = free_sequence(seqs);
    if (plan.target >= 0) return;
    plan.target = pick_victim(seqs, keep, false);
    if (plan.target >= 0) plan.victim = plan.target;
}

// The best live source: the idle sequence this request continues in place (its own
// conversation), and the sequence (idle or busy) sharing the longest computed prefix.
struct LiveChoice {
    int own = -1;
    int deepest = -1;
};

LiveChoice live_choice(const std::vector<SequenceView>& seqs) {
    LiveChoice c;
    for (int i = 0; i < static_cast<int>(seqs.size()); ++i) {
        const SequenceView& s = seqs[static_cast<std::size_t>(i)];
        if (s.common == 0) continue;
        if (c.deepest < 0 || s.common > seqs[static_cast<std::size_t>(c.deepest)].common) c.deepest = i;
        const bool own = !s.busy && s.prompt_len > 0 && s.common >= s.prompt_len;
        if (own && (c.own < 0 || s.common > seqs[static_cast<std::size_t>(c.own)].common)) c.own = i;
    }
    return c;
}

}  // namespace

AdmissionPlan plan_admission(const std::vector<SequenceView>& seqs, const AdmissionRequest& req,
                             const AdmissionTuning& tuning) {
    AdmissionPlan plan;
    if (!req.prompt_cache) {
        place(seqs, -1, plan);
        plan.action = plan.target >= 0 ? AdmitAction::fresh : AdmitAction::wait;
        return plan;
    }
    const LiveChoice live = live_choice(seqs);
    const std::size_t own = live.own >= 0 ? seqs[static_cast<std::size_t>(live.own)].common : 0;
    const std::size_t copyable = live.deepest >= 0 ? seqs[static_cast<std::size_t>(live.deepest)].common : 0;
    const bool snapshot = req.best.tier == Tier::ram || req.best.tier == Tier::disk;
    const std::size_t restorable = snapshot ? req.best.length : 0;
    const std::size_t best_now = std::max({own, copyable, restorable});

    // A prefix another running request is still computing: wait for it, then copy it.
    for (const SequenceView& s : seqs)
        if (s.busy && s.shared >= best_now + tuning.worth_waiting && s.tokens < s.shared) return plan;  // wait

    if (restorable > std::max(own, copyable) + tuning.min_snapshot) {
        plan.action = AdmitAction::restore;
        plan.snapshot_id = req.best.snapshot_id;
        plan.reuse = restorable;
        if (live.own >= 0) {
            plan.target = live.own;  // its own conversation's sequence, restored deeper
        } else {
            place(seqs, -1, plan);
        }
    } else if (live.own >= 0 && own >= copyable) {
        const SequenceView& s = seqs[static_cast<std::size_t>(live.own)];
        plan.action = AdmitAction::continue_in_place;
        plan.target = live.own;
        plan.reuse = own;
        plan.keep_old_tail = s.tokens > own + tuning.protect_tail;
    } else if (copyable > 0) {
        plan.action = AdmitAction::copy_live;
        plan.source = live.deepest;
        plan.reuse = copyable;
        place(seqs, live.deepest, plan);
        const SequenceView& src = seqs[static_cast<std::size_t>(live.deepest)];
        if (plan.target < 0 && !src.busy) {  // nothing else is idle: take over the source's sequence
            plan.action = AdmitAction::continue_in_place;
            plan.target = live.deepest;
            plan.source = -1;
            // Another conversation's tokens: kept in the RAM tier whatever their length (a branch of
            // the own conversation may drop up to protect_tail; this is not one).
            plan.keep_old_tail = src.tokens >= copyable + tuning.min_snapshot;
        }
    } else {
        plan.action = AdmitAction::fresh;
        place(seqs, -1, plan);
    }
    if (plan.target < 0) plan = {};  // every sequence runs a request: wait for one to finish
    return plan;
}

ir::Usage admission_usage(std::size_t prompt_len, std::size_t reused, const std::vector<std::size_t>& breakpoints) {
    std::size_t last_bp = 0;
    for (auto bp : breakpoints)
        if (bp <= prompt_len) last_bp = std::max(last_bp, bp);
    ir::Usage u;
    u.cache_read_input_tokens = static_cast<int64_t>(reused);
    u.cache_creation_input_tokens = static_cast<int64_t>(last_bp > reused ? last_bp - reused : 0);
    u.input_tokens = static_cast<int64_t>(prompt_len) - u.cache_read_input_tokens - u.cache_creation_input_tokens;
    return u;
}

}  // namespace anyclaude::engine
