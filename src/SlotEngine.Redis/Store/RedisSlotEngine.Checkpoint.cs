using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>
/// The version check's cheap path on a standalone server. Every script that publishes a feed message also counts it in
/// one counter (<c>count_changes</c> in <c>lib.lua</c>, in the same script, so the counter and the messages cannot
/// disagree). Each interval, <c>checkpoint.lua</c> reads the counter and publishes it on the feed as <c>#&lt;count&gt;</c>.
/// The feed is one channel read in order, so when a node reads the checkpoint it has read exactly the messages published
/// before it: the messages it heard plus a fixed offset (the messages published before it subscribed) equal the count,
/// unless some were lost. Equal: the check cost one script call and one message, whatever the number of calendars.
/// Not equal: the full check runs once (every calendar's version, <see cref="CheckVersionsAsync"/>) and the offset is
/// set again. In a cluster (one feed channel per calendar, no counter across hash slots) the full check runs every time.
/// </summary>
/// <remarks>
/// The offset is learnt at the first checkpoint a node reads: the node asks for one as soon as it has subscribed, before
/// it loads anything, so no message it needed can fall before that point. After a reconnect it is learnt again (the
/// messages lost meanwhile are covered by the reconnect's reload of every calendar). Pub/sub loses messages only with the
/// subscriber's connection, so a mismatch means a loss the reconnect did not cover (or Redis lost its data). Any node's
/// checkpoint serves every node.
/// </remarks>
public sealed partial class RedisSlotEngine
{
    /// <summary>Feed messages heard on the global channel (checkpoints excluded). Counted by the feed's readers.</summary>
    private long _feedHeard;

    /// <summary>The count minus the messages heard, as of the last checkpoint read; valid while <see cref="_checkpointKnown"/> is 1.</summary>
    private long _checkpointOffset;

    /// <summary>1 once a checkpoint set <see cref="_checkpointOffset"/>; 0 at start and after a reconnect.</summary>
    private int _checkpointKnown;

    /// <summary>1 while a full check started by a checkpoint runs (never two at once).</summary>
    private int _fullCheckRunning;

    private long _fullVersionChecks;
    private long _checkpointsRead;

    /// <summary>How many full version checks (every calendar) have run (for tests and measurements).</summary>
    internal long FullVersionChecks => Interlocked.Read(ref _fullVersionChecks);

    /// <summary>How many checkpoints this node has read from the feed (for tests).</summary>
    internal long CheckpointsRead => Interlocked.Read(ref _checkpointsRead);

    /// <summary>
    /// One round of the version check: on a standalone server a checkpoint (the full check follows only if the feed lost
    /// messages); in a cluster the full check.
    /// </summary>
    internal async Task RunVersionCheckAsync(CancellationToken cancellationToken)
    {
        if (_keys.Cluster)
        {
            Interlocked.Increment(ref _fullVersionChecks);
            await CheckVersionsAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await EvalAsync(StoreScripts.Checkpoint, [], [_keys.GlobalFeed], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Counts a feed message heard (called by the feed's reader for every message but a checkpoint).</summary>
    private void CountFeedMessage() => Interlocked.Increment(ref _feedHeard);

    /// <summary>The feed's connection was lost: messages may have been lost with it (the reload of every calendar covers them).</summary>
    private void ForgetCheckpoint() => Volatile.Write(ref _checkpointKnown, 0);

    /// <summary>Asks for a checkpoint now (standalone; just subscribed or reconnected), so the offset is learnt at once; failures are left to the next interval.</summary>
    private async Task CheckpointSoonAsync()
    {
        try
        {
            if (!_keys.Cluster)
            {
                await EvalAsync(StoreScripts.Checkpoint, [], [_keys.GlobalFeed], _disposal.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            // The next interval's checkpoint sets the offset.
        }
    }

    /// <summary>A checkpoint read from the feed (<c>#&lt;count&gt;</c>, the text after the <c>#</c>). Quick: on the feed's reader.</summary>
    private void OnCheckpoint(ReadOnlySpan<char> count)
    {
        if (!long.TryParse(count, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var published))
        {
            return;
        }

        Interlocked.Increment(ref _checkpointsRead);
        var heard = Volatile.Read(ref _feedHeard);
        var known = Interlocked.Exchange(ref _checkpointKnown, 1) == 1;
        var offset = Interlocked.Exchange(ref _checkpointOffset, published - heard);
        if (!known || heard + offset == published)
        {
            return;
        }

        // Messages lost (or the counter went back: Redis lost its data or was flushed): compare every calendar once.
        if (Interlocked.CompareExchange(ref _fullCheckRunning, 1, 0) == 0)
        {
            Interlocked.Increment(ref _fullVersionChecks);
            _ = Task.Run(async () =>
            {
                try
                {
                    await CheckVersionsAsync(_disposal.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
                {
                    ForgetCheckpoint(); // try again from the next checkpoint
                }
                finally
                {
                    Volatile.Write(ref _fullCheckRunning, 0);
                }
            });
        }
    }
}
