<?php

/**
 * Start a live stream (a new one, or a scheduled one).
 *
 * The engagementd kit's version: the stream row and its engagement settings
 * are written as before, and nothing else. The simulated audience is
 * engagementd's, which picks the stream up at its next tick; the old
 * generator (fake-engagement.php) is no longer run here. A JSON POST from
 * the site's own pages only (the answer holds the new stream's key).
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    $data = engagementd_json_request();
    $vendorInfo = engagementd_require_vendor(true);
    if (!isset($data['title']) || !is_string($data['title']) || trim($data['title']) === '') {
        throw new EngagementdRequestError('Stream title is required');
    }

    $db = db();
    $vendorId = (int)$vendorInfo['id'];

    $stmt = $db->prepare("SELECT id FROM live_streams WHERE vendor_id = ? AND status = 'live' LIMIT 1");
    $stmt->execute([$vendorId]);
    if ($stmt->fetch()) {
        throw new EngagementdRequestError('You already have an active stream.'
            . ' Please end it before starting a new one.');
    }

    $chatEnabled = isset($data['chat_enabled']) ? (int)$data['chat_enabled'] : 1;
    $streamId = $data['stream_id'] ?? null;

    if ($streamId) {
        // A scheduled stream goes live.
        $stmt = $db->prepare("
            UPDATE live_streams SET status = 'live', started_at = NOW(), stream_url = ?
             WHERE id = ? AND vendor_id = ? AND status = 'scheduled'
        ");
        $stmt->execute([$data['stream_url'] ?? null, (int)$streamId, $vendorId]);
        if ($stmt->rowCount() === 0) {
            throw new EngagementdRequestError('Scheduled stream not found or already started');
        }
        $streamId = (int)$streamId;
    } elseif (getenv('MUX_TOKEN_ID') && getenv('MUX_TOKEN_SECRET')) {
        require_once __DIR__ . '/../../includes/MuxStreamService.php';
        try {
            $mux = (new MuxStreamService())->createLiveStream([
                'playback_policy' => ['public'],
                'new_asset_settings' => ['playback_policy' => ['public']],
                'reconnect_window' => 60,
                'reduced_latency' => true
            ]);
        } catch (Exception $e) {
            error_log('Mux integration failed: ' . $e->getMessage());
            throw new EngagementdRequestError('Failed to create the Mux stream', 502);
        }
        $db->prepare("
            INSERT INTO live_streams
              (vendor_id, stream_key, mux_stream_id, mux_playback_id, title, description,
               thumbnail_url, stream_url, status, chat_enabled, started_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'live', ?, NOW(), NOW())
        ")->execute([$vendorId, $mux['stream_key'], $mux['mux_stream_id'], $mux['playback_id'],
                     $data['title'], $data['description'] ?? null, $data['thumbnail_url'] ?? null,
                     $mux['stream_url'], $chatEnabled]);
        $streamId = (int)$db->lastInsertId();
    } else {
        // 128 random bits: a stream key nobody can guess.
        $streamKey = sprintf('stream_%d_%d_%s', $vendorId, time(), bin2hex(random_bytes(16)));
        $db->prepare("
            INSERT INTO live_streams
              (vendor_id, stream_key, title, description, thumbnail_url, stream_url,
               status, chat_enabled, started_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, 'live', ?, NOW(), NOW())
        ")->execute([$vendorId, $streamKey, $data['title'], $data['description'] ?? null,
                     $data['thumbnail_url'] ?? null, $data['stream_url'] ?? null, $chatEnabled]);
        $streamId = (int)$db->lastInsertId();
    }

    // The stream's engagement settings, from the admin's global settings (the
    // keys engagementd reads too); a setting not given keeps the column's
    // default. engagementd creates the row itself when it is missing.
    $settings = [];
    try {
        $settings = $db->query("
            SELECT setting_key, setting_value FROM global_stream_settings
             WHERE setting_key IN ('fake_viewers_enabled', 'fake_likes_enabled',
                   'min_fake_viewers', 'max_fake_viewers', 'viewer_increase_rate',
                   'viewer_decrease_rate', 'like_rate')
        ")->fetchAll(PDO::FETCH_KEY_PAIR);
    } catch (Exception $e) {
        error_log('Error loading global settings: ' . $e->getMessage());
    }
    $defaults = ['fake_viewers_enabled' => 1, 'fake_likes_enabled' => 1, 'min_fake_viewers' => 15,
                 'max_fake_viewers' => 100, 'viewer_increase_rate' => 5,
                 'viewer_decrease_rate' => 3, 'like_rate' => 3];
    $values = [];
    foreach ($defaults as $key => $default) {
        $values[] = isset($settings[$key]) ? (int)$settings[$key] : $default;
    }
    $db->prepare("
        INSERT IGNORE INTO stream_engagement_config
          (stream_id, fake_viewers_enabled, fake_likes_enabled, min_fake_viewers,
           max_fake_viewers, viewer_increase_rate, viewer_decrease_rate, like_rate)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ")->execute(array_merge([$streamId], $values));

    $stream = (new LiveStream())->getStreamById($streamId);

    echo json_encode([
        'success' => true,
        'message' => 'Stream started successfully',
        'stream_id' => $streamId,
        'stream' => $stream
    ]);
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
