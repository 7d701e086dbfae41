<?php

/**
 * The attacks on the site's stream endpoints, replayed over HTTP against the
 * real site with the kit, migrated, with the daemon running; each must be
 * refused. And the same site with a real visitor still works. Run by
 * tests/site/scenarios/security.sh (ctest label "security"), which sets
 * SITE_* and the kit's settings ENGAGEMENTD_GUESTS_PER_IP=5 and
 * ENGAGEMENTD_JOINS_PER_IP_MINUTE=8 in the site's .env.
 *
 * Every answer any client gets is kept and scanned at the end: no stream
 * key or Mux stream id to anyone but the stream's seller and the admins, no
 * email, no SQL error text.
 */

declare(strict_types=1);

require __DIR__ . '/site_lib.php';

const CAP = 5;    // ENGAGEMENTD_GUESTS_PER_IP in the scenario's .env
const RATE = 8;   // ENGAGEMENTD_JOINS_PER_IP_MINUTE
const EVIL = 'https://evil.example';

$GLOBALS['answers'] = [];   // ['who' => client name, 'method', 'path', 'status', 'body']
Client::$onAnswer = function (Client $c, string $method, string $path, int $status, string $body): void {
    $GLOBALS['answers'][] = ['who' => $c->name, 'method' => $method, 'path' => $path, 'status' => $status,
                             'body' => $body];
};

