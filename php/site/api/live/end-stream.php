<?php

/**
 * End a live stream (the older endpoint; api/streams/end.php is the one the
 * seller's page calls). The same implementation as end.php since the
 * engagementd kit (engagementd_end_stream_answer()): the status and the
 * linked replay row in one transaction, the numbers left to engagementd.
 * The answer keeps this endpoint's own words ("saved" / "deleted").
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    echo json_encode(engagementd_end_stream_answer(olderUrl: true));
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
