// Small text utilities shared by every parser: number parsing with from_chars (locale-free,
// exact), trimming, splitting, and fast number formatting for writers.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llms {

std::string_view Trim(std::string_view s);
// ASCII letters lower-cased, other bytes as they are (names, not natural-language text).
std::string AsciiLower(std::string_view s);
// Splits on `sep` without trimming; "a,,b" gives {"a", "", "b"}.
std::vector<std::string_view> Split(std::string_view s, char sep);
// Splits one CSV line on commas outside double quotes; quotes are removed and "" inside them is
// a quote (RFC 4180). Fields are not trimmed.
std::vector<std::string> SplitCsvLine(std::string_view line);

// Parses the whole of `s` (after trimming) or returns nullopt. Accepts "inf"/"nan" for doubles so
// the caller can reject them with a precise message.
std::optional<double> ParseDouble(std::string_view s);
std::optional<int64_t> ParseInt(std::string_view s);

// Appends the shortest representation that round-trips (like Python's repr for floats).
void AppendShortest(std::string& out, double value);
void AppendInt(std::string& out, int64_t value);
// Appends value with exactly `decimals` digits after the point (value rounded half away from 0).
void AppendFixed(std::string& out, double value, int decimals);
// Appends s as a JSON string literal with escapes.
void AppendJsonString(std::string& out, std::string_view s);

// "1.5 GiB"-style byte counts and "1,234,567"-style integers for human-facing output.
std::string HumanBytes(double bytes);
std::string WithThousands(int64_t value);

}  // namespace llms
