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
    if (!is_string($action)) {
        $action = '';
    }
    if (!$post && ($action === 'join' || $action === 'leave')) {
        throw new EngagementdRequestError('This action needs a POST', 405);
    }
    if ($post && $action === 'join' && engagementd_content_type() !== 'application/json') {
        throw new EngagementdRequestError('Content-Type must be application/json', 415);
    }

    $streamId = $post ? ($data['stream_id'] ?? null) : ($_GET['stream_id'] ?? null);
    if (!is_scalar($streamId) || (int)$streamId <= 0) {
        throw new EngagementdRequestError('Stream ID is required');
    }
    $streamId = (int)$streamId;
    $caller = EngagementdCaller::current();

    switch ($action) {
        case 'join':
            $display = engagementd_display($streamId);
            if ($display === null) {
                throw new EngagementdRequestError('Stream not found', 404);
            }
            if ($display['status'] !== 'live') {
                throw new EngagementdRequestError('Stream is not live', 409);
            }
            $viewerId = engagementd_admit_viewer(
                $streamId,
                $caller,
                $_SERVER['REMOTE_ADDR'] ?? null,
                $_SERVER['HTTP_USER_AGENT'] ?? null
            );
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
                throw new EngagementdRequestError('Viewer ID is required');
            }
            engagementd_viewer_leave($streamId, $data['viewer_id'], $caller);
            $display = engagementd_display($streamId);
            echo json_encode([
                'success' => true,
                'viewer_count' => $display['viewer_count'] ?? 0
            ] + engagementd_freshness($display));
            break;

        case 'list':
            if (!Session::isLoggedIn()) {
                throw new EngagementdRequestError('Authentication required', 401);
            }
            $display = engagementd_display($streamId);
            if ($display === null || !engagementd_owns_stream($display)) {
                // Who watches a stream is for its seller and the admins.
                throw new EngagementdRequestError('Access denied', 403);
            }
            echo json_encode([
                'success' => true,
                'viewers' => engagementd_real_viewers($streamId),
                'count' => $display['viewer_count'],
                'includes_simulated' => $display['includes_simulated']
            ] + engagementd_freshness($display));
            break;

        case 'count':
            // The page polls this while it is open: that is the heartbeat.
            engagementd_heartbeat($streamId, $caller);
            $display = engagementd_display($streamId);
            echo json_encode([
                'success' => true,
                'count' => $display['viewer_count'] ?? 0,
                'includes_simulated' => $display['includes_simulated'] ?? 0
            ] + engagementd_freshness($display));
            break;

        default:
            throw new EngagementdRequestError('Invalid action');
    }
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
