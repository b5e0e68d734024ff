// The DNS wire codec: message encoding with name compression and truncation, and a checked
// decoder (see wire.h).
#include "dns/wire.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>

namespace llms::dns {
namespace {

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxPointerTarget = 0x3FFF;  // 14 bits (RFC 1035 §4.1.4)
constexpr size_t kMaxRdataLength = 0xFFFF;
constexpr size_t kMaxCharacterString = 255;  // RFC 1035 §3.3: one length octet
constexpr uint8_t kPointerBits = 0xC0;

// Header flag bits (RFC 1035 §4.1.1; AD and CD from RFC 4035 §3.2).
constexpr uint16_t kFlagQr = 0x8000, kFlagAa = 0x0400, kFlagTc = 0x0200, kFlagRd = 0x0100,
                   kFlagRa = 0x0080, kFlagAd = 0x0020, kFlagCd = 0x0010;

// ---------------------------------------------------------------------------------------------
// Encoding

// Keys for the suffixes of a name, keys[i] for labels i.., each label lowercased and prefixed by
// its length so that distinct names never share a key (labels may contain any octet).
std::vector<std::string> SuffixKeys(const std::vector<std::string>& labels) {
  std::vector<std::string> keys(labels.size());
  std::string key;
  for (size_t i = labels.size(); i-- > 0;) {
    std::string label_key(1, static_cast<char>(labels[i].size()));
    label_key += AsciiLower(labels[i]);
    key.insert(0, label_key);
    keys[i] = key;
  }
  return keys;
}

// An output buffer that remembers where each name suffix was written, for compression.
class Writer {
 public:
  explicit Writer(bool compression = true) : compression_(compression) {}

  size_t size() const { return out_.size(); }
  std::vector<uint8_t> Take() { return std::move(out_); }

  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) {
    U8(static_cast<uint8_t>(v >> 8));
    U8(static_cast<uint8_t>(v));
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v));
  }
  void Bytes(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), p, p + n);
  }
  void Put16At(size_t offset, uint16_t v) {
    out_[offset] = static_cast<uint8_t>(v >> 8);
    out_[offset + 1] = static_cast<uint8_t>(v);
  }

  // Writes `name`. When `compress`, the longest suffix already written (by a compressible name)
  // becomes a pointer, and the suffixes written here become targets for later names. Names
  // written uncompressed are not targets either: a pointer into the RDATA of a type that a
  // receiver may treat as opaque is best avoided.
  void WriteName(const Name& name, bool compress) {
    compress = compress && compression_;
    const std::vector<std::string>& labels = name.labels();
    const std::vector<std::string> keys =
        compress ? SuffixKeys(labels) : std::vector<std::string>{};
    for (size_t i = 0; i < labels.size(); ++i) {
      if (compress) {
        if (auto it = suffixes_.find(keys[i]); it != suffixes_.end()) {
          U16(static_cast<uint16_t>(kPointerBits << 8 | it->second));
          return;
        }
        if (size() <= kMaxPointerTarget) suffixes_.emplace(keys[i], static_cast<uint16_t>(size()));
      }
      U8(static_cast<uint8_t>(labels[i].size()));
      Bytes(labels[i].data(), labels[i].size());
    }
    U8(0);
  }

  // Drops the bytes from `new_size` on, and the compression targets among them.
  void Truncate(size_t new_size) {
    out_.resize(new_size);
    std::erase_if(suffixes_, [new_size](const auto& entry) { return entry.second >= new_size; });
  }

 private:
  bool compression_;
  std::vector<uint8_t> out_;
  std::unordered_map<std::string, uint16_t> suffixes_;  // suffix key -> offset
};

// RFC 1035 §4.1.4 and RFC 3597 §4: only the well-known types of RFC 1035 may compress the names
// in their RDATA. DNAME (RFC 6672 §2.5) and SRV (RFC 2782) targets are written in full.
bool CompressesRdata(uint16_t type) {
  return type == rrtype::NS || type == rrtype::CNAME || type == rrtype::SOA ||
         type == rrtype::PTR || type == rrtype::MX;
}

