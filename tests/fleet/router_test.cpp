// The fleet's router (src/fleet/router.hpp), driven directly with keys and times: stickiness,
// weights, bounded load, ejection and return, and the counting of moves.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "fleet/router.hpp"

using namespace anyclaude::fleet;

namespace {

std::vector<Member> three(int w0 = 1, int w1 = 1, int w2 = 1) {
    return {{"http://a:8080/v1", w0}, {"http://b:8080/v1", w1}, {"http://c:8080/v1", w2}};
}

uint64_t key_of(int n) { return 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(n + 1); }

const Time t0 = Time{} + std::chrono::hours(1);

}  // namespace

TEST(Router, AConversationStaysOnOneBackendAcrossTurnsAndRestarts) {
    Router r(three());
    std::map<uint64_t, int> first;
    for (int c = 0; c < 50; ++c) first[key_of(c)] = r.pick(key_of(c), t0).index;
    for (int turn = 1; turn < 5; ++turn)
        for (int c = 0; c < 50; ++c) EXPECT_EQ(r.pick(key_of(c), t0).index, first[key_of(c)]) << "turn " << turn;
    Router restarted(three());  // a gateway restart: no pins, same ring
    for (int c = 0; c < 50; ++c) EXPECT_EQ(restarted.pick(key_of(c), t0).index, first[key_of(c)]);
    std::set<int> used;
    for (auto& [k, i] : first) used.insert(i);
    EXPECT_EQ(used.size(), 3u) << "50 conversations use every backend";
}

TEST(Router, TheRingFollowsNamesNotOrder) {
    Router r(three());
    auto m = three();
    std::reverse(m.begin(), m.end());
    Router reversed(m);
    for (int c = 0; c < 100; ++c) EXPECT_EQ(r.pick(key_of(c), t0).index, 2 - reversed.pick(key_of(c), t0).index);
}

TEST(Router, AddingABackendMovesOnlyItsShare) {
    Router r(three());
    auto four = three();
    four.push_back({"http://d:8080/v1", 1});
    Router bigger(four);
    int moved = 0;
    const int n = 4000;
    for (int c = 0; c < n; ++c)
        if (r.pick(key_of(c), t0).index != bigger.pick(key_of(c), t0).index) ++moved;
    EXPECT_NEAR(static_cast<double>(moved) / n, 0.25, 0.06);
}

TEST(Router, WeightsSpreadConversations) {
    struct Row {
        std::vector<int> weights;
    };
    for (const Row& row : {Row{{1, 1, 1}}, Row{{1, 2, 1}}, Row{{3, 1, 1}}, Row{{1, 1, 4}}}) {
        Router r(three(row.weights[0], row.weights[1], row.weights[2]));
        std::vector<int> count(3, 0);
        const int n = 20000;
        for (int c = 0; c < n; ++c) ++count[static_cast<std::size_t>(r.pick(key_of(c), t0).index)];
        const int total = row.weights[0] + row.weights[1] + row.weights[2];
        for (int i = 0; i < 3; ++i)
            EXPECT_NEAR(static_cast<double>(count[static_cast<std::size_t>(i)]) / n,
                        static_cast<double>(row.weights[static_cast<std::size_t>(i)]) / total, 0.05)
                << "backend " << i << " of weights " << row.weights[0] << "," << row.weights[1] << "," << row.weights[2];
    }
}

TEST(Router, BoundedLoadSpillsToTheNextOnTheRing) {
    struct Row {
        double slack;
        int conversations;
    };
    for (const Row& row : {Row{0.0, 30}, Row{0.25, 30}, Row{0.25, 20}, Row{1.0, 40}}) {
        RouterOptions o;
        o.load_slack = row.slack;
        Router r(three(), o);
        int spilled = 0;
        for (int c = 0; c < row.conversations; ++c) {
            const Pick p = r.pick(key_of(c), t0);
            Router fresh(three(), o);
            if (fresh.pick(key_of(c), t0).index != p.index) ++spilled;
            r.started(p.index);
            int in_flight = 0;
            for (int i = 0; i < 3; ++i) in_flight += r.state(i).in_flight;
            const int bound = static_cast<int>(std::ceil((1.0 + row.slack) * in_flight / 3.0));
            for (int i = 0; i < 3; ++i) EXPECT_LE(r.state(i).in_flight, bound) << "slack " << row.slack << " after " << c;
        }
        if (row.slack == 0.0) EXPECT_GT(spilled, 0) << "a tight bound must spill some";
        EXPECT_EQ(r.moves(), 0u) << "a spill of a new conversation is no move";
    }
}

TEST(Router, PinnedConversationsStayEvenWhenBusy) {
    Router r(three());
    const int home = r.pick(key_of(1), t0).index;
    for (int n = 0; n < 10; ++n) r.started(home);
    EXPECT_EQ(r.pick(key_of(1), t0).index, home);
    EXPECT_EQ(r.moves(), 0u);
}

