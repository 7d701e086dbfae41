<?php

/**
 * The steps of scenarios/kit_truth.sh: the kit without a daemon, with a
 * daemon stopped past the kit's STALE_AFTER, the daemon's return, and
 * php/install.sh --uninstall with a live stream. Each step is one run:
 *
 *   php kit_truth.php STEP STATE_FILE
 *
 * STATE_FILE (JSON) carries the streams from one step to the next. The
 * helpers (Client, one(), value(), real_counts(), display()) are drive.php's.
 */

declare(strict_types=1);

require __DIR__ . '/../drive.php';

$step = $argv[1] ?? '';
$stateFile = $argv[2] ?? '';
if ($stateFile === '') {
    fail('usage: kit_truth.php STEP STATE_FILE');
}
$state = is_file($stateFile) ? json_decode((string)file_get_contents($stateFile), true) : [];

$anon = new Client('visitor');
$seller = new Client('seller_one', 9001);
$admin = new Client('admin', 9201);
$buyers = [];
foreach ([1, 2, 3, 4, 5] as $i) {
    $buyers[$i] = new Client("buyer_$i", 9100 + $i);
}
$seller->login('seller');
$admin->login('admin');
foreach ($buyers as $b) {
    $b->login('customer');
}

const NUMBERS = ['viewer_count', 'like_count', 'dislike_count', 'comment_count', 'includes_simulated'];

/**
 * Every page of the kit that shows the live stream $s: [page, field, value]
 * for the numbers and [page, 'numbers_source', source] where the JSON says.
 */
function kit_pages(int $s, Client $anon, Client $owner, Client $admin): array
{
    $seen = [];
    $add = function (string $page, array $src, array $map) use (&$seen) {
        foreach ($map as $from => $field) {
            if (!array_key_exists($from, $src)) {
                fail("$page: no '$from' in " . json_encode($src));
            }
            $seen[] = [$page, $field, $field === 'numbers_source' ? $src[$from] : (int)$src[$from]];
        }
    };
    $all = array_combine(NUMBERS, NUMBERS) + ['numbers_source' => 'numbers_source'];
    $r = $anon->json('GET', "api/live/viewers.php?action=count&stream_id=$s");
    $add('viewers.php?action=count', $r, ['count' => 'viewer_count', 'includes_simulated' => 'includes_simulated',
                                          'numbers_source' => 'numbers_source']);
    $r = $anon->json('GET', "api/streams/engagement.php?stream_id=$s");
    $add('streams/engagement.php', $r['current_stats'], $all);
    $add('streams/engagement.php (top)', $r, ['numbers_source' => 'numbers_source']);
    $r = $anon->json('GET', "api/live/streams.php?action=get&stream_id=$s");
    $add('live/streams.php?action=get', $r['stream'], $all);
    $add('live/streams.php?action=get (top)', $r, ['numbers_source' => 'numbers_source']);
    $r = $anon->json('GET', "api/streams/get.php?stream_id=$s");
    $add('streams/get.php', $r['stream'], $all);
    $add('streams/get.php (top)', $r, ['numbers_source' => 'numbers_source']);
    $r = $anon->json('GET', 'api/streams/list.php?type=active&limit=50');
    $rows = array_values(array_filter($r['active'], fn($x) => (int)$x['id'] === $s));
    expect(count($rows) === 1, "streams/list.php?type=active: stream $s not listed");
    $add('streams/list.php?type=active', $rows[0], $all + ['current_viewers' => 'viewer_count']);
    $r = $anon->json('GET', 'api/live/streams.php?action=list&limit=50');
    $rows = array_values(array_filter($r['streams'], fn($x) => (int)$x['id'] === $s));
    expect(count($rows) === 1, "live/streams.php?action=list: stream $s not listed");
    $add('live/streams.php?action=list', $rows[0], $all + ['current_viewers' => 'viewer_count']);
    $r = $owner->json('GET', "api/live/stats.php?stream_id=$s");
    $add(
        'live/stats.php (seller)',
        $r['stats'],
        ['current_viewers' => 'viewer_count', 'likes' => 'like_count', 'dislikes' => 'dislike_count',
        'comments' => 'comment_count',
        'includes_simulated' => 'includes_simulated']
    );
    $add('live/stats.php (seller, top)', $r, ['numbers_source' => 'numbers_source']);
    $r = $admin->json('GET', 'api/admin/streams/list.php');
    $rows = array_values(array_filter($r['streams'], fn($x) => (int)$x['id'] === $s));
    expect(count($rows) === 1, "admin/streams/list.php: stream $s not listed");
    $add('admin/streams/list.php', $rows[0], $all);
    $r = $admin->json('GET', 'api/admin/streams/stats.php');
    $add('admin/streams/stats.php', $r['stats'], ['total_viewers' => 'viewer_count',
                                                  'includes_simulated' => 'includes_simulated']);
    $add('admin/streams/stats.php (top)', $r, ['numbers_source' => 'numbers_source']);
    ['status' => $code, 'body' => $html] = $anon->raw('GET', 'live.php');
    expect($code === 200, "live.php: HTTP $code");
    expect(
        (bool)preg_match('#class="main-live-stream" data-stream-id="' . $s . '"#', $html),
        "live.php: stream $s is not the main stream"
    );
    array_push($seen, ...live_page_main_numbers($html, $s));
    return $seen;
}

