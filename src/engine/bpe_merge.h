// MergeByRank: the merge loop of both BPE tokenizers (SentencePiece-style and GPT-2 byte-level):
// repeatedly merge the adjacent pair that ranks first (the lowest rank, the leftmost among equal
// ranks), exactly as rescanning every pair after each merge would, in O(n log n): the symbols
// form a linked list, the candidate pairs wait in a heap, and a popped pair whose sides changed
// since it was pushed is stale and skipped. So a megabyte prompt tokenizes in well under a
// second instead of minutes.
#pragma once

#include <optional>
#include <queue>
#include <vector>

namespace llms::engine {

struct MergeCandidate {
  double rank;  // lower merges first
  int result;   // the id the pair merges into
};

// `rank(left_id, right_id)`: the pair's candidate, or nullopt when the pair does not merge.
template <typename RankFn>
void MergeByRank(std::vector<int>& ids, const RankFn& rank) {
  struct Symbol {
    int id, prev, next;
  };
  struct Pending {
    double rank;
    int left, left_id, right_id, result;
    bool operator<(const Pending& o) const {  // the heap's top: lowest rank, then leftmost
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  const int n = static_cast<int>(ids.size());
  if (n < 2) return;
  std::vector<Symbol> symbols(ids.size());
  for (int i = 0; i < n; ++i) {
    symbols[static_cast<size_t>(i)] = {ids[static_cast<size_t>(i)], i - 1, i + 1 < n ? i + 1 : -1};
  }
  std::priority_queue<Pending> heap;
  const auto consider = [&](int left) {
    if (left < 0) return;
    const int right = symbols[static_cast<size_t>(left)].next;
    if (right < 0) return;
    const int left_id = symbols[static_cast<size_t>(left)].id;
    const int right_id = symbols[static_cast<size_t>(right)].id;
    if (const std::optional<MergeCandidate> c = rank(left_id, right_id)) {
      heap.push({c->rank, left, left_id, right_id, c->result});
    }
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    const Pending c = heap.top();
    heap.pop();
    Symbol& left = symbols[static_cast<size_t>(c.left)];
    if (left.id != c.left_id || left.next < 0 ||
        symbols[static_cast<size_t>(left.next)].id != c.right_id) {
      continue;  // stale: a side merged since
    }
    Symbol& right = symbols[static_cast<size_t>(left.next)];
    left.id = c.result;
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = c.left;
    right.id = -1;
    consider(left.prev);
    consider(c.left);
  }
  ids.clear();
  for (int i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
    ids.push_back(symbols[static_cast<size_t>(i)].id);
  }
}

}  // namespace llms::engine