TEST(Router, EjectionAndReturn) {
    // Each row: events on backend 1, then whether it is healthy.
    enum Ev { check_fail, check_ok, request_fail };
    struct Row {
        const char* name;
        std::vector<Ev> events;
        bool healthy;
        uint64_t ejections;
    };
    const std::vector<Row> rows = {
        {"one failed check is not enough", {check_fail}, true, 0},
        {"two failed checks eject", {check_fail, check_fail}, false, 1},
        {"a good check in between resets the count", {check_fail, check_ok, check_fail}, true, 0},
        {"a failed request ejects at once", {request_fail}, false, 1},
        {"a good check brings it back", {request_fail, check_ok}, true, 1},
        {"failures while ejected are not new ejections", {request_fail, request_fail, check_fail, check_fail}, false, 1},
        {"back, then ejected again", {check_fail, check_fail, check_ok, request_fail}, false, 2},
    };
    for (const auto& row : rows) {
        Router r(three());
        for (Ev e : row.events) {
            if (e == request_fail) r.request_failed(1, t0);
            else r.check_result(1, e == check_ok, t0);
        }
        EXPECT_EQ(r.state(1).healthy, row.healthy) << row.name;
        EXPECT_EQ(r.state(1).ejections, row.ejections) << row.name;
        if (!row.healthy)
            for (int c = 0; c < 200; ++c) EXPECT_NE(r.pick(key_of(c), t0).index, 1) << row.name;
    }
}

TEST(Router, MovesAreCountedOnceAndStick) {
    Router r(three());
    const uint64_t k = key_of(7);
    const int home = r.pick(k, t0).index;
    r.request_failed(home, t0);
    const Pick moved = r.pick(k, t0);
    EXPECT_TRUE(moved.moved);
    EXPECT_EQ(moved.from, home);
    EXPECT_NE(moved.index, home);
    EXPECT_EQ(r.moves(), 1u);
    EXPECT_EQ(r.state(home).moved_out, 1u);
    EXPECT_EQ(r.state(moved.index).moved_in, 1u);
    EXPECT_EQ(r.pinned_to(k), moved.index);
    EXPECT_FALSE(r.pick(k, t0).moved);
    r.check_result(home, true, t0);  // the old home returns: the conversation's cache is elsewhere now
    EXPECT_EQ(r.pick(k, t0).index, moved.index);
    EXPECT_EQ(r.moves(), 1u);
    EXPECT_EQ(r.state(home).pinned, 0u);
    EXPECT_EQ(r.state(moved.index).pinned, 1u);
    // New conversations use the returned backend again.
    bool used = false;
    for (int c = 100; c < 200 && !used; ++c) used = r.pick(key_of(c), t0).index == home;
    EXPECT_TRUE(used);
}

TEST(Router, ARetryAvoidsTheFailedBackend) {
    Router r(three());
    const int home = r.pick(key_of(3), t0).index;
    const Pick retry = r.pick(key_of(3), t0, nullptr, home);
    EXPECT_NE(retry.index, home);
    EXPECT_TRUE(retry.moved);
}

TEST(Router, AllowedBackendsOnly) {
    Router r(three());
    const std::vector<bool> only_c = {false, false, true};
    for (int c = 0; c < 50; ++c) EXPECT_EQ(r.pick(key_of(c), t0, &only_c).index, 2);
    const std::vector<bool> none = {false, false, false};
    EXPECT_EQ(r.pick(key_of(1), t0, &none).index, -1);
    EXPECT_EQ(r.pick_any(&none).index, -1);
}

TEST(Router, AllDownStillAnswersWithTheRingsChoice) {
    Router r(three());
    const int home = r.pick(key_of(5), t0).index;
    for (int i = 0; i < 3; ++i) r.request_failed(i, t0);
    const Pick p = r.pick(key_of(5), t0);
    EXPECT_TRUE(p.all_down);
    EXPECT_GE(p.index, 0);
    EXPECT_EQ(r.pinned_to(key_of(5)), home) << "no pin moves to a dead backend";
}

TEST(Router, SideRequestsGoToTheLeastLoaded) {
    Router r(three(1, 2, 1));
    r.started(0);
    r.started(1);
    r.started(1);
    r.started(2);
    EXPECT_EQ(r.pick_any().index, 1) << "(2+1)/2 < (1+1)/1";
    r.request_failed(1, t0);
    EXPECT_EQ(r.pick_any().index, 0);
    EXPECT_EQ(r.pinned_to(0), -1);
}

TEST(Router, BaselinePolicies) {
    RouterOptions o;
    o.policy = Policy::round_robin;
    Router rr(three(), o);
    std::vector<int> seq;
    for (int c = 0; c < 6; ++c) seq.push_back(rr.pick(key_of(0), t0).index);
    EXPECT_EQ(seq, (std::vector<int>{0, 1, 2, 0, 1, 2}));
    o.policy = Policy::least_loaded;
    Router ll(three(), o);
    ll.started(0);
    EXPECT_EQ(ll.pick(key_of(0), t0).index, 1);
}

TEST(Router, PinsAreBoundedLeastRecentlyUsedFirst) {
    RouterOptions o;
    o.max_pins = 100;
    Router r(three(), o);
    for (int c = 0; c < 300; ++c) r.pick(key_of(c), t0 + std::chrono::seconds(c));
    std::size_t pinned = r.state(0).pinned + r.state(1).pinned + r.state(2).pinned;
    EXPECT_LE(pinned, 100u);
    EXPECT_NE(r.pinned_to(key_of(299)), -1);
    EXPECT_EQ(r.pinned_to(key_of(0)), -1);
}
