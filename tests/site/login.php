<?php

/**
 * Test helper served from the test's copy of the site: logs the caller in
 * as USER_ID with ROLE through the site's own Session, as its login form
 * would, without a password. Never installed on a real site.
 */

require_once __DIR__ . '/includes/init.php';

header('Content-Type: application/json');
$userId = (int)($_GET['user_id'] ?? 0);
if ($userId <= 0) {
    http_response_code(400);
    echo json_encode(['success' => false]);
    exit;
}
Session::set('user_id', $userId);
Session::set('user_role', (string)($_GET['role'] ?? 'customer'));
echo json_encode(['success' => true, 'user_id' => $userId]);
