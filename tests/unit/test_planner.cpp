// The per-stream rules of a tick (tick/planner.hpp), without a database:
// which settings apply, the kill switch's freeze, dt, the step, which rows
// are written, the display and its badge, clamping, the final numbers.
#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "core/audit.hpp"
#include "tick/planner.hpp"

using namespace engagementd;

namespace {

constexpr std::int64_t kNow = 1'000'000'000;
constexpr std::uint64_t kSeed = 2026;

// The tick's shared facts: simulating, the lease's last tick 5 s ago.
TickFacts facts(bool simulate = true) {
  TickFacts t;
  t.defaults = EngagementConfig{};
  t.defaults.watch_minutes = 4;
  t.simulate = simulate;
  t.now_ms = kNow;
  t.lease_last_tick_ms = kNow - 5'000;
  t.max_catchup_s = 60;
  t.display_limit = 4'294'967'295;  // INT UNSIGNED
  return t;
}

// A stream's own settings, different from the defaults in every column.
EngagementConfig own_config() {
  EngagementConfig c;
  c.min_viewers = 8;
  c.max_viewers = 40;
  c.increase_rate = 12;
  c.decrease_rate = 2;
  c.like_rate = 6;
  c.multiplier = 3;
  return c;
}

StoredState stored(const SimState& sim, std::int64_t last_tick_ms, const std::string& json) {
  StoredState st;
  st.sim = sim;
  st.first_tick_ms = kNow - 600'000;
  st.last_tick_ms = last_tick_ms;
  st.config_json = json;
  return st;
}

// A live stream with 6 real viewers, 3 likes, 2 dislikes, 4 comments.
LiveStream live(std::int64_t id, std::optional<RawConfig> config,
                std::optional<StoredState> state = std::nullopt) {
  LiveStream s;
  s.id = id;
  s.config = std::move(config);
  s.state = std::move(state);
  s.real = RealCounts{6, 3, 2, 4};
  return s;
}

SimState some_sim() {
  SimState sim;
  sim.viewers = 20;
  sim.joins = 31;
  sim.likes = 9;
  sim.peak = 27;
  sim.real_peak = 7;
  sim.sim_peak = 22;
  return sim;
}

}  // namespace

// ---- which settings apply ----

TEST_CASE("planner: a stream without a settings row gets the global defaults, inserted") {
  StreamPlanner planner(facts());
  Rng rng(kSeed);
  const StreamPlan p = planner.plan(live(7, std::nullopt), rng);
  CHECK(p.source == ConfigSource::new_row);
  CHECK(p.config == facts().defaults);
  REQUIRE(p.config_row);
  CHECK(p.config_row->stream_id == 7);
  CHECK(p.config_row->config == facts().defaults);
  CHECK(p.warnings.empty());
  REQUIRE(p.audits.size() == 1);
  CHECK_THAT(p.audits[0].detail,
             Catch::Contains("\"config_source\":\"global defaults (new stream_engagement_config "
                             "row)\""));
}

TEST_CASE("planner: a valid row's settings apply, with the global watch time") {
  StreamPlanner planner(facts());
  Rng rng(kSeed);
  const StreamPlan p = planner.plan(live(7, to_raw(own_config())), rng);
  CHECK(p.source == ConfigSource::stream_row);
  EngagementConfig expected = own_config();
  expected.watch_minutes = 4;  // the defaults': there is no column for it
  CHECK(p.config == expected);
  CHECK_FALSE(p.config_row);
  CHECK(p.config_error.empty());
  CHECK(p.warnings.empty());
  REQUIRE(p.audits.size() == 1);
  CHECK_THAT(p.audits[0].detail, Catch::Contains("\"config_source\":\"stream_engagement_config\""));
  CHECK_THAT(p.audits[0].detail, Catch::Contains("\"min_fake_viewers\":8"));
}

