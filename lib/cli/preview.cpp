#include "cli/preview.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "core/duration.hpp"

namespace engagementd {
namespace {

constexpr std::int64_t kMsPerMinute = 60'000;

std::string num(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Rates read best without trailing zeros: 5, 2.5, 0.25.
std::string rate(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::int64_t real_at(const std::vector<RealViewersAt>& real, std::int64_t ms) {
  std::int64_t v = 0;
  for (const RealViewersAt& r : real) {
    if (static_cast<std::int64_t>(r.from) * kMsPerMinute <= ms) v = r.viewers;
  }
  return v;
}

PreviewMinute row_of(const EngagementConfig& c, int minute, std::int64_t real, const SimState& s) {
  return PreviewMinute{minute,  real,   target_viewers(c, real), s.viewers, real + s.viewers,
                       s.likes, s.joins};
}

// A step of 1, 2 or 5 x 10^k that cuts `range` into about `parts`.
double nice_step(double range, int parts) {
  const double raw = std::max(range, 1.0) / parts;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
  return std::max(step, 1.0);
}

std::string config_text(const EngagementConfig& c) {
  return "min " + std::to_string(c.min_viewers) + ", max " + std::to_string(c.max_viewers) +
         ", joins " + rate(c.increase_rate) + "/min, leaves " + rate(c.decrease_rate) +
         "/min, likes " + num(like_rate_per_minute(c), 2) + "/min, multiplier " +
         rate(c.multiplier) + ", watch time " + rate(c.watch_minutes) + " min" +
         (c.viewers_enabled ? "" : ", simulated viewers off") +
         (c.likes_enabled ? "" : ", simulated likes off");
}

}  // namespace

std::vector<RealViewersAt> parse_real_viewers(const std::string& text) {
  std::vector<RealViewersAt> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = text.find(',', pos);
    const std::string part = text.substr(pos, comma == std::string::npos ? comma : comma - pos);
    const std::size_t at = part.find('@');
    auto whole = [&](const std::string& s, const char* what) -> long long {
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 9) {
        throw std::invalid_argument("'" + text + "': " + what + " '" + s +
                                    "' is not a whole number (use N or N,N@MINUTE,...)");
      }
      return std::stoll(s);
    };
    RealViewersAt r;
    r.viewers = whole(part.substr(0, at), "real viewers");
    if (at != std::string::npos) {
      r.from = static_cast<int>(whole(part.substr(at + 1), "minute"));
    } else if (!out.empty()) {
      throw std::invalid_argument("'" + text + "': '" + part + "' needs @MINUTE");
    }
    if (out.empty() && r.from != 0) out.push_back(RealViewersAt{0, 0});
    if (!out.empty() && r.from <= out.back().from) {
      throw std::invalid_argument("'" + text + "': minutes must increase (" +
                                  std::to_string(r.from) + " after " +
                                  std::to_string(out.back().from) + ")");
    }
    out.push_back(r);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

PreviewResult run_preview(const PreviewOptions& o) {
  if (o.minutes < 1) throw std::invalid_argument("the preview needs at least one minute");
  if (o.tick.count() <= 0) throw std::invalid_argument("the tick must be longer than 0");
  PreviewResult r;
  r.options = o;
  Rng rng(o.seed);
  const EngagementConfig& c = o.config;
  const double tick_s = static_cast<double>(o.tick.count()) / 1000.0;
  const std::int64_t end_ms = static_cast<std::int64_t>(o.minutes) * kMsPerMinute;

  std::int64_t real = real_at(o.real, 0);
  SimState s = first_sight(c, RealCounts{real, 0, 0, 0}, rng);
  r.start = row_of(c, 0, real, s);
  int minute = 1;
  std::int64_t now = 0;
  r.rows.reserve(static_cast<std::size_t>(o.minutes));
  while (minute <= o.minutes) {
    // What is shown at a minute boundary is what the last tick wrote.
    const std::int64_t next = now + o.tick.count();
    while (minute <= o.minutes && static_cast<std::int64_t>(minute) * kMsPerMinute < next) {
      r.rows.push_back(row_of(c, minute, real, s));
      ++minute;
    }
    if (next > end_ms) break;
    // The daemon reads the real viewers at each tick.
    real = real_at(o.real, next);
    s = step(c, s, RealCounts{real, 0, 0, 0}, tick_s, rng);
    now = next;
  }
  return r;
}

void write_preview_csv(const PreviewResult& r, std::ostream& out) {
  out << "minute,real_viewers,target,sim_viewers,display_viewers,sim_likes\n";
  for (const PreviewMinute& m : r.rows) {
    out << m.minute << ',' << m.real_viewers << ',' << m.target << ',' << m.sim_viewers << ','
        << m.display_viewers << ',' << m.sim_likes << '\n';
  }
}

void write_preview_summary(const PreviewResult& r, std::ostream& out) {
  const PreviewOptions& o = r.options;
  const EngagementConfig& c = o.config;
  out << "settings: " << config_text(c) << "\n";
  out << "real viewers:";
  for (const RealViewersAt& v : o.real) {
    out << " " << v.viewers << (v.from ? " from minute " + std::to_string(v.from) : "");
  }
  out << "; " << o.minutes << " minutes at " << format_duration(o.tick) << " ticks; seed " << o.seed
      << "\n";
  std::int64_t lo = r.start.sim_viewers, hi = r.start.sim_viewers;
  for (const PreviewMinute& m : r.rows) {
    lo = std::min(lo, m.sim_viewers);
    hi = std::max(hi, m.sim_viewers);
  }
  const PreviewMinute& last = r.rows.back();
  out << "minute 0: simulated viewers " << r.start.sim_viewers << " (target " << r.start.target
      << ")\n";
  out << "minute " << last.minute << ": target " << last.target << " (natural spread +-"
      << num(expected_spread(last.target)) << "), simulated viewers " << last.sim_viewers
      << ", display viewers " << last.display_viewers << " (real " << last.real_viewers << ")\n";
  out << "simulated viewers ranged " << lo << ".." << hi << "; simulated joins " << last.sim_joins
      << "; simulated likes " << last.sim_likes << " (expected about "
      << num(c.likes_enabled ? like_rate_per_minute(c) * o.minutes : 0) << ")\n";
  if (const auto p = plateau_stats(r)) {
    const double t = static_cast<double>(p->target);
    out << "plateau, minutes " << p->from_minute << ".." << p->to_minute << " at target "
        << p->target << ": mean " << num(p->mean) << ", sd " << num(p->sd)
        << ", lag-1-minute autocorrelation " << num(p->lag1, 2) << ", joins "
        << num(p->joins_per_minute) << "/min, leaves " << num(p->leaves_per_minute)
        << "/min\n  (a natural audience: mean " << num(t) << ", sd " << num(natural_sd(p->target))
        << ", autocorrelation " << num(std::exp(-1.0 / c.watch_minutes), 2) << ", joins and leaves "
        << num(t / c.watch_minutes) << "/min)\n";
  }
}

std::optional<PlateauStats> plateau_stats(const PreviewResult& r) {
  const std::vector<PreviewMinute>& rows = r.rows;
  if (rows.empty()) return std::nullopt;
  const std::int64_t target = rows.back().target;
  std::size_t first = rows.size();
  while (first > 0 && rows[first - 1].target == target) --first;
  while (first < rows.size() &&
         std::abs(static_cast<double>(rows[first].sim_viewers - target)) > natural_sd(target)) {
    ++first;
  }
  first += static_cast<std::size_t>(std::ceil(2 * r.options.config.watch_minutes));
  if (first >= rows.size() || rows.size() - first < kMinPlateauMinutes) return std::nullopt;
  PlateauStats p;
  p.target = target;
  p.from_minute = rows[first].minute;
  p.to_minute = rows.back().minute;
  p.samples = rows.size() - first;
  const double n = static_cast<double>(p.samples);
  for (std::size_t i = first; i < rows.size(); ++i)
    p.mean += static_cast<double>(rows[i].sim_viewers);
  p.mean /= n;
  double sq = 0, lagged = 0;
  for (std::size_t i = first; i < rows.size(); ++i) {
    const double d = static_cast<double>(rows[i].sim_viewers) - p.mean;
    sq += d * d;
    if (i + 1 < rows.size()) lagged += d * (static_cast<double>(rows[i + 1].sim_viewers) - p.mean);
  }
  p.sd = std::sqrt(sq / (n - 1));
  p.lag1 = sq > 0 ? lagged / sq : 0;
  // The minutes between the first and the last sample: n - 1 of them.
  const double joins = static_cast<double>(rows.back().sim_joins - rows[first].sim_joins);
  const double change = static_cast<double>(rows.back().sim_viewers - rows[first].sim_viewers);
  p.joins_per_minute = joins / (n - 1);
  p.leaves_per_minute = (joins - change) / (n - 1);
  return p;
}

namespace {

// The preview chart's geometry: the page, the plot area and the scales of
// its three axes (viewers on the left, simulated likes on the right, time).
struct SvgChart {
  double width = 960, height = 560;
  double left = 70, right = 880, top = 70, bottom = 440;
  double minutes = 1;
  double vstep = 1, vmax = 1, lstep = 1, lmax = 1, tstep = 1;

  double x(double minute) const { return left + (right - left) * minute / minutes; }
  double yv(double v) const { return bottom - (bottom - top) * v / vmax; }
  double yl(double v) const { return bottom - (bottom - top) * v / lmax; }
};

SvgChart svg_chart(const std::vector<PreviewMinute>& points, double minutes) {
  SvgChart c;
  c.minutes = minutes;
  double max_viewers = 1, max_likes = 1;
  for (const PreviewMinute& m : points) {
    max_viewers = std::max({max_viewers, static_cast<double>(m.display_viewers),
                            static_cast<double>(m.target) + expected_spread(m.target)});
    max_likes = std::max(max_likes, static_cast<double>(m.sim_likes));
  }
  c.vstep = nice_step(max_viewers, 6);
  c.vmax = std::ceil(max_viewers / c.vstep) * c.vstep;
  c.lstep = nice_step(max_likes, 6);
  c.lmax = std::ceil(max_likes / c.lstep) * c.lstep;
  c.tstep = nice_step(minutes, 10);
  return c;
}

void write_svg_head(const SvgChart& c, const PreviewOptions& o, std::ostream& out) {
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << c.width << "\" height=\""
      << c.height << "\" viewBox=\"0 0 " << c.width << ' ' << c.height
      << "\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n"
      << "<title>engagementd preview</title>\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  out << "<text x=\"" << c.left << "\" y=\"28\" font-size=\"16\" font-weight=\"bold\">"
      << "Simulated audience preview (" << o.minutes << " minutes, " << format_duration(o.tick)
      << " ticks, seed " << o.seed << ")</text>\n";
  out << "<text x=\"" << c.left << "\" y=\"48\" fill=\"#444444\">"
      << xml_escape(config_text(o.config)) << "</text>\n";
}

// Grid and axes.
void write_svg_axes(const SvgChart& c, std::ostream& out) {
  const double left = c.left, right = c.right, top = c.top, bottom = c.bottom;
  out << "<g stroke=\"#e5e5e5\" stroke-width=\"1\">\n";
  for (double v = 0; v <= c.vmax + 1e-9; v += c.vstep) {
    out << "<line x1=\"" << left << "\" x2=\"" << right << "\" y1=\"" << num(c.yv(v))
        << "\" y2=\"" << num(c.yv(v)) << "\"/>\n";
  }
  out << "</g>\n<g fill=\"#333333\" text-anchor=\"end\">\n";
  for (double v = 0; v <= c.vmax + 1e-9; v += c.vstep) {
    out << "<text x=\"" << left - 6 << "\" y=\"" << num(c.yv(v) + 4) << "\">" << num(v, 0)
        << "</text>\n";
  }
  out << "</g>\n<g fill=\"#d62728\" text-anchor=\"start\">\n";
  for (double v = 0; v <= c.lmax + 1e-9; v += c.lstep) {
    out << "<text x=\"" << right + 6 << "\" y=\"" << num(c.yl(v) + 4) << "\">" << num(v, 0)
        << "</text>\n";
  }
  out << "</g>\n<g fill=\"#333333\" text-anchor=\"middle\">\n";
  for (double t = 0; t <= c.minutes + 1e-9; t += c.tstep) {
    out << "<text x=\"" << num(c.x(t)) << "\" y=\"" << bottom + 18 << "\">" << num(t, 0)
        << "</text>\n";
  }
  out << "</g>\n";
  out << "<g stroke=\"#333333\" stroke-width=\"1.5\">"
      << "<line x1=\"" << left << "\" x2=\"" << left << "\" y1=\"" << top << "\" y2=\"" << bottom
      << "\"/><line x1=\"" << right << "\" x2=\"" << right << "\" y1=\"" << top << "\" y2=\""
      << bottom << "\"/><line x1=\"" << left << "\" x2=\"" << right << "\" y1=\"" << bottom
      << "\" y2=\"" << bottom << "\"/></g>\n";
  out << "<text x=\"" << (left + right) / 2 << "\" y=\"" << bottom + 40
      << "\" text-anchor=\"middle\" fill=\"#333333\">time (minutes)</text>\n";
  out << "<text transform=\"translate(20 " << (top + bottom) / 2
      << ") rotate(-90)\" text-anchor=\"middle\" fill=\"#333333\">viewers</text>\n";
  out << "<text transform=\"translate(" << c.width - 24 << ' ' << (top + bottom) / 2
      << ") rotate(90)\" text-anchor=\"middle\" fill=\"#d62728\">simulated likes "
         "(cumulative)</text>\n";
}

// Where a natural audience around T is 95 % of the time, T +- 2 sqrt(T);
// then the lines.
void write_svg_series(const SvgChart& c, const std::vector<PreviewMinute>& points,
                      std::ostream& out) {
  const auto yv = [&](double v) { return c.yv(v); };
  const auto yl = [&](double v) { return c.yl(v); };
  auto polyline = [&](auto value, auto y, const char* colour, double stroke_width,
                      const char* extra) {
    out << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"" << stroke_width
        << "\"" << extra << " points=\"";
    for (const PreviewMinute& m : points) {
      out << num(c.x(m.minute)) << ',' << num(y(static_cast<double>(value(m)))) << ' ';
    }
    out << "\"/>\n";
  };
  out << "<polygon fill=\"#ff7f0e\" fill-opacity=\"0.18\" stroke=\"none\" points=\"";
  for (const PreviewMinute& m : points) {
    out << num(c.x(m.minute)) << ','
        << num(yv(static_cast<double>(m.target) + expected_spread(m.target))) << ' ';
  }
  for (auto it = points.rbegin(); it != points.rend(); ++it) {
    out << num(c.x(it->minute)) << ','
        << num(yv(std::max(0.0, static_cast<double>(it->target) - expected_spread(it->target))))
        << ' ';
  }
  out << "\"/>\n";
  polyline([](const PreviewMinute& m) { return m.target; }, yv, "#ff7f0e", 1.5,
           " stroke-dasharray=\"6 4\"");
  polyline([](const PreviewMinute& m) { return m.real_viewers; }, yv, "#2ca02c", 2, "");
  polyline([](const PreviewMinute& m) { return m.sim_viewers; }, yv, "#9ecae1", 2, "");
  polyline([](const PreviewMinute& m) { return m.display_viewers; }, yv, "#1f77b4", 3, "");
  polyline([](const PreviewMinute& m) { return m.sim_likes; }, yl, "#d62728", 2, "");
}

void write_svg_legend(const SvgChart& c, std::ostream& out) {
  struct Entry {
    const char* colour;
    const char* label;
    const char* dash;
  };
  const Entry entries[] = {
      {"#1f77b4", "display viewers (real + simulated)", ""},
      {"#9ecae1", "simulated viewers", ""},
      {"#2ca02c", "real viewers", ""},
      {"#ff7f0e", "target T of the simulated viewers, band T +- 2 sqrt(T) (95 %)", "6 4"},
      {"#d62728", "simulated likes, cumulative (right axis)", ""}};
  double lx = c.left, ly = c.bottom + 66;
  for (std::size_t i = 0; i < std::size(entries); ++i) {
    if (i == 3) {
      lx = c.left;
      ly += 22;
    }
    const Entry& e = entries[i];
    out << "<line x1=\"" << lx << "\" x2=\"" << lx + 28 << "\" y1=\"" << ly - 4 << "\" y2=\""
        << ly - 4 << "\" stroke=\"" << e.colour << "\" stroke-width=\"3\""
        << (*e.dash ? std::string(" stroke-dasharray=\"") + e.dash + "\"" : std::string())
        << "/>\n<text x=\"" << lx + 34 << "\" y=\"" << ly << "\" fill=\"#333333\">"
        << xml_escape(e.label) << "</text>\n";
    lx += i < 3 ? 270 : 420;
  }
}

}  // namespace

void write_preview_svg(const PreviewResult& r, std::ostream& out) {
  std::vector<PreviewMinute> points;
  points.reserve(r.rows.size() + 1);
  points.push_back(r.start);
  points.insert(points.end(), r.rows.begin(), r.rows.end());
  const SvgChart chart = svg_chart(points, r.options.minutes);
  write_svg_head(chart, r.options, out);
  write_svg_axes(chart, out);
  write_svg_series(chart, points, out);
  write_svg_legend(chart, out);
  out << "</svg>\n";
}

}  // namespace engagementd