// RFC 1035 §3.3: one or more <character-string>s. Long strings are split at 255 octets.
void WriteTxt(Writer& w, const TxtData& txt) {
  if (txt.strings.empty()) w.U8(0);
  for (const std::string& s : txt.strings) {
    size_t at = 0;
    do {
      const size_t n = std::min(kMaxCharacterString, s.size() - at);
      w.U8(static_cast<uint8_t>(n));
      w.Bytes(s.data() + at, n);
      at += n;
    } while (at < s.size());
  }
}

// Writes the RDATA held by the variant; `compress` says whether its names may be compressed.
struct RdataWriter {
  Writer& w;
  bool compress;

  void operator()(const AData& d) const { w.Bytes(d.address.data(), d.address.size()); }
  void operator()(const AaaaData& d) const { w.Bytes(d.address.data(), d.address.size()); }
  void operator()(const NameData& d) const { w.WriteName(d.name, compress); }
  void operator()(const MxData& d) const {
    w.U16(d.preference);
    w.WriteName(d.exchange, compress);
  }
  void operator()(const SoaData& d) const {
    w.WriteName(d.mname, compress);
    w.WriteName(d.rname, compress);
    for (uint32_t v : {d.serial, d.refresh, d.retry, d.expire, d.minimum}) w.U32(v);
  }
  void operator()(const TxtData& d) const { WriteTxt(w, d); }
  void operator()(const SrvData& d) const {
    w.U16(d.priority);
    w.U16(d.weight);
    w.U16(d.port);
    w.WriteName(d.target, false);
  }
  void operator()(const RawData& d) const { w.Bytes(d.bytes.data(), d.bytes.size()); }
};

// Writes one record (RFC 1035 §4.1.3). Returns false, having written nothing, when its RDATA
// exceeds the 16-bit RDLENGTH.
bool WriteRecord(Writer& w, const ResourceRecord& rr) {
  const size_t start = w.size();
  w.WriteName(rr.owner, true);
  w.U16(rr.type);
  w.U16(rr.rclass);
  w.U32(rr.ttl);
  const size_t length_at = w.size();
  w.U16(0);
  std::visit(RdataWriter{w, CompressesRdata(rr.type)}, rr.rdata);
  const size_t rdlength = w.size() - length_at - 2;
  if (rdlength > kMaxRdataLength) {
    w.Truncate(start);
    return false;
  }
  w.Put16At(length_at, static_cast<uint16_t>(rdlength));
  return true;
}

uint16_t HeaderFlags(const Message& m, bool tc) {
  uint16_t f = static_cast<uint16_t>((m.opcode & 0xF) << 11 | (m.rcode & 0xF));
  if (m.qr) f |= kFlagQr;
  if (m.aa) f |= kFlagAa;
  if (tc) f |= kFlagTc;
  if (m.rd) f |= kFlagRd;
  if (m.ra) f |= kFlagRa;
  if (m.ad) f |= kFlagAd;
  if (m.cd) f |= kFlagCd;
  return f;
}

// The header (counts zero until SetCounts) and the question section (RFC 1035 §4.1.2).
void WriteHeaderAndQuestion(Writer& w, const Message& m) {
  w.U16(m.id);
  w.U16(0);  // flags, set with the counts
  for (int i = 0; i < 4; ++i) w.U16(0);
  for (const Question& q : m.question) {
    w.WriteName(q.name, true);
    w.U16(q.type);
    w.U16(q.qclass);
  }
}

struct Counts {
  size_t an = 0, ns = 0, ar = 0;
};

void SetCounts(Writer& w, const Message& m, const Counts& c, bool tc) {
  w.Put16At(2, HeaderFlags(m, tc));
  w.Put16At(4, static_cast<uint16_t>(m.question.size()));
  w.Put16At(6, static_cast<uint16_t>(c.an));
  w.Put16At(8, static_cast<uint16_t>(c.ns));
  w.Put16At(10, static_cast<uint16_t>(c.ar));
}

