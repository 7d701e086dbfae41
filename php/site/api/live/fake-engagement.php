<?php

/**
 * The old fake engagement generator, retired by the engagementd kit.
 *
 * engagementd now keeps the simulated audience in its own tables and writes
 * the display numbers into live_streams; nothing on the site writes
 * is_fake = 1 rows any more. The class keeps its name and methods so code
 * and cron jobs that still include this file keep working: every method
 * reports no change and writes nothing.
 */

require_once __DIR__ . '/../../includes/init.php';

class FakeEngagementGenerator
{
    public function generateFakeViewers($streamId)
    {
        return 0;
    }

    public function generateFakeLikes($streamId)
    {
        return 0;
    }

    /** The live streams, each with no change (the daemon does the work). */
    public function processAllActiveStreams()
    {
        try {
            $ids = db()->query("SELECT id FROM live_streams WHERE status = 'live'")
                       ->fetchAll(PDO::FETCH_COLUMN);
        } catch (Exception $e) {
            error_log('Live streams read error: ' . $e->getMessage());
            return [];
        }
        return array_map(fn($id) => [
            'stream_id' => (int)$id,
            'viewers_change' => 0,
            'likes_added' => 0,
        ], $ids);
    }
}

if (php_sapi_name() === 'cli' && realpath($_SERVER['SCRIPT_FILENAME'] ?? '') === __FILE__) {
    $generator = new FakeEngagementGenerator();
    echo "Fake Engagement Generator Results:\n";
    echo "(retired: engagementd simulates the audience; nothing is written)\n";
    foreach ($generator->processAllActiveStreams() as $result) {
        echo "Stream {$result['stream_id']}: ";
        echo "Viewers change: {$result['viewers_change']}, ";
        echo "Likes added: {$result['likes_added']}\n";
    }
}
