<?php

/**
 * Admin API: streams as CSV.
 *
 * The engagementd kit's version: viewers, likes and comments are the
 * display numbers engagementd wrote into live_streams (a finished stream's
 * final numbers), not counted rows; a column says whether they include a
 * simulated audience. A cell a spreadsheet would take for a formula (text
 * starting with = + - @, a tab or a carriage return, such as a seller's
 * title "=HYPERLINK(...)") is written with a leading apostrophe.
 */

require_once __DIR__ . '/../../../includes/init.php';
require_once __DIR__ . '/../../../includes/engagementd.php';

try {
    if (!engagementd_is_admin()) {
        throw new EngagementdRequestError('Access denied', 403);
    }
    $streams = db()->query("
        SELECT ls.*, v.business_name AS vendor_name,
               (SELECT COALESCE(SUM(so.amount), 0) FROM stream_orders so
                 WHERE so.stream_id = ls.id) AS revenue,
               (SELECT COUNT(*) FROM stream_orders so WHERE so.stream_id = ls.id) AS orders_count
          FROM live_streams ls
          JOIN vendors v ON ls.vendor_id = v.id
         ORDER BY ls.scheduled_at DESC
    ")->fetchAll(PDO::FETCH_ASSOC);
    $streams = engagementd_rows_display($streams);

    header('Content-Type: text/csv; charset=utf-8');
    header('Content-Disposition: attachment; filename=streams_export_' . date('Y-m-d_His') . '.csv');
    $output = fopen('php://output', 'w');
    fputcsv($output, ['Stream ID', 'Title', 'Vendor', 'Status', 'Current Viewers', 'Max Viewers',
                      'Revenue', 'Orders', 'Likes', 'Comments', 'Scheduled At', 'Started At',
                      'Ended At', 'Includes Simulated Audience']);
    foreach ($streams as $stream) {
        fputcsv($output, array_map('engagementd_csv_cell', [
            $stream['id'],
            $stream['title'],
            $stream['vendor_name'],
            $stream['status'],
            $stream['viewer_count'],
            $stream['max_viewers'],
            number_format((float)$stream['revenue'], 2),
            $stream['orders_count'],
            $stream['like_count'],
            $stream['comment_count'],
            $stream['scheduled_at'],
            $stream['started_at'] ?? 'N/A',
            $stream['ended_at'] ?? 'N/A',
            $stream['includes_simulated'] ? 'yes' : 'no'
        ]));
    }
    fclose($output);
} catch (Throwable $e) {
    engagementd_answer_error($e);
}
