#include "commands.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <random>

#include "duration.hpp"
#include "presets.hpp"
#include "preview.hpp"

namespace engagementd {
namespace {

int usage_error(const std::string& command, const std::string& what) {
  std::cerr << "engagementd " << command << ": " << what << "\nTry 'engagementd --help'.\n";
  return 2;
}

// "--name value" or "--name=value"; advances i past the value.
std::optional<std::string> option_value(const std::vector<std::string>& args, std::size_t& i,
                                        const std::string& name, std::string& error) {
  const std::string& arg = args[i];
  if (arg == name) {
    if (i + 1 >= args.size()) {
      error = name + " needs a value";
      return std::nullopt;
    }
    return args[++i];
  }
  if (arg.rfind(name + "=", 0) == 0) return arg.substr(name.size() + 1);
  return std::nullopt;
}

std::optional<double> parse_number(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (end == begin || *end != '\0' || errno == ERANGE || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<long long> parse_whole(const std::string& text) {
  const auto v = parse_number(text);
  if (!v || *v < 0 || *v != std::floor(*v) || *v > 9e15) return std::nullopt;
  return static_cast<long long>(*v);
}

bool write_file(const std::string& path, const std::function<void(std::ostream&)>& fill) {
  if (path == "-") {
    fill(std::cout);
    return static_cast<bool>(std::cout);
  }
  std::ofstream out(path, std::ios::trunc);
  if (out) fill(out);
  out.close();
  if (!out) {
    std::cerr << "engagementd: cannot write " << path << ": " << std::strerror(errno) << "\n";
    return false;
  }
  return true;
}

}  // namespace

int cmd_preview(const std::vector<std::string>& args) {
  const std::string cmd = "preview";
  PreviewOptions o;
  std::string preset = "moderate";
  std::string csv, svg;
  std::optional<std::uint64_t> seed;
  // Individual settings, applied over the preset.
  std::optional<double> min, max, increase, decrease, like_rate, multiplier;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string error;
    const std::string arg = args[i];
    const std::string name = arg.substr(0, arg.find('='));
    const auto value = option_value(args, i, name, error);
    if (!error.empty()) return usage_error(cmd, error);
    if (!value || name.rfind("--", 0) != 0)
      return usage_error(cmd, "unexpected argument '" + arg + "'");
    auto number = [&](std::optional<double>& into) {
      into = parse_number(*value);
      if (!into) error = name + ": '" + *value + "' is not a number";
    };
    if (name == "--preset") {
      if (!find_preset(*value)) {
        return usage_error(
            cmd, "unknown preset '" + *value + "' (known: " + std::string(preset_names()) + ")");
      }
      preset = *value;
    } else if (name == "--min") {
      number(min);
    } else if (name == "--max") {
      number(max);
    } else if (name == "--increase") {
      number(increase);
    } else if (name == "--decrease") {
      number(decrease);
    } else if (name == "--like-rate") {
      number(like_rate);
    } else if (name == "--multiplier") {
      number(multiplier);
    } else if (name == "--real-viewers") {
      try {
        o.real = parse_real_viewers(*value);
      } catch (const std::invalid_argument& e) {
        error = std::string("--real-viewers: ") + e.what();
      }
    } else if (name == "--minutes") {
      const auto m = parse_whole(*value);
      if (!m || *m < 1 || *m > 7 * 24 * 60) {
        error = "--minutes: '" + *value + "' is not a whole number in 1..10080 (one week)";
      } else {
        o.minutes = static_cast<int>(*m);
      }
    } else if (name == "--tick") {
      try {
        o.tick = parse_duration(*value);
        if (o.tick < std::chrono::milliseconds(100) || o.tick > std::chrono::hours(1)) {
          error = "--tick: " + *value + " is outside 100ms..1h";
        }
      } catch (const std::invalid_argument& e) {
        error = std::string("--tick: ") + e.what();
      }
    } else if (name == "--seed") {
      const auto s = parse_whole(*value);
      if (!s) {
        error = "--seed: '" + *value + "' is not a whole number";
      } else {
        seed = static_cast<std::uint64_t>(*s);
      }
    } else if (name == "--csv") {
      csv = *value;
    } else if (name == "--svg") {
      svg = *value;
    } else {
      return usage_error(cmd, "unknown option '" + name + "'");
    }
    if (!error.empty()) return usage_error(cmd, error);
  }

  EngagementConfig& c = o.config;
  c = find_preset(preset)->config;
  std::string error;
  auto count = [&](const std::optional<double>& v, std::int64_t& into, const char* name) {
    if (!v) return;
    if (*v < 0 || *v != std::floor(*v)) {
      error = std::string(name) + " must be a whole number >= 0";
    } else {
      into = static_cast<std::int64_t>(*v);
    }
  };
  count(min, c.min_viewers, "--min");
  count(max, c.max_viewers, "--max");
  if (increase) c.increase_rate = *increase;
  if (decrease) c.decrease_rate = *decrease;
  if (like_rate) c.like_rate = *like_rate;
  if (multiplier) c.multiplier = *multiplier;
  if (error.empty()) error = validate(c);
  if (!error.empty()) return usage_error(cmd, "invalid settings: " + error);
  if (seed) {
    o.seed = *seed;
  } else {
    std::random_device rd;
    o.seed = rd() % 1'000'000;  // short enough to retype
  }

  const PreviewResult r = run_preview(o);
  if (!csv.empty() && !write_file(csv, [&](std::ostream& out) { write_preview_csv(r, out); })) {
    return 1;
  }
  if (!svg.empty() && !write_file(svg, [&](std::ostream& out) { write_preview_svg(r, out); })) {
    return 1;
  }
  if (csv != "-" && svg != "-") {
    std::cout << "preset " << preset
              << (min || max || increase || decrease || like_rate || multiplier ? " with changes"
                                                                                : "")
              << "\n";
    write_preview_summary(r, std::cout);
    if (!csv.empty()) std::cout << "wrote " << csv << " (one row per minute)\n";
    if (!svg.empty()) std::cout << "wrote " << svg << " (open it in a browser)\n";
  }
  return 0;
}

}  // namespace engagementd
