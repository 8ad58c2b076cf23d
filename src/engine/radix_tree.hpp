// RadixTree: a compressed trie over token ids for the prompt cache's index.
//
// Each item is a token sequence with a caller-chosen key and rank. Because a cached state of
// tokens T serves any prefix of T, longest() returns the deepest point where the prompt and
// any item's tokens agree (inside an edge too), and the highest-ranked item passing through
// that point. Every node keeps its subtree's item count and two highest-ranked items, so a
// lookup costs O(length of the match) token comparisons plus one step per node on the path,
// whatever the number of items; one item may be excluded (the top two make that possible).
// Inserting, erasing or re-ranking an item costs O(its length) plus a walk up its path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "engine/tokens.hpp"

namespace anyclaude::engine {

class RadixTree {
public:
    struct Hit {
        std::size_t length = 0;  // tokens of the prompt covered (> 0)
        uint64_t key = 0;        // the best-ranked item covering them
    };

    RadixTree();
    ~RadixTree();
    RadixTree(const RadixTree&) = delete;
    RadixTree& operator=(const RadixTree&) = delete;

    // Adds an item; `key` must not be in the tree (erase it first).
    void insert(uint64_t key, const Tokens& tokens, uint64_t rank);
    void erase(uint64_t key);  // no-op for an unknown key
    void set_rank(uint64_t key, uint64_t rank);
    bool contains(uint64_t key) const;
    // The tokens of an item (rebuilt from the edges on its path; empty for an unknown key), so
    // that callers need not keep a second copy of them.
    Tokens tokens_of(uint64_t key) const;
    std::size_t size() const;

    // Deepest common prefix of `prompt` with any item (other than `exclude`), nullopt when none
    // shares even one token. Equal lengths: the highest rank wins (then the higher key).
    std::optional<Hit> longest(const Tokens& prompt, std::optional<uint64_t> exclude = {}) const;
    // Items whose tokens equal `tokens`.
    std::vector<uint64_t> exact(const Tokens& tokens) const;
    // Items whose tokens are a strict prefix of `tokens` (shortest first).
    std::vector<uint64_t> strict_prefixes(const Tokens& tokens) const;
    // The best-ranked item whose tokens strictly extend `tokens`, if any.
    std::optional<uint64_t> best_extension(const Tokens& tokens) const;

private:
    struct Node;
    struct Item {
        Node* end;
        uint64_t rank;
    };
    struct Walk {            // where a token sequence leaves the tree
        Node* node;          // last node whose whole edge matched
        Node* partial;       // child whose edge matched only partly (or nullptr)
        std::size_t length;  // tokens matched in all
        std::size_t into_partial;  // of them, tokens matched in partial's edge
    };

    Walk walk(const Tokens& tokens) const;
    Node* make_node_for(const Tokens& tokens);  // splits or adds so a node ends at tokens.size()
    Node* split(Node* child, std::size_t keep);  // a new node above child, `keep` edge tokens
    void prune(Node* node);                      // removes or merges nodes left without a role
    void refresh_up(Node* node);                 // recomputes counts and top ranks to the root
    void refresh(Node* node);
    bool better(uint64_t a, uint64_t b) const;   // is item a ranked above item b?
    std::optional<uint64_t> best_in(const Node* node, std::optional<uint64_t> exclude) const;

    std::unique_ptr<Node> root_;
    std::unordered_map<uint64_t, Item> items_;
};

}  // namespace anyclaude::engine
