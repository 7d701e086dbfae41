<?php

/**
 * What the site test's drivers (drive.php, security.php) share: a browser
 * (Client: its cookie jar, its address, the Origin header browsers send)
 * and the test's own reads of the site's database. SITE_* come from
 * tests/site/site_test.sh.
 */

declare(strict_types=1);

function env(string $k): string
{
    $v = getenv($k);
    if ($v === false) {
        fail("$k is not set");
    }
    return $v;
}

/** A check of the site test that failed: its message says what the site did. */
final class SiteTestFailure extends RuntimeException
{
}

/** Fails the driver's run: the one handler below prints the message and exits 1. */
function fail(string $msg): never
{
    throw new SiteTestFailure($msg);
}

// Every driver's one catch: a failed check (or anything thrown) ends the run
// with "FAIL: ..." on stdout, which site_test.sh shows, and exit status 1.
set_exception_handler(function (Throwable $e): void {
    $text = $e instanceof SiteTestFailure ? $e->getMessage()
        : get_class($e) . ': ' . $e->getMessage() . ' (' . basename($e->getFile()) . ':' . $e->getLine() . ')';
    fwrite(STDOUT, "FAIL: $text\n");
    exit(1);
});

function say(string $msg): void
{
    fwrite(STDOUT, $msg . "\n");
}

function expect(bool $ok, string $msg): void
{
    if (!$ok) {
        fail($msg);
    }
}

/**
 * One browser: its own cookie jar (the PHP session, the join token), the
 * loopback address it connects from (127.0.0.0/8 is all loopback, so each
 * client can be its own visitor address), and the Origin header a browser
 * sends with a POST from the site's page. Every answer is handed to
 * $onAnswer (the security driver scans them).
 */
final class Client
{
    /** @var array<string,string> cookie name => value */
    public array $cookies = [];
    public ?int $viewerId = null;
    /** @var callable|null fn(Client, string $method, string $path, int $status, string $body) */
    public static $onAnswer = null;

    public function __construct(
        public string $name,
        public ?int $userId = null,
        public string $address = '127.0.0.1'
    ) {
    }

    public function cookieHeader(): string
    {
        return implode('; ', array_map(fn($k, $v) => "$k=$v", array_keys($this->cookies), $this->cookies));
    }

    /**
     * The answer: ['status' => HTTP status, 'body' => text, 'headers' =>
     * response headers]. $headers replace the defaults
     * (Origin: the site, on a POST, as a browser's fetch sends it; give
     * 'Origin' => null to send none).
     */
    public function raw(
        string $method,
        string $path,
        $body = null,
        string $type = 'application/json',
        array $headers = []
    ): array {
        $all = ['Accept' => 'application/json', 'User-Agent' => "engagementd-site-test/{$this->name}"];
        if ($method === 'POST') {
            $all['Origin'] = env('SITE_BASE');
        }
        if ($this->cookies) {
            $all['Cookie'] = $this->cookieHeader();
        }
        $http = ['method' => $method, 'ignore_errors' => true, 'timeout' => 30, 'follow_location' => 0];
        if ($body !== null) {
            $all['Content-Type'] = $type;
            $http['content'] = is_string($body) ? $body : json_encode($body);
        }
        foreach ($headers as $k => $v) {
            $all[$k] = $v;
        }
        $http['header'] = '';
        foreach ($all as $k => $v) {
            if ($v !== null) {
                $http['header'] .= "$k: $v\r\n";
            }
        }
        $context = stream_context_create(['http' => $http,
                                          'socket' => ['bindto' => $this->address . ':0']]);
        $text = @file_get_contents(env('SITE_BASE') . '/' . ltrim($path, '/'), false, $context);
        if ($text === false) {
            fail("{$this->name}: $method $path: no answer");
        }
        $status = 0;
        foreach ($http_response_header as $h) {
            if (preg_match('#^HTTP/\S+ (\d+)#', $h, $m)) {
                $status = (int)$m[1];
            }
            if (preg_match('/^Set-Cookie:\s*([^=;\s]+)=([^;]*)(.*)$/i', $h, $m)) {
                $gone = $m[2] === '' || $m[2] === 'deleted' || preg_match('/max-age=0\b/i', $m[3]);
                if ($gone) {
                    unset($this->cookies[$m[1]]);
                } else {
                    $this->cookies[$m[1]] = $m[2];
                }
            }
        }
        if (self::$onAnswer !== null) {
            (self::$onAnswer)($this, $method, $path, $status, $text);
        }
        return ['status' => $status, 'body' => $text, 'headers' => $http_response_header];
    }