/** Every page shows $want (field => value); fails naming the pages that do not. */
function expect_pages(string $step, int $s, array $want, Client $anon, Client $owner, Client $admin): void
{
    $bad = [];
    foreach (kit_pages($s, $anon, $owner, $admin) as [$page, $field, $v]) {
        if (array_key_exists($field, $want) && $v !== $want[$field]) {
            $bad[] = "$page $field=" . json_encode($v) . ' (expected ' . json_encode($want[$field]) . ')';
        }
    }
    expect(!$bad, "$step: stream $s:\n  " . implode("\n  ", $bad));
}

/** The real numbers as the pages show them when no daemon ticks. */
function real_shown(int $s): array
{
    $r = real_counts($s);
    return ['viewer_count' => $r['viewers'], 'like_count' => $r['likes'], 'dislike_count' => $r['dislikes'],
            'comment_count' => $r['comments'], 'includes_simulated' => 0, 'numbers_source' => 'real_rows'];
}

/** Buyers 1..$n join; likes by 1..$likes; a dislike by the last; comments by buyers 1 and 2 (one each: the site's unique key). */
function audience(int $s, array $buyers, int $n, int $likes): void
{
    for ($i = 1; $i <= $n; $i++) {
        join_stream($buyers[$i], $s);
    }
    for ($i = 1; $i <= $likes; $i++) {
        interact($buyers[$i], $s, 'like');
    }
    interact($buyers[$n], $s, 'dislike');
    interact($buyers[1], $s, 'comment', "first comment on $s");
    interact($buyers[2], $s, 'comment', "second comment on $s");
}

/** The stream's simulated part (engagementd_stream_state), or null. */
function sim_part(int $s): ?array
{
    $st = one('SELECT sim_viewers, sim_likes FROM engagementd_stream_state WHERE stream_id = ?', [$s]);
    return $st === null ? null : array_map('intval', $st);
}

function save_state(string $file, array $state): void
{
    file_put_contents($file, json_encode($state));
}

