using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>
/// The version check's cheap path. Every script that publishes a feed message also counts it in its channel's counter
/// (<c>count_changes</c> in <c>lib.lua</c>, in the same script, so the counter and the messages cannot disagree). Each
/// interval, <c>checkpoint.lua</c> reads the counter and publishes it on the channel as <c>#&lt;count&gt;</c>. A channel is
/// read in order, so when a node reads the checkpoint it has read exactly the messages published on that channel before
/// it: the messages it heard there plus a fixed offset (the messages published before it subscribed) equal the count,
/// unless some were lost. Equal: the check cost one script call and one message, whatever the number of calendars.
/// Not equal: the full check runs once (every calendar's version, <see cref="CheckVersionsAsync"/>) and the offset is
/// set again. A standalone server has one channel; a cluster one per hash slot (<see cref="SlotChannels"/>), each
/// checked apart, and one checkpoint call per primary covers the slots this node follows there. In a cluster the call
/// carries, per slot, the count this node expects (heard plus offset), and the script publishes a checkpoint only where the
/// count differs: a node that has heard everything needs none, so a round costs Redis one <c>GET</c> per slot followed and
/// the feed next to nothing, where it cost an <c>SPUBLISH</c> per slot to every node following it (16,384 messages per node
/// and round nationwide, each read by every node: more than a message per booking at a few hundred bookings a second).
/// </summary>
/// <remarks>
/// The offset is learnt at the first checkpoint a node reads on a channel: the node asks for one as soon as it has
/// subscribed, before it loads anything there, so no message it needed can fall before that point. After a reconnect
/// it is learnt again (the messages lost meanwhile are covered by the reconnect's reload of every calendar), and after a
/// slot moves, that slot's. Pub/sub loses messages only with the subscriber's connection, so a mismatch means a loss the
/// reconnect did not cover (or Redis lost its data). Any node's checkpoint serves every node following the channel.
/// </remarks>
public sealed partial class RedisSlotEngine
{
    /// <summary>Feed messages heard per channel (index 0: a standalone server's one channel; in a cluster the hash slot), checkpoints excluded. Counted by the feed's readers.</summary>
    private readonly long[] _feedHeard = new long[SlotChannels.Slots];

    /// <summary>Per channel, the count minus the messages heard, as of the last checkpoint read; valid while <see cref="_checkpointKnown"/> is 1 there.</summary>
    private readonly long[] _checkpointOffset = new long[SlotChannels.Slots];

    /// <summary>Per channel, 1 once a checkpoint set <see cref="_checkpointOffset"/>; 0 at start, after a reconnect and after its slot moved.</summary>
    private readonly int[] _checkpointKnown = new int[SlotChannels.Slots];

    /// <summary>1 while a full check started by a checkpoint runs (never two at once).</summary>
    private int _fullCheckRunning;

    private long _fullVersionChecks;
    private long _checkpointsRead;

    /// <summary>How many full version checks (every calendar) have run (for tests and measurements).</summary>
    internal long FullVersionChecks => Interlocked.Read(ref _fullVersionChecks);

    /// <summary>How many checkpoints this node has read from the feed (for tests).</summary>
    internal long CheckpointsRead => Interlocked.Read(ref _checkpointsRead);

    /// <summary>
    /// One round of the version check: a checkpoint on every channel this node follows (the full check follows only if a
    /// channel lost messages). In a cluster, one call per primary, for the slots this node follows there, and only the
    /// slots where this node has not heard every message counted so far get a checkpoint (see the type's summary).
    /// </summary>
    /// <returns>How many checkpoints Redis published (for tests and measurements).</returns>
    internal async Task<long> RunVersionCheckAsync(CancellationToken cancellationToken)
    {
        if (!_keys.Cluster)
        {
            return (await EvalAsync(StoreScripts.Checkpoint, [], ["0", _keys.GlobalFeed], cancellationToken).ConfigureAwait(false)).AsInt64();
        }

        var channels = _shardSubscriptions.Keys.ToList();
        if (channels.Count == 0)
        {
            return 0;
        }

        var groups = SlotGroups();
        var calls = new List<Task<long>>();
        foreach (var group in channels.GroupBy(c => groups[SlotChannels.SlotOf(c)]))
        {
            calls.Add(CheckpointChannelsAsync([.. group], cancellationToken));
        }

        return (await Task.WhenAll(calls).ConfigureAwait(false)).Sum();
    }