// Writes records in order while the message stays within `budget`; at the first record that
// does not fit, sets `full` and stops. Skips OPT records when `skip_opt`. Returns the count.
size_t FillSection(Writer& w, const std::vector<ResourceRecord>& records, size_t budget,
                   bool skip_opt, bool& full) {
  size_t n = 0;
  for (const ResourceRecord& rr : records) {
    if (full) break;
    if (skip_opt && rr.type == rrtype::OPT) continue;
    const size_t mark = w.size();
    if (!WriteRecord(w, rr)) continue;
    if (w.size() > budget) {
      w.Truncate(mark);
      full = true;
      break;
    }
    ++n;
  }
  return n;
}

// The message cut to `max_size`: records dropped from the end, OPT kept (RFC 6891 §7), TC set
// when an answer or authority record was dropped (RFC 2181 §9).
std::vector<uint8_t> EncodeTruncated(const Message& m, size_t max_size) {
  std::vector<const ResourceRecord*> opts;
  size_t reserve = 0;  // room for the OPT records, written uncompressed (an upper bound)
  for (const ResourceRecord& rr : m.additional) {
    if (rr.type != rrtype::OPT) continue;
    Writer scratch(/*compression=*/false);
    if (WriteRecord(scratch, rr)) reserve += scratch.size();
    opts.push_back(&rr);
  }
  const size_t budget = max_size > reserve ? max_size - reserve : 0;

  Writer w;
  WriteHeaderAndQuestion(w, m);
  bool full = false;
  Counts c;
  c.an = FillSection(w, m.answer, budget, false, full);
  c.ns = FillSection(w, m.authority, budget, false, full);
  const bool tc = m.tc || full;
  c.ar = FillSection(w, m.additional, budget, true, full);
  for (const ResourceRecord* opt : opts) c.ar += WriteRecord(w, *opt) ? 1 : 0;
  SetCounts(w, m, c, tc);
  return w.Take();
}

// ---------------------------------------------------------------------------------------------
// Decoding

// A cursor over the message. Reads are bounded by `end` (the message, or one record's RDATA);
// compression pointers may reach anywhere before them in the whole message.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> msg, Compression compression = Compression::kFollow)
      : msg_(msg), pos_(0), end_(msg.size()), compression_(compression) {}
  // A reader of octets [offset, offset + length) (which must be within the message).
  Reader(std::span<const uint8_t> msg, size_t offset, size_t length, Compression compression)
      : msg_(msg), pos_(offset), end_(offset + length), compression_(compression) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return end_ - pos_; }

  // A reader for the next `n` octets (which must be available); this one skips them.
  Reader Take(size_t n) {
    Reader sub = *this;
    sub.end_ = pos_ + n;
    pos_ += n;
    return sub;
  }

  Status Need(size_t n, std::string_view what) const {
    if (remaining() >= n) return Status::Ok();
    return Status::Error(fmt::format("offset {}: truncated {}", pos_, what));
  }
  // Unchecked reads: call Need first.
  uint8_t U8() { return msg_[pos_++]; }
  uint16_t U16() {
    const uint16_t hi = U8();
    return static_cast<uint16_t>(hi << 8 | U8());
  }
  uint32_t U32() {
    const uint32_t hi = U16();
    return hi << 16 | U16();
  }
  void Bytes(uint8_t* out, size_t n) {
    std::copy_n(msg_.begin() + static_cast<std::ptrdiff_t>(pos_), n, out);
    pos_ += n;
  }

  Result<Name> ReadName();

 private:
  std::span<const uint8_t> msg_;
  size_t pos_, end_;
  Compression compression_;
};