TEST_CASE("planner: an invalid row falls back to the global defaults and says why, keyed") {
  RawConfig raw = to_raw(own_config());
  raw[3] = 2;  // max_fake_viewers 2 < min 8
  StreamPlanner planner(facts());
  Rng rng(kSeed);
  const StreamPlan p = planner.plan(live(9, raw), rng);
  CHECK(p.source == ConfigSource::invalid_row);
  CHECK(p.config == facts().defaults);
  CHECK(p.config_error == "max_fake_viewers 2 < min_fake_viewers 8");
  CHECK_FALSE(p.config_row);  // the row is the site's: not replaced
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].key == config_problem_key(9));
  CHECK(p.warnings[0].key == "stream:9");
  CHECK(p.warnings[0].what == p.config_error);
  CHECK(p.warnings[0].text ==
        "stream=9 invalid stream_engagement_config (max_fake_viewers 2 < min_fake_viewers 8); "
        "using the global defaults until it is fixed");
  REQUIRE(p.audits.size() == 1);
  CHECK_THAT(p.audits[0].detail,
             Catch::Contains("\"config_source\":\"global defaults (invalid "
                             "stream_engagement_config: max_fake_viewers 2 < min_fake_viewers "
                             "8)\""));
}

// ---- first sight ----

TEST_CASE("planner: first sight of a live stream draws the first viewers and audits it") {
  StreamPlanner planner(facts());
  Rng rng(kSeed), same(kSeed);
  const LiveStream s = live(7, to_raw(own_config()));
  const StreamPlan p = planner.plan(s, rng);
  const SimState expected = first_sight(p.config, s.real, same);
  CHECK(p.sim == expected);
  CHECK(p.sim.viewers >= 4);  // [ceil(8/2), 8]
  CHECK(p.sim.viewers <= 8);
  CHECK(p.dt_seconds == 0);
  CHECK(p.target == 18);  // 6 real x 3, within 8..40
  REQUIRE(p.state);
  CHECK(p.state->stream_id == 7);
  CHECK_FALSE(p.state->exists);
  CHECK(p.state->sim == expected);
  CHECK(p.state->first_tick_ms == kNow);
  CHECK(p.state->last_tick_ms == kNow);
  CHECK(p.state->config_json == config_json(p.config));
  REQUIRE(p.audits.size() == 1);
  CHECK(p.audits[0].event == "first_simulated");
  CHECK(p.audits[0].stream_id == 7);
  CHECK(p.audits[0].at_ms == kNow);
  CHECK(p.audits[0].detail == "{\"config\":" + config_json(p.config) +
                                  ",\"config_source\":\"stream_engagement_config\","
                                  "\"real_viewers\":6,\"sim_viewers\":" +
                                  std::to_string(expected.viewers) + "}");
  // The display includes them, and the badge says so.
  CHECK(p.display == Display{6 + expected.viewers, expected.peak, 3, 2, 4, true});
  CHECK(p.write_display);
}

// ---- dt and the step ----

