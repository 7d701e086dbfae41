<?php

/**
 * Admin API: streaming dashboard statistics.
 *
 * The engagementd kit's version: total_viewers is the sum of the live
 * streams' display viewer counts (live_streams.viewer_count, written by
 * engagementd), not a count of session rows; includes_simulated is 1 when
 * any of them includes a simulated audience.
 */

require_once __DIR__ . '/../../../includes/init.php';
require_once __DIR__ . '/../../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    if (!engagementd_is_admin()) {
        throw new EngagementdRequestError('Access denied', 403);
    }
    $pdo = db();
    $flag = engagementd_has_column('live_streams', 'includes_simulated')
        ? "MAX(CASE WHEN status = 'live' THEN includes_simulated ELSE 0 END)" : '0';
    $row = $pdo->query("
        SELECT COUNT(*) AS total_streams,
               SUM(status = 'live') AS live_streams,
               SUM(status = 'scheduled') AS scheduled_streams,
               SUM(status = 'ended') AS completed_streams,
               SUM(status = 'cancelled') AS cancelled_streams,
               COALESCE(SUM(CASE WHEN status = 'live' THEN viewer_count ELSE 0 END), 0) AS total_viewers,
               COALESCE($flag, 0) AS includes_simulated
          FROM live_streams
    ")->fetch(PDO::FETCH_ASSOC);
    // The live total as the pages show it: a stream no daemon ticks counts
    // with its real numbers (engagementd_fresh()).
    $live = engagementd_rows_display($pdo->query("
        SELECT id, status, viewer_count, like_count, dislike_count, comment_count, max_viewers,
               " . engagementd_simulated_column() . "
          FROM live_streams WHERE status = 'live'
    ")->fetchAll(PDO::FETCH_ASSOC));
    $row['total_viewers'] = array_sum(array_column($live, 'viewer_count'));
    $row['includes_simulated'] = $live ? max(array_column($live, 'includes_simulated')) : 0;
    $totalRevenue = (float)$pdo->query('SELECT COALESCE(SUM(amount), 0) FROM stream_orders')
                               ->fetchColumn();
    $totalStreams = (int)$row['total_streams'];

    echo json_encode([
        'success' => true,
        'stats' => [
            'total_streams' => $totalStreams,
            'live_streams' => (int)$row['live_streams'],
            'scheduled_streams' => (int)$row['scheduled_streams'],
            'completed_streams' => (int)$row['completed_streams'],
            'cancelled_streams' => (int)$row['cancelled_streams'],
            'total_viewers' => (int)$row['total_viewers'],
            'includes_simulated' => (int)$row['includes_simulated'],
            'total_revenue' => $totalRevenue,
            'avg_revenue' => $totalStreams > 0 ? $totalRevenue / $totalStreams : 0
        ]
    ] + engagementd_freshness_of_rows($live));
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
