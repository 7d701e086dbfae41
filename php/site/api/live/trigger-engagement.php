<?php

/**
 * The old engagement trigger, kept for pages cached before the engagementd
 * kit. It no longer generates anything (engagementd does, server-side, once
 * per tick): same JSON as before, with no change reported.
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';
require_once __DIR__ . '/fake-engagement.php';

header('Content-Type: application/json');

try {
    $generator = new FakeEngagementGenerator();

    if (isset($_GET['stream_id']) || isset($_POST['stream_id'])) {
        $streamId = (int)($_GET['stream_id'] ?? $_POST['stream_id']);
        echo json_encode([
            'success' => true,
            'stream_id' => $streamId,
            'viewers_change' => 0,
            'likes_added' => 0,
            'message' => 'Fake engagement processed for stream ' . $streamId
        ]);
    } else {
        $results = $generator->processAllActiveStreams();
        echo json_encode([
            'success' => true,
            'streams_processed' => count($results),
            'results' => $results,
            'message' => 'Fake engagement processed for all active streams'
        ]);
    }
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
