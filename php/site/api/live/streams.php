<?php

/**
 * Live streams for the public page: list, one stream, its products.
 *
 * Every number is live_streams' display numbers (engagementd writes them:
 * real plus simulated audience), with includes_simulated for the badge;
 * nothing is counted here. A stream's key, Mux stream id, revenue and the
 * like go only to its seller and the admins (engagementd_stream_view).
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    $liveStream = new LiveStream();
    $action = $_GET['action'] ?? 'list';

    switch ($action) {
        case 'list':
            $limit = isset($_GET['limit']) ? (int)$_GET['limit'] : 10;
            $limit = max(1, min(100, $limit));
            $streams = engagementd_stream_views(
                engagementd_rows_display($liveStream->getActiveStreams($limit))
            );
            echo json_encode([
                'success' => true,
                'streams' => $streams,
                'count' => count($streams)
            ]);
            break;

        case 'get':
            if (!isset($_GET['stream_id'])) {
                throw new EngagementdRequestError('Stream ID is required');
            }
            $streamId = (int)$_GET['stream_id'];
            $stream = $liveStream->getStreamById($streamId);
            if (!$stream) {
                throw new EngagementdRequestError('Stream not found', 404);
            }
            $stream = engagementd_rows_display([$stream])[0];
            echo json_encode([
                'success' => true,
                'stream' => engagementd_stream_view($stream),
                'stats' => engagementd_stream_view(array_merge($stream, engagementd_stats($stream))),
                'products' => $liveStream->getStreamProducts($streamId)
            ] + engagementd_freshness($stream));
            break;

        case 'products':
            if (!isset($_GET['stream_id'])) {
                throw new EngagementdRequestError('Stream ID is required');
            }
            echo json_encode([
                'success' => true,
                'products' => $liveStream->getStreamProducts((int)$_GET['stream_id'])
            ]);
            break;

        default:
            throw new EngagementdRequestError('Invalid action');
    }
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