TEST_CASE("planner: dt is the time since the stream's last tick or the lease's, capped") {
  const std::string json = config_json(facts().defaults);
  const auto dt_for = [&](std::int64_t state_last, std::int64_t lease_last, double cap) {
    TickFacts t = facts();
    t.lease_last_tick_ms = lease_last;
    t.max_catchup_s = cap;
    StreamPlanner planner(t);
    Rng rng(kSeed);
    return planner
        .plan(live(7, to_raw(facts().defaults), stored(some_sim(), state_last, json)), rng)
        .dt_seconds;
  };
  // The stream's own last tick when it is the later one.
  CHECK(dt_for(kNow - 2'500, kNow - 9'000, 60) == 2.5);
  // The lease's when later: the stream was advanced to then without a write.
  CHECK(dt_for(kNow - 30'000, kNow - 4'000, 60) == 4.0);
  // Capped by max_catchup.
  CHECK(dt_for(kNow - 600'000, kNow - 600'000, 60) == 60.0);
  CHECK(dt_for(kNow - 600'000, 0, 15) == 15.0);
  // A clock that went back gives 0, never a negative step.
  CHECK(dt_for(kNow + 10'000, 0, 60) == 0.0);
}

TEST_CASE("planner: a known stream is stepped over dt with its settings and written") {
  TickFacts t = facts();
  t.lease_last_tick_ms = 0;
  EngagementConfig used = own_config();
  used.watch_minutes = 4;
  StreamPlanner planner(t);
  Rng rng(kSeed), same(kSeed);
  const LiveStream s =
      live(7, to_raw(own_config()), stored(some_sim(), kNow - 10'000, config_json(used)));
  const StreamPlan p = planner.plan(s, rng);
  const SimState expected = step(used, some_sim(), s.real, 10.0, same);
  REQUIRE(expected != some_sim());
  CHECK(p.dt_seconds == 10.0);
  CHECK(p.sim == expected);
  CHECK(p.target == 18);
  REQUIRE(p.state);
  CHECK(p.state->stream_id == 7);
  CHECK(p.state->exists);
  CHECK(p.state->sim == expected);
  CHECK(p.state->first_tick_ms == kNow - 600'000);  // kept
  CHECK(p.state->last_tick_ms == kNow);
  CHECK(p.state->config_json.empty());  // unchanged settings: the column is kept
  CHECK(p.audits.empty());
  CHECK(p.display == Display{6 + expected.viewers, expected.peak, 3 + expected.likes, 2, 4, true});
}

TEST_CASE("planner: a stream whose numbers do not change is not written") {
  // dt 0 (its last tick is now) and peaks that already hold: step changes nothing.
  TickFacts t = facts();
  t.lease_last_tick_ms = kNow;
  SimState sim = some_sim();
  sim.peak = 40;
  const std::string json = config_json(t.defaults);
  StreamPlanner planner(t);
  Rng rng(kSeed);
  LiveStream s = live(7, to_raw(t.defaults), stored(sim, kNow, json));
  s.shown = Display{6 + sim.viewers, 40, 3 + sim.likes, 2, 4, true};
  const StreamPlan p = planner.plan(s, rng);
  CHECK(p.sim == sim);
  CHECK_FALSE(p.state);
  CHECK_FALSE(p.write_display);  // and the row already shows these numbers
  CHECK(p.display == s.shown);
  CHECK(p.audits.empty());
}

TEST_CASE("planner: a finalized stream that is live again is revived from its totals") {
  TickFacts t = facts();
  t.lease_last_tick_ms = kNow;
  SimState sim = some_sim();
  sim.peak = 40;
  StoredState st = stored(sim, kNow, config_json(t.defaults));
  st.finalized = true;
  StreamPlanner planner(t);
  Rng rng(kSeed);
  const StreamPlan p = planner.plan(live(7, to_raw(t.defaults), st), rng);
  CHECK(p.sim == sim);  // unchanged, but written: the row must lose its finalized mark
  REQUIRE(p.state);
  CHECK_FALSE(p.state->exists);  // inserted or revived, not updated in place
  CHECK(p.state->sim == sim);
  CHECK(p.state->first_tick_ms == st.first_tick_ms);
}

// ---- settings changes ----

TEST_CASE("planner: changed settings are audited and recorded with the state") {
  const std::string before = config_json(facts().defaults);
  StreamPlanner planner(facts());
  Rng rng(kSeed);
  const StreamPlan p =
      planner.plan(live(7, to_raw(own_config()), stored(some_sim(), kNow - 5'000, before)), rng);
  const std::string after = config_json(p.config);
  REQUIRE(after != before);
  REQUIRE(p.audits.size() == 1);
  CHECK(p.audits[0].event == "config_changed");
  CHECK(p.audits[0].stream_id == 7);
  CHECK(p.audits[0].detail == "{\"from\":" + before + ",\"to\":" + after +
                                  ",\"config_source\":\"stream_engagement_config\"}");
  REQUIRE(p.state);
  CHECK(p.state->config_json == after);
}

TEST_CASE("planner: a state from before the settings column records them without an audit") {
  TickFacts t = facts();
  t.lease_last_tick_ms = kNow;
  SimState sim = some_sim();
  sim.peak = 40;
  StreamPlanner planner(t);
  Rng rng(kSeed);
  const StreamPlan p = planner.plan(live(7, to_raw(t.defaults), stored(sim, kNow, "")), rng);
  CHECK(p.sim == sim);
  CHECK(p.audits.empty());
  REQUIRE(p.state);  // written only to record the settings
  CHECK(p.state->config_json == config_json(p.config));
}

TEST_CASE("planner: each stream's settings JSON is its own, however streams alternate") {
  StreamPlanner planner(facts());
  Rng rng(kSeed);
  EngagementConfig used = own_config();
  used.watch_minutes = 4;
  const std::string own = config_json(used), defaults = config_json(facts().defaults);
  for (int i = 0; i < 3; ++i) {
    const StreamPlan a = planner.plan(live(1, to_raw(own_config())), rng);
    const StreamPlan b = planner.plan(live(2, std::nullopt), rng);
    REQUIRE(a.state);
    REQUIRE(b.state);
    CHECK(a.state->config_json == own);
    CHECK(b.state->config_json == defaults);
  }
}

// ---- the kill switch ----

TEST_CASE("planner: with simulation off a known stream is frozen, following the real peak") {
  StreamPlanner planner(facts(false));
  Rng rng(kSeed);
  const std::string json = config_json(facts().defaults);
  LiveStream s = live(7, to_raw(facts().defaults), stored(some_sim(), kNow - 5'000, json));
  StreamPlan p = planner.plan(s, rng);
  CHECK(p.sim == some_sim());  // real peak 7 >= 6 real viewers now
  CHECK_FALSE(p.state);
  CHECK(p.dt_seconds == 0);
  CHECK(p.target == 0);
  // Real only: max_viewers is the real viewers now, no badge.
  CHECK(p.display == Display{6, 6, 3, 2, 4, false});
  CHECK(p.write_display);

  s.real.viewers = 11;  // a new real peak is still recorded
  p = planner.plan(s, rng);
  SimState expected = some_sim();
  expected.real_peak = 11;
  CHECK(p.sim == expected);
  REQUIRE(p.state);
  CHECK(p.state->sim == expected);
  CHECK(p.state->last_tick_ms == kNow);
  CHECK(p.display == Display{11, 11, 3, 2, 4, false});
  // The random source was not touched.
  Rng fresh(kSeed);
  CHECK(rng() == fresh());
}

TEST_CASE("planner: with simulation off a new stream gets no simulated state") {
  StreamPlanner planner(facts(false));
  Rng rng(kSeed);
  const StreamPlan p = planner.plan(live(7, std::nullopt), rng);
  CHECK_FALSE(p.state);
  CHECK(p.sim == SimState{});
  CHECK(p.audits.empty());
  REQUIRE(p.config_row);  // the settings row is still created
  CHECK(p.display == Display{6, 6, 3, 2, 4, false});
}

TEST_CASE("planner: settings changed while frozen are still recorded") {
  StreamPlanner planner(facts(false));
  Rng rng(kSeed);
  const StreamPlan p =
      planner.plan(live(7, to_raw(own_config()),
                        stored(some_sim(), kNow - 5'000, config_json(facts().defaults))),
                   rng);
  CHECK(p.sim == some_sim());
  REQUIRE(p.state);
  CHECK(p.state->config_json == config_json(p.config));
  REQUIRE(p.audits.size() == 1);
  CHECK(p.audits[0].event == "config_changed");
}

TEST_CASE("planner: the kill switch simulates only with both switches on, audits flips") {
  // No kill_switch row yet: taken as on.
  KillSwitchPlan k = plan_kill_switch(true, true, std::nullopt, kNow);
  CHECK(k.simulate);
  CHECK_FALSE(k.audit);
  k = plan_kill_switch(false, true, std::nullopt, kNow);
  CHECK_FALSE(k.simulate);
  REQUIRE(k.audit);
  CHECK(k.audit->event == "kill_switch");
  CHECK(k.audit->at_ms == kNow);
  CHECK_FALSE(k.audit->stream_id);
  CHECK(k.audit->detail == "{\"simulation\":\"off\",\"off_by_config_file\":true}");
  k = plan_kill_switch(true, false, std::nullopt, kNow);
  REQUIRE(k.audit);
  CHECK(k.audit->detail == "{\"simulation\":\"off\",\"off_by_global_setting\":true}");
  k = plan_kill_switch(false, false, std::nullopt, kNow);
  REQUIRE(k.audit);
  CHECK(k.audit->detail ==
        "{\"simulation\":\"off\",\"off_by_config_file\":true,\"off_by_global_setting\":true}");
  // Against the audited state: off stays off without a row, on again is one.
  const std::string off = "{\"simulation\":\"off\",\"off_by_config_file\":true}";
  CHECK_FALSE(plan_kill_switch(false, true, off, kNow).audit);
  k = plan_kill_switch(true, true, off, kNow);
  CHECK(k.simulate);
  REQUIRE(k.audit);
  CHECK(k.audit->detail == "{\"simulation\":\"on\"}");
  CHECK_FALSE(plan_kill_switch(true, true, std::string("{\"simulation\":\"on\"}"), kNow).audit);
}

// ---- the display ----

TEST_CASE("planner: display = real + simulated, dislikes and comments real, the badge") {
  SimState sim = some_sim();
  const RealCounts real{6, 3, 2, 4};
  CHECK(live_display(real, sim, true) == Display{26, 27, 12, 2, 4, true});
  CHECK(live_display(real, sim, false) == Display{6, 6, 3, 2, 4, false});
  // The badge while any simulated part is, or was, shown.
  SimState none;
  CHECK_FALSE(live_display(real, none, true).simulated);
  SimState only_likes;
  only_likes.likes = 1;
  CHECK(live_display(real, only_likes, true).simulated);
  SimState all_left;  // every simulated viewer has left: the peak may still include them
  all_left.joins = 5;
  CHECK(live_display(real, all_left, true).simulated);
  SimState viewers_now;
  viewers_now.viewers = 1;
  CHECK(live_display(real, viewers_now, true).simulated);
}

TEST_CASE("planner: display numbers are clamped within 0..the columns' limit, said once") {
  TickFacts t = facts();
  t.display_limit = 100;
  t.lease_last_tick_ms = kNow;
  SimState sim = some_sim();
  sim.likes = 500;
  sim.peak = 400;
  StreamPlanner planner(t);
  Rng rng(kSeed);
  LiveStream s = live(7, to_raw(t.defaults), stored(sim, kNow, config_json(t.defaults)));
  StreamPlan p = planner.plan(s, rng);
  CHECK(p.display == Display{26, 100, 100, 2, 4, true});
  CHECK(p.clamped);
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].key == "clamp:7");
  CHECK(p.warnings[0].what == "clamped");
  CHECK(p.warnings[0].text ==
        "stream=7 display numbers above what the columns hold (100); shown clamped to it");
  // The stored state keeps the true numbers.
  CHECK(p.sim.likes == 500);

  // A kept real count gone negative is shown as 0.
  s.real = RealCounts{-3, -1, 2, -8};
  s.state->sim = SimState{};
  p = planner.plan(s, rng);
  CHECK(p.display.dislikes == 2);
  CHECK(p.display.viewers == 0);
  CHECK(p.display.likes == 0);
  CHECK(p.display.comments == 0);
  CHECK(p.clamped);

  CHECK(clamped(Display{5, 6, 7, 8, 9, true}, 7) == Display{5, 6, 7, 7, 7, true});
  CHECK(clamped(Display{-1, 0, 1, 2, 3, false}, 7) == Display{0, 0, 1, 2, 3, false});
}

TEST_CASE("planner: the display is written only when the row shows other numbers") {
  StreamPlanner planner(facts(false));
  Rng rng(kSeed);
  LiveStream s = live(7, to_raw(facts().defaults));
  s.shown = Display{6, 6, 3, 2, 4, false};
  CHECK_FALSE(planner.plan(s, rng).write_display);
  s.shown.simulated = true;  // the badge alone differs
  CHECK(planner.plan(s, rng).write_display);
  s.shown = Display{6, 6, 3, 2, 5, false};
  CHECK(planner.plan(s, rng).write_display);
}

// ---- finalization ----

namespace {

EndedStream ended(const std::string& status, bool exists = true) {
  EndedStream e;
  e.stream_id = 42;
  e.exists = exists;
  e.status = status;
  e.state = stored(some_sim(), kNow - 5'000, "");
  e.real_viewers_total = 13;
  e.real = RealCounts{0, 3, 2, 4};
  e.duration_seconds = 1800;
  return e;
}

}  // namespace

TEST_CASE("planner: final numbers = distinct real viewers + simulated joins, likes, peak") {
  const FinalPlan plan = plan_finalization(ended("ended"), facts());
  CHECK(plan.warnings.empty());
  REQUIRE(plan.finalization);
  const Finalization& f = *plan.finalization;
  CHECK(f.stream_id == 42);
  CHECK(f.stream_exists);
  CHECK(f.final_status == "ended");
  CHECK(f.duration_seconds == 1800);
  CHECK(f.real_viewers_total == 13);
  CHECK(f.sim_viewers_total == 31);
  CHECK(f.real.likes == 3);
  CHECK(f.sim_likes == 9);
  CHECK(f.real_peak == 7);
  CHECK(f.sim_peak == 22);
  CHECK(f.final_display == Display{13 + 31, 27, 3 + 9, 2, 4, true});
  CHECK(f.finalized_ms == kNow);
}

TEST_CASE("planner: with simulation off the final numbers are real only") {
  const FinalPlan plan = plan_finalization(ended("ended"), facts(false));
  REQUIRE(plan.finalization);
  CHECK(plan.finalization->final_display == Display{13, 13, 3, 2, 4, false});
  // The split is still recorded.
  CHECK(plan.finalization->sim_viewers_total == 31);
  CHECK(plan.finalization->sim_likes == 9);
}

TEST_CASE("planner: the final badge is set by simulated joins or likes") {
  EndedStream e = ended("ended");
  e.state.sim = SimState{};
  REQUIRE(plan_finalization(e, facts()).finalization);
  CHECK_FALSE(plan_finalization(e, facts()).finalization->final_display.simulated);
  e.state.sim.likes = 1;
  CHECK(plan_finalization(e, facts()).finalization->final_display.simulated);
  e.state.sim = SimState{};
  e.state.sim.joins = 1;
  CHECK(plan_finalization(e, facts()).finalization->final_display.simulated);
}

TEST_CASE("planner: final numbers are clamped to the columns too") {
  TickFacts t = facts();
  t.display_limit = 20;
  const FinalPlan plan = plan_finalization(ended("ended"), t);
  REQUIRE(plan.finalization);
  CHECK(plan.finalization->final_display == Display{20, 20, 12, 2, 4, true});
  CHECK(plan.finalization->real_viewers_total == 13);  // the split is kept as it is
  CHECK(plan.finalization->sim_viewers_total == 31);
}

TEST_CASE("planner: a stream in a status the daemon does not know is left be, said once") {
  const FinalPlan plan = plan_finalization(ended("paused"), facts());
  CHECK_FALSE(plan.finalization);
  REQUIRE(plan.warnings.size() == 1);
  CHECK(plan.warnings[0].key == "status:42");
  CHECK(plan.warnings[0].text ==
        "stream=42 has status 'paused', which is not one of live, scheduled, ended, archived, "
        "cancelled; it is neither simulated nor finalized meanwhile");
  CHECK(plan.warnings[0].what == plan.warnings[0].text);
  // The known ones end it, in any case.
  for (const char* status : {"scheduled", "ended", "archived", "cancelled", "Ended", "CANCELLED"}) {
    INFO(status);
    CHECK(plan_finalization(ended(status), facts()).finalization);
  }
  CHECK_FALSE(is_known_status("live"));
  CHECK_FALSE(is_known_status(""));
}

TEST_CASE("planner: a deleted stream is finalized as 'deleted'") {
  EndedStream e = ended("", false);
  const FinalPlan plan = plan_finalization(e, facts());
  REQUIRE(plan.finalization);
  CHECK(plan.finalization->final_status == "deleted");
  CHECK_FALSE(plan.finalization->stream_exists);
  CHECK(plan.warnings.empty());
}

TEST_CASE("planner: without started_at the duration is the simulated span, said") {
  EndedStream e = ended("ended");
  e.duration_seconds = -1;
  FinalPlan plan = plan_finalization(e, facts());
  REQUIRE(plan.finalization);
  CHECK(plan.finalization->duration_seconds == (600'000 - 5'000) / 1000);
  REQUIRE(plan.warnings.size() == 1);
  CHECK(plan.warnings[0].key.empty());  // said each time it is met: finalized once
  CHECK(plan.warnings[0].text ==
        "stream=42 has no started_at; its duration is taken from its simulated span");
  // A deleted stream has no row to say it of.
  e.exists = false;
  plan = plan_finalization(e, facts());
  REQUIRE(plan.finalization);
  CHECK(plan.finalization->duration_seconds == 595);
  CHECK(plan.warnings.empty());
}

TEST_CASE("planner: a finalization's audit detail and log line name the same numbers") {
  const FinalPlan plan = plan_finalization(ended("ended"), facts());
  REQUIRE(plan.finalization);
  const Finalization& f = *plan.finalization;
  CHECK(finalized_detail(f) ==
        "{\"status\":\"ended\",\"duration_seconds\":1800,\"real_viewers_total\":13,"
        "\"sim_viewers_total\":31,\"real_peak\":7,\"sim_peak\":22,\"real_likes\":3,"
        "\"sim_likes\":9,\"final_viewer_count\":44,\"final_like_count\":12,"
        "\"final_max_viewers\":27,\"includes_simulated\":true}");
  CHECK(finalized_line(f) ==
        "finalized stream=42 status=ended duration_seconds=1800 real_viewers_total=13 "
        "sim_viewers_total=31 real_peak=7 sim_peak=22 real_likes=3 sim_likes=9 "
        "final_viewer_count=44 final_like_count=12 final_max_viewers=27 includes_simulated=true");
  const AuditEvent a = finalized_audit(f);
  CHECK(a.event == "finalized");
  CHECK(a.stream_id == 42);
  CHECK(a.at_ms == kNow);
  CHECK(a.detail == finalized_detail(f));
}
