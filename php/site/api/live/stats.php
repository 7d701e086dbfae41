<?php

/**
 * Stream statistics for the seller's dashboard.
 *
 * The engagement figures are live_streams' display numbers (written by
 * engagementd: real plus simulated viewers and likes, real dislikes and
 * comments), not counted rows; the viewer names are the real viewers
 * watching now. includes_simulated tells the page to show the badge.
 *   current_viewers = viewer_count
 *   viewers         = the peak while live, the final audience once ended
 *   duration        = seconds on the database's clock
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    $vendorInfo = engagementd_require_vendor();

    if (!isset($_GET['stream_id'])) {
        throw new EngagementdRequestError('Stream ID is required');
    }
    $streamId = (int)$_GET['stream_id'];

    $display = engagementd_display($streamId);
    if ($display === null || (int)$display['vendor_id'] !== (int)$vendorInfo['id']) {
        throw new EngagementdRequestError('Access denied', 403);
    }
    $stats = engagementd_stats($display);


    $recentComments = engagementd_comments($streamId, 50);
    $orders = (new StreamOrder())->getStreamOrders($streamId);

    echo json_encode([
        'success' => true,
        'stats' => [
            'likes' => $stats['likes_count'],
            'dislikes' => $stats['dislikes_count'],
            'comments' => $stats['comments_count'],
            'viewers' => $stats['total_viewers'],
            'current_viewers' => $stats['current_viewers'],
            'peak_viewers' => $display['max_viewers'],
            'includes_simulated' => $display['includes_simulated'],
            'orders' => $stats['orders_count'],
            'revenue' => $stats['total_revenue'],
            'duration' => engagementd_live_seconds($streamId)
        ],
        'viewers' => engagementd_real_viewers($streamId),
        'comments' => array_map(function ($comment) {
            return [
                'id' => $comment['id'],
                'username' => $comment['username'] ?? 'Guest',
                'text' => $comment['comment_text'],
                'created_at' => $comment['created_at']
            ];
        }, $recentComments),
        'orders' => array_map(function ($order) {
            return [
                'id' => $order['id'],
                'product_name' => $order['product_name'],
                'username' => $order['username'] ?? 'Guest',
                'amount' => (float)$order['amount'],
                'status' => $order['order_status'],
                'created_at' => $order['created_at']
            ];
        }, $orders)
    ] + engagementd_freshness($display));
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
