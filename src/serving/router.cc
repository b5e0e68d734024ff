// The routing rule: the model's queue (plus a penalty where it is not resident), then the node's
// queue, then round-robin.
#include "serving/router.h"

#include <tuple>

namespace llms::serving {

int Router::Route(const std::string& model, const std::vector<NodeInfo>& nodes,
                  const std::set<std::string>& exclude, uint64_t turn, int64_t switch_penalty) {
  std::vector<int> best;
  std::tuple<int64_t, int64_t> best_key{};
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeInfo& n = nodes[i];
    if (n.draining || exclude.count(n.name)) continue;
    const ModelLoad* m = n.Find(model);
    if (m == nullptr) continue;
    const std::tuple<int64_t, int64_t> key{
        m->waiting + m->running + (m->resident ? 0 : switch_penalty), n.queued()};
    if (best.empty() || key < best_key) {
      best = {static_cast<int>(i)};
      best_key = key;
    } else if (key == best_key) {
      best.push_back(static_cast<int>(i));
    }
  }
  if (best.empty()) return -1;
  return best[turn % best.size()];
}

}  // namespace llms::serving
