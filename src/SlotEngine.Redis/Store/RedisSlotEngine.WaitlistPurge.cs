using System.Globalization;
using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>
/// Purging the waitlist on Redis (<see cref="ISlotEngine.PurgeWishesAsync"/>): the scopes are found by their records'
/// keys (<c>SCAN</c> on every primary: no shared index of scopes, which would be one more cross-shard write per
/// registration), and each scope is purged by <c>wait_purge.lua</c> in batches with an <c>HSCAN</c> cursor, on the
/// scope's own shard. The patient's ticket set (on the patient's tag) loses the purged tickets afterwards; a ticket
/// left behind by a failure there reads as unknown and is dropped by the next <see cref="GetWishesAsync"/>.
/// </summary>
public sealed partial class RedisSlotEngine
{
    private const int WaitPurgeBatch = 256;
    private long _lastWishPurge = long.MinValue;

    /// <inheritdoc />
    public async ValueTask<int> PurgeWishesAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!Options.Waitlist.IsEnabled)
        {
            return 0;
        }

        var now = Options.TimeProvider.GetUtcNow();
        var today = int.Parse(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Options.TimeZone).DateTime).ToString("yyyyMMdd", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var retentionMs = (long)Options.Waitlist.FinishedRetention.TotalMilliseconds;
        var pattern = GlobEscape(_keys.Prefix) + "{w:*}:h";
        var purged = 0;
        var multiplexer = _redis.Main.Database.Multiplexer;
        foreach (var server in multiplexer.GetServers())
        {
            if (server.IsReplica || !server.IsConnected)
            {
                continue;
            }

            await foreach (var key in server.KeysAsync(pattern: pattern, pageSize: 500).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var text = key.ToString();
                var tag = text[..^2];
                var scope = tag[(tag.IndexOf("{w:", StringComparison.Ordinal) + 3)..^1];
                purged += await PurgeScopeAsync(WaitKeysOfTag(tag), scope, today, retentionMs, cancellationToken).ConfigureAwait(false);
            }
        }

        return purged;
    }

    /// <summary>The sweep's purge: at most once a minute (by the engine's clock), since it scans every scope.</summary>
    private async ValueTask<int> PurgeWishesIfDueAsync(CancellationToken cancellationToken)
    {
        var now = Options.TimeProvider.GetTimestamp();
        var last = Volatile.Read(ref _lastWishPurge);

        // Invariant: _lastWishPurge changes only by the CAS below, from the value this caller read, so of the sweeps that
        // find a purge due at once exactly one wins it (the others see it changed and purge nothing).
        if (!Options.Waitlist.IsEnabled
            || (last != long.MinValue && Options.TimeProvider.GetElapsedTime(last, now) < TimeSpan.FromMinutes(1))
            || Interlocked.CompareExchange(ref _lastWishPurge, now, last) != last)
        {
            return 0;
        }

        return await PurgeWishesAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<int> PurgeScopeAsync(WaitKeySet keys, string scope, int today, long retentionMs, CancellationToken cancellationToken)
    {
        var purged = 0;
        RedisArgument cursor = "0";
        do
        {
            var reply = await EvalAsync(
                StoreScripts.WaitPurge,
                [keys.Queue, keys.Records, keys.States, keys.Refusals, keys.Leases, keys.Finished],
                [today, retentionMs, cursor, WaitPurgeBatch],
                cancellationToken).ConfigureAwait(false);
            cursor = reply[0].AsString()!;
            for (var i = 1; i < reply.Count; i++)
            {
                var entry = reply[i].AsString()!;
                var bar = entry.IndexOf('|', StringComparison.Ordinal);
                var patient = new PatientKey(ulong.Parse(entry.AsSpan(bar + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                await _redis.Main.Database.SetRemoveAsync(PatientWishesKey(patient), scope + ":" + entry[..bar]).ConfigureAwait(false);
                purged++;
            }
        }
        while (cursor != "0");

        return purged;
    }

    private static string GlobEscape(string text)
    {
        var escaped = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
