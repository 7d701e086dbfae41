<?php

/**
 * Admin API: streams, with filters (search, status, vendor_id, date).
 *
 * The engagementd kit's version: current_viewers is the display viewer
 * count of a live stream (live_streams.viewer_count, written by engagementd),
 * not a count of session rows; includes_simulated tells the page to show
 * the badge.
 */

require_once __DIR__ . '/../../../includes/init.php';
require_once __DIR__ . '/../../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    if (!engagementd_is_admin()) {
        throw new EngagementdRequestError('Access denied', 403);
    }
    $where = [];
    $params = [];
    $search = $_GET['search'] ?? '';
    if ($search !== '') {
        $where[] = '(ls.title LIKE ? OR v.business_name LIKE ?)';
        $params[] = '%' . $search . '%';
        $params[] = '%' . $search . '%';
    }
    if (!empty($_GET['status'])) {
        $where[] = 'ls.status = ?';
        $params[] = $_GET['status'];
    }
    if (!empty($_GET['vendor_id'])) {
        $where[] = 'ls.vendor_id = ?';
        $params[] = (int)$_GET['vendor_id'];
    }
    if (!empty($_GET['date'])) {
        $where[] = 'DATE(ls.scheduled_at) = ?';
        $params[] = $_GET['date'];
    }

    $stmt = db()->prepare("
        SELECT ls.*, v.business_name AS vendor_name, v.id AS vendor_id,
               (SELECT COALESCE(SUM(so.amount), 0) FROM stream_orders so
                 WHERE so.stream_id = ls.id) AS revenue
          FROM live_streams ls
          JOIN vendors v ON ls.vendor_id = v.id
        " . ($where ? 'WHERE ' . implode(' AND ', $where) : '') . "
         ORDER BY CASE ls.status WHEN 'live' THEN 1 WHEN 'scheduled' THEN 2
                                 WHEN 'ended' THEN 3 WHEN 'cancelled' THEN 4 END,
                  ls.scheduled_at DESC
    ");
    $stmt->execute($params);
    $streams = engagementd_rows_display($stmt->fetchAll(PDO::FETCH_ASSOC));

    echo json_encode([
        'success' => true,
        'streams' => $streams,
        'count' => count($streams)
    ]);
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
