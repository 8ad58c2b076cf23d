// Which backend of a fleet answers a request: a pure decision, no I/O and no clock of its own
// (every call that depends on time is given `now`). Not thread-safe: the gateway's one I/O
// thread owns it (fleet_backend.hpp).
//
// Conversations (policy affinity): a consistent-hash ring with virtual nodes (weight w gives w
// times as many points) maps a conversation key (ir/conversation_key.hpp) to a backend, so every
// turn and every restart of the gateway picks the same one while the fleet is unchanged, and
// adding or removing one backend moves only its share. Bounded load: walking the ring clockwise,
// a backend already holding more than (1 + load_slack) times its weighted share of the requests
// in flight is passed over for the next one. Once placed, a conversation is pinned (its prompt
// cache lives there): later turns go back to it while it is healthy, even when it is busy,
// because moving costs a whole prefill of the conversation; a pinned conversation moves only
// when its backend is ejected (or no longer serves its model), and each move is counted.
// Side requests: least loaded (weighted), never pinned.
// Policies round-robin and least-loaded ignore the key (benchmark baselines).
//
// Health: a backend is ejected on a failed request (connection error, 5xx: passive) or after
// `checks_to_eject` failed health checks in a row (active); it returns only when a health check
// answers again. When every allowed backend is ejected the ring's own choice is returned anyway
// (`all_down`), so that a request can still try and fail with the backend's own error.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace anyclaude::fleet {

using Clock = std::chrono::steady_clock;
using Time = Clock::time_point;

enum class Policy { affinity, round_robin, least_loaded };

struct RouterOptions {
    Policy policy = Policy::affinity;
    int points_per_weight = 64;  // virtual nodes on the ring per unit of weight
    double load_slack = 0.25;    // bounded load: (1 + load_slack) x the weighted average in flight
    int checks_to_eject = 2;     // failed health checks in a row before a backend is ejected
    std::size_t max_pins = 50000;  // pinned conversations kept (least recently used dropped)
};

struct MemberState {
    bool healthy = true;
    int in_flight = 0;
    std::size_t pinned = 0;     // conversations pinned here now
    uint64_t requests = 0;      // requests routed here
    uint64_t failures = 0;      // failed requests (passive) and failed checks (active)
    uint64_t ejections = 0;
    uint64_t moved_in = 0, moved_out = 0;  // pinned conversations moved here / away
    int failed_checks = 0;      // health checks failed in a row
};

// What pick() decided.
struct Pick {
    int index = -1;          // -1 only when no backend is allowed at all
    bool moved = false;      // the conversation was pinned elsewhere and moves here
    int from = -1;           // where it was pinned (moved)
    bool all_down = false;   // every allowed backend is ejected
};

// A backend as the ring knows it: its points are placed by name (its URL), so the same fleet
// in another order, or another gateway in front of it, maps keys the same way.
struct Member {
    std::string name;
    int weight = 1;  // >= 1
};

class Router {
public:
    explicit Router(std::vector<Member> members, RouterOptions opt = {});

    // A conversation's turn. allowed (optional, one flag per backend): the backends that serve
    // its model; avoid: a backend not to pick (a retry's failed one), -1 for none.
    Pick pick(uint64_t key, Time now, const std::vector<bool>* allowed = nullptr, int avoid = -1);
    // A side request: the least loaded allowed healthy backend.
    Pick pick_any(const std::vector<bool>* allowed = nullptr, int avoid = -1);

    void started(int i);   // a request went to backend i
    void finished(int i);  // ... and ended (any way)

    // Passive: a request failed on i (transport error, 5xx). Ejects it; true if it was healthy.
    bool request_failed(int i, Time now);
    // Active: a health check of i answered (true) or not. Returns true when the state changed.
    bool check_result(int i, bool ok, Time now);

    std::size_t size() const { return members_.size(); }
    const MemberState& state(int i) const { return members_.at(static_cast<std::size_t>(i)); }
    uint64_t moves() const { return moves_; }
    // Where key is pinned (-1: nowhere).
    int pinned_to(uint64_t key) const;

private:
    struct Pin {
        int index;
        Time used;
    };
    bool usable(int i, const std::vector<bool>* allowed, int avoid, bool need_healthy) const;
    bool under_bound(int i) const;
    int ring_walk(uint64_t key, const std::vector<bool>* allowed, int avoid, bool bounded, bool need_healthy) const;
    void pin(uint64_t key, int index, Time now);
    void trim_pins();
    Pick pick_by_policy(const std::vector<bool>* allowed, int avoid);

    RouterOptions opt_;
    std::vector<Member> config_;
    int total_weight_ = 0;
    std::vector<MemberState> members_;
    std::vector<std::pair<uint64_t, int>> ring_;  // (point, backend), sorted by point
    std::map<uint64_t, Pin> pins_;
    uint64_t moves_ = 0;
    uint64_t round_robin_ = 0;
};

const char* to_string(Policy p);

}  // namespace anyclaude::fleet
