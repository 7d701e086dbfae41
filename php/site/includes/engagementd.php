<?php

/**
 * engagementd integration kit: the one place where the site's pages read a
 * stream's display numbers and keep real viewer sessions.
 *
 * engagementd (the daemon) writes the display numbers into live_streams
 * (viewer_count, like_count, dislike_count, comment_count, max_viewers and
 * includes_simulated) once per tick. The site only reads them. The site
 * writes only its real rows: stream_viewers (one session per viewer) and
 * stream_interactions (likes, dislikes, comments), never with is_fake = 1.
 *
 * Works before and after `engagementd migrate`: columns the daemon adds
 * (live_streams.includes_simulated, stream_viewers.last_seen_at,
 * saved_streams.stream_id) are looked up once per request and used when
 * present.
 *
 * Installed by engagementd's php/install.sh; removed by --uninstall.
 *
 * In the site's own style: global functions and classes, prefixed
 * engagementd_ / Engagementd. Values are named arrays (a row, the display
 * numbers) or small final classes (EngagementdCaller, EngagementdEndedStream).
 * Errors are exceptions: a refused request throws EngagementdRequestError
 * (its message and HTTP status are for the client), and each endpoint's one
 * catch hands every exception to engagementd_answer_error().
 */

/** The longest comment stored (characters). */
const ENGAGEMENTD_COMMENT_MAX = 2000;

/** The display columns, in the order pages show them. */
define('ENGAGEMENTD_DISPLAY_COLUMNS', ['viewer_count', 'like_count', 'dislike_count',
                                     'comment_count', 'max_viewers']);

/**
 * The kit's settings. Each is read from the site's .env (or the process
 * environment) as ENGAGEMENTD_<NAME>, through the site's env(); a missing or
 * out-of-range value falls back to the default, and an out-of-range one is
 * written to the site's error log once per request. Every setting the kit
 * reads is listed here with its default and range (php/README.md, "Settings").
 */
define('ENGAGEMENTD_KIT_SETTINGS', [
    // Seconds without a tick of engagementd for a live stream after which
    // the kit shows the stream's real numbers instead of the last ones the
    // daemon wrote. Above a restart's length: a short stop keeps the numbers.
    'STALE_AFTER' => ['default' => 60, 'min' => 5, 'max' => 86400],
    // engagementd's simulation.real_viewer_ttl, in seconds: the kit counts
    // real viewers the daemon's way when it shows them itself.
    'REAL_VIEWER_TTL' => ['default' => 60, 'min' => 1, 'max' => 86400],
    // Seconds a join token from the page render stays good.
    'JOIN_TOKEN_SECONDS' => ['default' => 600, 'min' => 30, 'max' => 86400],
    // Open guest sessions counted per address and stream (a household or an
    // office behind one NAT); logged-in users are not capped.
    'GUESTS_PER_IP' => ['default' => 20, 'min' => 1, 'max' => 100000],
    // New viewer sessions one address may open on one stream per minute.
    'JOINS_PER_IP_MINUTE' => ['default' => 30, 'min' => 1, 'max' => 100000],
    // A guest session with no sign of life for this long is closed when
    // another guest of the same address joins the stream.
    'GUEST_IDLE_SECONDS' => ['default' => 300, 'min' => 60, 'max' => 86400],
]);

/**
 * The kit's version. Every response of a kit file whose headers are not yet
 * sent carries it (X-Engagementd-Kit), so `php/install.sh --verify-url`
 * can tell whether the running PHP (OPcache) still serves older code.
 * php/install.sh --kit-id prints the value for the kit's files; a test
 * checks that they agree.
 */
define('ENGAGEMENTD_KIT_VERSION', '4a92af5d70fb9c94');
if (!headers_sent()) {
    header('X-Engagementd-Kit: ' . ENGAGEMENTD_KIT_VERSION);
}

// ---- The kit's types ----

/**
 * A request the endpoint refuses: its message is meant for the client and
 * its code is the HTTP status; $fields are more keys of the answer (a login
 * page to go to). Any other exception is the server's own failure, and its
 * text never reaches the client (engagementd_answer_error).
 */
class EngagementdRequestError extends Exception
{
    public function __construct(string $message, int $status = 400, public readonly array $fields = [])
    {
        parent::__construct($message, $status);
    }
}

/** A stream that is not the caller's: the endpoints answer 403. */
final class EngagementdAccessDenied extends EngagementdRequestError
{
    public function __construct(string $message = 'Access denied')
    {
        parent::__construct($message, 403);
    }
}

/**
 * Who is calling, as their session rows know them: the logged-in user's id
 * (null for a guest) and the PHP session id.
 */
final class EngagementdCaller
{
    public function __construct(
        public readonly ?int $userId,
        public readonly string $sessionId
    ) {
    }

    /** The caller of this request. */
    public static function current(): self
    {
        return new self(Session::isLoggedIn() ? (int)Session::getUserId() : null, (string)session_id());
    }

    public function isGuest(): bool
    {
        return $this->userId === null;
    }

    /**
     * The condition that a session row is the caller's (the logged-in user's
     * row, or a guest row of this PHP session), as ['sql' => ..., 'params' =>
     * [...]]; null when no row can be (a guest without a session, or a site
     * whose stream_viewers has no session_id).
     */
    public function ownRows(): ?array
    {
        if ($this->userId !== null) {
            return ['sql' => 'user_id = ?', 'params' => [$this->userId]];
        }
        if ($this->sessionId === '' || !engagementd_has_column('stream_viewers', 'session_id')) {
            return null;
        }
        return ['sql' => '(user_id IS NULL AND session_id = ?)', 'params' => [$this->sessionId]];
    }
}

/**
 * A stream ended by engagementd_end_stream(): what both end-of-stream URLs
 * answer from (engagementd_end_stream_answer()).
 */
final class EngagementdEndedStream
{
    /**
     * @param string $action 'save' (archived, with its replay row) or 'delete' (ended)
     * @param array $stream the live_streams row before the end (ls.* and seller_user_id)
     * @param array $display its display numbers after the end (engagementd_display())
     * @param int $durationSeconds how long it was live, on the database's clock
     * @param ?string $videoUrl the replay address stored ('save' only)
     * @param array $orders its orders (engagementd_orders())
     */
    public function __construct(
        public readonly string $action,
        public readonly array $stream,
        public readonly array $display,
        public readonly int $durationSeconds,
        public readonly ?string $videoUrl,
        public readonly array $orders
    ) {
    }
}

// ---- Settings and the site's schema ----

function engagementd_setting(string $name): int
{
    static $cache = [];
    if (isset($cache[$name])) {
        return $cache[$name];
    }
    if (!isset(ENGAGEMENTD_KIT_SETTINGS[$name])) {
        throw new LogicException("engagementd kit: unknown setting $name");
    }
    ['default' => $default, 'min' => $min, 'max' => $max] = ENGAGEMENTD_KIT_SETTINGS[$name];
    $raw = function_exists('env') ? env('ENGAGEMENTD_' . $name) : getenv('ENGAGEMENTD_' . $name);
    $value = $default;
    if ($raw !== null && $raw !== false && $raw !== '') {
        $text = trim((string)$raw);
        if (preg_match('/^-?[0-9]{1,12}$/', $text) && (int)$text >= $min && (int)$text <= $max) {
            $value = (int)$text;
        } else {
            error_log("engagementd kit: ENGAGEMENTD_$name must be a whole number from $min to $max;"
                      . " using $default");
        }
    }
    return $cache[$name] = $value;
}

/**
 * The columns of one of the site's tables (names, lower case), read once per
 * request from information_schema.
 */
