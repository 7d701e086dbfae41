<?php

/**
 * End a live stream: 'save' archives it for replay (and writes its
 * saved_streams row), 'delete' only ends it.
 *
 * The engagementd kit's version: the stream's status changes and its replay
 * row is written in one transaction, the replay row linked to the stream
 * (saved_streams.stream_id, added by `engagementd migrate`). The numbers
 * are not counted here: the response and the replay row carry the display
 * numbers of the moment, and engagementd, at its next tick, finalizes the
 * stream and writes the final numbers into live_streams and into the linked
 * replay row. The duration is measured on the database's clock, so it is
 * right whatever the database's time zone. api/live/end-stream.php is the
 * same implementation (engagementd_end_stream_answer()).
 */

require_once __DIR__ . '/../../includes/init.php';
require_once __DIR__ . '/../../includes/engagementd.php';

header('Content-Type: application/json');

try {
    echo json_encode(engagementd_end_stream_answer());
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
