<?php
/**
 * Stream viewers: a real viewer's session (join, leave, heartbeat) and the
 * stream's viewer count.
 *
 * Since the engagementd kit this endpoint writes only the caller's own
 * stream_viewers row; the count it returns is live_streams.viewer_count,
 * written by engagementd (real viewers plus the simulated audience).
 *   join  -> POST, JSON, from the site's pages; a guest needs the join
 *            token live.php hands out; the session row's id as viewer_id
 *            (a second join by the same user reopens the same row), or
 *            null with "counted": false for a guest over the address's cap
 *   leave -> POST from the site's pages (JSON, or the beacon's text/plain);
 *            closes the caller's row (viewer_id from join)
 *   count -> GET: the display count; also the page's heartbeat
 *   list  -> GET: the real viewers watching now, for the stream's seller
 *            and admins only
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    $post = ($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST';
    // navigator.sendBeacon posts the leave as text/plain: the only body
    // taken in another type than JSON, and it closes only the caller's row.
    $data = $post ? engagementd_json_request(true) : [];
    $action = $post ? ($data['action'] ?? '') : ($_GET['action'] ?? '');
    if (!is_string($action)) $action = '';
    if (!$post && ($action === 'join' || $action === 'leave')) {
        engagementd_fail(405, 'This action needs a POST');
    }
    if ($post && $action === 'join' && engagementd_content_type() !== 'application/json') {
        engagementd_fail(415, 'Content-Type must be application/json');
    }

    $streamId = $post ? ($data['stream_id'] ?? null) : ($_GET['stream_id'] ?? null);
    if (!is_scalar($streamId) || (int)$streamId <= 0) {
        engagementd_fail(400, 'Stream ID is required');
    }
    $streamId = (int)$streamId;
    [$userId, $sessionId] = engagementd_caller();

    switch ($action) {
        case 'join':
            $display = engagementd_display($streamId);
            if ($display === null) {
                engagementd_fail(404, 'Stream not found');
            }
            if ($display['status'] !== 'live') {
                engagementd_fail(409, 'Stream is not live');
            }
            $viewerId = engagementd_admit_viewer($streamId, $userId, $sessionId,
                                                 $_SERVER['REMOTE_ADDR'] ?? null,
                                                 $_SERVER['HTTP_USER_AGENT'] ?? null);
            echo json_encode([
                'success' => true,
                'viewer_id' => $viewerId,
                'counted' => $viewerId !== null,
                'viewer_count' => $display['viewer_count'],
                'includes_simulated' => $display['includes_simulated']
            ] + engagementd_freshness($display));
            break;

        case 'leave':
            if (!isset($data['viewer_id'])) {
                engagementd_fail(400, 'Viewer ID is required');
            }
            engagementd_viewer_leave($streamId, $data['viewer_id'], $userId, $sessionId);
            $display = engagementd_display($streamId);
            echo json_encode([
                'success' => true,
                'viewer_count' => $display['viewer_count'] ?? 0
            ] + engagementd_freshness($display));
            break;

        case 'list':
            if (!Session::isLoggedIn()) {
                engagementd_fail(401, 'Authentication required');
            }
            $display = engagementd_display($streamId);
            if ($display === null || !engagementd_owns_stream($display)) {
                // Who watches a stream is for its seller and the admins.
                engagementd_fail(403, 'Access denied');
            }
            $viewers = engagementd_real_viewers($streamId);
            echo json_encode([
                'success' => true,
                'viewers' => array_map(function($viewer) {
                    return [
                        'id' => $viewer['id'],
                        'username' => $viewer['username'] ?? 'Guest',
                        'joined_at' => $viewer['joined_at']
                    ];
                }, $viewers),
                'count' => $display['viewer_count'],
                'includes_simulated' => $display['includes_simulated']
            ] + engagementd_freshness($display));
            break;

        case 'count':
            // The page polls this while it is open: that is the heartbeat.
            engagementd_heartbeat($streamId, $userId, $sessionId);
            $display = engagementd_display($streamId);
            echo json_encode([
                'success' => true,
                'count' => $display['viewer_count'] ?? 0,
                'includes_simulated' => $display['includes_simulated'] ?? 0
            ] + engagementd_freshness($display));
            break;

        default:
            engagementd_fail(400, 'Invalid action');
    }
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