// RFC 1035 §4.1.4. A pointer must point strictly before the run of labels that contains it, so
// every jump goes further back and the walk ends. The name ends at its zero octet; the reader
// continues after that octet or after the first pointer.
Result<Name> Reader::ReadName() {
  const size_t start = pos_;
  std::vector<std::string> labels;
  size_t wire_length = 1;  // the root's zero octet
  size_t p = pos_;         // the next length octet
  size_t limit = end_;     // the current run may not read past this
  size_t run_start = pos_;
  bool jumped = false;
  for (;;) {
    if (p >= limit) return Result<Name>::Error(fmt::format("offset {}: truncated name", p));
    const uint8_t len = msg_[p];
    if ((len & kPointerBits) == kPointerBits) {
      if (compression_ == Compression::kForbidden) {
        return Result<Name>::Error(
            fmt::format("offset {}: a compression pointer where none is allowed (RFC 3597 §4)", p));
      }
      if (p + 1 >= limit) {
        return Result<Name>::Error(fmt::format("offset {}: truncated compression pointer", p));
      }
      const size_t target = static_cast<size_t>(len & 0x3F) << 8 | msg_[p + 1];
      if (target >= msg_.size()) {
        return Result<Name>::Error(fmt::format(
            "offset {}: compression pointer to {} is past the end of the message", p, target));
      }
      if (target > p) {
        return Result<Name>::Error(
            fmt::format("offset {}: compression pointer to {} points forward", p, target));
      }
      if (target >= run_start) {
        return Result<Name>::Error(
            fmt::format("offset {}: compression pointer to {} loops", p, target));
      }
      if (!jumped) pos_ = p + 2;
      jumped = true;
      p = run_start = target;
      limit = msg_.size();
      continue;
    }
    if (len & kPointerBits) {  // 0x40 (extended, RFC 6891 §5) and 0x80 (reserved) label types
      return Result<Name>::Error(fmt::format(
          "offset {}: label longer than 63 octets (length octet 0x{:02x} is not a plain label)", p,
          len));
    }
    if (len == 0) {
      if (!jumped) pos_ = p + 1;
      break;
    }
    wire_length += 1 + len;
    if (wire_length > kMaxNameLength) {
      return Result<Name>::Error(
          fmt::format("offset {}: name longer than {} octets (name starts at offset {})", p,
                      kMaxNameLength, start));
    }
    if (limit - p - 1 < len)
      return Result<Name>::Error(fmt::format("offset {}: truncated label", p));
    labels.emplace_back(reinterpret_cast<const char*>(msg_.data() + p + 1), len);
    p += 1 + len;
  }
  Result<Name> name = Name::FromLabels(std::move(labels));
  if (!name.ok()) return Result<Name>::Error(fmt::format("offset {}: {}", start, name.message()));
  return name;
}

// A fixed-size address: the RDATA must be exactly its size.
template <typename T>
Result<Rdata> ReadAddress(Reader& r, std::string_view type) {
  T d;
  if (r.remaining() != d.address.size()) {
    return Result<Rdata>::Error(fmt::format("offset {}: RDATA of {} is {} octets; must be {}",
                                            r.pos(), type, r.remaining(), d.address.size()));
  }
  r.Bytes(d.address.data(), d.address.size());
  return Rdata(d);
}

Result<Rdata> ReadNameData(Reader& r) {
  Result<Name> n = r.ReadName();
  if (!n.ok()) return n.status();
  return Rdata(NameData{*n});
}

Result<Rdata> ReadMx(Reader& r, const std::string& what) {
  LLMS_RETURN_IF_ERROR(r.Need(2, what));
  MxData d;
  d.preference = r.U16();
  Result<Name> n = r.ReadName();
  if (!n.ok()) return n.status();
  d.exchange = *n;
  return Rdata(d);
}

Result<Rdata> ReadSoa(Reader& r, const std::string& what) {
  SoaData d;
  Result<Name> mname = r.ReadName();
  if (!mname.ok()) return mname.status();
  Result<Name> rname = r.ReadName();
  if (!rname.ok()) return rname.status();
  d.mname = *mname;
  d.rname = *rname;
  LLMS_RETURN_IF_ERROR(r.Need(20, what));
  for (uint32_t* v : {&d.serial, &d.refresh, &d.retry, &d.expire, &d.minimum}) *v = r.U32();
  return Rdata(d);
}

