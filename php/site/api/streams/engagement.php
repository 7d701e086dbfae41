<?php

/**
 * Stream engagement (read-only since the engagementd kit).
 *
 * Pages poll this for a stream's current numbers. It used to generate fake
 * viewers and likes and recount the display columns on every poll; now
 * engagementd writes the display numbers once per tick and this endpoint
 * only reads them. Same JSON as before; current_stats also carries
 * includes_simulated.
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';
require_once __DIR__ . '/../live/fake-engagement.php';

header('Content-Type: application/json');

try {
    if (isset($_GET['stream_id']) || isset($_POST['stream_id'])) {
        $streamId = (int)($_GET['stream_id'] ?? $_POST['stream_id']);
        $display = engagementd_display($streamId);
        if ($display === null) {
            throw new EngagementdRequestError('Stream not found', 404);
        }
        if ($display['status'] !== 'live') {
            throw new EngagementdRequestError('Stream is not live', 409);
        }
        // The page polling this is watching: keep its session counted.
        engagementd_heartbeat($streamId, EngagementdCaller::current());

        echo json_encode([
            'success' => true,
            'stream_id' => $streamId,
            'engagement' => [
                'viewers_change' => 0,
                'likes_added' => 0
            ],
            'current_stats' => [
                'viewer_count' => $display['viewer_count'],
                'like_count' => $display['like_count'],
                'dislike_count' => $display['dislike_count'],
                'comment_count' => $display['comment_count'],
                'max_viewers' => $display['max_viewers'],
                'includes_simulated' => $display['includes_simulated']
            ] + engagementd_freshness($display)
        ] + engagementd_freshness($display));
    } else {
        $results = (new FakeEngagementGenerator())->processAllActiveStreams();
        echo json_encode([
            'success' => true,
            'streams_processed' => count($results),
            'results' => $results
        ]);
    }
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
