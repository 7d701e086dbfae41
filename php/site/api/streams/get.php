<?php

/**
 * One stream's details, for the live page's player and replay modal.
 *
 * The engagementd kit's version. The site's own returned the whole
 * live_streams row to anyone, stream key and Mux stream id included, and
 * built a live stream's playback address from the key
 * (/streams/hls/KEY/playlist.m3u8), so that every viewer learned the
 * seller's publish credential. Now the row is the caller's view of it
 * (engagementd_stream_view: whole for the stream's seller and admins, the
 * public columns for everyone else), and the playback address is one that
 * holds no key: Mux's (from mux_playback_id) or the stored stream_url while
 * live, the replay's video_path once archived. Same JSON otherwise:
 * {success, stream: {..., stream_url, is_live}, stream_url, is_live}.
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    $streamId = $_GET['stream_id'] ?? null;
    if (!is_scalar($streamId) || (int)$streamId <= 0) {
        throw new EngagementdRequestError('Stream ID is required');
    }
    $stmt = db()->prepare("
        SELECT ls.*, v.business_name AS vendor_name, v.id AS vendor_id,
               TIMESTAMPDIFF(SECOND, ls.started_at, ls.ended_at) AS duration_seconds
          FROM live_streams ls
          JOIN vendors v ON ls.vendor_id = v.id
         WHERE ls.id = ?
    ");
    $stmt->execute([(int)$streamId]);
    $stream = $stmt->fetch(PDO::FETCH_ASSOC);
    if (!$stream) {
        throw new EngagementdRequestError('Stream not found', 404);
    }
    // A live stream no daemon ticks shows its real numbers (engagementd_fresh()).
    $stream = engagementd_rows_display([$stream])[0];

    $isLive = $stream['status'] === 'live';
    $playback = null;
    if ($isLive) {
        $playback = engagementd_public_playback_url($stream);
    } elseif ($stream['status'] === 'archived' && !empty($stream['video_path'])) {
        $playback = engagementd_public_stream($stream)['video_path'];
    }

    $stream = engagementd_stream_view($stream);
    $stream['stream_url'] = $playback;
    $stream['is_live'] = $isLive;

    echo json_encode([
        'success' => true,
        'stream' => $stream,
        'stream_url' => $playback,
        'is_live' => $isLive
    ] + engagementd_freshness($stream));
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
