// Query equivalence classes of a zone: a finite set of representative queries (name and type)
// that covers every distinct behaviour of the specification for that zone, for query names of
// any length.
//
// Why the set is complete. The specification (spec.cc) decides an answer by walking from the apex
// towards the query name; each decision depends only on the zone node the walk stops at (a cut, a
// DNAME owner, the name itself, or the closest encloser of a missing name), on the query type at
// that node, and, after a DNAME, on whether the substituted name still fits in 255 octets. The
// labels of the query name below that node (its "free" labels) are only copied into the answer:
// into a wildcard's owner or a DNAME's substituted name. Response::signature records the decisions
// and the nodes, never the free labels, so queries with equal signatures get equal answers once
// their free labels are exchanged (TransposedText).
//
// The candidates therefore need one query per (node, decision) the walk can reach:
//   - every node of the zone (data or empty non-terminal), and a fresh label under every node (the
//     missing-name case: a wildcard or NXDOMAIN, decided by the closest encloser alone; deeper
//     missing names have the same closest encloser);
//   - below each DNAME owner, the same candidates relative to its target (recursively, to the
//     chain bound), since the substituted name is walked from the target;
//   - for every candidate whose walk meets DNAMEs, query names padded with free labels to each
//     length at which a substitution starts to exceed 255 octets (YXDOMAIN) and one octet below;
//   - each candidate name with one type present nowhere in the zone (NODATA answers do not depend
//     on which), then with each type that has an RRset at the node where that answer was decided
//     (no other type can change it: the walk before that node depends on the type only through
//     CNAME), and with CNAME and ANY.
// Classes() runs the specification on the candidates and keeps one query per signature. Where
// the answer met no alias (an existing, empty or missing name, a referral), it keeps one query
// per signature and type for SOA, NS, CNAME, DNAME, ANY and every type in the zone (FormTypes):
// the specification answers them alike, but an engine's answer may take its form from the type
// (BIND answers an SOA query at a missing name with the SOA at TTL 0), and a check should ask.
// The test (classes_test.cc) checks the claim on random queries: each one's class key is among
// the classes, and its answer equals its representative's modulo the free labels.
//
// Chains. Under a profile with a chain bound (Profile::max_chain) the DNAME candidates go as deep
// as the bound. Without one, a chain ends, loops or outgrows 255 octets; candidates go 12
// substitutions deep (kUnboundedChainDepth in classes.cc), which covers chains that consume up to
// 13 of the query's own labels through DNAMEs. Chains that grow the name (a DNAME pointing below
// itself) need no labels of the query and are covered whole: every length at which one more
// substitution overflows gets its own candidate.
#pragma once

#include <string>
#include <vector>

#include "dns/message.h"
#include "iceberg/spec.h"
#include "iceberg/zone_index.h"

namespace llms::iceberg {

struct QueryClass {
  dns::Question query;    // the representative
  std::string signature;  // Response::signature of every query in the class
  std::string key;        // ClassKey: the signature, with the query type where it is kept apart
};

// The types the classes keep apart at names where no alias is met (ClassKey): SOA, NS, CNAME,
// DNAME, ANY and every type with an RRset in the zone, sorted.
std::vector<uint16_t> FormTypes(const ZoneIndex& zone);
// The class a query of type `qtype` with `response` falls in: its signature, followed by the
// type when no alias was met and the type is one of `form_types`.
std::string ClassKey(const Response& response, uint16_t qtype,
                     const std::vector<uint16_t>& form_types);

// The classes of `zone` under `profile`, in a deterministic order.
std::vector<QueryClass> Classes(const ZoneIndex& zone, const Profile& profile = Profile());

// A response as canonical text: rcode, AA, then each section's records sorted, names lowercased.
std::string CanonicalText(const Response& response);
// The representative's response `rep` (to `rep_query`) as it reads for another `query` of its
// class whose own response has `query_free_labels` free labels: every name that starts with the
// representative's free labels starts with the query's instead. Equal to
// CanonicalText(Lookup(query)) when the class is sound.
std::string TransposedText(const Response& rep, const dns::Name& rep_query, const dns::Name& query,
                           size_t query_free_labels);

}  // namespace llms::iceberg