// RFC 1035 §3.3.14: one or more <character-string>s filling the RDATA.
Result<Rdata> ReadTxt(Reader& r, const std::string& what) {
  if (r.remaining() == 0) {
    return Result<Rdata>::Error(
        fmt::format("offset {}: empty RDATA of TXT (at least one string is required)", r.pos()));
  }
  TxtData d;
  while (r.remaining() > 0) {
    const size_t len = r.U8();
    LLMS_RETURN_IF_ERROR(r.Need(len, what));
    std::string s(len, '\0');
    r.Bytes(reinterpret_cast<uint8_t*>(s.data()), len);
    d.strings.push_back(std::move(s));
  }
  return Rdata(d);
}

Result<Rdata> ReadSrv(Reader& r, const std::string& what) {
  LLMS_RETURN_IF_ERROR(r.Need(6, what));
  SrvData d;
  d.priority = r.U16();
  d.weight = r.U16();
  d.port = r.U16();
  Result<Name> n = r.ReadName();
  if (!n.ok()) return n.status();
  d.target = *n;
  return Rdata(d);
}

// Typed RDATA for the types record.h models, the raw octets for any other (RFC 3597).
Result<Rdata> ReadRdata(Reader& r, uint16_t type) {
  const std::string what = fmt::format("RDATA of {}", TypeName(type));
  switch (type) {
    case rrtype::A:
      return ReadAddress<AData>(r, "A");
    case rrtype::AAAA:
      return ReadAddress<AaaaData>(r, "AAAA");
    case rrtype::NS:
    case rrtype::CNAME:
    case rrtype::DNAME:
    case rrtype::PTR:
      return ReadNameData(r);
    case rrtype::MX:
      return ReadMx(r, what);
    case rrtype::SOA:
      return ReadSoa(r, what);
    case rrtype::TXT:
      return ReadTxt(r, what);
    case rrtype::SRV:
      return ReadSrv(r, what);
    default: {
      RawData d;
      d.bytes.resize(r.remaining());
      r.Bytes(d.bytes.data(), d.bytes.size());
      return Rdata(d);
    }
  }
}

// Reads `r`'s RDATA of `type`, which must use every octet of `r`.
Result<Rdata> ReadWholeRdata(Reader& r, uint16_t type, size_t rdlength) {
  Result<Rdata> d = ReadRdata(r, type);
  if (!d.ok()) return d;
  if (r.remaining() != 0) {
    return Result<Rdata>::Error(
        fmt::format("offset {}: {} unused octets at the end of RDATA of {} (RDLENGTH {})", r.pos(),
                    r.remaining(), TypeName(type), rdlength));
  }
  return d;
}

Result<Question> ReadQuestion(Reader& r) {
  Result<Name> name = r.ReadName();
  if (!name.ok()) return name.status();
  LLMS_RETURN_IF_ERROR(r.Need(4, "question (type and class)"));
  Question q;
  q.name = *name;
  q.type = r.U16();
  q.qclass = r.U16();
  return q;
}

Result<ResourceRecord> ReadRecord(Reader& r) {
  Result<Name> owner = r.ReadName();
  if (!owner.ok()) return owner.status();
  LLMS_RETURN_IF_ERROR(r.Need(10, "record (type, class, TTL and RDLENGTH)"));
  ResourceRecord rr;
  rr.owner = *owner;
  rr.type = r.U16();
  rr.rclass = r.U16();
  rr.ttl = r.U32();
  const size_t rdlength = r.U16();
  if (r.remaining() < rdlength) {
    return Result<ResourceRecord>::Error(fmt::format(
        "offset {}: RDLENGTH {} of {} runs past the end of the message ({} octets left)",
        r.pos() - 2, rdlength, TypeName(rr.type), r.remaining()));
  }
  Reader rdata = r.Take(rdlength);
  Result<Rdata> d = ReadWholeRdata(rdata, rr.type, rdlength);
  if (!d.ok()) return d.status();
  rr.rdata = std::move(*d);
  return rr;
}

// Checks that an entry the header counts has begun before the message ends.
Status NeedEntry(const Reader& r, std::string_view section, size_t i, size_t count) {
  if (r.remaining() > 0) return Status::Ok();
  return Status::Error(fmt::format("offset {}: the message ends before {} {} of {}", r.pos(),
                                   section, i + 1, count));
}

