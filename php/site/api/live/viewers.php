<?php
/**
 * Stream viewers: a real viewer's session (join, leave, heartbeat) and the
 * stream's viewer count.
 *
 * Since the engagementd kit this endpoint writes only the caller's own
 * stream_viewers row; the count it returns is live_streams.viewer_count,
 * written by engagementd (real viewers plus the simulated audience).
 *   join  -> the session row's id as viewer_id (a second join by the same
 *            user reopens the same row)
 *   leave -> closes the caller's row (viewer_id from join)
 *   count -> the display count; also the page's heartbeat
 *   list  -> the real viewers watching now (names for the seller)
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    // sendBeacon posts the JSON as text/plain: read the body either way.
    $data = json_decode(file_get_contents('php://input'), true);
    if (!is_array($data)) $data = [];
    $action = $data['action'] ?? $_GET['action'] ?? '';

    if (!isset($data['stream_id']) && !isset($_GET['stream_id'])) {
        throw new Exception('Stream ID is required');
    }

    $streamId = (int)($data['stream_id'] ?? $_GET['stream_id']);
    [$userId, $sessionId] = engagementd_caller();

    switch ($action) {
        case 'join':
            $display = engagementd_display($streamId);
            if ($display === null) {
                throw new Exception('Stream not found');
            }
            if ($display['status'] !== 'live') {
                throw new Exception('Stream is not live');
            }
            $viewerId = engagementd_viewer_join($streamId, $userId, $sessionId,
                                                $_SERVER['REMOTE_ADDR'] ?? null,
                                                $_SERVER['HTTP_USER_AGENT'] ?? null);
            echo json_encode([
                'success' => true,
                'viewer_id' => $viewerId,
                'viewer_count' => $display['viewer_count'],
                'includes_simulated' => $display['includes_simulated']
            ] + engagementd_freshness($display));
            break;

        case 'leave':
            if (!isset($data['viewer_id'])) {
                throw new Exception('Viewer ID is required');
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
            $viewers = engagementd_real_viewers($streamId);
            $display = engagementd_display($streamId);
            echo json_encode([
                'success' => true,
                'viewers' => array_map(function($viewer) {
                    return [
                        'id' => $viewer['id'],
                        'username' => $viewer['username'] ?? 'Guest',
                        'joined_at' => $viewer['joined_at']
                    ];
                }, $viewers),
                'count' => $display['viewer_count'] ?? 0,
                'includes_simulated' => $display['includes_simulated'] ?? 0
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
            throw new Exception('Invalid action');
    }
} catch (Exception $e) {
    engagementd_fail(400, $e->getMessage());
}