    /** The decoded JSON answer; fails on anything else. */
    public function json(string $method, string $path, $body = null, ?int $status = 200): array
    {
        ['status' => $code, 'body' => $text] = $this->raw($method, $path, $body);
        $data = json_decode($text, true);
        if (!is_array($data)) {
            fail("{$this->name}: $method $path: not JSON (HTTP $code): " . substr($text, 0, 300));
        }
        if ($status !== null && $code !== $status) {
            fail("{$this->name}: $method $path: HTTP $code, expected $status: " . substr($text, 0, 300));
        }
        return $data;
    }

    public function login(string $role): void
    {
        $r = $this->json('GET', "engagementd-test-login.php?user_id={$this->userId}&role=$role");
        expect(($r['success'] ?? false) === true && isset($this->cookies['PHPSESSID']), "{$this->name}: login failed");
    }

    /** Renders live.php as the browser does before its script joins the page's stream. */
    public function renderLivePage(): string
    {
        ['status' => $code, 'body' => $html] = $this->raw('GET', 'live.php');
        expect($code === 200, "{$this->name}: live.php: HTTP $code");
        return $html;
    }
}

function pdo(): PDO
{
    static $pdo = null;
    if ($pdo === null) {
        $pdo = new PDO(
            sprintf(
                'mysql:host=%s;port=%s;dbname=%s;charset=utf8mb4',
                env('SITE_DB_HOST'),
                env('SITE_DB_PORT'),
                env('SITE_DB_NAME')
            ),
            env('SITE_DB_USER'),
            env('SITE_DB_PASSWORD'),
            [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
            PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC]
        );
    }
    return $pdo;
}

function one(string $sql, array $params = []): ?array
{
    $st = pdo()->prepare($sql);
    $st->execute($params);
    $row = $st->fetch();
    return $row === false ? null : $row;
}

function value(string $sql, array $params = [])
{
    $st = pdo()->prepare($sql);
    $st->execute($params);
    return $st->fetchColumn();
}

function has_column(string $table, string $column): bool
{
    return (int)value("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
                        AND TABLE_NAME = ? AND COLUMN_NAME = ?", [$table, $column]) > 0;
}

function has_table(string $table): bool
{
    return (int)value("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
                        AND TABLE_NAME = ?", [$table]) > 0;
}

/**
 * The numbers live.php shows for its main stream $s, as [page, field, value]
 * rows: the viewer count, its badge, the like and dislike counts. Fails
 * when the page does not show them.
 */
function live_page_main_numbers(string $html, int $s): array
{
    expect((bool)preg_match(
        '#id="viewer-count-' . $s . '">\s*\S+ <span class="count">(\d+)</span> watching\s*(.*?)</span>#su',
        $html,
        $v
    ), 'live.php: no viewer count for the main stream');
    expect(
        (bool)preg_match('#like-btn" data-stream-id="' . $s . '"[^>]*>\s*\S+ <span class="count">(\d+)</span>#u', $html, $l)
           && (bool)preg_match('#dislike-btn" data-stream-id="' . $s . '"[^>]*>\s*\S+ <span class="count">(\d+)</span>#u', $html, $d),
        'live.php: no like/dislike counts'
    );
    return [
        ['live.php', 'viewer_count', (int)$v[1]],
        ['live.php', 'includes_simulated', str_contains($v[2], 'Includes simulated audience') ? 1 : 0],
        ['live.php', 'like_count', (int)$l[1]],
        ['live.php', 'dislike_count', (int)$d[1]],
    ];
}
