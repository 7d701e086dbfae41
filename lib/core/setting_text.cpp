#include "core/setting_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <system_error>

#include "core/engagement.hpp"

namespace engagementd {
namespace {

bool is_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view text, std::string_view word) {
  if (text.size() != word.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != word[i]) return false;
  }
  return true;
}

bool is_digit(char ch) {
  return ch >= '0' && ch <= '9';
}

// Rule 2's grammar: [+-] digits [. digits] [(e|E) [+-] digits], with at
// least one digit before the exponent.
bool is_decimal(std::string_view t) {
  std::size_t i = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < t.size() && is_digit(t[i])) ++i, ++digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && is_digit(t[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    std::size_t exponent = 0;
    while (i < t.size() && is_digit(t[i])) ++i, ++exponent;
    if (exponent == 0) return false;
  }
  return i == t.size();
}

}  // namespace

SettingKind setting_kind(std::string_view key) {
  return key == kConfigKeys[0] || key == kConfigKeys[1] || key == kKillSwitchKey
             ? SettingKind::flag
             : SettingKind::number;
}

std::optional<double> parse_setting_text(std::string_view text, SettingKind kind) {
  if (text.size() > kSettingTextMax) return std::nullopt;
  text = trimmed(text);
  if (kind == SettingKind::flag) {
    if (text.empty()) return 0.0;
    for (const std::string_view word : {"true", "on", "yes"}) {
      if (equals_ignoring_case(text, word)) return 1.0;
    }
    for (const std::string_view word : {"false", "off", "no"}) {
      if (equals_ignoring_case(text, word)) return 0.0;
    }
  }
  if (!is_decimal(text)) return std::nullopt;
  // from_chars takes no leading '+' and, unlike strtod, no locale.
  if (text.front() == '+') text.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::string setting_text_excerpt(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  const std::size_t shown = std::min(text.size(), kSettingTextShown);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\'' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '\'';
  if (shown < text.size()) out += "...";
  return out;
}

}  // namespace engagementd
