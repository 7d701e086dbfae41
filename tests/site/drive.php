<?php

/**
 * Drives the real site over HTTP as sellers, buyers, an admin and an
 * anonymous visitor, and checks every page's numbers against live_streams'
 * display numbers and against real + simulated (engagementd's state).
 * Run by tests/site/site_test.sh, which sets SITE_* in the environment.
 *
 *   php drive.php before-migrate   the kit on the site's own schema, no daemon
 *   php drive.php scenario         after `engagementd migrate`, daemon running
 */

declare(strict_types=1);

const FIELDS = ['viewer_count', 'like_count', 'dislike_count', 'comment_count', 'max_viewers',
                'includes_simulated'];

require __DIR__ . '/site_lib.php';

function no_fake_rows(string $when): void
{
    $v = (int)value('SELECT COUNT(*) FROM stream_viewers WHERE is_fake = 1');
    $i = (int)value('SELECT COUNT(*) FROM stream_interactions WHERE is_fake = 1');
    expect($v === 0 && $i === 0, "$when: is_fake = 1 rows were written ($v viewers, $i interactions)");
}

/** live_streams' display numbers of a stream, and the live total (what admin stats sums). */
function display(int $s): array
{
    $flag = has_column('live_streams', 'includes_simulated') ? 'includes_simulated' : '0';
    $row = one("SELECT status, viewer_count, like_count, dislike_count, comment_count, max_viewers,
                       $flag AS includes_simulated,
                       (SELECT COALESCE(SUM(viewer_count), 0) FROM live_streams WHERE status = 'live') AS live_total
                  FROM live_streams WHERE id = ?", [$s]);
    if ($row === null) {
        fail("stream $s is gone");
    }
    foreach ($row as $k => $v) {
        if ($k !== 'status') {
            $row[$k] = (int)$v;
        }
    }
    return $row;
}

// ---- the watching buyers keep their pages' poll going (the heartbeat) ----

$GLOBALS['watching'] = [];   // client name => ['client' => Client, 'stream' => stream id]
$GLOBALS['last_beat'] = 0.0;

function heartbeat_if_due(bool $force = false): void
{
    if (!$force && microtime(true) - $GLOBALS['last_beat'] < 1.0) {
        return;
    }
    $GLOBALS['last_beat'] = microtime(true);
    foreach ($GLOBALS['watching'] as ['client' => $c, 'stream' => $s]) {
        $c->json('GET', "api/live/viewers.php?action=count&stream_id=$s");
    }
}

function pause(float $seconds): void
{
    $end = microtime(true) + $seconds;
    while (($left = $end - microtime(true)) > 0) {
        heartbeat_if_due();
        usleep((int)(min($left, 0.25) * 1e6));
    }
}

// ---- every page that shows a stream's numbers ----

/** [page, field, value] for stream $s as each page shows it. */
function pages(int $s, Client $anon, Client $owner, Client $admin, bool $live): array
{
    $seen = [];
    $add = function (string $page, array $src, array $map) use (&$seen) {
        foreach ($map as $from => $field) {
            if (!array_key_exists($from, $src)) {
                if ($field === 'includes_simulated' && !has_column('live_streams', 'includes_simulated')) {
                    continue;
                }
                fail("$page: no '$from' in " . json_encode($src));
            }
            $seen[] = [$page, $field, (int)$src[$from]];
        }
    };
    $full = ['viewer_count' => 'viewer_count', 'like_count' => 'like_count',
             'dislike_count' => 'dislike_count', 'comment_count' => 'comment_count',
             'max_viewers' => 'max_viewers', 'includes_simulated' => 'includes_simulated'];
    $find = function (array $rows, string $page) use ($s) {
        foreach ($rows as $r) {
            if ((int)$r['id'] === $s) {
                return $r;
            }
        }
        fail("$page: stream $s not listed");
    };

    if ($live) {
        $r = $anon->json('GET', "api/live/viewers.php?action=count&stream_id=$s");
        $add('viewers.php?action=count', $r, ['count' => 'viewer_count', 'includes_simulated' => 'includes_simulated']);
        heartbeat_if_due();
        $r = $anon->json('GET', 'api/live/streams.php?action=list&limit=50');
        $add(
            'live/streams.php?action=list',
            $find($r['streams'], 'live/streams.php?action=list'),
            $full + ['current_viewers' => 'viewer_count']
        );
        $r = $anon->json('GET', "api/streams/engagement.php?stream_id=$s");
        $add('streams/engagement.php', $r['current_stats'], $full);
        expect(
            $r['engagement'] === ['viewers_change' => 0, 'likes_added' => 0],
            'engagement.php reports generated engagement: ' . json_encode($r['engagement'])
        );
        $r = $anon->json('GET', "api/stream-status.php?stream_id=$s");
        $add('stream-status.php', $r['streams'][0], ['viewer_count' => 'viewer_count']);
        heartbeat_if_due();
        $r = $anon->json('GET', 'api/streams/list.php?type=active&limit=50');
        $add(
            'streams/list.php?type=active',
            $find($r['active'], 'streams/list.php'),
            $full + ['current_viewers' => 'viewer_count']
        );
        // live.php, when this stream is the page's main stream.
        ['status' => $code, 'body' => $html] = $anon->raw('GET', 'live.php');
        expect($code === 200, "live.php: HTTP $code");
        expect(
            (bool)preg_match('#class="main-live-stream" data-stream-id="(\d+)"#', $html, $m),
            'live.php: no main stream: ' . substr(trim(strip_tags($html)), -200)
        );
        if ((int)$m[1] !== $s) {
            // Another stream is the page's main one: this one is in the list beside it.
            expect((bool)preg_match(
                '#class="mini-stream" data-stream-id="' . $s . '".*?<span class="mini-viewers">\S+ (\d+) watching</span>#su',
                $html,
                $v
            ), 'live.php: stream not in the list of live streams');
            $seen[] = ['live.php (list)', 'viewer_count', (int)$v[1]];
        } else {
            array_push($seen, ...live_page_main_numbers($html, $s));
        }
        $r = $admin->json('GET', 'api/admin/streams/stats.php');
        $seen[] = ['admin/streams/stats.php', 'live_total', (int)$r['stats']['total_viewers']];
    }
    heartbeat_if_due();
    $r = $anon->json('GET', "api/live/streams.php?action=get&stream_id=$s");
    $add('live/streams.php?action=get', $r['stream'], $full);
    $add(
        'live/streams.php?action=get stats',
        $r['stats'],
        ['likes_count' => 'like_count', 'dislikes_count' => 'dislike_count', 'comments_count' => 'comment_count']
    );
    $r = $anon->json('GET', "api/streams/get.php?stream_id=$s");
    $add('streams/get.php', $r['stream'], $full);
    $r = $owner->json('GET', "api/live/stats.php?stream_id=$s");
    $add(
        'live/stats.php (seller)',
        $r['stats'],
        ['likes' => 'like_count', 'dislikes' => 'dislike_count', 'comments' => 'comment_count',
          'peak_viewers' => 'max_viewers', 'includes_simulated' => 'includes_simulated']
        + ($live ? ['current_viewers' => 'viewer_count'] : ['viewers' => 'viewer_count'])
    );
    heartbeat_if_due();
    // The seller's dashboard (seller/streams.php) renders its cards from
    // list.php in the browser: the kit's badge expression is in both card
    // templates, and the rows it reads carry the display numbers and the flag.
    ['status' => $code, 'body' => $html] = $owner->raw('GET', 'seller/streams.php');
    expect($code === 200, "seller/streams.php: HTTP $code");
    $badges = [substr_count($html, "\${stream.includes_simulated == 1 ? '<"),
               substr_count($html, 'Includes simulated audience')];
    expect($badges === [2, 2], 'seller/streams.php: the badge is not in both card templates (found '
           . json_encode($badges) . '): ' . substr(trim(strip_tags($html)), 0, 200));
    $type = $live ? 'live' : 'archived';
    $archived = !$live && display($s)['status'] === 'archived';
    $r = $owner->json('GET', "api/streams/list.php?type=$type");
    if ($live || $archived) {
        $add(
            "streams/list.php?type=$type (seller dashboard)",
            $find($r['streams'], 'streams/list.php (seller)'),
            ['viewer_count' => 'viewer_count', 'like_count' => 'like_count',
            'includes_simulated' => 'includes_simulated']
        );
    }
    if ($archived) {
        // The replay page (templates/stream-replay.php inside live.php).
        ['status' => $code, 'body' => $html] = $anon->raw('GET', "live.php?stream=$s&replay=1");
        expect($code === 200, "live.php replay: HTTP $code");
        expect((bool)preg_match(
            '#<span class="stat-label">Viewers</span>\s*<span class="stat-value">([\d,]+)</span>(.*?)</div>#su',
            $html,
            $v
        ), 'live.php replay: no viewer count');
        $seen[] = ['live.php replay', 'viewer_count', (int)str_replace(',', '', $v[1])];
        $seen[] = ['live.php replay', 'includes_simulated', str_contains($v[2], 'Includes simulated audience') ? 1 : 0];
    }
    $r = $admin->json('GET', 'api/admin/streams/list.php');
    $add(
        'admin/streams/list.php',
        $find($r['streams'], 'admin/streams/list.php'),
        $full + ($live ? ['current_viewers' => 'viewer_count'] : [])
    );
    return $seen;
}

/**
 * Every page equals live_streams' display numbers within one tick: each
 * value is the one read just before or just after the pages were read.
 */
function check_pages(string $step, int $s, Client $anon, Client $owner, Client $admin): array
{
    $live = display($s)['status'] === 'live';
    for ($attempt = 1;; $attempt++) {
        $before = display($s);
        $seen = pages($s, $anon, $owner, $admin, $live);
        $after = display($s);
        $bad = [];
        foreach ($seen as [$page, $field, $v]) {
            if ($v !== $before[$field] && $v !== $after[$field]) {
                $bad[] = "$page $field=$v (live_streams: {$before[$field]} before, {$after[$field]} after)";
            }
        }
        if (!$bad) {
            $pagesSeen = count(array_unique(array_column($seen, 0)));
            return ['shown' => $after, 'pages' => $pagesSeen];
        }
        if ($attempt === 4) {
            fail("$step: stream $s: pages disagree with live_streams:\n  " . implode("\n  ", $bad));
        }
        heartbeat_if_due(true);
    }
}

/** Real numbers from the site's rows, the way the daemon counts them. */
function real_counts(int $s): array
{
    $ttl = (int)env('SITE_TTL');
    $alive = has_column('stream_viewers', 'last_seen_at')
        ? " AND COALESCE(last_seen_at, joined_at) >= NOW() - INTERVAL $ttl SECOND" : '';
    $r = one(
        "SELECT
        (SELECT COUNT(*) FROM stream_viewers WHERE stream_id = :a AND is_fake = 0 AND left_at IS NULL $alive) AS viewers,
        (SELECT COUNT(*) FROM stream_interactions WHERE stream_id = :b AND is_fake = 0 AND interaction_type = 'like') AS likes,
        (SELECT COUNT(*) FROM stream_interactions WHERE stream_id = :c AND is_fake = 0 AND interaction_type = 'dislike') AS dislikes,
        (SELECT COUNT(*) FROM stream_interactions WHERE stream_id = :d AND is_fake = 0 AND interaction_type = 'comment') AS comments",
        ['a' => $s, 'b' => $s, 'c' => $s, 'd' => $s]
    );
    return array_map('intval', $r);
}

/** Display = real + simulated (engagementd_stream_state), within a tick or two. */
function check_split(string $step, int $s): array
{
    $deadline = microtime(true) + 3 * (float)env('SITE_TICK') + 1;
    while (true) {
        $d = display($s);
        $st = one('SELECT sim_viewers, sim_likes, sim_joins, peak_viewers FROM engagementd_stream_state WHERE stream_id = ?', [$s]);
        $real = real_counts($s);
        $d2 = display($s);
        $why = [];
        if ($st === null) {
            $why[] = 'no engagementd_stream_state row';
        } else {
            $st = array_map('intval', $st);
            if ($d != $d2) {
                $why[] = 'a tick in between';
            }
            if ($d['viewer_count'] !== $real['viewers'] + $st['sim_viewers']) {
                $why[] = "viewers {$d['viewer_count']} != real {$real['viewers']} + simulated {$st['sim_viewers']}";
            }
            if ($d['like_count'] !== $real['likes'] + $st['sim_likes']) {
                $why[] = "likes {$d['like_count']} != real {$real['likes']} + simulated {$st['sim_likes']}";
            }
            if ($d['dislike_count'] !== $real['dislikes']) {
                $why[] = "dislikes {$d['dislike_count']} != real {$real['dislikes']}";
            }
            if ($d['comment_count'] !== $real['comments']) {
                $why[] = "comments {$d['comment_count']} != real {$real['comments']}";
            }
            if ($d['max_viewers'] < $d['viewer_count']) {
                $why[] = "max_viewers {$d['max_viewers']} < viewer_count";
            }
            $sim = ($st['sim_viewers'] > 0 || $st['sim_likes'] > 0 || $st['sim_joins'] > 0) ? 1 : 0;
            if ($d['includes_simulated'] !== $sim) {
                $why[] = "includes_simulated {$d['includes_simulated']} while simulated part is " . json_encode($st);
            }
        }
        if (!$why) {
            return ['display' => $d, 'real' => $real, 'simulated' => $st];
        }
        if (microtime(true) > $deadline) {
            fail("$step: stream $s: " . implode('; ', $why));
        }
        usleep(200000);
        heartbeat_if_due();
    }
}

function check(string $step, int $s, Client $anon, Client $owner, Client $admin): array
{
    heartbeat_if_due();
    ['display' => $d, 'real' => $real, 'simulated' => $st] = check_split($step, $s);
    ['pages' => $n] = check_pages($step, $s, $anon, $owner, $admin);
    no_fake_rows($step);
    say(sprintf(
        '  %-34s stream %d: viewers %d = real %d + simulated %d | likes %d = real %d + simulated %d | dislikes %d | comments %d | peak %d | badge %d | %d pages agree',
        $step,
        $s,
        $d['viewer_count'],
        $real['viewers'],
        $st['sim_viewers'],
        $d['like_count'],
        $real['likes'],
        $st['sim_likes'],
        $d['dislike_count'],
        $d['comment_count'],
        $d['max_viewers'],
        $d['includes_simulated'],
        $n
    ));
    return ['display' => $d, 'real' => $real, 'simulated' => $st];
}

function wait_for(string $what, callable $cond, float $timeout)
{
    $end = microtime(true) + $timeout;
    while (true) {
        $v = $cond();
        if ($v) {
            return $v;
        }
        if (microtime(true) > $end) {
            fail("timed out after {$timeout}s waiting for $what");
        }
        usleep(200000);
        heartbeat_if_due();
    }
}

/** As a browser joins: it renders live.php, then the page's script posts the join. */
function join_stream(Client $c, int $s): int
{
    $c->renderLivePage();
    $r = $c->json('POST', 'api/live/viewers.php', ['action' => 'join', 'stream_id' => $s]);
    expect(($r['success'] ?? false) === true, "{$c->name}: join failed: " . json_encode($r));
    expect(
        is_int($r['viewer_id'] ?? null) && $r['viewer_id'] > 0,
        "{$c->name}: join returned viewer_id " . json_encode($r['viewer_id'] ?? null) . ', not a row id'
    );
    $row = one('SELECT id, user_id, left_at, is_fake FROM stream_viewers WHERE id = ?', [$r['viewer_id']]);
    expect(
        $row !== null && (int)$row['user_id'] === $c->userId && $row['left_at'] === null && (int)$row['is_fake'] === 0,
        "{$c->name}: viewer_id {$r['viewer_id']} is not the open session row of the user: " . json_encode($row)
    );
    $c->viewerId = $r['viewer_id'];
    return $r['viewer_id'];
}

function leave_stream(Client $c, int $s, $viewerId): void
{
    $r = $c->json('POST', 'api/live/viewers.php', ['action' => 'leave', 'stream_id' => $s, 'viewer_id' => $viewerId]);
    expect(($r['success'] ?? false) === true, "{$c->name}: leave failed: " . json_encode($r));
}

function interact(Client $c, int $s, string $action, ?string $comment = null): array
{
    $body = ['action' => $action, 'stream_id' => $s];
    if ($comment !== null) {
        $body['comment'] = $comment;
    }
    $r = $c->json('POST', 'api/live/interact.php', $body);
    expect(($r['success'] ?? false) === true, "{$c->name}: $action failed: " . json_encode($r));
    return $r;
}

function start_stream(Client $seller, string $endpoint, string $title): int
{
    $r = $seller->json('POST', $endpoint, ['title' => $title, 'description' => 'site test']);
    expect(($r['success'] ?? false) === true, "{$seller->name}: $endpoint failed: " . json_encode($r));
    return (int)$r['stream_id'];
}

function watch(Client $c, int $s): void
{
    $GLOBALS['watching'][$c->name] = ['client' => $c, 'stream' => $s];
}

function unwatch(Client $c): void
{
    unset($GLOBALS['watching'][$c->name]);
}

// Included by a scenario's own driver (tests/site/scenarios/): the helpers only.
if (realpath($_SERVER['SCRIPT_FILENAME'] ?? '') !== __FILE__) {
    return;
}

// ---- the clients ----
$anon = new Client('visitor');
$seller1 = new Client('seller_one', 9001);
$seller2 = new Client('seller_two', 9002);
$admin = new Client('admin', 9201);
$buyers = [];
foreach ([1, 2, 3, 4, 5] as $i) {
    $buyers[$i] = new Client("buyer_$i", 9100 + $i);
}
$seller1->login('seller');
$seller2->login('seller');
$admin->login('admin');
foreach ($buyers as $b) {
    $b->login('customer');
}

$mode = $argv[1] ?? '';
$tick = (float)env('SITE_TICK');
$ttl = (int)env('SITE_TTL');
say('time zone: ' . env('SITE_TZ_LABEL') . ' (database NOW() ' . value('SELECT NOW()')
    . ', @@time_zone ' . value('SELECT @@time_zone') . ', UTC ' . value('SELECT UTC_TIMESTAMP()') . ')');

if ($mode === 'before-migrate') {
    // The site's own schema, no daemon yet: the kit's pages work, and
    // nothing generates rows.
    $r = $seller2->json('POST', 'api/streams/start-before-key-fix.php', ['title' => 'pre-fix start'], null);
    expect(
        ($r['success'] ?? true) === false && str_contains($r['error'] ?? '', 'stream_key'),
        'start.php before the key fix was expected to fail on stream_key before migrate: ' . json_encode($r)
    );
    say("  start.php before the site's key fix, before migrate: refused as on the site (" . $r['error'] . ')');
    $s = start_stream($seller1, 'api/streams/start.php', 'Before migrate');
    no_fake_rows('start before migrate');
    $id = join_stream($buyers[1], $s);
    expect(join_stream($buyers[1], $s) === $id, 'a second join opened another row');
    leave_stream($buyers[1], $s, $id);
    expect(one('SELECT left_at FROM stream_viewers WHERE id = ?', [$id])['left_at'] !== null, 'leave did not close the row');
    expect(join_stream($buyers[1], $s) === $id, 're-join did not reopen the row');
    $r = $anon->json('GET', "api/live/viewers.php?action=count&stream_id=$s");
    // No daemon has ticked: the kit shows the real numbers.
    expect(
        $r['count'] === real_counts($s)['viewers'] && $r['numbers_source'] === 'real_rows',
        'count is not the real viewers: ' . json_encode($r)
    );
    interact($buyers[1], $s, 'like');
    $c = interact($buyers[1], $s, 'comment', 'hello before migrate');
    expect(($c['comment']['username'] ?? '') === 'buyer_one', 'comment answer has no username: ' . json_encode($c));
    $anon->json('GET', "api/streams/engagement.php?stream_id=$s");
    $anon->json('GET', "api/live/trigger-engagement.php?stream_id=$s");
    $r = $seller1->json('POST', 'api/streams/end.php', ['stream_id' => $s, 'action' => 'save']);
    expect(($r['success'] ?? false) === true, 'end before migrate failed: ' . json_encode($r));
    $saved = one('SELECT * FROM saved_streams WHERE seller_id = 9001 ORDER BY id DESC LIMIT 1');
    expect($saved !== null, 'end with save wrote no saved_streams row');
    no_fake_rows('before migrate');
    say("  before migrate: stream $s started, joined (row $id), re-joined, liked, commented, ended and saved; no is_fake row, no display number written by the site");
    exit(0);
}

if ($mode !== 'scenario') {
    fail("usage: drive.php before-migrate|scenario");
}

foreach (['stream_viewers' => 'last_seen_at', 'saved_streams' => 'stream_id', 'live_streams' => 'includes_simulated'] as $t => $c) {
    expect(has_column($t, $c), "after engagementd migrate, $t.$c is missing (the kit and this test rely on it)");
}

$t0 = microtime(true);
say('== start: the kit\'s start.php, and start.php from before the site\'s key fix (no stream_key)');
$s = start_stream($seller1, 'api/streams/start.php', 'Main stream');
$s2 = start_stream($seller2, 'api/streams/start-before-key-fix.php', 'Pre-fix stream');
expect((string)value('SELECT stream_key FROM live_streams WHERE id = ?', [$s2]) !== '', 'the pre-fix start left no stream key');
no_fake_rows('start');
foreach ([$s, $s2] as $id) {
    wait_for(
        "engagementd's first tick of stream $id",
        fn() => one('SELECT 1 FROM engagementd_stream_state WHERE stream_id = ?', [$id]),
        10
    );
}
pause(1.5 * $tick);
check('started', $s, $anon, $seller1, $admin);
check('started (pre-fix start.php)', $s2, $anon, $seller2, $admin);

say('== four buyers join, and a fifth whose tab then vanishes (never leaves, never polls)');
foreach ([1, 2, 3, 4] as $i) {
    join_stream($buyers[$i], $s);
    watch($buyers[$i], $s);
}
$vanished = join_stream($buyers[5], $s);
pause(2 * $tick);
['display' => $d] = check('joined (5 real)', $s, $anon, $seller1, $admin);

$since = (float)wait_for('the vanished tab to stop counting', function () use ($s, $vanished) {
    $r = one('SELECT ls.viewer_count - st.sim_viewers AS daemon_real,
                     TIMESTAMPDIFF(MICROSECOND, COALESCE(sv.last_seen_at, sv.joined_at), NOW(6)) / 1e6 AS since
                FROM live_streams ls JOIN engagementd_stream_state st ON st.stream_id = ls.id
                JOIN stream_viewers sv ON sv.id = ?
               WHERE ls.id = ?', [$vanished, $s]);
    return (int)$r['daemon_real'] === 4 ? max(0.001, (float)$r['since']) : false;
}, $ttl + 8);
say(sprintf(
    '  the vanished tab stopped counting %.1f s after its last sign of life (real_viewer_ttl %d s, tick %.0f s)',
    $since,
    $ttl,
    $tick
));
expect(
    $since >= $ttl - 0.5 && $since <= $ttl + 2 * $tick + 1.5,
    "the vanished tab stopped counting after {$since}s, expected about {$ttl}s"
);
check('vanished tab dropped (4 real)', $s, $anon, $seller1, $admin);

say('== like, dislike, comment');
interact($buyers[1], $s, 'like');
interact($buyers[2], $s, 'like');
interact($buyers[3], $s, 'dislike');
$c = interact($buyers[1], $s, 'comment', 'Great stream!');
expect(($c['comment']['username'] ?? '') === 'buyer_one', 'comment answer has no username: ' . json_encode($c));
interact($buyers[4], $s, 'comment', 'How much is shipping?');
interact($buyers[2], $s2, 'like');
pause(2 * $tick);
['display' => $d, 'real' => $real] = check('liked, disliked, commented', $s, $anon, $seller1, $admin);
expect(
    $real['likes'] === 2 && $real['dislikes'] === 1 && $real['comments'] === 2,
    'real interactions: ' . json_encode($real)
);
check('liked (pre-fix stream)', $s2, $anon, $seller2, $admin);

say('== the old generator endpoints, polled as cached pages and cron jobs do');
$rowsBefore = value('SELECT (SELECT COUNT(*) FROM stream_viewers) * 1000000 + (SELECT COUNT(*) FROM stream_interactions)');
for ($i = 0; $i < 5; $i++) {
    $r = $anon->json('GET', "api/live/trigger-engagement.php?stream_id=$s");
    expect(
        $r['success'] === true && $r['stream_id'] === $s && $r['viewers_change'] === 0 && $r['likes_added'] === 0,
        'trigger-engagement.php: ' . json_encode($r)
    );
    $r = $anon->json('GET', 'api/live/trigger-engagement.php');
    expect(
        $r['success'] === true && $r['streams_processed'] >= 2 && count($r['results']) === $r['streams_processed'],
        'trigger-engagement.php (all): ' . json_encode($r)
    );
    $r = $anon->json('GET', "api/streams/engagement.php?stream_id=$s");
    expect(
        $r['success'] === true && $r['engagement'] === ['viewers_change' => 0, 'likes_added' => 0]
           && count(array_intersect(array_keys($r['current_stats']), FIELDS)) === 6,
        'engagement.php: ' . json_encode($r)
    );
    $r = $anon->json('GET', 'api/streams/engagement.php');
    expect($r['success'] === true && $r['streams_processed'] >= 2, 'engagement.php (all): ' . json_encode($r));
    ['status' => $code] = $anon->raw('GET', 'api/live/fake-engagement.php');
    expect($code === 200, "fake-engagement.php: HTTP $code");
    heartbeat_if_due();
}
$rowsAfter = value('SELECT (SELECT COUNT(*) FROM stream_viewers) * 1000000 + (SELECT COUNT(*) FROM stream_interactions)');
expect($rowsBefore === $rowsAfter, 'polling the old generator endpoints wrote rows');
check('old endpoints polled 5 times', $s, $anon, $seller1, $admin);

say('== leave, re-join (same row reopened), and a leave from a page cached before the kit ("viewer_id": true)');
leave_stream($buyers[4], $s, $buyers[4]->viewerId);
unwatch($buyers[4]);
expect(one('SELECT left_at FROM stream_viewers WHERE id = ?', [$buyers[4]->viewerId])['left_at'] !== null, 'leave did not close the row');
pause(2 * $tick);
check('buyer 4 left (3 real)', $s, $anon, $seller1, $admin);
$old = $buyers[4]->viewerId;
expect(join_stream($buyers[4], $s) === $old, 'the re-join did not reopen the same row');
watch($buyers[4], $s);
leave_stream($buyers[3], $s, true);
unwatch($buyers[3]);
$open = array_map('intval', pdo()->query("SELECT user_id FROM stream_viewers WHERE stream_id = $s AND left_at IS NULL ORDER BY user_id")->fetchAll(PDO::FETCH_COLUMN));
expect($open === [9101, 9102, 9104, 9105], 'after the cached page\'s leave, open rows are of users ' . json_encode($open));
pause(2 * $tick);
check('re-joined; buyer 3 left (3 real)', $s, $anon, $seller1, $admin);

say('== end with save (end.php), and the pre-fix stream through api/live/end-stream.php');
$elapsed = microtime(true) - $t0;
$r = $seller1->json('POST', 'api/streams/end.php', ['stream_id' => $s, 'action' => 'save']);
expect(($r['success'] ?? false) === true, 'end.php: ' . json_encode($r));
$dbDuration = (int)value('SELECT TIMESTAMPDIFF(SECOND, started_at, ended_at) FROM live_streams WHERE id = ?', [$s]);
say(sprintf(
    '  end.php: duration %d s (database clock %d s, test clock %.0f s); answered viewers %d likes %d dislikes %d comments %d',
    $r['stats']['duration'],
    $dbDuration,
    $elapsed,
    $r['stats']['viewers'],
    $r['stats']['likes'],
    $r['stats']['dislikes'],
    $r['stats']['comments']
));
expect(
    $r['stats']['duration'] > 0 && abs($r['stats']['duration'] - $elapsed) <= 3,
    "end.php's duration {$r['stats']['duration']} s, the stream was live {$elapsed} s"
);
unwatch($buyers[1]);
unwatch($buyers[2]);
unwatch($buyers[4]);
expect(
    (int)value('SELECT COUNT(*) FROM stream_viewers WHERE stream_id = ? AND left_at IS NULL', [$s]) === 0,
    "end.php left the ended stream's sessions open"
);
$r2 = $seller2->json('POST', 'api/live/end-stream.php', ['stream_id' => $s2, 'action' => 'save']);
expect(($r2['success'] ?? false) === true, 'end-stream.php: ' . json_encode($r2));

foreach ([[$s, $seller1, 9001], [$s2, $seller2, 9002]] as [$id, $owner, $sellerUser]) {
    $sum = wait_for(
        "engagementd's finalization of stream $id",
        fn() => one('SELECT * FROM engagementd_stream_summary WHERE stream_id = ?', [$id]),
        10
    );
    // The replay row may get the final numbers a tick after the summary.
    $deadline = microtime(true) + 3 * $tick + 1;
    while (true) {
        $ls = one('SELECT status, viewer_count, like_count, dislike_count, comment_count, max_viewers,
                          includes_simulated, TIMESTAMPDIFF(SECOND, started_at, ended_at) AS duration
                     FROM live_streams WHERE id = ?', [$id]);
        $saved = one('SELECT * FROM saved_streams WHERE stream_id = ?', [$id]);
        $why = [];
        if ($saved === null) {
            $why[] = 'no saved_streams row linked to the stream';
        }
        if ((int)$ls['viewer_count'] !== (int)$sum['final_viewer_count']) {
            $why[] = "live_streams.viewer_count {$ls['viewer_count']} != summary {$sum['final_viewer_count']}";
        }
        if ((int)$ls['like_count'] !== (int)$sum['final_like_count']) {
            $why[] = "live_streams.like_count {$ls['like_count']} != summary {$sum['final_like_count']}";
        }
        if ((int)$ls['max_viewers'] !== (int)$sum['peak_viewers']) {
            $why[] = "live_streams.max_viewers {$ls['max_viewers']} != summary peak {$sum['peak_viewers']}";
        }
        if ((int)$ls['dislike_count'] !== (int)$sum['real_dislikes']) {
            $why[] = 'dislikes disagree';
        }
        if ((int)$ls['comment_count'] !== (int)$sum['real_comments']) {
            $why[] = 'comments disagree';
        }
        if ((int)$sum['final_viewer_count'] !== (int)$sum['real_viewers_total'] + (int)$sum['sim_viewers_total']) {
            $why[] = 'summary viewers != real + simulated';
        }
        if ((int)$sum['final_like_count'] !== (int)$sum['real_likes'] + (int)$sum['sim_likes']) {
            $why[] = 'summary likes != real + simulated';
        }
        if ($saved !== null) {
            if ((int)$saved['views'] !== (int)$sum['final_viewer_count']) {
                $why[] = "saved_streams.views {$saved['views']} != {$sum['final_viewer_count']}";
            }
            if ((int)$saved['likes'] !== (int)$sum['final_like_count']) {
                $why[] = "saved_streams.likes {$saved['likes']} != {$sum['final_like_count']}";
            }
            if ((int)$saved['dislikes'] !== (int)$sum['real_dislikes']) {
                $why[] = "saved_streams.dislikes {$saved['dislikes']} != {$sum['real_dislikes']}";
            }
            if ((int)$saved['seller_id'] !== $sellerUser) {
                $why[] = 'saved_streams.seller_id is not the seller';
            }
            if (abs((int)$saved['duration'] - (int)$ls['duration']) > 1 || (int)$saved['duration'] <= 0) {
                $why[] = "saved_streams.duration {$saved['duration']} (stream {$ls['duration']} s)";
            }
        }
        if (!$why) {
            break;
        }
        if (microtime(true) > $deadline) {
            fail("after end, stream $id: " . implode('; ', $why));
        }
        usleep(200000);
    }
    ['shown' => $shown, 'pages' => $n] = check_pages("ended $id", $id, $anon, $owner, $admin);
    say(sprintf(
        '  finalized stream %d (%s): viewers %d = real %d + simulated %d | likes %d = real %d + simulated %d | dislikes %d | comments %d | peak %d | duration %d s | saved_streams #%d views %d likes %d dislikes %d duration %d | %d pages agree',
        $id,
        $ls['status'],
        $ls['viewer_count'],
        $sum['real_viewers_total'],
        $sum['sim_viewers_total'],
        $ls['like_count'],
        $sum['real_likes'],
        $sum['sim_likes'],
        $ls['dislike_count'],
        $ls['comment_count'],
        $ls['max_viewers'],
        $sum['duration_seconds'],
        $saved['id'],
        $saved['views'],
        $saved['likes'],
        $saved['dislikes'],
        $saved['duration'],
        $n
    ));
}
expect(
    (int)value('SELECT real_viewers_total FROM engagementd_stream_summary WHERE stream_id = ?', [$s]) === 5,
    'the main stream had 5 distinct real viewers'
);
no_fake_rows('end');
say(sprintf('scenario done in %.0f s', microtime(true) - $t0));
