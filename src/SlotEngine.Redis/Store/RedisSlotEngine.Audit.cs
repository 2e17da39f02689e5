using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Redis;

public sealed partial class RedisSlotEngine : IAuditSource
{
    /// <inheritdoc />
    /// <remarks>
    /// Reads the calendar's audit stream (<c>{p:provider:day}:a</c>, a Redis Stream appended by the scripts that
    /// make the changes, so it adds no round trip to them) with one <c>XRANGE</c>. Positions are stream ids
    /// (see <see cref="AuditRecord.Position"/>). The stream outlives a withdraw of its day.
    /// </remarks>
    public async ValueTask<IReadOnlyList<AuditRecord>> ReadAuditAsync(CalendarKey calendar, long after, int max, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var key = _keys.For(calendar).Audit;
        var from = after < 0 ? "-" : "(" + AuditFormat.IdOf(after);
        var entries = await _redis.Main.Database.StreamRangeAsync(key, from, "+", max).ConfigureAwait(false);
        var records = new List<AuditRecord>(entries.Length);
        foreach (var entry in entries)
        {
            var payload = entry[AuditFormat.Field];
            records.Add(AuditFormat.Parse((byte[])payload!, calendar, AuditFormat.PositionOf(entry.Id!)));
        }

        return records;
    }

    /// <summary>
    /// Forgets a calendar's audit records before a position, once the host has read (and archived) them: <c>XTRIM … MINID</c>
    /// on its stream, exact, one round trip. Records at or after <paramref name="position"/> stay. A replay
    /// (<see cref="AuditReplay"/>) of the calendar then needs what was trimmed from the host's archive, or starts from a
    /// snapshot taken at that position. See also <see cref="RedisSlotEngineOptions.AuditStreamMaxLength"/>.
    /// </summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="position">The first position the host still needs (<see cref="AuditRecord.Position"/>); 0 or less trims nothing.</param>
    /// <param name="cancellationToken">Cancels the call (before it is sent).</param>
    /// <returns>How many records were removed.</returns>
    public async ValueTask<long> TrimAuditAsync(CalendarKey calendar, long position, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (position <= 0)
        {
            return 0;
        }

        return await _redis.Main.Database.StreamTrimByMinIdAsync(_keys.For(calendar).Audit, AuditFormat.IdOf(position)).ConfigureAwait(false);
    }

    /// <summary>The calendar's keys, with its audit stream as KEYS[5] when <see cref="SlotEngineOptions.Audit"/> is on (the scripts append to it only then).</summary>
    private RedisKey[] AuditedKeys(CalendarKeySet keys) =>
        _readModel.Rules.Audit ? keys.AuditedScriptKeys : CalendarKeys(keys);
}
