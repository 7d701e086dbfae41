#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace engagementd {

// Setting text: a value of global_stream_settings.setting_value (TEXT), a
// stream_engagement_config column read as text, or a value given to
// `engagementd config set`. Everything that reads one reads it with
// parse_setting_text, under these rules:
//
// 1. Surrounding whitespace (space, tab, CR, LF, VT, FF) is ignored: " 5",
//    "5 " and "5\n" are 5. The site's PHP reads such text as the same number
//    ((int)" 5 " is 5 in PHP 8), and a value edited by hand often has one.
// 2. A number is written in decimal: an optional sign, digits with an
//    optional fraction (".5", "2.", "2.50"), an optional exponent ("1e3",
//    "1.0E+25", which is how PHP writes a large float). That is what the
//    admin panel's number fields and PHP's own number-to-text give. Nothing
//    else is a number: no hexadecimal ("0x10", which PHP reads as 0), no
//    "inf" or "nan", no thousands separator or decimal comma ("1,5"), no
//    text after the number ("5 viewers"), no magnitude a double cannot hold
//    ("1e400", "1e-400").
// 3. The on/off settings (setting_kind() is flag: fake_viewers_enabled,
//    fake_likes_enabled, simulation_enabled) also take the words of PHP's
//    FILTER_VALIDATE_BOOLEAN, in any case: true, on, yes are 1; false, off,
//    no are 0; and the empty text is 0. The site stores a JSON false as the
//    empty text (PDO binds false as ''), and every reader on the site takes
//    it as off ((int)'' in api/streams/start.php, value == '1' in the admin
//    panel): the daemon must not read it as "unreadable, use the built-in
//    default", which is on. A flag's number must still be 0 or 1; the
//    callers check that with the other ranges (engagement.hpp's validate).
// 4. The other settings take numbers only: a word or the empty text is not
//    a number (the caller reports it and uses its fallback).
// 5. A text longer than kSettingTextMax bytes is not a setting, whatever it
//    holds. The store reads at most kSettingTextMax + 1 characters of a
//    value (LEFT/substr in the statement), so a longer one costs nothing
//    per tick and is still seen to be too long; a message shows it with
//    setting_text_excerpt, never whole.
//
// Returns the number, or nullopt when the text is not one under these rules.

enum class SettingKind { number, flag };

// flag for fake_viewers_enabled, fake_likes_enabled and simulation_enabled,
// number for every other key.
SettingKind setting_kind(std::string_view key);

std::optional<double> parse_setting_text(std::string_view text, SettingKind kind);

inline constexpr std::size_t kSettingTextMax = 256;
// How much of a bad value a message shows.
inline constexpr std::size_t kSettingTextShown = 64;

// The text for a message: in single quotes, at most kSettingTextShown bytes
// of it, control characters, quotes, backslashes and bytes past ASCII as
// \n, \t, \xNN, and "..." after the quote when it was cut (or is longer
// than the store reads).
std::string setting_text_excerpt(std::string_view text);

}  // namespace engagementd
