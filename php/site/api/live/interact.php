<?php
/**
 * Stream interactions: like, dislike, comment (logged-in users).
 *
 * Writes only the caller's real stream_interactions rows (is_fake = 0);
 * engagementd counts them into the display numbers at its next tick. The
 * engagementd kit's version also answers a comment with the commenter's
 * name (the site's Session has no getUsername(), so the comment was stored
 * and the request then failed).
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    if (!Session::isLoggedIn()) {
        http_response_code(401);
        echo json_encode([
            'success' => false,
            'error' => 'Authentication required',
            'redirect' => '/login.php?return=' . urlencode($_SERVER['HTTP_REFERER'] ?? '/live.php')
        ]);
        exit;
    }

    $userId = (int)Session::getUserId();
    $streamInteraction = new StreamInteraction();

    $data = json_decode(file_get_contents('php://input'), true);
    if (!is_array($data)) $data = [];
    $action = $data['action'] ?? '';

    if (!isset($data['stream_id'])) {
        throw new Exception('Stream ID is required');
    }

    $streamId = (int)$data['stream_id'];

    switch ($action) {
        case 'like':
        case 'dislike':
            $result = $streamInteraction->addInteraction($streamId, $userId, $action);
            echo json_encode([
                'success' => $result,
                'message' => $action === 'like' ? 'Liked successfully' : 'Disliked successfully'
            ]);
            break;

        case 'unlike':
        case 'undislike':
            $type = $action === 'unlike' ? 'like' : 'dislike';
            $result = $streamInteraction->removeInteraction($streamId, $userId, $type);
            echo json_encode([
                'success' => $result,
                'message' => 'Removed successfully'
            ]);
            break;

        case 'comment':
            if (!isset($data['comment']) || trim((string)$data['comment']) === '') {
                throw new Exception('Comment text is required');
            }
            $commentText = trim((string)$data['comment']);
            $result = $streamInteraction->addInteraction($streamId, $userId, 'comment', $commentText);
            $at = db()->query('SELECT NOW()')->fetchColumn();
            echo json_encode([
                'success' => $result,
                'message' => 'Comment posted successfully',
                'comment' => [
                    'text' => $commentText,
                    'username' => engagementd_username($userId),
                    'timestamp' => $at
                ]
            ]);
            break;

        case 'get_comments':
            $limit = isset($data['limit']) ? (int)$data['limit'] : 100;
            echo json_encode([
                'success' => true,
                'comments' => $streamInteraction->getStreamComments($streamId, $limit)
            ]);
            break;

        case 'get_user_interaction':
            echo json_encode([
                'success' => true,
                'interaction' => $streamInteraction->getUserInteraction($streamId, $userId)
            ]);
            break;

        default:
            throw new Exception('Invalid action');
    }
} catch (Exception $e) {
    engagementd_fail(400, $e->getMessage());
}