    /// <summary>
    /// One checkpoint call for channels of one primary (a cluster), routed by the first one's counter key: each channel with
    /// the count this node expects there (<c>-1</c> while its offset is not known, so that one is always published).
    /// </summary>
    private async Task<long> CheckpointChannelsAsync(List<string> channels, CancellationToken cancellationToken)
    {
        var args = new RedisArgument[(2 * channels.Count) + 1];
        args[0] = "1";
        for (var i = 0; i < channels.Count; i++)
        {
            args[(2 * i) + 1] = channels[i];
            args[(2 * i) + 2] = Expected(SlotChannels.SlotOf(channels[i]));
        }

        return (await EvalAsync(StoreScripts.Checkpoint, [channels[0] + ":changes"], args, cancellationToken).ConfigureAwait(false)).AsInt64();
    }

    /// <summary>
    /// The count this node expects on a channel: the messages heard there plus the offset learnt at the last checkpoint, or
    /// -1 while no checkpoint has set the offset. Read before the call is sent, so a count equal to it at the script's time
    /// means every message counted by then had been heard (heard only grows).
    /// </summary>
    private long Expected(int channel)
    {
        if (Volatile.Read(ref _checkpointKnown[channel]) == 0)
        {
            return -1;
        }

        // OnCheckpoint writes the offset before it sets the flag (both full fences), so the offset read after the flag is the
        // one of that checkpoint or a later one; heard, read last, includes at least the messages it counted then. A loss
        // or a message still on its way since then leaves the count above what this returns, never equal to it.
        var offset = Interlocked.Read(ref _checkpointOffset[channel]);
        return Interlocked.Read(ref _feedHeard[channel]) + offset;
    }

    /// <summary>Counts a feed message heard on a channel (called by the feed's reader for every message but a checkpoint).</summary>
    private void CountFeedMessage(int channel) => Interlocked.Increment(ref _feedHeard[channel]);

    /// <summary>The feed's connection was lost: messages may have been lost with it (the reload of every calendar covers them).</summary>
    private void ForgetCheckpoint() => Array.Clear(_checkpointKnown);

    /// <summary>A hash slot moved to another primary: its channel's messages may have been lost in the move (its calendars are reloaded).</summary>
    private void ForgetCheckpoint(int slot) => Volatile.Write(ref _checkpointKnown[slot], 0);

    /// <summary>Asks for a checkpoint now (just subscribed or reconnected), so the offset is learnt at once; failures are left to the next interval.</summary>
    /// <param name="channel">In a cluster, the slot's channel just followed; null: every channel followed.</param>
    private async Task CheckpointSoonAsync(string? channel = null)
    {
        try
        {
            if (!_keys.Cluster)
            {
                await EvalAsync(StoreScripts.Checkpoint, [], ["0", _keys.GlobalFeed], _disposal.Token).ConfigureAwait(false);
            }
            else if (channel is not null)
            {
                await CheckpointChannelsAsync([channel], _disposal.Token).ConfigureAwait(false);
            }
            else
            {
                await RunVersionCheckAsync(_disposal.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            // The next interval's checkpoint sets the offset.
        }
    }

    /// <summary>A checkpoint read from a channel (<c>#&lt;count&gt;</c>, the text after the <c>#</c>). Quick: on the feed's reader.</summary>
    private void OnCheckpoint(int channel, ReadOnlySpan<char> count)
    {
        if (!long.TryParse(count, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var published))
        {
            return;
        }

        Interlocked.Increment(ref _checkpointsRead);
        var heard = Volatile.Read(ref _feedHeard[channel]);
        var offset = Interlocked.Exchange(ref _checkpointOffset[channel], published - heard); // before the flag: Expected reads them the other way round
        var known = Interlocked.Exchange(ref _checkpointKnown[channel], 1) == 1;
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
