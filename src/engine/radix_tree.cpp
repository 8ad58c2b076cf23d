// RadixTree: the compressed trie behind the prompt cache's index (see radix_tree.hpp).
#include "engine/radix_tree.hpp"

#include <algorithm>

namespace anyclaude::engine {

struct RadixTree::Node {
    Tokens edge;            // tokens from the parent to this node (empty only at the root)
    Node* parent = nullptr;
    std::unordered_map<Token, std::unique_ptr<Node>> children;  // by first token of their edge
    std::vector<uint64_t> ends;  // items whose tokens end exactly here
    std::size_t count = 0;       // items ending here or below
    uint64_t top[2] = {0, 0};    // the two best-ranked items here or below
    int ntop = 0;
};

namespace {

// Tokens of `edge` equal to prompt[from...], at most the edge's length.
std::size_t matched(const Tokens& edge, const Tokens& prompt, std::size_t from) {
    std::size_t n = std::min(edge.size(), prompt.size() - from), i = 0;
    while (i < n && edge[i] == prompt[from + i]) ++i;
    return i;
}

}  // namespace

RadixTree::RadixTree() : root_(std::make_unique<Node>()) {}
RadixTree::~RadixTree() = default;

bool RadixTree::contains(uint64_t key) const { return items_.count(key) > 0; }
std::size_t RadixTree::size() const { return items_.size(); }

Tokens RadixTree::tokens_of(uint64_t key) const {
    auto it = items_.find(key);
    if (it == items_.end()) return {};
    std::size_t n = 0;
    for (const Node* node = it->second.end; node; node = node->parent) n += node->edge.size();
    Tokens out(n);
    for (const Node* node = it->second.end; node; node = node->parent) {
        n -= node->edge.size();
        std::copy(node->edge.begin(), node->edge.end(), out.begin() + static_cast<std::ptrdiff_t>(n));
    }
    return out;
}

bool RadixTree::better(uint64_t a, uint64_t b) const {
    uint64_t ra = items_.at(a).rank, rb = items_.at(b).rank;
    return ra != rb ? ra > rb : a > b;
}

RadixTree::Walk RadixTree::walk(const Tokens& tokens) const {
    Node* node = root_.get();
    std::size_t i = 0;
    while (i < tokens.size()) {
        auto it = node->children.find(tokens[i]);
        if (it == node->children.end()) break;
        Node* child = it->second.get();
        std::size_t m = matched(child->edge, tokens, i);
        if (m < child->edge.size()) return {node, child, i + m, m};
        node = child;
        i += m;
    }
    return {node, nullptr, i, 0};
}

RadixTree::Node* RadixTree::split(Node* child, std::size_t keep) {
    Node* parent = child->parent;
    auto upper = std::make_unique<Node>();
    upper->edge.assign(child->edge.begin(), child->edge.begin() + keep);
    upper->parent = parent;
    upper->count = child->count;
    upper->top[0] = child->top[0];
    upper->top[1] = child->top[1];
    upper->ntop = child->ntop;
    child->edge.erase(child->edge.begin(), child->edge.begin() + keep);
    child->edge.shrink_to_fit();  // the tree is the only copy of the tokens: no slack kept

    auto& slot = parent->children[upper->edge.front()];
    std::unique_ptr<Node> owned = std::move(slot);
    child->parent = upper.get();
    upper->children[child->edge.front()] = std::move(owned);
    Node* result = upper.get();
    slot = std::move(upper);
    return result;
}

RadixTree::Node* RadixTree::make_node_for(const Tokens& tokens) {
    Walk w = walk(tokens);
    Node* node = w.partial ? split(w.partial, w.into_partial) : w.node;
    if (w.length == tokens.size()) return node;
    auto leaf = std::make_unique<Node>();
    leaf->edge.assign(tokens.begin() + static_cast<std::ptrdiff_t>(w.length), tokens.end());
    leaf->parent = node;
    Node* result = leaf.get();
    node->children[leaf->edge.front()] = std::move(leaf);
    return result;
}

void RadixTree::insert(uint64_t key, const Tokens& tokens, uint64_t rank) {
    erase(key);
    Node* end = make_node_for(tokens);
    end->ends.push_back(key);
    items_[key] = Item{end, rank};
    refresh_up(end);
}

void RadixTree::erase(uint64_t key) {
    auto it = items_.find(key);
    if (it == items_.end()) return;
    Node* end = it->second.end;
    items_.erase(it);
    end->ends.erase(std::find(end->ends.begin(), end->ends.end(), key));
    prune(end);
}

void RadixTree::prune(Node* node) {
    if (node == root_.get() || !node->ends.empty() || node->children.size() > 1) {
        refresh_up(node);
        return;
    }
    Node* parent = node->parent;
    auto& slot = parent->children[node->edge.front()];
    if (node->children.empty()) {  // an empty leaf: remove it, then look at its parent
        parent->children.erase(node->edge.front());
        prune(parent);
        return;
    }
    // No items and one child: the child takes this node's place (keeping its own identity,
    // since items point at the node they end at).
    std::unique_ptr<Node> child = std::move(node->children.begin()->second);
    child->edge.insert(child->edge.begin(), node->edge.begin(), node->edge.end());
    child->parent = parent;
    slot = std::move(child);  // destroys node
    refresh_up(parent);
}

void RadixTree::set_rank(uint64_t key, uint64_t rank) {
    auto it = items_.find(key);
    if (it == items_.end()) return;
    it->second.rank = rank;
    refresh_up(it->second.end);
}

void RadixTree::refresh(Node* node) {
    node->count = node->ends.size();
    node->ntop = 0;
    auto offer = [&](uint64_t key) {
        if (node->ntop == 0) {
            node->top[node->ntop++] = key;
        } else if (better(key, node->top[0])) {
            node->top[1] = node->top[0];
            node->top[0] = key;
            node->ntop = 2;
        } else if (node->ntop == 1) {
            node->top[node->ntop++] = key;
        } else if (better(key, node->top[1])) {
            node->top[1] = key;
        }
    };
    for (uint64_t key : node->ends) offer(key);
    for (const auto& [token, child] : node->children) {
        node->count += child->count;
        for (int i = 0; i < child->ntop; ++i) offer(child->top[i]);
    }
}

void RadixTree::refresh_up(Node* node) {
    for (; node != nullptr; node = node->parent) refresh(node);
}

std::optional<uint64_t> RadixTree::best_in(const Node* node, std::optional<uint64_t> exclude) const {
    for (int i = 0; i < node->ntop; ++i)
        if (!exclude || node->top[i] != *exclude) return node->top[i];
    return std::nullopt;
}

std::optional<RadixTree::Hit> RadixTree::longest(const Tokens& prompt,
                                                 std::optional<uint64_t> exclude) const {
    // The excluded item's path from the root: a node on it holds one item fewer for us.
    std::vector<const Node*> excluded_path;
    if (exclude) {
        auto it = items_.find(*exclude);
        if (it == items_.end()) {
            exclude.reset();
        } else {
            for (const Node* n = it->second.end; n != nullptr; n = n->parent) excluded_path.push_back(n);
            std::reverse(excluded_path.begin(), excluded_path.end());
        }
    }
    auto available = [&](const Node* n, std::size_t index) {
        bool on_path = index < excluded_path.size() && excluded_path[index] == n;
        return n->count - (on_path ? 1 : 0);
    };

    const Node* node = root_.get();
    std::size_t i = 0, index = 0;
    while (i < prompt.size()) {
        auto it = node->children.find(prompt[i]);
        if (it == node->children.end()) break;
        const Node* child = it->second.get();
        if (available(child, index + 1) == 0) break;
        std::size_t m = matched(child->edge, prompt, i);
        node = child;
        i += m;
        ++index;
        if (m < child->edge.size()) break;  // ends inside the edge: child's items cover i tokens
    }
    if (i == 0) return std::nullopt;
    auto key = best_in(node, exclude);
    if (!key) return std::nullopt;  // cannot happen: available() said an item is there
    return Hit{i, *key};
}

std::vector<uint64_t> RadixTree::exact(const Tokens& tokens) const {
    Walk w = walk(tokens);
    if (w.partial || w.length != tokens.size()) return {};
    return w.node->ends;
}

std::vector<uint64_t> RadixTree::strict_prefixes(const Tokens& tokens) const {
    std::vector<uint64_t> out;
    const Node* node = root_.get();
    std::size_t i = 0;
    while (i < tokens.size()) {
        out.insert(out.end(), node->ends.begin(), node->ends.end());
        auto it = node->children.find(tokens[i]);
        if (it == node->children.end()) break;
        const Node* child = it->second.get();
        std::size_t m = matched(child->edge, tokens, i);
        if (m < child->edge.size()) break;
        node = child;
        i += m;
    }
    return out;
}

std::optional<uint64_t> RadixTree::best_extension(const Tokens& tokens) const {
    Walk w = walk(tokens);
    if (w.length != tokens.size()) return std::nullopt;
    if (w.partial) return best_in(w.partial, std::nullopt);
    std::optional<uint64_t> best;
    for (const auto& [token, child] : w.node->children)
        if (child->ntop > 0 && (!best || better(child->top[0], *best))) best = child->top[0];
    return best;
}

}  // namespace anyclaude::engine