function engagementd_columns(string $table): array
{
    static $cache = [];
    if (!isset($cache[$table])) {
        $stmt = db()->prepare("
            SELECT LOWER(COLUMN_NAME) FROM information_schema.COLUMNS
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
        ");
        $stmt->execute([$table]);
        $cache[$table] = array_flip($stmt->fetchAll(PDO::FETCH_COLUMN));
    }
    return $cache[$table];
}

function engagementd_has_column(string $table, string $column): bool
{
    return isset(engagementd_columns($table)[strtolower($column)]);
}

/**
 * A row read from live_streams (ls.* or the display columns) with the
 * display numbers as integers and includes_simulated always present (0
 * before `engagementd migrate` added the column).
 */
function engagementd_with_display(array $row): array
{
    foreach (ENGAGEMENTD_DISPLAY_COLUMNS as $c) {
        if (array_key_exists($c, $row)) {
            $row[$c] = (int)$row[$c];
        }
    }
    $row['includes_simulated'] = (int)($row['includes_simulated'] ?? 0);
    return $row;
}

/**
 * The select expression of live_streams.includes_simulated: the column, or 0
 * before `engagementd migrate` added it.
 */
function engagementd_simulated_column(): string
{
    return engagementd_has_column('live_streams', 'includes_simulated')
        ? 'includes_simulated' : '0 AS includes_simulated';
}

/**
 * A stream's display numbers: id, status, started_at, ended_at, the display
 * columns, includes_simulated and the freshness keys (engagementd_fresh());
 * null when the stream does not exist. These are the numbers engagementd
 * wrote, or, for a live stream it has not ticked within STALE_AFTER (or
 * ever), its real numbers counted from the site's rows.
 */
function engagementd_display(int $streamId): ?array
{
    $flag = engagementd_simulated_column();
    $stmt = db()->prepare("
        SELECT id, vendor_id, status, started_at, ended_at,
               viewer_count, like_count, dislike_count, comment_count, max_viewers,
               $flag, " . engagementd_tick_columns('ls') . "
          FROM live_streams ls WHERE id = ?
    ");
    $stmt->execute([$streamId]);
    $row = $stmt->fetch(PDO::FETCH_ASSOC);
    if (!$row) {
        return null;
    }
    $row = engagementd_with_display($row);
    $row['id'] = (int)$row['id'];
    return engagementd_fresh([$row])[0];
}

/**
 * Which of the daemon's columns that tell when it ticked exist
 * ("table.column" => true): one information_schema read per request.
 */
function engagementd_tick_sources(): array
{
    static $cache = null;
    if ($cache === null) {
        $stmt = db()->query("
            SELECT CONCAT(LOWER(TABLE_NAME), '.', LOWER(COLUMN_NAME)) FROM information_schema.COLUMNS
             WHERE TABLE_SCHEMA = DATABASE()
               AND TABLE_NAME IN ('engagementd_leader', 'engagementd_stream_state')
               AND COLUMN_NAME IN ('last_tick_ms', 'real_peak', 'shard')
        ");
        $cache = array_flip($stmt->fetchAll(PDO::FETCH_COLUMN));
    }
    return $cache;
}

/**
 * Select expressions over live_streams AS $ls: when engagementd last
 * advanced the stream (engagementd_tick_ms, milliseconds on the database's
 * clock, 0 for never), the real peak it followed (engagementd_real_peak) and
 * the database's now (engagementd_now_ms). The tick is the later of the
 * stream's state row and its shard's lease row: the daemon writes a state
 * row only when the stream's numbers change, and the lease row every tick
 * (the stream's shard is the daemon's hash of its id, modulo the number of
 * lease rows, one per shard: lib/store/shard_hash.hpp).
 */
function engagementd_tick_columns(string $ls): string
{
    $has = engagementd_tick_sources();
    $state = isset($has['engagementd_stream_state.last_tick_ms'])
        ? "(SELECT st.last_tick_ms FROM engagementd_stream_state st WHERE st.stream_id = $ls.id)" : 'NULL';
    $peak = isset($has['engagementd_stream_state.real_peak'])
        ? "(SELECT st.real_peak FROM engagementd_stream_state st WHERE st.stream_id = $ls.id)" : 'NULL';
    $lease = 'NULL';
    if (isset($has['engagementd_leader.last_tick_ms'], $has['engagementd_leader.shard'])) {
        $hash = "(((($ls.id % 2147483647) * 1103515245 + 12345) % 2147483629 * 48271 + 11) % 2147483587)";
        $lease = "(SELECT el.last_tick_ms FROM engagementd_leader el WHERE el.shard ="
               . " $hash % (SELECT GREATEST(1, COUNT(*)) FROM engagementd_leader))";
    }
    return "GREATEST(COALESCE($state, 0), COALESCE($lease, 0)) AS engagementd_tick_ms,"
         . " $peak AS engagementd_real_peak,"
         . ' CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) AS engagementd_now_ms';
}

/**
 * Rows of live_streams (with engagementd_tick_columns()) with their
 * freshness: each gets
 *   numbers_source                'engagementd' (the daemon's numbers) or
 *                                 'real_rows' (counted from the site's rows now)
 *   numbers_age_seconds           how old the numbers are (0 when counted now)
 *   engagementd_tick_age_seconds  seconds since engagementd last advanced the
 *                                 stream, null when it never has
 * and a live stream that engagementd has not ticked within STALE_AFTER (or
 * ever) gets its real numbers, counted as engagementd counts them, with
 * includes_simulated = 0. A stream no longer live keeps the numbers written
 * at its end.
 */
function engagementd_fresh(array $rows): array
{
    $staleMs = 1000 * engagementd_setting('STALE_AFTER');
    $stale = [];
    foreach ($rows as $i => $row) {
        $tick = (int)($row['engagementd_tick_ms'] ?? 0);
        $now = (int)($row['engagementd_now_ms'] ?? 0);
        $age = $tick > 0 ? max(0, intdiv($now - $tick, 1000)) : null;
        $row['numbers_source'] = 'engagementd';
        $row['numbers_age_seconds'] = $age;
        $row['engagementd_tick_age_seconds'] = $age;
        if (($row['status'] ?? '') === 'live' && ($tick <= 0 || $now - $tick > $staleMs)) {
            $stale[(int)$row['id']][] = $i;
        }
        $rows[$i] = $row;
    }
    if ($stale) {
        $real = engagementd_real_numbers(array_keys($stale));
        foreach ($stale as $id => $indexes) {
            foreach ($indexes as $i) {
                $row = $rows[$i];
                $r = $real[$id];
                $row['viewer_count'] = $r['viewers'];
                $row['max_viewers'] = max($r['viewers'], (int)($row['engagementd_real_peak'] ?? 0));
                $row['like_count'] = $r['likes'];
                $row['dislike_count'] = $r['dislikes'];
                $row['comment_count'] = $r['comments'];
                $row['includes_simulated'] = 0;
                if (array_key_exists('current_viewers', $row)) {
                    $row['current_viewers'] = $r['viewers'];
                }
                $row['numbers_source'] = 'real_rows';
                $row['numbers_age_seconds'] = 0;
                $rows[$i] = $row;
            }
        }
    }
    foreach ($rows as &$row) {
        unset($row['engagementd_tick_ms'], $row['engagementd_now_ms'], $row['engagementd_real_peak']);
    }
    unset($row);
    return $rows;
}

/** The freshness keys of a row from engagementd_fresh(), for a JSON answer. */
function engagementd_freshness(?array $row): array
{
    return [
        'numbers_source' => $row['numbers_source'] ?? 'engagementd',
        'numbers_age_seconds' => $row['numbers_age_seconds'] ?? null,
        'engagementd_tick_age_seconds' => $row['engagementd_tick_age_seconds'] ?? null,
    ];
}

/**
 * The freshness keys of several rows together (a total over streams):
 * numbers_source is 'engagementd', 'real_rows' or 'mixed'; the ages are the
 * oldest (null when a stream was never ticked).
 */
function engagementd_freshness_of_rows(array $rows): array
{
    $sources = [];
    $age = 0;
    $tick = 0;
    foreach ($rows as $row) {
        $f = engagementd_freshness($row);
        $sources[$f['numbers_source']] = true;
        $age = ($age === null || $f['numbers_age_seconds'] === null) ? null : max($age, $f['numbers_age_seconds']);
        $tick = ($tick === null || $f['engagementd_tick_age_seconds'] === null)
            ? null : max($tick, $f['engagementd_tick_age_seconds']);
    }
    return [
        'numbers_source' => count($sources) > 1 ? 'mixed' : (array_key_first($sources) ?? 'engagementd'),
        'numbers_age_seconds' => $age,
        'engagementd_tick_age_seconds' => $tick,
    ];
}

/**
 * The real numbers of streams, counted from the site's rows as engagementd
 * counts them (lib/store): viewers = open real sessions (with
 * stream_viewers.last_seen_at, those seen within REAL_VIEWER_TTL), likes,
 * dislikes and comments = real interaction rows: stream id =>
 * ['viewers' => V, 'likes' => L, 'dislikes' => D, 'comments' => C].
 */
function engagementd_real_numbers(array $ids): array
{
    $out = [];
    foreach ($ids as $id) {
        $out[(int)$id] = ['viewers' => 0, 'likes' => 0, 'dislikes' => 0, 'comments' => 0];
    }
    if (!$out) {
        return $out;
    }
    $list = implode(', ', array_keys($out));
    $fresh = '';
    if (engagementd_has_column('stream_viewers', 'last_seen_at')) {
        $fresh = ' AND COALESCE(last_seen_at, joined_at) >= NOW() - INTERVAL '
               . engagementd_setting('REAL_VIEWER_TTL') . ' SECOND';
    }
    $db = db();
    $viewers = $db->query("
        SELECT stream_id, COUNT(*) AS viewers FROM stream_viewers
         WHERE stream_id IN ($list) AND is_fake = 0 AND left_at IS NULL$fresh
         GROUP BY stream_id
    ")->fetchAll(PDO::FETCH_ASSOC);
    foreach ($viewers as $row) {
        $out[(int)$row['stream_id']]['viewers'] = (int)$row['viewers'];
    }
    $kinds = ['like' => 'likes', 'dislike' => 'dislikes', 'comment' => 'comments'];
    $interactions = $db->query("
        SELECT stream_id, CAST(interaction_type AS CHAR) AS kind, COUNT(*) AS n FROM stream_interactions
         WHERE stream_id IN ($list) AND is_fake = 0 AND interaction_type IN ('like', 'dislike', 'comment')
         GROUP BY stream_id, interaction_type
    ")->fetchAll(PDO::FETCH_ASSOC);
    foreach ($interactions as $row) {
        if (isset($kinds[$row['kind']])) {
            $out[(int)$row['stream_id']][$kinds[$row['kind']]] = (int)$row['n'];
        }
    }
    return $out;
}

/** Seconds since the stream started, on the database's clock (any time zone). */
function engagementd_live_seconds(int $streamId): int
{
    $stmt = db()->prepare("
        SELECT GREATEST(0, TIMESTAMPDIFF(SECOND, started_at, COALESCE(ended_at, NOW())))
          FROM live_streams WHERE id = ? AND started_at IS NOT NULL
    ");
    $stmt->execute([$streamId]);
    return (int)$stmt->fetchColumn();
}

/**
 * The badge's look, in one place: CSS rules for the class every badge
 * carries (engagementd-simulated-badge), whether PHP prints it
 * (engagementd_badge()) or a page's script adds it. The kit prints them into
 * the stylesheet of each page that shows a badge (php/patches/).
 */
function engagementd_badge_css(): string
{
    return '.engagementd-simulated-badge { display: inline-block; margin-left: 6px; padding: 1px 6px;'
        . ' border-radius: 8px; background: rgba(0, 0, 0, .55); color: #fff; font-size: 11px;'
        . ' font-weight: 600; vertical-align: middle; }' . "\n";
}

/** The "Includes simulated audience" badge, or '' when the numbers are all real. */
function engagementd_badge($row): string
{
    if (!is_array($row) || empty($row['includes_simulated'])) {
        return '';
    }
    return ' <span class="engagementd-simulated-badge" title="These numbers include a simulated audience">'
        . 'Includes simulated audience</span>';
}

/** Text fields of stream_viewers this installation has (the dump lacks some). */
function engagementd_viewer_extra_columns(array $values): array
{
    $out = [];
    foreach ($values as $column => $value) {
        if (engagementd_has_column('stream_viewers', $column)) {
            $out[$column] = $value;
        }
    }
    return $out;
}

/**
 * A real viewer joins: opens (or reopens) the viewer's session row and
 * returns its id. One row per logged-in user and stream (the site's unique
 * key on stream_id, user_id): joining again reopens it. A guest's row is
 * found by the PHP session id.
 */
function engagementd_viewer_join(int $streamId, EngagementdCaller $caller, ?string $ip, ?string $userAgent): int
{
    $userId = $caller->userId;
    $sessionId = $caller->sessionId;
    $db = db();
    $heartbeat = engagementd_has_column('stream_viewers', 'last_seen_at');
    $active = engagementd_has_column('stream_viewers', 'is_active');
    $extra = engagementd_viewer_extra_columns([
        'session_id' => $sessionId,
        'ip_address' => $ip,
        'user_agent' => $userAgent !== null ? substr($userAgent, 0, 500) : null,
    ]);
    $reopen = 'left_at = NULL, is_fake = 0' . ($active ? ', is_active = 1' : '')
        . ($heartbeat ? ', last_seen_at = NOW()' : '');

    if ($userId === null && $sessionId !== '' && isset($extra['session_id'])) {
        // A guest: reopen the row of this browser session, if any.
        $stmt = $db->prepare("
            SELECT id FROM stream_viewers
             WHERE stream_id = ? AND user_id IS NULL AND session_id = ? AND is_fake = 0
             ORDER BY id DESC LIMIT 1
        ");
        $stmt->execute([$streamId, $sessionId]);
        $id = $stmt->fetchColumn();
        if ($id !== false) {
            $db->prepare("UPDATE stream_viewers SET $reopen WHERE id = ?")->execute([(int)$id]);
            return (int)$id;
        }
    }

    $columns = array_merge(['stream_id', 'user_id', 'is_fake', 'joined_at'], array_keys($extra));
    $marks = array_merge(['?', '?', '0', 'NOW()'], array_fill(0, count($extra), '?'));
    if ($active) {
        $columns[] = 'is_active';
        $marks[] = '1';
    }
    if ($heartbeat) {
        $columns[] = 'last_seen_at';
        $marks[] = 'NOW()';
    }
    foreach (array_keys($extra) as $c) {
        $reopen .= ", $c = VALUES($c)";
    }
    // On the site's (stream_id, user_id) unique key the user's existing row is
    // reopened, and LAST_INSERT_ID() names it.
    $stmt = $db->prepare('INSERT INTO stream_viewers (' . implode(', ', $columns) . ')'
        . ' VALUES (' . implode(', ', $marks) . ')'
        . " ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), $reopen");
    $stmt->execute(array_merge([$streamId, $userId], array_values($extra)));
    $id = (int)$db->lastInsertId();
    if ($id === 0 && $userId !== null) {
        // A second tab's join within the same second changes no value, and
        // the server then names no row: the user's row is the one.
        $stmt = $db->prepare('SELECT id FROM stream_viewers WHERE stream_id = ? AND user_id = ?');
        $stmt->execute([$streamId, $userId]);
        $id = (int)$stmt->fetchColumn();
    }
    return $id;
}

/**
 * A real viewer leaves: closes the caller's own open session row. $viewerId
 * is the id join returned; pages cached from before the kit send
 * "viewer_id": true, in which case the caller's open row for the stream is
 * closed. Returns the number of rows closed.
 */
function engagementd_viewer_leave(int $streamId, $viewerId, EngagementdCaller $caller): int
{
    $own = $caller->ownRows();
    if ($own === null) {
        return 0;
    }
    $where = "stream_id = ? AND {$own['sql']}";
    $params = array_merge([$streamId], $own['params']);
    if (is_int($viewerId) || (is_string($viewerId) && ctype_digit($viewerId))) {
        $where .= ' AND id = ?';
        $params[] = (int)$viewerId;
    }
    return engagementd_close_sessions($where, $params);
}

/**
 * Closes the open real session rows that also match $where (with $params):
 * left now, the watch time recorded, inactive where the column exists.
 * Returns the number of rows closed.
 */
function engagementd_close_sessions(string $where, array $params): int
{
    $set = 'left_at = NOW(), watch_duration = GREATEST(0, TIMESTAMPDIFF(SECOND, joined_at, NOW()))'
        . (engagementd_has_column('stream_viewers', 'is_active') ? ', is_active = 0' : '');
    $stmt = db()->prepare("UPDATE stream_viewers SET $set WHERE left_at IS NULL AND is_fake = 0 AND $where");
    $stmt->execute($params);
    return $stmt->rowCount();
}

/**
 * The page's poll says the caller is still watching: refreshes
 * last_seen_at of the caller's open session rows for the stream (when the
 * column exists), so a closed tab stops counting after engagementd's
 * simulation.real_viewer_ttl.
 */
function engagementd_heartbeat(int $streamId, EngagementdCaller $caller): void
{
    $own = $caller->ownRows();
    if ($own === null || !engagementd_has_column('stream_viewers', 'last_seen_at')) {
        return;
    }
    db()->prepare("
        UPDATE stream_viewers SET last_seen_at = NOW()
         WHERE stream_id = ? AND left_at IS NULL AND is_fake = 0 AND {$own['sql']}
    ")->execute(array_merge([$streamId], $own['params']));
}

/** Revenue and orders of a stream (the site's own figures, not engagement). */
function engagementd_orders(int $streamId): array
{
    $stmt = db()->prepare("
        SELECT COUNT(*) AS orders_count, COALESCE(SUM(amount), 0) AS total_revenue
          FROM stream_orders WHERE stream_id = ?
    ");
    $stmt->execute([$streamId]);
    $row = $stmt->fetch(PDO::FETCH_ASSOC) ?: [];
    return ['orders_count' => (int)($row['orders_count'] ?? 0),
            'total_revenue' => (float)($row['total_revenue'] ?? 0)];
}

/**
 * The statistics keys the site's LiveStream::getStreamStats() returned
 * (likes_count, dislikes_count, comments_count, total_viewers, orders_count,
 * total_revenue), taken from the display numbers instead of counted rows.
 * total_viewers is the peak while live and the final audience once ended
 * (engagementd's finalization writes the distinct total into viewer_count).
 */
function engagementd_stats(array $display): array
{
    $live = ($display['status'] ?? '') === 'live';
    return array_merge([
        'likes_count' => $display['like_count'],
        'dislikes_count' => $display['dislike_count'],
        'comments_count' => $display['comment_count'],
        'total_viewers' => $live ? max($display['max_viewers'], $display['viewer_count'])
                                 : $display['viewer_count'],
        'current_viewers' => $live ? $display['viewer_count'] : 0,
        'includes_simulated' => $display['includes_simulated'],
    ], engagementd_orders((int)$display['id']));
}

/**
 * The layout of this installation's saved_streams (the replay table):
 * 'migration' (the site's own migration: stream_id, vendor_id, title, ...,
 * viewer_count, like_count), 'dump' (the production dump: seller_id,
 * stream_title, ..., views, likes, dislikes; "linked" once `engagementd
 * migrate` has added its stream_id), or null for neither.
 */
function engagementd_saved_layout(): ?string
{
    $has = fn(string $column) => engagementd_has_column('saved_streams', $column);
    if ($has('seller_id') && $has('stream_title')) {
        return 'dump';
    }
    if ($has('vendor_id') && $has('title')) {
        return 'migration';
    }
    return null;
}

/**
 * Ends a live stream of $vendor. 'save' archives it and writes its replay
 * row into saved_streams, linked to the stream by saved_streams.stream_id
 * (present after `engagementd migrate`); 'delete' only ends it. The status
 * change and the replay row are one transaction, so engagementd finalizes a
 * stream whose replay row already exists and writes the final numbers into
 * it. The numbers written now are the display numbers; engagementd replaces
 * them with the final ones. The stream's open real sessions are closed.
 * Durations come from the database's clock.
 *
 * Throws EngagementdAccessDenied on a stream that is not the vendor's and
 * EngagementdRequestError (409) on one that is not live.
 */
function engagementd_end_stream(int $streamId, array $vendor, string $action, ?string $videoUrl): EngagementdEndedStream
{
    if ($action !== 'save' && $action !== 'delete') {
        throw new EngagementdRequestError('Invalid action. Use "save" or "delete"');
    }
    $db = db();
    $db->beginTransaction();
    try {
        $stmt = $db->prepare("
            SELECT ls.*, v.user_id AS seller_user_id,
                   GREATEST(0, LEAST(172800, TIMESTAMPDIFF(SECOND, ls.started_at, NOW())))
                     AS engagementd_duration
              FROM live_streams ls JOIN vendors v ON ls.vendor_id = v.id
             WHERE ls.id = ? AND ls.vendor_id = ?
               FOR UPDATE
        ");
        $stmt->execute([$streamId, (int)$vendor['id']]);
        $stream = $stmt->fetch(PDO::FETCH_ASSOC);
        if (!$stream) {
            throw new EngagementdAccessDenied('Stream not found or access denied');
        }
        if ($stream['status'] !== 'live') {
            throw new EngagementdRequestError('Stream is not currently live', 409);
        }
        $duration = (int)$stream['engagementd_duration'];
        $orders = engagementd_orders($streamId);
        // Shown from the site's rows (no daemon ticks the stream): the stream
        // ends with its real numbers, as engagementd would finalize it.
        $real = engagementd_display($streamId);
        $real = $real['numbers_source'] === 'real_rows' ? engagementd_real_final($streamId, $real) : null;

        if ($action === 'save') {
            $videoUrl = engagementd_replay_url($stream, $videoUrl);
            $set = "status = 'archived', ended_at = NOW(), total_revenue = ?";
            $params = [$orders['total_revenue']];
            if (engagementd_has_column('live_streams', 'video_path')) {
                $set .= ', video_path = ?';
                $params[] = $videoUrl;
            }
            if (engagementd_has_column('live_streams', 'duration_seconds')) {
                $set .= ', duration_seconds = ?';
                $params[] = $duration;
            }
        } else {
            $set = "status = 'ended', ended_at = NOW(), total_revenue = ?";
            $params = [$orders['total_revenue']];
        }
        $params[] = $streamId;
        $db->prepare("UPDATE live_streams SET $set WHERE id = ?")->execute($params);
        // Nobody watches an ended stream: its open real sessions end with it.
        engagementd_close_sessions('stream_id = ?', [$streamId]);

        if ($real !== null) {
            $db->prepare('UPDATE live_streams SET viewer_count = ?, max_viewers = ?, like_count = ?,'
                . ' dislike_count = ?, comment_count = ?'
                . (engagementd_has_column('live_streams', 'includes_simulated') ? ', includes_simulated = 0' : '')
                . ' WHERE id = ?')
               ->execute([$real['viewer_count'], $real['max_viewers'], $real['like_count'],
                          $real['dislike_count'], $real['comment_count'], $streamId]);
        }
        $display = engagementd_display($streamId);
        if ($real !== null) {
            $display['numbers_source'] = 'real_rows';
            $display['numbers_age_seconds'] = 0;
        }
        if ($action === 'save') {
            engagementd_write_saved_stream(
                $stream,
                $display,
                $duration,
                $videoUrl,
                $orders['total_revenue']
            );
        }
        $db->commit();
    } catch (Throwable $e) {
        if ($db->inTransaction()) {
            $db->rollBack();
        }
        throw $e;
    }
    return new EngagementdEndedStream($action, $stream, $display, $duration, $videoUrl, $orders);
}

/**
 * A live stream's final real numbers, as engagementd's finalization counts
 * them for a stream without a simulated audience: viewer_count = the
 * distinct real sessions over the stream, max_viewers = the real peak
 * known (the daemon's, or now), likes, dislikes and comments as $live
 * (engagementd_display() of the stream, counted from the site's rows).
 */
function engagementd_real_final(int $streamId, array $live): array
{
    $distinct = engagementd_has_column('stream_viewers', 'session_id') ? 'COUNT(DISTINCT session_id)' : 'COUNT(*)';
    $stmt = db()->prepare("SELECT $distinct FROM stream_viewers WHERE stream_id = ? AND is_fake = 0");
    $stmt->execute([$streamId]);
    $total = (int)$stmt->fetchColumn();
    return ['viewer_count' => $total,
            'max_viewers' => max($live['max_viewers'], $live['viewer_count']),
            'like_count' => $live['like_count'],
            'dislike_count' => $live['dislike_count'],
            'comment_count' => $live['comment_count']];
}

/** The replay row, in this installation's saved_streams layout (engagementd_saved_layout()). */
function engagementd_write_saved_stream(
    array $stream,
    array $display,
    int $duration,
    string $videoUrl,
    float $revenue
): void {
    $layout = engagementd_saved_layout();
    $linked = engagementd_has_column('saved_streams', 'stream_id');
    if ($layout === 'dump') {
        $row = [
            'seller_id' => (int)$stream['seller_user_id'],
            'stream_title' => $stream['title'],
            'stream_description' => $stream['description'],
            'video_url' => $videoUrl,
            'thumbnail_url' => $stream['thumbnail_url'],
            'duration' => $duration,
            'views' => $display['viewer_count'],
            'likes' => $display['like_count'],
            'dislikes' => $display['dislike_count'],
            'streamed_at' => $stream['started_at'],
        ];
    } elseif ($layout === 'migration') {
        $row = [
            'vendor_id' => (int)$stream['vendor_id'],
            'title' => $stream['title'],
            'description' => $stream['description'],
            'video_url' => $videoUrl,
            'thumbnail_url' => $stream['thumbnail_url'],
            'duration' => $duration,
            'viewer_count' => $display['viewer_count'],
            'like_count' => $display['like_count'],
            'total_revenue' => $revenue,
            'streamed_at' => $stream['started_at'],
        ];
    } else {
        error_log('engagementd kit: saved_streams has neither known layout; no replay row written');
        return;
    }
    if ($linked) {
        $row = ['stream_id' => (int)$stream['id']] + $row;
    }
    $row = array_filter($row, fn($c) => engagementd_has_column('saved_streams', $c), ARRAY_FILTER_USE_KEY);
    $columns = array_keys($row);
    $sql = 'INSERT INTO saved_streams (' . implode(', ', $columns) . ') VALUES ('
         . implode(', ', array_fill(0, count($columns), '?')) . ')';
    if ($linked) {
        // The migration layout's stream_id is unique: saving again updates
        // the replay row (the dump layout's, added by migrate, is indexed only).
        $updates = array_map(fn($c) => "$c = VALUES($c)", array_diff($columns, ['stream_id']));
        $sql .= ' ON DUPLICATE KEY UPDATE ' . implode(', ', $updates);
    }
    db()->prepare($sql)->execute(array_values($row));
}

/**
 * The real viewers watching a stream now, oldest first, as the seller's
 * pages list them: id, username ('Guest' for a guest), joined_at.
 */
function engagementd_real_viewers(int $streamId): array
{
    $stmt = db()->prepare("
        SELECT sv.id, sv.joined_at, u.username
          FROM stream_viewers sv LEFT JOIN users u ON sv.user_id = u.id
         WHERE sv.stream_id = ? AND sv.left_at IS NULL AND sv.is_fake = 0
         ORDER BY sv.joined_at ASC
    ");
    $stmt->execute([$streamId]);
    return array_map(fn(array $viewer) => [
        'id' => $viewer['id'],
        'username' => $viewer['username'] ?? 'Guest',
        'joined_at' => $viewer['joined_at'],
    ], $stmt->fetchAll(PDO::FETCH_ASSOC));
}

/**
 * The JSON error answer of every kit endpoint's catch: each endpoint's code
 * throws, and its one catch (Throwable) answers here. A refused request
 * gets its own message and status; anything else (a database error, a bug)
 * gets a generic message with an id, and the detail, which may name tables,
 * constraints or SQLSTATEs, goes only to the site's error log under that id.
 */
function engagementd_answer_error(Throwable $e): void
{
    if ($e instanceof EngagementdRequestError) {
        $status = $e->getCode() >= 400 && $e->getCode() <= 599 ? $e->getCode() : 400;
        $body = ['success' => false, 'error' => $e->getMessage()] + $e->fields;
    } else {
        $id = bin2hex(random_bytes(6));
        // The values a duplicate-key error quotes (a stream key) stay out of
        // the log too; the line is bounded and its control characters escaped.
        $detail = preg_replace("/Duplicate entry '.*?' for key/s", "Duplicate entry '...' for key", $e->getMessage());
        error_log(sprintf(
            'engagementd kit: error %s in %s: %s: %s (%s:%d)',
            $id,
            $_SERVER['SCRIPT_NAME'] ?? '?',
            get_class($e),
            substr(addcslashes((string)$detail, "\0..\37\\"), 0, 2000),
            basename($e->getFile()),
            $e->getLine()
        ));
        $status = 500;
        $body = ['success' => false, 'error' => "The request failed (error id $id)", 'error_id' => $id];
    }
    if (!headers_sent()) {
        http_response_code($status);
        header('Content-Type: application/json');
    }
    echo json_encode($body);
}

/**
 * The logged-in user's vendor row; otherwise the request ends with 401 (no
 * login) or 403 (no vendor row, or with $approved no approved one).
 */
function engagementd_require_vendor(bool $approved = false): array
{
    if (!Session::isLoggedIn()) {
        throw new EngagementdRequestError('Authentication required', 401);
    }
    $vendor = (new Vendor())->findByUserId(Session::getUserId());
    if (!$vendor || ($approved && $vendor['status'] !== 'approved')) {
        $need = $approved ? 'Approved vendor access required' : 'Vendor access required';
        throw new EngagementdRequestError($need, 403);
    }
    return $vendor;
}

/**
 * The request of both end-of-stream URLs ({"stream_id", "action",
 * "video_url"}), carried out by engagementd_end_stream(). A stream of
 * another seller ends the request with 403 and $denied (default: the reason).
 */
function engagementd_end_stream_request(?string $denied = null): EngagementdEndedStream
{
    $data = engagementd_json_request();
    $vendor = engagementd_require_vendor();
    if (!isset($data['stream_id'])) {
        throw new EngagementdRequestError('Stream ID is required');
    }
    if (isset($data['video_url']) && !is_string($data['video_url'])) {
        throw new EngagementdRequestError('video_url must be a string');
    }
    $action = $data['action'] ?? 'save';
    $action = is_string($action) ? $action : '';
    try {
        return engagementd_end_stream((int)$data['stream_id'], $vendor, $action, $data['video_url'] ?? null);
    } catch (EngagementdAccessDenied $e) {
        throw new EngagementdAccessDenied($denied ?? $e->getMessage());
    }
}

/**
 * The one implementation behind both URLs that end a stream: the answer of
 * api/streams/end.php (the seller's page) or, with $olderUrl, of
 * api/live/end-stream.php (older pages). The older URL keeps the words the
 * pages written against it read: "action" is "saved" or "deleted", another
 * seller's stream is only "Access denied", a deleted stream's answer has no
 * numbers, and its stats have no dislikes or peak.
 */
function engagementd_end_stream_answer(bool $olderUrl = false): array
{
    $ended = engagementd_end_stream_request($olderUrl ? 'Access denied' : null);
    $saved = $ended->action === 'save';
    $message = $saved ? 'Stream ended and saved successfully' : 'Stream ended successfully';
    if ($olderUrl && !$saved) {
        return ['success' => true, 'message' => $message, 'action' => 'deleted'];
    }
    $display = $ended->display;
    $stats = [
        'duration' => $ended->durationSeconds,
        'viewers' => $display['viewer_count'],
        'likes' => $display['like_count'],
        'dislikes' => $display['dislike_count'],
        'comments' => $display['comment_count'],
        'peak_viewers' => $display['max_viewers'],
        'includes_simulated' => $display['includes_simulated'],
        'orders' => $ended->orders['orders_count'],
        'revenue' => $ended->orders['total_revenue'],
    ];
    if ($olderUrl) {
        unset($stats['dislikes'], $stats['peak_viewers']);
    }
    return [
        'success' => true,
        'message' => $message,
        'action' => $olderUrl ? 'saved' : $ended->action,
        'stats' => $stats,
    ] + engagementd_freshness($display);
}

/**
 * A logged-in user's display name (the site's Session has no getUsername()).
 */
function engagementd_username(int $userId): string
{
    $stmt = db()->prepare('SELECT username FROM users WHERE id = ?');
    $stmt->execute([$userId]);
    $name = $stmt->fetchColumn();
    return $name !== false && $name !== null ? (string)$name : 'Guest';
}

/** For live.php: its statistics from the display numbers. */
function engagementd_page_stats(int $streamId, $siteStats): array
{
    $display = engagementd_display($streamId);
    if ($display === null) {
        return is_array($siteStats) ? $siteStats : [];
    }
    return array_merge(is_array($siteStats) ? $siteStats : [], engagementd_stats($display));
}

/**
 * For replay cards: rows of saved_streams with includes_simulated, the flag
 * of the stream each replay row is linked to (saved_streams.stream_id,
 * after `engagementd migrate`); 0 for an unlinked row.
 */
function engagementd_saved_flags(array $rows): array
{
    $ids = [];
    if (
        engagementd_has_column('saved_streams', 'stream_id')
        && engagementd_has_column('live_streams', 'includes_simulated')
    ) {
        foreach ($rows as $row) {
            if (!empty($row['stream_id'])) {
                $ids[(int)$row['stream_id']] = true;
            }
        }
    }
    $flags = [];
    if ($ids) {
        $flags = db()->query('SELECT id, includes_simulated FROM live_streams WHERE id IN ('
            . implode(', ', array_keys($ids)) . ')')->fetchAll(PDO::FETCH_KEY_PAIR);
    }
    foreach ($rows as &$row) {
        $row['includes_simulated'] = (int)($flags[(int)($row['stream_id'] ?? 0)] ?? 0);
    }
    unset($row);
    return $rows;
}

/**
 * For list pages: rows of live_streams (ls.*) with their display numbers
 * and freshness (engagementd_fresh()): a live stream no daemon ticks shows
 * its real numbers; each row's current_viewers is its viewer_count while
 * live.
 */
function engagementd_rows_display(array $rows): array
{
    $ids = [];
    foreach ($rows as $row) {
        if (isset($row['id'])) {
            $ids[(int)$row['id']] = true;
        }
    }
    $ticks = [];
    if ($ids) {
        $stmt = db()->query('SELECT ls.id, ' . engagementd_tick_columns('ls')
            . ' FROM live_streams ls WHERE ls.id IN (' . implode(', ', array_keys($ids)) . ')');
        foreach ($stmt->fetchAll(PDO::FETCH_ASSOC) as $t) {
            $ticks[(int)$t['id']] = $t;
        }
    }
    foreach ($rows as &$row) {
        $row = engagementd_with_display($row);
        $t = $ticks[(int)($row['id'] ?? 0)] ?? [];
        unset($t['id']);
        $row = $t + $row;
        if (array_key_exists('viewer_count', $row)) {
            $row['current_viewers'] = ($row['status'] ?? 'live') === 'live' ? $row['viewer_count'] : 0;
        }
    }
    unset($row);
    return engagementd_fresh($rows);
}

// ---- What a browser may see and do (php/README.md, "Security") ----

/**
 * The columns of a stream (a live_streams row, with what the site's queries
 * join to it) that anyone may see. Everything else (stream_key,
 * mux_stream_id, revenue, settings, recording_url, any column added later)
 * goes only to the stream's seller and the site's admins. mux_playback_id is
 * public: it is what a player needs, and it is already in the public
 * playback address (https://stream.mux.com/ID.m3u8).
 */
define('ENGAGEMENTD_PUBLIC_STREAM_COLUMNS', [
    'id', 'vendor_id', 'vendor_name', 'title', 'description', 'thumbnail_url', 'stream_url',
    'video_path', 'mux_playback_id', 'chat_enabled', 'featured', 'category_id', 'tags', 'status',
    'scheduled_at', 'started_at', 'ended_at', 'created_at', 'updated_at', 'duration_seconds',
    'seconds_until_start', 'is_live',
    'viewer_count', 'like_count', 'dislike_count', 'comment_count', 'max_viewers',
    'includes_simulated', 'current_viewers',
    // how fresh the numbers are (engagementd_fresh())
    'numbers_source', 'numbers_age_seconds', 'engagementd_tick_age_seconds',
    // engagementd_stats()' keys, but its orders and revenue
    'likes_count', 'dislikes_count', 'comments_count', 'total_viewers',
]);

function engagementd_is_admin(): bool
{
    return ($_SESSION['user_role'] ?? null) === 'admin';
}

/** The logged-in caller's vendor id, or null (not logged in, or not a seller). */
function engagementd_caller_vendor_id(): ?int
{
    static $cache = [];
    if (!Session::isLoggedIn()) {
        return null;
    }
    $userId = (int)Session::getUserId();
    if (!array_key_exists($userId, $cache)) {
        $vendor = (new Vendor())->findByUserId($userId);
        $cache[$userId] = $vendor ? (int)$vendor['id'] : null;
    }
    return $cache[$userId];
}

/** Whether the caller is the stream's seller or an admin. */
function engagementd_owns_stream(array $row): bool
{
    if (engagementd_is_admin()) {
        return true;
    }
    $vendorId = engagementd_caller_vendor_id();
    return $vendorId !== null && isset($row['vendor_id']) && (int)$row['vendor_id'] === $vendorId;
}

/**
 * A stream's public view: the allowed columns only. A playback address
 * built from the publish key (an HLS path named after it) would give the
 * key away, so such an address is left out too.
 */
function engagementd_public_stream(array $row): array
{
    $public = array_intersect_key($row, array_flip(ENGAGEMENTD_PUBLIC_STREAM_COLUMNS));
    $key = (string)($row['stream_key'] ?? '');
    foreach (['stream_url', 'video_path'] as $column) {
        if ($key !== '' && isset($public[$column]) && str_contains((string)$public[$column], $key)) {
            $public[$column] = null;
        }
    }
    return $public;
}

/** The stream as the caller may see it: whole for its seller and admins, else the public view. */
function engagementd_stream_view(array $row): array
{
    return engagementd_owns_stream($row) ? $row : engagementd_public_stream($row);
}

/**
 * The kinds of list api/streams/list.php serves: which streams ('where',
 * on live_streams AS ls), what it adds to ls.* ('columns') and the order.
 */
const ENGAGEMENTD_STREAM_LISTS = [
    'active' => [
        'where' => "ls.status = 'live'",
        'columns' => 'ls.viewer_count AS current_viewers,'
            . ' TIMESTAMPDIFF(SECOND, ls.started_at, NOW()) AS duration_seconds',
        'order' => 'ls.viewer_count DESC, ls.started_at DESC',
    ],
    'scheduled' => [
        'where' => "ls.status = 'scheduled' AND ls.scheduled_at > NOW()",
        'columns' => 'TIMESTAMPDIFF(SECOND, NOW(), ls.scheduled_at) AS seconds_until_start',
        'order' => 'ls.scheduled_at ASC',
    ],
    'recent' => [
        'where' => "ls.status = 'archived' AND ls.ended_at IS NOT NULL",
        'columns' => 'TIMESTAMPDIFF(SECOND, ls.started_at, ls.ended_at) AS duration_seconds',
        'order' => 'ls.ended_at DESC',
    ],
];

/**
 * The streams of one kind of ENGAGEMENTD_STREAM_LISTS, a seller's own only
 * when $vendorId is given, each in the caller's view; live rows no daemon
 * ticks show their real numbers (engagementd_fresh()).
 */
function engagementd_list_streams(string $kind, ?int $vendorId, int $limit, int $offset): array
{
    ['where' => $where, 'columns' => $columns, 'order' => $order] = ENGAGEMENTD_STREAM_LISTS[$kind];
    $params = [];
    if ($vendorId !== null) {
        $where .= ' AND ls.vendor_id = ?';
        $params[] = $vendorId;
    }
    $stmt = db()->prepare("
        SELECT ls.*, v.business_name AS vendor_name, v.id AS vendor_id, $columns
          FROM live_streams ls
          JOIN vendors v ON ls.vendor_id = v.id
         WHERE $where
         ORDER BY $order
         LIMIT $limit OFFSET $offset
    ");
    $stmt->execute($params);
    return engagementd_stream_views(engagementd_rows_display($stmt->fetchAll(PDO::FETCH_ASSOC)));
}

/** engagementd_stream_view() of each row. */
function engagementd_stream_views(array $rows): array
{
    return array_map('engagementd_stream_view', $rows);
}

/** The public playback address of a live stream: Mux's, or the stored one unless it holds the key. */
function engagementd_public_playback_url(array $row): ?string
{
    if (!empty($row['mux_playback_id'])) {
        return 'https://stream.mux.com/' . rawurlencode((string)$row['mux_playback_id']) . '.m3u8';
    }
    $url = engagementd_public_stream($row)['stream_url'] ?? null;
    return $url !== null && $url !== '' ? (string)$url : null;
}

/**
 * The replay address end.php stores (live_streams.video_path and the
 * saved_streams row): a client may name one only among the site's own
 * upload path of the stream's seller (/uploads/streams/VENDOR/FILE) and the
 * stream's Mux asset (https://stream.mux.com/PLAYBACK_ID.m3u8); without
 * one, the site's choice (Mux's address for a Mux stream, otherwise
 * /uploads/streams/VENDOR/STREAM.mp4).
 */
function engagementd_replay_url(array $stream, ?string $requested): string
{
    $vendorId = (int)$stream['vendor_id'];
    $mux = !empty($stream['mux_playback_id'])
        ? 'https://stream.mux.com/' . rawurlencode((string)$stream['mux_playback_id']) . '.m3u8' : null;
    if ($requested === null || $requested === '') {
        return $mux ?? '/uploads/streams/' . $vendorId . '/' . (int)$stream['id'] . '.mp4';
    }
    if ($mux !== null && $requested === $mux) {
        return $requested;
    }
    if (
        preg_match('#^/uploads/streams/' . $vendorId . '/[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$#', $requested)
        && !str_contains($requested, '..')
    ) {
        return $requested;
    }
    throw new EngagementdRequestError('video_url must be the stream\'s Mux address or a file under'
                                      . " /uploads/streams/$vendorId/");
}

/** "scheme://host:port" of a URL (lower case, the scheme's default port filled in), or null. */
function engagementd_origin_of(string $url): ?string
{
    $parts = parse_url(trim($url));
    if (!is_array($parts) || empty($parts['scheme']) || empty($parts['host'])) {
        return null;
    }
    $scheme = strtolower($parts['scheme']);
    $port = $parts['port'] ?? ($scheme === 'https' ? 443 : ($scheme === 'http' ? 80 : null));
    if ($port === null) {
        return null;
    }
    return $scheme . '://' . strtolower($parts['host']) . ':' . $port;
}

/** The origins the site's pages are served from: its APP_URL (and SITE_URL). */
function engagementd_site_origins(): array
{
    $origins = [];
    foreach (['APP_URL', 'SITE_URL'] as $name) {
        if (defined($name) && ($origin = engagementd_origin_of((string)constant($name))) !== null) {
            $origins[$origin] = true;
        }
    }
    return array_keys($origins);
}

/**
 * A state-changing request must come from the site's own pages: its Origin
 * header (or, without one, its Referer) must be the site's APP_URL (scheme,
 * host and port). A request with neither is not a browser's cross-site
 * request (every browser sends Origin with a cross-site POST), and the
 * JSON-only rule keeps HTML forms out.
 */
function engagementd_require_same_origin(): void
{
    foreach (['HTTP_ORIGIN', 'HTTP_REFERER'] as $header) {
        $value = (string)($_SERVER[$header] ?? '');
        if ($value === '') {
            continue;
        }
        $origin = engagementd_origin_of($value);
        if ($origin === null || !in_array($origin, engagementd_site_origins(), true)) {
            error_log(sprintf(
                'engagementd kit: refused a cross-site %s to %s from %s (the site\'s APP_URL'
                              . ' is %s; set it to the address visitors use)',
                $_SERVER['REQUEST_METHOD'] ?? '?',
                $_SERVER['SCRIPT_NAME'] ?? '?',
                substr(addcslashes($value, "\0..\37\\"), 0, 200),
                defined('APP_URL') ? APP_URL : 'not set'
            ));
            throw new EngagementdRequestError('Cross-site request refused', 403);
        }
        return;
    }
}

/** The request's media type, lower case, without parameters. */
function engagementd_content_type(): string
{
    return strtolower(trim(explode(';', (string)($_SERVER['CONTENT_TYPE'] ?? ''))[0]));
}

/**
 * The body of a state-changing request: a POST from the site's own pages
 * with Content-Type application/json and a JSON object. $beacon also takes
 * the text/plain body of navigator.sendBeacon (the leave beacon, which
 * changes only the caller's own row).
 */
function engagementd_json_request(bool $beacon = false): array
{
    if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST') {
        header('Allow: POST');
        throw new EngagementdRequestError('This action needs a POST', 405);
    }
    $type = engagementd_content_type();
    if ($type !== 'application/json' && !($beacon && $type === 'text/plain')) {
        throw new EngagementdRequestError('Content-Type must be application/json', 415);
    }
    engagementd_require_same_origin();
    $data = json_decode((string)file_get_contents('php://input'), true);
    if (!is_array($data)) {
        throw new EngagementdRequestError('The request body must be a JSON object');
    }
    return $data;
}

// ---- Who counts as a real viewer (php/README.md, "Who counts as a real viewer") ----

function engagementd_join_cookie(int $streamId): string
{
    return 'engagementd_join_' . $streamId;
}

/**
 * The join token's signature: HMAC-SHA256 over the stream, the expiry and
 * the PHP session id, keyed by a random secret kept in the visitor's
 * server-side session (created at the session's first page render, never
 * sent to the browser). So a token is good for one stream, one session and
 * JOIN_TOKEN_SECONDS, and only the page render can make one.
 */
function engagementd_join_signature(int $streamId, int $expires, bool $create): ?string
{
    if (session_status() !== PHP_SESSION_ACTIVE) {
        return null;
    }
    if (empty($_SESSION['engagementd_join_secret']) || !is_string($_SESSION['engagementd_join_secret'])) {
        if (!$create) {
            return null;
        }
        $_SESSION['engagementd_join_secret'] = bin2hex(random_bytes(32));
    }
    return hash_hmac(
        'sha256',
        "engagementd-join|$streamId|$expires|" . session_id(),
        $_SESSION['engagementd_join_secret']
    );
}

/**
 * For live.php, before its first output: hands the visitor a join token for
 * the stream the page plays, in a cookie only api/live/ receives (HttpOnly,
 * SameSite=Lax), so the page's own join request carries it.
 */
function engagementd_issue_join_token($streamId): void
{
    if ($streamId === null || headers_sent()) {
        return;
    }
    $streamId = (int)$streamId;
    $expires = time() + engagementd_setting('JOIN_TOKEN_SECONDS');
    $signature = engagementd_join_signature($streamId, $expires, true);
    if ($signature === null) {
        return;
    }
    setcookie(engagementd_join_cookie($streamId), $expires . '.' . $signature, [
        'expires' => $expires,
        'path' => '/api/live/',
        'secure' => !empty($_SERVER['HTTPS']) && $_SERVER['HTTPS'] !== 'off',
        'httponly' => true,
        'samesite' => 'Lax',
    ]);
}

/** Whether the request carries a valid join token for the stream and this session. */
function engagementd_join_token_valid(int $streamId): bool
{
    $token = $_COOKIE[engagementd_join_cookie($streamId)] ?? '';
    if (!is_string($token) || !preg_match('/^([0-9]{1,12})\.([0-9a-f]{64})$/', $token, $m)) {
        return false;
    }
    $expires = (int)$m[1];
    if ($expires < time()) {
        return false;
    }
    $signature = engagementd_join_signature($streamId, $expires, false);
    return $signature !== null && hash_equals($signature, $m[2]);
}

/**
 * join, with the rules of a real visit: a guest needs the page's join
 * token; at most GUESTS_PER_IP open guest sessions per address and stream
 * count (a guest over the cap watches uncounted); at most
 * JOINS_PER_IP_MINUTE new sessions per address and stream per minute; a
 * logged-in user has one row per stream (the site's unique key), whatever
 * their tabs. Returns the session row's id, or null when the guest is not
 * counted. Throws 403 without a token and 429 over the rate.
 */
function engagementd_admit_viewer(int $streamId, EngagementdCaller $caller, ?string $ip, ?string $userAgent): ?int
{
    $userId = $caller->userId;
    $sessionId = $caller->sessionId;
    $guest = $caller->isGuest();
    if ($guest && !engagementd_join_token_valid($streamId)) {
        throw new EngagementdRequestError('No valid join token for this stream: reload the page', 403);
    }
    $ip = (string)$ip;
    $byAddress = $ip !== '' && engagementd_has_column('stream_viewers', 'ip_address');
    $toldApart = $sessionId !== '' && engagementd_has_column('stream_viewers', 'session_id');
    if ($guest && !($toldApart && $byAddress)) {
        // A guest who cannot be told apart or capped is not counted.
        return null;
    }
    if (!$byAddress) {
        return engagementd_viewer_join($streamId, $caller, $ip ?: null, $userAgent);
    }

    $db = db();
    // One address's joins one at a time, so that the cap and the rate hold
    // against concurrent requests. A Galera node refuses named locks (and
    // would hold one on that node only): there the joins go unserialized,
    // and concurrent joins of one address may pass the cap by a few.
    $lock = 'engagementd_join:' . sha1($ip);
    try {
        $stmt = $db->prepare('SELECT GET_LOCK(?, 5)');
        $stmt->execute([$lock]);
        $locked = (int)$stmt->fetchColumn() === 1;
        if (!$locked) {
            header('Retry-After: 5');
            throw new EngagementdRequestError('Too many joins at once from your address; try again', 429);
        }
    } catch (PDOException $e) {
        $locked = false;
    }
    try {
        if ($guest) {
            $stmt = $db->prepare("
                SELECT id FROM stream_viewers
                 WHERE stream_id = ? AND user_id IS NULL AND session_id = ? AND is_fake = 0 LIMIT 1
            ");
            $stmt->execute([$streamId, $sessionId]);
        } else {
            $stmt = $db->prepare('SELECT id FROM stream_viewers WHERE stream_id = ? AND user_id = ? LIMIT 1');
            $stmt->execute([$streamId, $userId]);
        }
        $known = $stmt->fetchColumn() !== false;

        if (!$known) {
            $stmt = $db->prepare("
                SELECT COUNT(*) FROM stream_viewers
                 WHERE stream_id = ? AND ip_address = ? AND joined_at >= NOW() - INTERVAL 60 SECOND
            ");
            $stmt->execute([$streamId, $ip]);
            if ((int)$stmt->fetchColumn() >= engagementd_setting('JOINS_PER_IP_MINUTE')) {
                header('Retry-After: 60');
                throw new EngagementdRequestError('Too many new viewers from your address; try again in a minute', 429);
            }
        }

        if ($guest) {
            // Guest sessions of this address that went quiet are closed, so
            // they neither hold a place under the cap nor come back later.
            $seen = engagementd_has_column('stream_viewers', 'last_seen_at')
                ? 'COALESCE(last_seen_at, joined_at)' : 'joined_at';
            engagementd_close_sessions(
                "stream_id = ? AND ip_address = ? AND user_id IS NULL"
                . " AND session_id <> ? AND $seen < NOW() - INTERVAL ? SECOND",
                [$streamId, $ip, $sessionId, engagementd_setting('GUEST_IDLE_SECONDS')]
            );
            $stmt = $db->prepare("
                SELECT COUNT(*) FROM stream_viewers
                 WHERE stream_id = ? AND ip_address = ? AND user_id IS NULL AND is_fake = 0
                   AND left_at IS NULL AND session_id <> ?
            ");
            $stmt->execute([$streamId, $ip, $sessionId]);
            if ((int)$stmt->fetchColumn() >= engagementd_setting('GUESTS_PER_IP')) {
                return null;
            }
        }
        return engagementd_viewer_join($streamId, $caller, $ip, $userAgent);
    } finally {
        if ($locked) {
            $db->prepare('SELECT RELEASE_LOCK(?)')->execute([$lock]);
        }
    }
}

/** A stream's comments for anyone who may read them: no email, no user id. */
function engagementd_comments(int $streamId, int $limit): array
{
    $limit = max(1, min(200, $limit));
    $stmt = db()->prepare("
        SELECT si.id, si.stream_id, si.interaction_type, si.comment_text, si.created_at, u.username
          FROM stream_interactions si LEFT JOIN users u ON si.user_id = u.id
         WHERE si.stream_id = ? AND si.interaction_type = 'comment'
         ORDER BY si.created_at DESC, si.id DESC
         LIMIT $limit
    ");
    $stmt->execute([$streamId]);
    return $stmt->fetchAll(PDO::FETCH_ASSOC);
}

/**
 * A CSV cell that a spreadsheet would not run as a formula: text starting
 * with = + - @, a tab or a carriage return gets a leading apostrophe.
 */
function engagementd_csv_cell($value)
{
    if (is_string($value) && $value !== '' && strpbrk($value[0], "=+-@\t\r") !== false) {
        return "'" . $value;
    }
    return $value;
}