Status ReadSection(Reader& r, std::string_view section, size_t count,
                   std::vector<ResourceRecord>& out) {
  for (size_t i = 0; i < count; ++i) {
    LLMS_RETURN_IF_ERROR(NeedEntry(r, section, i, count));
    Result<ResourceRecord> rr = ReadRecord(r);
    if (!rr.ok()) return rr.status().WithContext(fmt::format("{} record {}", section, i + 1));
    out.push_back(std::move(*rr));
  }
  return Status::Ok();
}

void SetFlags(Message& m, uint16_t f) {
  m.qr = f & kFlagQr;
  m.opcode = static_cast<uint8_t>(f >> 11 & 0xF);
  m.aa = f & kFlagAa;
  m.tc = f & kFlagTc;
  m.rd = f & kFlagRd;
  m.ra = f & kFlagRa;
  m.ad = f & kFlagAd;
  m.cd = f & kFlagCd;
  m.rcode = f & 0xF;
}

}  // namespace

std::vector<uint8_t> EncodeMessage(const Message& m, size_t max_size) {
  Writer w;
  WriteHeaderAndQuestion(w, m);
  Counts c;
  for (const ResourceRecord& rr : m.answer) c.an += WriteRecord(w, rr) ? 1 : 0;
  for (const ResourceRecord& rr : m.authority) c.ns += WriteRecord(w, rr) ? 1 : 0;
  for (const ResourceRecord& rr : m.additional) c.ar += WriteRecord(w, rr) ? 1 : 0;
  if (max_size > 0 && w.size() > max_size) return EncodeTruncated(m, max_size);
  SetCounts(w, m, c, m.tc);
  return w.Take();
}

Result<Rdata> DecodeRdata(std::span<const uint8_t> message, size_t offset, size_t length,
                          uint16_t type, Compression compression) {
  if (offset > message.size() || message.size() - offset < length) {
    return Result<Rdata>::Error(
        fmt::format("offset {}: RDATA of {} octets runs past the end ({} octets)", offset, length,
                    message.size()));
  }
  Reader r(message, offset, length, compression);
  return ReadWholeRdata(r, type, length);
}

Result<Message> DecodeMessage(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  LLMS_RETURN_IF_ERROR(r.Need(
      kHeaderSize, fmt::format("header ({} octets; the header is {})", bytes.size(), kHeaderSize)));
  Message m;
  m.id = r.U16();
  SetFlags(m, r.U16());
  const size_t qdcount = r.U16(), ancount = r.U16(), nscount = r.U16(), arcount = r.U16();
  for (size_t i = 0; i < qdcount; ++i) {
    LLMS_RETURN_IF_ERROR(NeedEntry(r, "question", i, qdcount));
    Result<Question> q = ReadQuestion(r);
    if (!q.ok()) return q.status().WithContext(fmt::format("question {}", i + 1));
    m.question.push_back(std::move(*q));
  }
  LLMS_RETURN_IF_ERROR(ReadSection(r, "answer", ancount, m.answer));
  LLMS_RETURN_IF_ERROR(ReadSection(r, "authority", nscount, m.authority));
  LLMS_RETURN_IF_ERROR(ReadSection(r, "additional", arcount, m.additional));
  if (r.remaining() > 0) {
    return Result<Message>::Error(
        fmt::format("offset {}: {} trailing bytes after the last record", r.pos(), r.remaining()));
  }
  return m;
}

std::vector<uint8_t> EncodeQuery(uint16_t id, const Name& name, uint16_t type, uint16_t udp_size) {
  Message m;
  m.id = id;
  Question q;
  q.name = name;
  q.type = type;
  q.qclass = kClassIN;
  m.question.push_back(q);
  if (udp_size > 0) {
    // RFC 6891 §6.1.2: owner root, CLASS the UDP payload size, TTL extended RCODE and flags.
    ResourceRecord opt;
    opt.type = rrtype::OPT;
    opt.rclass = udp_size;
    opt.ttl = 0;
    opt.rdata = RawData{};
    m.additional.push_back(opt);
  }
  return EncodeMessage(m);
}

}  // namespace llms::dns
