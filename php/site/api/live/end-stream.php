<?php
/**
 * End a live stream (the older endpoint; api/streams/end.php is the one the
 * seller's page calls). Same behaviour as end.php since the engagementd kit:
 * the status and the linked replay row in one transaction, the numbers left
 * to engagementd. JSON as before.
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    [$action, $stream, $display, $duration, $videoUrl, $orders] =
        engagementd_end_stream_request('Access denied');

    if ($action === 'save') {
        echo json_encode([
            'success' => true,
            'message' => 'Stream ended and saved successfully',
            'action' => 'saved',
            'stats' => [
                'duration' => $duration,
                'viewers' => $display['viewer_count'],
                'revenue' => $orders['total_revenue'],
                'likes' => $display['like_count'],
                'comments' => $display['comment_count'],
                'orders' => $orders['orders_count'],
                'includes_simulated' => $display['includes_simulated']
            ]
        ] + engagementd_freshness($display));
    } else {
        echo json_encode([
            'success' => true,
            'message' => 'Stream ended successfully',
            'action' => 'deleted'
        ]);
    }
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