/** The real viewers engagementd counts now: display minus its simulated part (one snapshot). */
function daemon_real(int $s): ?int
{
    $r = one('SELECT ls.viewer_count - st.sim_viewers AS n FROM live_streams ls
                JOIN engagementd_stream_state st ON st.stream_id = ls.id WHERE ls.id = ?', [$s]);
    return $r === null ? null : (int)$r['n'];
}

function daemon_real_likes(int $s): ?int
{
    $r = one('SELECT ls.like_count - st.sim_likes AS n FROM live_streams ls
                JOIN engagementd_stream_state st ON st.stream_id = ls.id WHERE ls.id = ?', [$s]);
    return $r === null ? null : (int)$r['n'];
}

/** Waits until $cond() is truthy, polling the watching clients' heartbeat meanwhile. */
function wait_until(string $what, callable $cond, float $timeout, array $beating = []): void
{
    $end = microtime(true) + $timeout;
    while (!$cond()) {
        if (microtime(true) > $end) {
            fail("timed out after {$timeout}s waiting for $what");
        }
        beat($beating);
        usleep(300000);
    }
}

/** The pages' poll (viewers.php?action=count), the heartbeat of each ['client' => Client, 'stream' => id]. */
function beat(array $beating): void
{
    foreach ($beating as ['client' => $c, 'stream' => $s]) {
        $c->json('GET', "api/live/viewers.php?action=count&stream_id=$s");
    }
}

function status_of(int $s): string
{
    return (string)value('SELECT status FROM live_streams WHERE id = ?', [$s]);
}

/** POSTs the body as given, with the given type and headers; [status, decoded or null]. */
function post(Client $c, string $path, $body, string $type, array $headers = []): array
{
    ['status' => $code, 'body' => $text] = $c->raw('POST', $path, is_string($body) ? $body : json_encode($body), $type, $headers);
    return ['status' => $code, 'json' => json_decode($text, true)];
}

function join_page(Client $c, int $s): array
{
    $html = $c->renderLivePage();
    expect(
        (bool)preg_match('#class="main-live-stream" data-stream-id="(\d+)"#', $html, $m) && (int)$m[1] === $s,
        "{$c->name}: live.php does not play stream $s"
    );
    ['status' => $code, 'json' => $r] = post($c, 'api/live/viewers.php', ['action' => 'join', 'stream_id' => $s], 'application/json');
    return ['status' => $code, 'json' => $r];
}

$anon = new Client('visitor');
$buyer = new Client('buyer_one', 9101);
$buyer2 = new Client('buyer_two', 9102);
$seller1 = new Client('seller_one', 9001);
$seller2 = new Client('seller_two', 9002);
$admin = new Client('admin', 9201);
$seller1->login('seller');
$seller2->login('seller');
$admin->login('admin');
$buyer->login('customer');
$buyer2->login('customer');
$tick = (float)env('SITE_TICK');
$ttl = (int)env('SITE_TTL');

// ---- stream A (seller one, a Mux stream) -----------------------------------
say('== seller one starts stream A; its Mux ids are set as a Mux start sets them');
$r = $seller1->json('POST', 'api/streams/start.php', ['title' => 'Stream A', 'description' => 'security test']);
$a = (int)$r['stream_id'];
$keyA = (string)($r['stream']['stream_key'] ?? '');
expect(strlen($keyA) >= 16, 'the seller did not get the new stream\'s key: ' . json_encode($r));
$muxA = 'muxstream' . bin2hex(random_bytes(12));
$playA = 'muxplay' . bin2hex(random_bytes(12));
pdo()->prepare('UPDATE live_streams SET mux_stream_id = ?, mux_playback_id = ? WHERE id = ?')
     ->execute([$muxA, $playA, $a]);
// secret value => who may see it
$secrets = [$keyA => ['seller_one', 'admin'], $muxA => ['seller_one', 'admin']];
wait_until(
    "engagementd's first tick of stream $a",
    fn() => one('SELECT 1 FROM engagementd_stream_state WHERE stream_id = ?', [$a]),
    10
);
wait_until('the real count of stream A at 0', fn() => daemon_real($a) === 0, 10);

// ---- a real visitor still works --------------------------------------------
say('== a real visit: a guest and a buyer render live.php, join, the buyer likes and comments, both leave');
$guest = new Client('guest', null, '127.0.0.3');
['status' => $code, 'json' => $r] = join_page($guest, $a);
expect(
    $code === 200 && is_int($r['viewer_id'] ?? null) && ($r['counted'] ?? null) === true,
    'the guest\'s join through the page was not counted: ' . json_encode($r)
);
$guestRow = $r['viewer_id'];
['status' => $code, 'json' => $r] = join_page($buyer, $a);
expect($code === 200 && is_int($r['viewer_id'] ?? null), 'the buyer\'s join failed: ' . json_encode($r));
$buyerRow = $r['viewer_id'];
$watching = [['client' => $guest, 'stream' => $a], ['client' => $buyer, 'stream' => $a]];
$buyer->json('POST', 'api/live/interact.php', ['action' => 'like', 'stream_id' => $a]);
$c = $buyer->json('POST', 'api/live/interact.php', ['action' => 'comment', 'stream_id' => $a,
                                                     'comment' => 'Is it waterproof?']);
expect(($c['comment']['username'] ?? '') === 'buyer_one', 'comment: ' . json_encode($c));
wait_until(
    'engagementd to count the guest and the buyer (2 real viewers, 1 real like)',
    fn() => daemon_real($a) === 2 && daemon_real_likes($a) === 1,
    5 * $tick + 3,
    $watching
);
$r = $buyer2->json('POST', 'api/live/interact.php', ['action' => 'get_comments', 'stream_id' => $a]);
expect(count($r['comments']) === 1 && $r['comments'][0]['comment_text'] === 'Is it waterproof?'
       && $r['comments'][0]['username'] === 'buyer_one', 'get_comments: ' . json_encode($r));
expect(
    !array_key_exists('email', $r['comments'][0]) && !array_key_exists('user_id', $r['comments'][0]),
    'get_comments gives out more than the name: ' . json_encode($r['comments'][0])
);
// The page's leave is a sendBeacon: a text/plain body.
['status' => $code] = post($guest, 'api/live/viewers.php', json_encode(['action' => 'leave', 'stream_id' => $a,
                                                            'viewer_id' => $guestRow]), 'text/plain;charset=UTF-8');
expect($code === 200, "the guest's leave beacon: HTTP $code");
$buyer->json('POST', 'api/live/viewers.php', ['action' => 'leave', 'stream_id' => $a, 'viewer_id' => $buyerRow]);
expect((int)value(
    'SELECT COUNT(*) FROM stream_viewers WHERE id IN (?, ?) AND left_at IS NOT NULL',
    [$guestRow, $buyerRow]
) === 2, 'the leaves did not close the rows');
wait_until('the real count back at 0 after the leaves', fn() => daemon_real($a) === 0, 4 * $tick + 2);
say('  the guest and the buyer counted (real 2, real likes 1), the comment shown without email, both left (real 0)');

// ---- forged viewers ---------------------------------------------------------
say('== 50 forged guest joins from one address: made-up PHPSESSID cookies, no join token');
$forged = [];
for ($i = 0; $i < 50; $i++) {
    $f = new Client("forged_$i", null, '127.0.0.2');
    $made = bin2hex(random_bytes(13));
    $f->cookies['PHPSESSID'] = $made;
    ['status' => $code, 'json' => $r] = post($f, 'api/live/viewers.php', ['action' => 'join', 'stream_id' => $a], 'application/json');
    expect($code === 403 && ($r['success'] ?? null) === false, "forged join $i: HTTP $code " . json_encode($r));
    expect(($f->cookies['PHPSESSID'] ?? $made) !== $made, "forged join $i: the made-up session id was taken (strict sessions off)");
    $forged[] = ['client' => $f, 'stream' => $a];
}
beat($forged);
expect(
    (int)value("SELECT COUNT(*) FROM stream_viewers WHERE ip_address = '127.0.0.2'") === 0,
    'a forged join without a token wrote a session row'
);
say('  all 50 refused (HTTP 403), each made-up session id replaced by a new one; no row written');

say('== 50 guests from one address, each with a fresh session and the page\'s join token (cap ' . CAP . ')');
$counted = 0;
$crowd = [];
for ($i = 0; $i < 50; $i++) {
    $f = new Client("crowd_$i", null, '127.0.0.2');
    ['status' => $code, 'json' => $r] = join_page($f, $a);
    expect($code === 200 && ($r['success'] ?? null) === true, "crowd join $i: HTTP $code " . json_encode($r));
    if ($r['counted']) {
        $counted++;
    }
    $crowd[] = ['client' => $f, 'stream' => $a];
}
expect($counted === CAP, "$counted of 50 guests from one address were counted, the cap is " . CAP);
// Kept alive past the TTL with the count poll, as the attack did.
$end = microtime(true) + $ttl + 3 * $tick;
$peak = 0;
while (microtime(true) < $end) {
    beat($crowd);
    $peak = max($peak, (int)daemon_real($a));
    usleep(300000);
}
expect($peak <= CAP, "the real count of stream A reached $peak with 50 guests from one address (cap " . CAP . ')');
expect((int)daemon_real($a) === CAP, 'the capped guests that keep polling should count: real ' . daemon_real($a));
say("  $counted counted, the other " . (50 - $counted) . ' watch uncounted; real count peaked at '
    . "$peak over " . ($ttl + 3 * $tick) . ' s of polling (report below)');
$report = shell_exec(escapeshellarg(env('SITE_DAEMON')) . ' report --stream ' . $a . ' -c '
                     . escapeshellarg(env('SITE_DAEMON_CONFIG')) . ' 2>&1');
say('  engagementd report --stream ' . $a . ":\n    " . str_replace("\n", "\n    ", trim((string)$report)));

say('== the join rate: new sessions from one address on one stream per minute (' . RATE . ')');
for ($i = 0; $i < RATE; $i++) {
    $f = new Client("churn_$i", null, '127.0.0.4');
    ['status' => $code, 'json' => $r] = join_page($f, $a);
    expect($code === 200 && ($r['counted'] ?? null) === true, "churn join $i: HTTP $code " . json_encode($r));
    $f->json('POST', 'api/live/viewers.php', ['action' => 'leave', 'stream_id' => $a, 'viewer_id' => $r['viewer_id']]);
}
$f = new Client('churn_over', null, '127.0.0.4');
['status' => $code, 'json' => $r] = join_page($f, $a);
expect($code === 429, 'the join over the rate: HTTP ' . $code . ' ' . json_encode($r));
say('  ' . RATE . ' joins (each left) counted, the next refused with HTTP 429');

say('== a logged-in user counts once per stream, whatever their tabs and browsers');
$other = new Client('buyer_two_phone', 9102, '127.0.0.5');
$other->login('customer');
$rows = [];
foreach ([$buyer2, $buyer2, $other] as $tab) {
    ['status' => $code, 'json' => $r] = join_page($tab, $a);
    expect($code === 200 && is_int($r['viewer_id'] ?? null), 'buyer two\'s join: ' . json_encode($r));
    $rows[] = $r['viewer_id'];
}
expect(count(array_unique($rows)) === 1 && (int)value('SELECT COUNT(*) FROM stream_viewers WHERE stream_id = ?
        AND user_id = 9102 AND left_at IS NULL', [$a]) === 1, 'buyer two has more than one open row: ' . json_encode($rows));
$buyer2->json('POST', 'api/live/viewers.php', ['action' => 'leave', 'stream_id' => $a, 'viewer_id' => $rows[0]]);
say('  two tabs and a second browser: one row (#' . $rows[0] . ')');

// ---- stream B (seller two) and every read by everyone --------------------------
say('== seller two starts stream B (title a spreadsheet formula); everyone reads every endpoint');
$formula = '=HYPERLINK("https://evil.example/","B")';
$r = $seller2->json('POST', 'api/streams/start.php', ['title' => $formula]);
$b = (int)$r['stream_id'];
$keyB = (string)($r['stream']['stream_key'] ?? '');
expect(strlen($keyB) >= 16, 'seller two did not get the key: ' . json_encode($r));
$secrets[$keyB] = ['seller_two', 'admin'];
wait_until(
    "engagementd's first tick of stream $b",
    fn() => one('SELECT 1 FROM engagementd_stream_state WHERE stream_id = ?', [$b]),
    10
);

function read_everything(Client $c, array $streams): void
{
    $paths = ['api/live/streams.php?action=list&limit=50', 'api/streams/list.php?type=all',
              'api/streams/list.php?type=active', 'api/streams/list.php?type=archived',
              'api/streams/list.php?type=scheduled', 'api/stream-status.php', 'api/streams/engagement.php',
              'api/admin/streams/list.php', 'api/admin/streams/stats.php', 'api/admin/streams/export.php',
              'api/live/trigger-engagement.php', 'live.php'];
    foreach ($streams as $s) {
        array_push(
            $paths,
            "api/live/streams.php?action=get&stream_id=$s",
            "api/live/streams.php?action=products&stream_id=$s",
            "api/streams/get.php?stream_id=$s",
            "api/stream-status.php?stream_id=$s",
            "api/streams/engagement.php?stream_id=$s",
            "api/live/viewers.php?action=count&stream_id=$s",
            "api/live/viewers.php?action=list&stream_id=$s",
            "api/live/stats.php?stream_id=$s",
            "api/live/trigger-engagement.php?stream_id=$s",
            "live.php?stream=$s&replay=1"
        );
    }
    foreach ($paths as $p) {
        $c->raw('GET', $p);
    }
    if ($c->userId !== null) {
        foreach ($streams as $s) {
            post($c, 'api/live/interact.php', ['action' => 'get_comments', 'stream_id' => $s], 'application/json');
            post($c, 'api/live/interact.php', ['action' => 'get_user_interaction', 'stream_id' => $s], 'application/json');
        }
    }
}
foreach ([$anon, $buyer, $seller2, $seller1, $admin] as $c) {
    read_everything($c, [$a, $b]);
}

// What each may see: the owner and the admins the key; the player its public address.
$r = $seller1->json('GET', "api/streams/get.php?stream_id=$a");
expect(
    ($r['stream']['stream_key'] ?? '') === $keyA && ($r['stream']['mux_stream_id'] ?? '') === $muxA,
    'the seller does not see their own stream\'s key and Mux id'
);
$r = $admin->json('GET', 'api/admin/streams/list.php');
expect(in_array($keyB, array_column($r['streams'], 'stream_key'), true), 'the admin list lacks the keys');
$r = $anon->json('GET', "api/streams/get.php?stream_id=$a");
expect(!array_key_exists('stream_key', $r['stream']) && !array_key_exists('mux_stream_id', $r['stream'])
       && !array_key_exists('total_revenue', $r['stream']), 'public get.php has private columns: '
       . implode(',', array_keys($r['stream'])));
expect(($r['stream']['mux_playback_id'] ?? '') === $playA && $r['stream_url'] === "https://stream.mux.com/$playA.m3u8"
       && $r['is_live'] === true, 'the player\'s public address is missing: ' . json_encode($r));
$r = $anon->json('GET', "api/streams/get.php?stream_id=$b");
expect($r['stream_url'] === null, 'a live stream without a public address got ' . json_encode($r['stream_url']));
foreach ([[$anon, 401], [$buyer, 403], [$seller2, 403], [$seller1, 200], [$admin, 200]] as [$c, $want]) {
    ['status' => $code, 'body' => $text] = $c->raw('GET', "api/live/viewers.php?action=list&stream_id=$a");
    expect($code === $want, "{$c->name}: viewers.php?action=list of stream A: HTTP $code, expected $want");
}
say('  the seller and the admins see the key and the Mux id; anyone else the public view (mux_playback_id,'
    . ' the Mux address); who watches: seller and admins only');

// ---- CSRF -----------------------------------------------------------------
say('== cross-site POSTs (Origin ' . EVIL . ') with the victims\' cookies');
$ends = [['api/streams/end.php', $seller1, $a], ['api/live/end-stream.php', $seller1, $a],
         ['api/streams/end.php', $seller2, $b]];
foreach ($ends as [$path, $victim, $s]) {
    $body = json_encode(['stream_id' => $s, 'action' => 'delete']);
    foreach (
        [['text/plain', ['Origin' => EVIL]], ['application/x-www-form-urlencoded', ['Origin' => EVIL]],
              ['application/json', ['Origin' => EVIL]], ['application/json', ['Origin' => null, 'Referer' => EVIL . '/x']],
              ['application/json', ['Origin' => 'null']]] as [$type, $h]
    ) {
        ['status' => $code] = post($victim, $path, $body, $type, $h);
        expect($code === 403 || $code === 415, "$path ($type, " . json_encode($h) . "): HTTP $code");
        expect(status_of($s) === 'live', "$path ($type, " . json_encode($h) . ") ended stream $s");
    }
}
['status' => $code] = post(
    $buyer2,
    'api/live/interact.php',
    json_encode(['action' => 'like', 'stream_id' => $a]),
    'text/plain',
    ['Origin' => EVIL]
);
['status' => $code2] = post(
    $buyer2,
    'api/live/interact.php',
    ['action' => 'comment', 'stream_id' => $a, 'comment' => 'spam'],
    'application/json',
    ['Origin' => EVIL]
);
expect(in_array($code, [403, 415], true) && $code2 === 403, "interact.php cross-site: HTTP $code, $code2");
expect(
    (int)value('SELECT COUNT(*) FROM stream_interactions WHERE user_id = 9102') === 0,
    'a cross-site interact.php wrote a row'
);
['status' => $code] = post(
    $buyer2,
    'api/live/viewers.php',
    json_encode(['action' => 'join', 'stream_id' => $b]),
    'text/plain',
    ['Origin' => EVIL]
);
['status' => $code2] = $buyer2->raw('GET', "api/live/viewers.php?action=join&stream_id=$b");
['status' => $code3] = post($buyer2, 'api/live/viewers.php', json_encode(['action' => 'join', 'stream_id' => $b]), 'text/plain');
expect($code === 403 && $code2 === 405 && $code3 === 415, "viewers.php join cross-site/GET/text: HTTP $code, $code2, $code3");
expect(
    (int)value('SELECT COUNT(*) FROM stream_viewers WHERE stream_id = ? AND user_id = 9102', [$b]) === 0,
    'a cross-site join wrote a row'
);
['status' => $code, 'json' => $r] = join_page($buyer2, $a);
['status' => $code2] = post($buyer2, 'api/live/viewers.php', json_encode(['action' => 'leave', 'stream_id' => $a,
                'viewer_id' => $r['viewer_id']]), 'text/plain', ['Origin' => EVIL]);
expect(
    $code2 === 403 && value('SELECT left_at FROM stream_viewers WHERE id = ?', [$r['viewer_id']]) === null,
    "a cross-site leave: HTTP $code2, or it closed the row"
);
$buyer2->json('POST', 'api/live/viewers.php', ['action' => 'leave', 'stream_id' => $a, 'viewer_id' => $r['viewer_id']]);
$streams = (int)value('SELECT COUNT(*) FROM live_streams');
['status' => $code] = post($seller1, 'api/streams/start.php', json_encode(['title' => 'x']), 'text/plain', ['Origin' => EVIL]);
expect(
    in_array($code, [403, 415], true) && (int)value('SELECT COUNT(*) FROM live_streams') === $streams,
    "start.php cross-site: HTTP $code"
);
say('  end.php, end-stream.php (text/plain, form, JSON with a foreign Origin or Referer, Origin null),'
    . ' interact.php, viewers.php join/leave, start.php: all refused, nothing changed');

// ---- errors and bad input ----------------------------------------------------
say('== errors: a database failure and bad input answer without SQL text');
pdo()->exec('RENAME TABLE stream_interactions TO stream_interactions_away');
try {
    ['status' => $code, 'json' => $r] = post(
        $buyer,
        'api/live/interact.php',
        ['action' => 'get_comments', 'stream_id' => $a],
        'application/json'
    );
    ['status' => $code2, 'json' => $r2] = post($buyer, 'api/live/interact.php', ['action' => 'like', 'stream_id' => $a], 'application/json');
} finally {
    pdo()->exec('RENAME TABLE stream_interactions_away TO stream_interactions');
}
foreach ([[$code, $r], [$code2, $r2]] as [$cd, $rr]) {
    expect(
        $cd === 500 && preg_match('/^[0-9a-f]{12}$/', (string)($rr['error_id'] ?? '')) === 1,
        "the database failure's answer: HTTP $cd " . json_encode($rr)
    );
    $log = (string)file_get_contents(env('SITE_PHP_LOG'));
    expect(
        (bool)preg_match('/error ' . $rr['error_id'] . ' .*stream_interactions/', $log),
        "the error log has no detail under id {$rr['error_id']}"
    );
}
foreach (
    [[['action' => 'comment', 'stream_id' => $a, 'comment' => ['x']], 400],
          [['action' => 'comment', 'stream_id' => $a, 'comment' => str_repeat('x', 2001)], 400],
          [['action' => 'like', 'stream_id' => 'x; DROP TABLE users'], 400],
          [['action' => 'like', 'stream_id' => 987654321], 404],
          [['action' => ['like']], 400]] as [$body, $want]
) {
    ['status' => $cd] = post($buyer, 'api/live/interact.php', $body, 'application/json');
    expect($cd === $want, 'interact.php ' . substr(json_encode($body), 0, 80) . ": HTTP $cd, expected $want");
}
['status' => $cd] = post($buyer, 'api/live/interact.php', '{not json', 'application/json');
expect($cd === 400, "interact.php with a broken body: HTTP $cd");
say("  the failure answered HTTP 500 with an error id, its detail in the site's log; bad input 400/404");

// ---- the replay address, interactions on ended streams, the CSV -------------------
say('== end.php keeps only the site\'s own replay addresses; ended streams take no interactions');
foreach (
    ['https://evil.example/x.mp4', 'javascript:alert(1)', '/uploads/streams/9001/../../../etc/passwd',
          '/uploads/streams/9002/b.mp4', '//evil.example/uploads/streams/9001/a.mp4'] as $bad
) {
    ['status' => $cd, 'json' => $rr] = post(
        $seller1,
        'api/streams/end.php',
        ['stream_id' => $a, 'action' => 'save', 'video_url' => $bad],
        'application/json'
    );
    expect($cd === 400 && status_of($a) === 'live', "end.php with video_url $bad: HTTP $cd " . json_encode($rr));
}
$r = $seller1->json('POST', 'api/streams/end.php', ['stream_id' => $a, 'action' => 'save',
                                                    'video_url' => '/uploads/streams/9001/a-replay.mp4']);
expect(
    value('SELECT video_path FROM live_streams WHERE id = ?', [$a]) === '/uploads/streams/9001/a-replay.mp4',
    'the seller\'s own upload path was not kept'
);
$r = $seller2->json('POST', 'api/streams/end.php', ['stream_id' => $b, 'action' => 'save']);
$rows = (int)value('SELECT COUNT(*) FROM stream_interactions');
foreach (['like', 'dislike', 'unlike', 'comment'] as $act) {
    ['status' => $cd] = post(
        $buyer,
        'api/live/interact.php',
        ['action' => $act, 'stream_id' => $a, 'comment' => 'late'],
        'application/json'
    );
    expect($cd === 409, "$act on an ended stream: HTTP $cd");
}
expect((int)value('SELECT COUNT(*) FROM stream_interactions') === $rows, 'an ended stream took an interaction');
['status' => $code, 'body' => $csv] = $admin->raw('GET', 'api/admin/streams/export.php');
$cells = [];
foreach (preg_split('/\r?\n/', trim($csv)) as $line) {
    $cells[] = str_getcsv($line);
}
$titles = array_column(array_slice($cells, 1), 1);
expect(
    $code === 200 && in_array("'" . $formula, $titles, true) && !in_array($formula, $titles, true),
    'the CSV export passes the formula through: ' . json_encode($titles)
);
say('  5 foreign replay addresses refused, the upload path kept; like/dislike/unlike/comment on the ended'
    . ' stream: 409; the CSV title cell is "\'' . $formula . '"');
foreach ([$anon, $buyer, $seller2, $seller1, $admin] as $c) {
    read_everything($c, [$a, $b]);
}

// ---- the scan ---------------------------------------------------------------
say('== every answer scanned');
$leaks = [];
$toOthers = 0;
$sqlText = '/SQLSTATE|Base table or view|Integrity constraint|Duplicate entry|Unknown column|syntax to use|'
         . 'PDOException|Stack trace|stream_interactions|stream_viewers|fk_[a-z_]+/i';
foreach ($GLOBALS['answers'] as ['who' => $who, 'method' => $method, 'path' => $path, 'status' => $status, 'body' => $body]) {
    foreach ($secrets as $value => $owners) {
        if (in_array($who, $owners, true)) {
            continue;
        }
        $toOthers++;
        if (str_contains($body, $value)) {
            $leaks[] = "$who: $method $path gave out " . substr($value, 0, 12) . '...';
        }
    }
    if (str_starts_with($path, 'api/')) {
        if (preg_match('/[A-Za-z0-9._%+-]+@example\.test|"email"/', $body, $m)) {
            $leaks[] = "$who: $method $path: email ($m[0])";
        }
        if (preg_match($sqlText, $body, $m)) {
            $leaks[] = "$who: $method $path: SQL text ($m[0]): " . substr($body, 0, 200);
        }
    }
}
expect(!$leaks, "leaks:\n  " . implode("\n  ", array_slice(array_unique($leaks), 0, 30)));
say(sprintf('  %d answers, %d secret checks on answers to others than the owner: no key, no Mux stream id,'
            . ' no email, no SQL text', count($GLOBALS['answers']), $toOthers));
say('security scenario done');
