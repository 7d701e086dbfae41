<?php

/**
 * Stream interactions: like, dislike, comment (logged-in users).
 *
 * Writes only the caller's real stream_interactions rows (is_fake = 0);
 * engagementd counts them into the display numbers at its next tick. The
 * engagementd kit's version also answers a comment with the commenter's
 * name (the site's Session has no getUsername(), so the comment was stored
 * and the request then failed). Every action is a JSON POST from the site's
 * own pages; likes, dislikes and comments (and taking them back) only on a
 * live stream; comments come without the commenters' emails.
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    if (!Session::isLoggedIn()) {
        throw new EngagementdRequestError('Authentication required', 401, [
            'redirect' => '/login.php?return=' . urlencode('/live.php'),
        ]);
    }

    $data = engagementd_json_request();
    $userId = (int)Session::getUserId();
    $streamInteraction = new StreamInteraction();
    $action = $data['action'] ?? '';

    if (!isset($data['stream_id']) || !is_scalar($data['stream_id']) || (int)$data['stream_id'] <= 0) {
        throw new EngagementdRequestError('Stream ID is required');
    }
    $streamId = (int)$data['stream_id'];

    if (in_array($action, ['like', 'dislike', 'unlike', 'undislike', 'comment'], true)) {
        $display = engagementd_display($streamId);
        if ($display === null) {
            throw new EngagementdRequestError('Stream not found', 404);
        }
        if ($display['status'] !== 'live') {
            throw new EngagementdRequestError('Stream is not live', 409);
        }
    }

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
            $commentText = is_string($data['comment'] ?? null) ? trim($data['comment']) : '';
            if ($commentText === '') {
                throw new EngagementdRequestError('Comment text is required');
            }
            if (!preg_match('/^.{1,' . ENGAGEMENTD_COMMENT_MAX . '}$/su', $commentText)) {
                $max = ENGAGEMENTD_COMMENT_MAX;
                throw new EngagementdRequestError("Comment must be valid UTF-8 of at most $max characters");
            }
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
            $limit = isset($data['limit']) && is_numeric($data['limit']) ? (int)$data['limit'] : 100;
            echo json_encode([
                'success' => true,
                'comments' => engagementd_comments($streamId, $limit)
            ]);
            break;

        case 'get_user_interaction':
            echo json_encode([
                'success' => true,
                'interaction' => $streamInteraction->getUserInteraction($streamId, $userId)
            ]);
            break;

        default:
            throw new EngagementdRequestError('Invalid action');
    }
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
