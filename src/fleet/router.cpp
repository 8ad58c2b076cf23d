// The fleet's routing decision (see router.hpp).
#include "fleet/router.hpp"

#include <algorithm>
#include <cmath>

#include "common/fnv1a.hpp"

namespace anyclaude::fleet {

namespace {

// splitmix64's finalizer: FNV-1a's low bits spread poorly, and ring points must be uniform.
uint64_t spread(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace

const char* to_string(Policy p) {
    switch (p) {
        case Policy::affinity: return "affinity";
        case Policy::round_robin: return "round-robin";
        case Policy::least_loaded: return "least-loaded";
    }
    return "?";
}

Router::Router(std::vector<Member> members, RouterOptions opt)
    : opt_(opt), config_(std::move(members)), members_(config_.size()) {
    for (std::size_t i = 0; i < config_.size(); ++i) {
        config_[i].weight = std::max(1, config_[i].weight);
        total_weight_ += config_[i].weight;
        const int points = config_[i].weight * std::max(1, opt_.points_per_weight);
        for (int v = 0; v < points; ++v)
            ring_.emplace_back(spread(fnv1a::hash(config_[i].name + "#" + std::to_string(v))), static_cast<int>(i));
    }
    std::sort(ring_.begin(), ring_.end());
}

bool Router::usable(int i, const std::vector<bool>* allowed, int avoid, bool need_healthy) const {
    if (i == avoid) return false;
    if (allowed && !(*allowed)[static_cast<std::size_t>(i)]) return false;
    return !need_healthy || members_[static_cast<std::size_t>(i)].healthy;
}

// Bounded load over the healthy backends: i takes one more request while it holds fewer than
// ceil((1 + slack) * (in flight + 1) * its weight / their weight).
bool Router::under_bound(int i) const {
    int in_flight = 0, weight = 0;
    for (std::size_t j = 0; j < members_.size(); ++j) {
        if (!members_[j].healthy) continue;
        in_flight += members_[j].in_flight;
        weight += config_[j].weight;
    }
    if (weight == 0) return true;
    const double share = static_cast<double>(in_flight + 1) * config_[static_cast<std::size_t>(i)].weight / weight;
    const auto cap = static_cast<int>(std::ceil((1.0 + opt_.load_slack) * share));
    return members_[static_cast<std::size_t>(i)].in_flight < cap;
}

// The first backend clockwise from the key's point that passes the filters (-1: none).
int Router::ring_walk(uint64_t key, const std::vector<bool>* allowed, int avoid, bool bounded,
                      bool need_healthy) const {
    if (ring_.empty()) return -1;
    const uint64_t point = spread(key);
    auto start = std::lower_bound(ring_.begin(), ring_.end(), std::make_pair(point, -1));
    std::vector<bool> seen(members_.size(), false);
    std::size_t distinct = 0;
    for (std::size_t n = 0; n < ring_.size() && distinct < members_.size(); ++n) {
        auto it = start + static_cast<std::ptrdiff_t>(n);
        if (it >= ring_.end()) it -= static_cast<std::ptrdiff_t>(ring_.size());
        const int i = it->second;
        if (seen[static_cast<std::size_t>(i)]) continue;
        seen[static_cast<std::size_t>(i)] = true;
        ++distinct;
        if (usable(i, allowed, avoid, need_healthy) && (!bounded || under_bound(i))) return i;
    }
    return -1;
}

Pick Router::pick(uint64_t key, Time now, const std::vector<bool>* allowed, int avoid) {
    if (opt_.policy != Policy::affinity) return pick_by_policy(allowed, avoid);
    Pick out;
    auto pinned = pins_.find(key);
    if (pinned != pins_.end() && usable(pinned->second.index, allowed, avoid, true)) {
        pinned->second.used = now;
        out.index = pinned->second.index;
        return out;
    }
    out.index = ring_walk(key, allowed, avoid, true, true);
    if (out.index < 0) out.index = ring_walk(key, allowed, avoid, false, true);
    if (out.index < 0) {
        // Nothing healthy: the ring's own choice (never the avoided one unless it is the only one).
        out.all_down = true;
        out.index = ring_walk(key, allowed, avoid, false, false);
        if (out.index < 0) out.index = ring_walk(key, allowed, -1, false, false);
        return out;
    }
    if (pinned != pins_.end() && pinned->second.index != out.index) {
        out.moved = true;
        out.from = pinned->second.index;
        ++moves_;
        ++members_[static_cast<std::size_t>(out.from)].moved_out;
        ++members_[static_cast<std::size_t>(out.index)].moved_in;
    }
    pin(key, out.index, now);
    return out;
}

Pick Router::pick_any(const std::vector<bool>* allowed, int avoid) {
    Pick out;
    for (bool need_healthy : {true, false}) {
        double best = 0;
        for (std::size_t i = 0; i < members_.size(); ++i) {
            if (!usable(static_cast<int>(i), allowed, avoid, need_healthy)) continue;
            const double load = (members_[i].in_flight + 1.0) / config_[i].weight;
            if (out.index < 0 || load < best) {
                out.index = static_cast<int>(i);
                best = load;
            }
        }
        if (out.index >= 0) {
            out.all_down = !need_healthy;
            return out;
        }
    }
    return out;
}

Pick Router::pick_by_policy(const std::vector<bool>* allowed, int avoid) {
    if (opt_.policy == Policy::least_loaded) return pick_any(allowed, avoid);
    const std::size_t n = members_.size();
    for (std::size_t step = 0; step < n; ++step) {
        const int i = static_cast<int>(round_robin_++ % n);
        if (usable(i, allowed, avoid, true)) return {i, false, -1, false};
    }
    return pick_any(allowed, avoid);
}

void Router::pin(uint64_t key, int index, Time now) {
    auto [it, fresh] = pins_.try_emplace(key, Pin{index, now});
    if (!fresh) {
        --members_[static_cast<std::size_t>(it->second.index)].pinned;
        it->second = {index, now};
    }
    ++members_[static_cast<std::size_t>(index)].pinned;
    if (pins_.size() > opt_.max_pins) trim_pins();
}

// Drops the least recently used tenth of the pins (a dropped conversation goes back to its ring
// place, usually the same backend).
void Router::trim_pins() {
    std::vector<Time> used;
    used.reserve(pins_.size());
    for (const auto& [k, p] : pins_) used.push_back(p.used);
    auto cut = used.begin() + static_cast<std::ptrdiff_t>(used.size() / 10);
    std::nth_element(used.begin(), cut, used.end());
    const Time limit = *cut;
    for (auto it = pins_.begin(); it != pins_.end();) {
        if (it->second.used < limit) {
            --members_[static_cast<std::size_t>(it->second.index)].pinned;
            it = pins_.erase(it);
        } else {
            ++it;
        }
    }
}

int Router::pinned_to(uint64_t key) const {
    auto it = pins_.find(key);
    return it == pins_.end() ? -1 : it->second.index;
}

void Router::started(int i) {
    auto& m = members_.at(static_cast<std::size_t>(i));
    ++m.in_flight;
    ++m.requests;
}

void Router::finished(int i) { --members_.at(static_cast<std::size_t>(i)).in_flight; }

bool Router::request_failed(int i, Time) {
    auto& m = members_.at(static_cast<std::size_t>(i));
    ++m.failures;
    if (!m.healthy) return false;
    m.healthy = false;
    ++m.ejections;
    return true;
}

bool Router::check_result(int i, bool ok, Time) {
    auto& m = members_.at(static_cast<std::size_t>(i));
    if (ok) {
        m.failed_checks = 0;
        if (m.healthy) return false;
        m.healthy = true;
        return true;
    }
    ++m.failures;
    ++m.failed_checks;
    if (!m.healthy || m.failed_checks < opt_.checks_to_eject) return false;
    m.healthy = false;
    ++m.ejections;
    return true;
}

}  // namespace anyclaude::fleet
