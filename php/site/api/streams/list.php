<?php
/**
 * Streams by kind: live ("active" or "live"), "scheduled", archived
 * ("recent" or "archived"), or "all" with their counts. A logged-in seller
 * sees only their own streams (the site's rule, which its seller dashboard
 * relies on).
 *
 * The engagementd kit's version. The site's own returned whole
 * live_streams rows to anyone, every seller's stream key and Mux stream id
 * included; now each row is the caller's view of it
 * (engagementd_stream_view: whole for the stream's seller and admins, the
 * public columns for everyone else), limit is at most 100, and an error
 * answers with an id instead of the database's text. Same JSON otherwise.
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';

header('Content-Type: application/json');

/** The rows of one kind ($where on ls, $extra columns, $order), the seller's only for a seller. */
function engagementd_list_streams(string $where, string $extra, string $order, ?int $vendorId,
                                  int $limit, int $offset): array {
    $params = [];
    if ($vendorId !== null) {
        $where .= ' AND ls.vendor_id = ?';
        $params[] = $vendorId;
    }
    $stmt = db()->prepare("
        SELECT ls.*, v.business_name AS vendor_name, v.id AS vendor_id, $extra
          FROM live_streams ls
          JOIN vendors v ON ls.vendor_id = v.id
         WHERE $where
         ORDER BY $order
         LIMIT $limit OFFSET $offset
    ");
    $stmt->execute($params);
    // Live rows no daemon ticks show their real numbers (engagementd_fresh()).
    return engagementd_stream_views(engagementd_rows_display($stmt->fetchAll(PDO::FETCH_ASSOC)));
}

try {
    $type = $_GET['type'] ?? 'all';
    if (!is_string($type)) $type = 'all';
    if ($type === 'live') $type = 'active';
    if ($type === 'archived') $type = 'recent';
    $limit = max(1, min(100, is_numeric($_GET['limit'] ?? null) ? (int)$_GET['limit'] : 10));
    $offset = max(0, is_numeric($_GET['offset'] ?? null) ? (int)$_GET['offset'] : 0);
    $vendorId = engagementd_caller_vendor_id();
    $single = ($_GET['type'] ?? 'all') !== 'all';

    $kinds = [
        'active' => ["ls.status = 'live'",
                     'ls.viewer_count AS current_viewers,'
                     . ' TIMESTAMPDIFF(SECOND, ls.started_at, NOW()) AS duration_seconds',
                     'ls.viewer_count DESC, ls.started_at DESC'],
        'scheduled' => ["ls.status = 'scheduled' AND ls.scheduled_at > NOW()",
                        'TIMESTAMPDIFF(SECOND, NOW(), ls.scheduled_at) AS seconds_until_start',
                        'ls.scheduled_at ASC'],
        'recent' => ["ls.status = 'archived' AND ls.ended_at IS NOT NULL",
                     'TIMESTAMPDIFF(SECOND, ls.started_at, ls.ended_at) AS duration_seconds',
                     'ls.ended_at DESC'],
    ];
    $response = ['success' => true];
    foreach ($kinds as $kind => [$where, $extra, $order]) {
        if ($type !== $kind && $type !== 'all') continue;
        $response[$kind] = engagementd_list_streams($where, $extra, $order, $vendorId, $limit, $offset);
        if ($single) $response['streams'] = $response[$kind];
    }
    if ($type === 'all') {
        $db = db();
        $response['counts'] = [
            'active' => (int)$db->query("SELECT COUNT(*) FROM live_streams WHERE status = 'live'")
                                ->fetchColumn(),
            'scheduled' => (int)$db->query("SELECT COUNT(*) FROM live_streams
                                             WHERE status = 'scheduled' AND scheduled_at > NOW()")
                                   ->fetchColumn(),
            'recent' => (int)$db->query("SELECT COUNT(*) FROM live_streams
                                          WHERE status = 'archived' AND ended_at IS NOT NULL")
                                ->fetchColumn(),
        ];
    }
    echo json_encode($response);
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
