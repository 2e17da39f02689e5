using System.Collections.Concurrent;
using System.Globalization;
using SlotEngine.Redis.Client;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis;

public sealed partial class RedisSlotEngine
{
    private readonly ConcurrentDictionary<string, DayTemplate> _templates = new(StringComparer.Ordinal);

    /// <summary>Reads a calendar whole (one script: meta, one GET of the bitmap, the claims) into the read model.</summary>
    /// <returns>The version loaded, or 0 when the day is not published (and is dropped from the read model).</returns>
    private async Task<long> LoadCalendarAsync(CalendarKey key, CancellationToken cancellationToken)
    {
        await EnsureSubscribedAsync(key, cancellationToken).ConfigureAwait(false);
        var keys = _keys.For(key);
        // Past the node's bound on scripts in flight: a load publishes nothing, and a warm-up or resync needs its pipelining.
        var reply = await _redis.EvalShaUngatedAsync(StoreScripts.LoadCalendar, [keys.Meta, keys.Free, keys.Claims], [], cancellationToken).ConfigureAwait(false);
        if (reply.Count == 0)
        {
            _readModel.Remove(key);
            return 0;
        }

        string? templateText = null;
        long version = 0;
        long lastToken = 0;
        var meta = reply[0];
        for (var i = 0; i + 1 < meta.Count; i += 2)
        {
            switch (meta[i].AsString())
            {
                case "tpl":
                    templateText = meta[i + 1].AsString();
                    break;
                case "ver":
                    version = meta[i + 1].AsInt64();
                    break;
                case "tok":
                    lastToken = meta[i + 1].AsInt64();
                    break;
            }
        }

        var template = _templates.GetOrAdd(templateText ?? throw new SlotEngineRedisException($"{key} has no template in Redis."), TemplateText.Parse);
        var claims = new List<ReadModelClaim>();
        var fields = reply[2];
        for (var i = 0; i + 1 < fields.Count; i += 2)
        {
            var name = fields[i].AsString()!;
            if (!name.Contains(':', StringComparison.Ordinal))
            {
                continue; // the placeholder that keeps the hash in existence ('-'), and the nonce records kept in the hash (StoreKeys.Nonces)
            }

            var slot = SlotOfField(name, out var seat);
            var claim = StoredClaim.Parse(fields[i + 1].AsString()!);
            if (claim.First == slot)
            {
                claims.Add(new ReadModelClaim(seat, claim.First, claim.Length, claim.Token, claim.Patient, claim.Booked, claim.HoldExpiryTicks) { AwaitsApproval = claim.AwaitsApproval });
            }
        }

        _readModel.Load(key, template, version, lastToken, reply[1].Bytes.Span, claims);
        return version;
    }

    private static int SlotOfField(string field, out int seat)
    {
        var colon = field.IndexOf(':', StringComparison.Ordinal);
        seat = int.Parse(field.AsSpan(0, colon), CultureInfo.InvariantCulture);
        return int.Parse(field.AsSpan(colon + 1), CultureInfo.InvariantCulture);
    }

    /// <summary>Makes sure the read model has the calendar (loading it when this node has not seen it yet).</summary>
    private async ValueTask EnsureLocalAsync(CalendarKey key)
    {
        _readModel.ValidateProvider(key.Provider); // an unknown provider throws here, as in memory
        if (_readModel.Find(key) is null)
        {
            await BoundedLoadAsync(_feed.RefreshAsync(key), key.ToString()).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits for a load (which the feed retries while Redis is away) at most a connect and two command
    /// timeouts, then gives up with <see cref="RedisTimeoutException"/>: a caller is never stuck on Redis.
    /// </summary>
    private async Task<T> BoundedLoadAsync<T>(Task<T> load, string what)
    {
        try
        {
            return await load.WaitAsync(_loadBound).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new RedisTimeoutException(CommandFlags.None, $"Could not load {what} from Redis within {_loadBound} ({e.Message}).", CommandStatus.Unknown);
        }
    }
}

/// <summary>A claim as the claims hash stores it: <c>token|h or b|first|length|patient hex|hold expiry ms[|u]</c> (<c>|u</c>: awaits approval).</summary>
internal readonly partial record struct StoredClaim(long Token, bool Booked, int First, int Length, PatientKey Patient, long HoldExpiryMs, bool AwaitsApproval = false)
{
    public long HoldExpiryTicks => Booked ? 0 : UnixMs.ToTicks(HoldExpiryMs);

    public static StoredClaim Parse(string value)
    {
        var parts = value.Split('|');
        return new StoredClaim(
            long.Parse(parts[0], CultureInfo.InvariantCulture),
            parts[1] == "b",
            int.Parse(parts[2], CultureInfo.InvariantCulture),
            int.Parse(parts[3], CultureInfo.InvariantCulture),
            new PatientKey(ulong.Parse(parts[4], NumberStyles.HexNumber, CultureInfo.InvariantCulture)),
            long.Parse(parts[5], CultureInfo.InvariantCulture),
            parts.Length > 6 && parts[6] == "u");
    }

    /// <summary>Parses a script's description of a removed claim: <c>seat|first|length|token|h or b|patient hex|expiry ms</c>.</summary>
    public static Reservation ParseRemoved(CalendarKey calendar, string text, out bool booked)
    {
        var parts = text.Split('|');
        booked = parts[4] == "b";
        var expiry = long.Parse(parts[6], CultureInfo.InvariantCulture);
        return new Reservation(
            calendar,
            new SlotRange(int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture)),
            int.Parse(parts[0], CultureInfo.InvariantCulture),
            long.Parse(parts[3], CultureInfo.InvariantCulture),
            new PatientKey(ulong.Parse(parts[5], NumberStyles.HexNumber, CultureInfo.InvariantCulture)),
            booked ? null : UnixMs.ToDateTimeOffset(expiry));
    }
}

/// <summary>Unix milliseconds (what the scripts compute with, from Redis <c>TIME</c>) and .NET ticks.</summary>
internal static class UnixMs
{
    public static long FromTicks(long utcTicks) => (utcTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;

    public static long ToTicks(long ms) => (ms * TimeSpan.TicksPerMillisecond) + DateTime.UnixEpoch.Ticks;

    public static DateTimeOffset ToDateTimeOffset(long ms) => new(ToTicks(ms), TimeSpan.Zero);
}