switch ($step) {
    case 'no-daemon-before-migrate':
    case 'no-daemon-after-migrate':
        // The kit with no daemon ever run: the real numbers, and end saves them.
        $s = start_stream($seller, 'api/streams/start.php', "Kit alone ($step)");
        audience($s, $buyers, 3, 2);
        $want = real_shown($s);
        expect($want['viewer_count'] === 3 && $want['like_count'] === 2 && $want['dislike_count'] === 1
           && $want['comment_count'] === 2, 'the real rows are not what the buyers did: ' . json_encode($want));
        expect(display($s)['viewer_count'] === 0, 'something wrote the display columns without a daemon');
        expect_pages($step, $s, $want, $anon, $seller, $admin);
        $r = $anon->json('GET', "api/live/viewers.php?action=count&stream_id=$s");
        expect(
            $r['engagementd_tick_age_seconds'] === null && $r['numbers_age_seconds'] === 0,
            "$step: the freshness does not say 'never ticked': " . json_encode($r)
        );
        $r = $seller->json('POST', 'api/streams/end.php', ['stream_id' => $s, 'action' => 'save']);
        expect(($r['success'] ?? false) === true, "end failed: " . json_encode($r));
        expect($r['stats']['viewers'] === 3 && $r['stats']['likes'] === 2 && $r['stats']['includes_simulated'] === 0
               && $r['numbers_source'] === 'real_rows', "end.php answered other numbers: " . json_encode($r));
        $saved = one('SELECT views, likes, dislikes FROM saved_streams WHERE seller_id = 9001 ORDER BY id DESC LIMIT 1');
        expect(
            array_map('intval', $saved) === ['views' => 3, 'likes' => 2, 'dislikes' => 1],
            'saved_streams has other numbers than the real ones: ' . json_encode($saved)
        );
        $d = display($s);
        expect([$d['status'], $d['viewer_count'], $d['like_count'], $d['dislike_count'], $d['comment_count'], $d['includes_simulated']]
               === ['archived', 3, 2, 1, 2, 0], 'live_streams after end: ' . json_encode($d));
        say("  $step: every page showed the real 3 viewers / 2 likes / 1 dislike / 2 comments; end saved views 3, likes 2");
        break;

    case 'live-no-daemon':
        // After migrate, before the daemon's first run: a live stream for the daemon to take over.
        $s = start_stream($seller, 'api/streams/start.php', 'Taken over');
        audience($s, $buyers, 3, 2);
        expect_pages($step, $s, real_shown($s), $anon, $seller, $admin);
        $state['taken'] = $s;
        $state['before'] = real_shown($s);
        save_state($stateFile, $state);
        say("  stream $s live, no daemon yet: every page shows the real numbers " . json_encode(real_shown($s)));
        break;

    case 'daemon-took-over':
    case 'daemon-came-back':
        // The daemon ticks: pages show real + simulated, badged; the jump from
        // the real numbers shown before is the simulated part.
        $s = (int)$state['taken'];
        $before = $state['before'];
        // Its tick has written real + simulated (frozen numbers of a stopped
        // daemon are not: the real audience changed meanwhile).
        ['display' => $d, 'real' => $real, 'simulated' => $sim] = wait_for('the daemon to write real + simulated', function () use ($s) {
            $real = real_counts($s);
            $sim = sim_part($s);
            $d = display($s);
            return $sim !== null && $d['includes_simulated'] === 1
            && $d['viewer_count'] === $real['viewers'] + $sim['sim_viewers']
            && $d['like_count'] === $real['likes'] + $sim['sim_likes'] ? ['display' => $d, 'real' => $real, 'simulated' => $sim] : null;
        }, 20);
        expect(
            $d['viewer_count'] - $before['viewer_count'] <= $sim['sim_viewers']
               && $d['like_count'] - $before['like_count'] <= $sim['sim_likes'],
            "the daemon's numbers jumped by more than the simulated part: " . json_encode([$before, $d, $sim])
        );
        wait_for('the pages to show the daemon\'s numbers', function () use ($s, $anon) {
            $r = $anon->json('GET', "api/live/viewers.php?action=count&stream_id=$s");
            return $r['numbers_source'] === 'engagementd' && $r['includes_simulated'] === 1;
        }, 10);
        // The daemon moves the numbers every tick: each page equals
        // live_streams as read just before or just after it.
        for ($attempt = 1;; $attempt++) {
            $first = display($s);
            $seen = kit_pages($s, $anon, $seller, $admin);
            $last = display($s);
            $bad = [];
            foreach ($seen as [$page, $field, $v]) {
                $ok = $field === 'numbers_source' ? $v === 'engagementd' : ($v === $first[$field] || $v === $last[$field]);
                if (!$ok) {
                    $bad[] = "$page $field=" . json_encode($v) . " (live_streams {$first[$field]} / {$last[$field]})";
                }
            }
            if (!$bad) {
                break;
            }
            expect($attempt < 4, "$step: stream $s, pages disagree with the daemon's numbers:\n  " . implode("\n  ", $bad));
        }
        say(sprintf(
            '  %s: the daemon shows %d viewers (real %d + simulated %d), %d likes (real %d + simulated %d), badged; from %d / %d shown before',
            $step,
            $d['viewer_count'],
            $real['viewers'],
            $sim['sim_viewers'],
            $d['like_count'],
            $real['likes'],
            $sim['sim_likes'],
            $before['viewer_count'],
            $before['like_count']
        ));
        break;

    case 'daemon-stopped-short':
        // Just stopped: the last numbers stay, badged, and the JSON says how old they are.
        $s = (int)$state['taken'];
        $d = display($s);
        $r = $anon->json('GET', "api/live/viewers.php?action=count&stream_id=$s");
        expect(
            $r['numbers_source'] === 'engagementd' && $r['count'] === $d['viewer_count'] && $r['includes_simulated'] === 1,
            'a short stop did not keep the numbers: ' . json_encode($r)
        );
        expect(
            is_int($r['numbers_age_seconds']) && $r['numbers_age_seconds'] >= 0
               && $r['numbers_age_seconds'] === $r['engagementd_tick_age_seconds'],
            'no age of the numbers: ' . json_encode($r)
        );
        // Meanwhile the site's real audience changes.
        join_stream($buyers[4], $s);
        interact($buyers[4], $s, 'like');
        interact($buyers[4], $s, 'comment', 'while the daemon is away');
        say("  just stopped: the pages keep {$d['viewer_count']} viewers, badged, age {$r['numbers_age_seconds']} s; a buyer joins, likes and comments meanwhile");
        break;

    case 'daemon-stopped-long':
        // Past STALE_AFTER: the real numbers, unbadged; then end saves them.
        $s = (int)$state['taken'];
        $bound = (int)env('KIT_STALE_AFTER');
        $r = wait_for('the pages to fall back to the real numbers', function () use ($s, $anon) {
            $r = $anon->json('GET', "api/live/viewers.php?action=count&stream_id=$s");
            return $r['numbers_source'] === 'real_rows' ? $r : null;
        }, $bound + 10);
        expect($r['engagementd_tick_age_seconds'] >= $bound, 'fell back before the bound: ' . json_encode($r));
        $want = real_shown($s);
        expect(
            $want['viewer_count'] === 4 && $want['like_count'] === 3 && $want['comment_count'] === 3,
            'real rows: ' . json_encode($want)
        );
        expect(display($s)['includes_simulated'] === 1, 'the daemon\'s frozen numbers changed in live_streams');
        expect_pages($step, $s, $want, $anon, $seller, $admin);
        $state['before'] = $want;
        save_state($stateFile, $state);
        say("  stopped past {$bound} s (tick age {$r['engagementd_tick_age_seconds']} s): every page shows the real "
            . json_encode(array_intersect_key($want, array_flip(NUMBERS))));
        break;

    case 'end-stale':
        // The daemon gone again past the bound: end saves the real numbers.
        $s = (int)$state['taken'];
        wait_for('the pages to fall back to the real numbers', function () use ($s, $anon) {
            return $anon->json('GET', "api/live/viewers.php?action=count&stream_id=$s")['numbers_source'] === 'real_rows';
        }, (int)env('KIT_STALE_AFTER') + 10);
        $real = real_counts($s);
        $distinct = (int)value('SELECT COUNT(DISTINCT session_id) FROM stream_viewers WHERE stream_id = ? AND is_fake = 0', [$s]);
        $r = $seller->json('POST', 'api/streams/end.php', ['stream_id' => $s, 'action' => 'save']);
        expect(
            ($r['success'] ?? false) === true && $r['stats']['includes_simulated'] === 0
               && $r['stats']['viewers'] === $distinct && $r['stats']['likes'] === $real['likes'],
            'end.php past the bound: ' . json_encode([$r, $real, $distinct])
        );
        $saved = one('SELECT views, likes FROM saved_streams WHERE stream_id = ?', [$s]);
        expect(
            array_map('intval', $saved) === ['views' => $distinct, 'likes' => $real['likes']],
            'saved_streams past the bound: ' . json_encode([$saved, $real, $distinct])
        );
        say("  ended past the bound: saved views $distinct, likes {$real['likes']} (real), no badge");
        break;

    case 'uninstall-live':
        // Two live streams the daemon simulates, for the uninstall steps; and
        // the badge on every card with a count while the kit is there.
        $s = start_stream($seller, 'api/streams/start.php', 'Uninstalled while live');
        audience($s, $buyers, 2, 2);
        $seller2 = new Client('seller_two', 9002);
        $seller2->login('seller');
        $other = start_stream($seller2, 'api/streams/start.php', 'Beside it');
        wait_for(
            'the daemon to simulate both streams',
            fn() => display($s)['includes_simulated'] === 1 && display($other)['includes_simulated'] === 1,
            20
        );
        // The stream ended while the daemon was away is finalized on its return.
        $taken = (int)$state['taken'];
        wait_for(
            "the daemon to finalize stream $taken",
            fn() => value('SELECT finalized_ms FROM engagementd_stream_state WHERE stream_id = ?', [$taken]) !== null,
            20
        );
        ['status' => $code, 'body' => $html] = $anon->raw('GET', 'live.php');
        expect($code === 200, "live.php: HTTP $code");
        $cards = preg_match_all('#<span class="mini-viewers">\S+ \d+ watching</span>\s*(<span class="engagementd-simulated-badge")?#u', $html, $m);
        expect($cards === 1 && $m[1][0] !== '', 'live.php: the side card of the other live stream has no badge: ' . json_encode($m));
        $recent = preg_match_all('#<span class="stat">\S+ [\d,]+ viewers</span>\s*(<span class="engagementd-simulated-badge")?#u', $html, $m);
        $flagged = (int)value("SELECT COUNT(*) FROM (SELECT includes_simulated FROM live_streams WHERE status = 'archived'
                             AND ended_at IS NOT NULL ORDER BY ended_at DESC LIMIT 12) r WHERE includes_simulated = 1");
        expect(
            $recent >= 3 && count(array_filter($m[1])) === $flagged && $flagged >= 1,
            "live.php: recent stream cards $recent, badged " . count(array_filter($m[1])) . ", flagged in live_streams $flagged"
        );
        ['status' => $code, 'body' => $html] = $seller->raw('GET', 'seller/dashboard.php');
        expect($code === 200, "seller/dashboard.php: HTTP $code");
        $replays = preg_match_all('#<span class="stat-value">[\d,]+</span>\s*(<span class="engagementd-simulated-badge")?#u', $html, $m);
        $flagged = (int)value('SELECT COUNT(*) FROM saved_streams ss JOIN live_streams ls ON ls.id = ss.stream_id
                            WHERE ss.seller_id = 9001 AND ls.includes_simulated = 1');
        expect(
            $flagged >= 1 && count(array_filter($m[1])) === $flagged,
            "seller/dashboard.php: replay cards badged " . count(array_filter($m[1])) . ", flagged $flagged"
        );
        $state['uninstall'] = ['stream' => $s, 'other' => $other];
        save_state($stateFile, $state);
        say("  streams $s and $other live with a simulated audience; live.php's side card and $flagged of the seller's replay cards badged");
        break;

    case 'after-uninstall':
        // The site's own pages again: only real numbers (nothing carries a badge now).
        ['stream' => $s, 'other' => $other] = $state['uninstall'];
        foreach ([$s, $other] as $id) {
            $d = display($id);
            $real = real_counts($id);
            expect(
                $d['includes_simulated'] === 0 && $d['viewer_count'] === $real['viewers'] && $d['like_count'] === $real['likes']
                && $d['dislike_count'] === $real['dislikes'] && $d['comment_count'] === $real['comments'],
                "after uninstall live_streams of stream $id is not the real numbers: " . json_encode([$d, $real])
            );
        }
        $real = real_counts($s);
        $r = $anon->json('GET', "api/streams/get.php?stream_id=$s");
        expect(
            (int)$r['stream']['viewer_count'] === $real['viewers'] && (int)$r['stream']['like_count'] === $real['likes'],
            'streams/get.php after uninstall: ' . json_encode($r['stream'])
        );
        $r = $anon->json('GET', "api/live/viewers.php?action=count&stream_id=$s");
        expect((int)$r['count'] === $real['viewers'], "the site's viewers.php count after uninstall: " . json_encode($r));
        ['status' => $code, 'body' => $html] = $anon->raw('GET', 'live.php');
        expect($code === 200 && (bool)preg_match('#id="viewer-count-' . $s . '">\s*\S+ <span class="count">(\d+)</span>#su', $html, $v)
               && (int)$v[1] === $real['viewers'], 'live.php after uninstall: ' . ($v[1] ?? 'no count'));
        say("  after uninstall: live_streams, streams/get.php, viewers.php and live.php show the real "
            . json_encode($real) . ', includes_simulated 0');
        break;

    default:
        fail("unknown step $step");
}
