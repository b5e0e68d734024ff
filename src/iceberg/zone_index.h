// A zone indexed for lookups: every owner name with its RRsets, and every empty non-terminal
// (a name with no records but names below it, RFC 4592 §2.2.2), in canonical order. The
// specification (spec.h) and the query equivalence classes (classes.h) both walk this tree.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"

namespace llms::iceberg {

using dns::Name;
using dns::ResourceRecord;

struct ZoneNode {
  std::map<uint16_t, std::vector<ResourceRecord>> rrsets;  // by type; empty: a non-terminal
  const std::vector<ResourceRecord>* Find(uint16_t type) const {
    auto it = rrsets.find(type);
    return it == rrsets.end() ? nullptr : &it->second;
  }
  bool Has(uint16_t type) const { return rrsets.count(type) > 0; }
};

class ZoneIndex {
 public:
  // Records outside `origin` are ignored (ValidateZone reports them).
  ZoneIndex(Name origin, const std::vector<ResourceRecord>& records);

  const Name& origin() const { return origin_; }
  // The node of `name`, or null when the name does not exist (neither data nor a non-terminal).
  const ZoneNode* Find(const Name& name) const;
  // The same by Name::CanonicalKey(); the key of a name's suffix is a tail of the name's key, so
  // a walk down a name looks up each ancestor without building it.
  const ZoneNode* FindByKey(std::string_view key) const;
  const std::map<Name, ZoneNode>& nodes() const { return nodes_; }
  // The apex SOA (null if the zone has none).
  const ResourceRecord* Soa() const;
  // True when `name` is a delegation point: NS records at a name other than the apex.
  bool IsCut(const Name& name) const;

 private:
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view k) const { return std::hash<std::string_view>()(k); }
  };
  Name origin_;
  std::map<Name, ZoneNode> nodes_;
  std::unordered_map<std::string, const ZoneNode*, KeyHash, std::equal_to<>> by_key_;
};

}  // namespace llms::iceberg
