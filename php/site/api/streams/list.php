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

try {
    $type = $_GET['type'] ?? 'all';
    if (!is_string($type)) {
        $type = 'all';
    }
    if ($type === 'live') {
        $type = 'active';
    }
    if ($type === 'archived') {
        $type = 'recent';
    }
    $limit = max(1, min(100, is_numeric($_GET['limit'] ?? null) ? (int)$_GET['limit'] : 10));
    $offset = max(0, is_numeric($_GET['offset'] ?? null) ? (int)$_GET['offset'] : 0);
    $vendorId = engagementd_caller_vendor_id();
    $single = ($_GET['type'] ?? 'all') !== 'all';

    $response = ['success' => true];
    foreach (array_keys(ENGAGEMENTD_STREAM_LISTS) as $kind) {
        if ($type !== $kind && $type !== 'all') {
            continue;
        }
        $response[$kind] = engagementd_list_streams($kind, $vendorId, $limit, $offset);
        if ($single) {
            $response['streams'] = $response[$kind];
        }
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
