// The indexed zone tree (see zone_index.h).
#include "iceberg/zone_index.h"

namespace llms::iceberg {

ZoneIndex::ZoneIndex(Name origin, const std::vector<ResourceRecord>& records)
    : origin_(std::move(origin)) {
  nodes_[origin_];  // the apex always exists
  for (const ResourceRecord& rr : records) {
    if (!rr.owner.IsSubdomainOf(origin_)) continue;
    nodes_[rr.owner].rrsets[rr.type].push_back(rr);
    // Every name between the owner and the apex exists (empty non-terminals).
    for (Name n = rr.owner.Parent(); n.label_count() > origin_.label_count(); n = n.Parent()) {
      if (!nodes_.emplace(n, ZoneNode{}).second) break;  // its ancestors are already there
    }
  }
  for (const auto& [name, node] : nodes_) by_key_.emplace(name.CanonicalKey(), &node);
}

const ZoneNode* ZoneIndex::Find(const Name& name) const {
  return FindByKey(name.CanonicalKey());
}

const ZoneNode* ZoneIndex::FindByKey(std::string_view key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

const ResourceRecord* ZoneIndex::Soa() const {
  const ZoneNode* apex = Find(origin_);
  const auto* soa = apex ? apex->Find(dns::rrtype::SOA) : nullptr;
  return soa && !soa->empty() ? &soa->front() : nullptr;
}

bool ZoneIndex::IsCut(const Name& name) const {
  if (name == origin_) return false;
  const ZoneNode* n = Find(name);
  return n && n->Has(dns::rrtype::NS);
}

}  // namespace llms::iceberg
