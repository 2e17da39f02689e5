using System.Globalization;
using SlotEngine.Redis.Client;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>
/// Quota entries taken for one claim: their fields in the patient's day hash and the value written
/// there (<c>&lt;calendar&gt;|&lt;nonce&gt;|&lt;lease deadline ms&gt;</c>). Empty when no rule applies.
/// </summary>
internal sealed record QuotaLease(string Key, string[] Fields, string Value, string Nonce, long DeadlineMs)
{
    public static readonly QuotaLease None = new(string.Empty, [], string.Empty, string.Empty, 0);

    public bool IsEmpty => Fields.Length == 0;
}

public sealed partial class RedisSlotEngine
{
    private const int MaxQuotaRounds = 3;

    /// <summary>
    /// Takes one entry per quota rule in the patient's day hash (<c>{q:patient:day}</c>), or none. When a
    /// rule is full, its entries are checked against their calendars: an entry is dead when the claim made
    /// under its nonce is gone, or when no claim was made under it and its lease has passed; dead ones are
    /// removed and the round is tried again. Null: the quota is exceeded. See docs/quotas-distributed.md.
    /// </summary>
    private async ValueTask<QuotaLease?> AcquireQuotaAsync(ClaimRequest request, ReadModelCalendar calendar, string digest, CancellationToken cancellationToken, string? nonceOverride = null)
    {
        var rules = Options.Quotas.Rules;
        if (rules.Count == 0)
        {
            return QuotaLease.None;
        }

        var key = _keys.QuotaKey(request.Patient, calendar.Day);
        // A keyed request's nonce is its key's and request's hash: the same request sent twice (a retry, or
        // several clients at once) shares one set of entries, and the calendar's script lets one of them claim.
        var nonce = nonceOverride ?? NonceOf(request, digest);
        var reference = StoreKeys.CalendarRef(request.Calendar);
        var expireAt = UnixMs.FromTicks(DayLayout.LocalMidnightUtcTicks(calendar.Day.AddDays(2), Options.TimeZone));
        var args = new List<RedisArgument>
        {
            nonce,
            reference,
            (long)Math.Ceiling(_options.QuotaLease.TotalMilliseconds),
            (long)Math.Ceiling(_options.ClockSkewAllowance.TotalMilliseconds),
            expireAt,
            rules.Count,
        };
        foreach (var rule in rules)
        {
            var scope = rule.Scope switch
            {
                QuotaScope.Provider => "p:" + calendar.Key.Provider.Value.ToString(CultureInfo.InvariantCulture),
                QuotaScope.Clinic => "c:" + calendar.Clinic.Value.ToString(CultureInfo.InvariantCulture),
                _ => "f:" + calendar.Facility.Value.ToString(CultureInfo.InvariantCulture),
            };
            args.Add(scope);
            args.Add(rule.MaxPerDay);
        }

        return await TakeEntriesAsync(key, args, nonce, reference, pastDaysDead: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <c>quota_acquire.lua</c> on <paramref name="key"/> with <paramref name="args"/> (nonce, calendar reference,
    /// lease, skew, expiry, then the rules): the lease on success; when a rule is full, the named calendars are asked
    /// which entries are dead, those are passed to the next round for removal, and the round is tried again
    /// (<see cref="MaxQuotaRounds"/> at most). Null: full. Shared by the daily quotas and the active-appointment cap.
    /// </summary>
    private async ValueTask<QuotaLease?> TakeEntriesAsync(string key, List<RedisArgument> args, string nonce, string reference, bool pastDaysDead, CancellationToken cancellationToken)
    {
        var fixedArgs = args.Count;
        for (var round = 0; round < MaxQuotaRounds; round++)
        {
            var reply = await EvalAsync(StoreScripts.QuotaAcquire, [key], [.. args], cancellationToken).ConfigureAwait(false);
            if (reply[0].AsInt64() == 1)
            {
                var deadline = reply[1].AsInt64();
                var fields = new string[reply.Count - 2];
                for (var i = 2; i < reply.Count; i++)
                {
                    fields[i - 2] = reply[i].AsString()!;
                }

                return new QuotaLease(key, fields, reference + "|" + nonce + "|" + deadline.ToString(CultureInfo.InvariantCulture), nonce, deadline);
            }

            var dead = await FindDeadEntriesAsync(reply, cancellationToken, pastDaysDead).ConfigureAwait(false);
            if (dead.Count == 0)
            {
                return null;
            }

            args.RemoveRange(fixedArgs, args.Count - fixedArgs);
            foreach (var (field, value) in dead)
            {
                args.Add(field);
                args.Add(value);
            }
        }

        return null;
    }

    /// <summary>Asks each calendar named by an undecided entry whether the claim made under its nonce still lives.</summary>
    /// <param name="reply">The acquire script's answer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <param name="pastDaysDead">True for the active-appointment cap's entries: a claim of a day before today no longer counts.</param>
    private async ValueTask<List<(string Field, string Value)>> FindDeadEntriesAsync(RedisReply reply, CancellationToken cancellationToken, bool pastDaysDead = false)
    {
        var byCalendar = new Dictionary<string, List<(string Field, string Value, string Nonce, bool LeasePassed)>>(StringComparer.Ordinal);
        for (var i = 1; i + 2 < reply.Count; i += 3)
        {
            var field = reply[i].AsString()!;
            var value = reply[i + 1].AsString()!;
            var parts = value.Split('|');
            if (!byCalendar.TryGetValue(parts[0], out var list))
            {
                byCalendar[parts[0]] = list = [];
            }

            list.Add((field, value, parts[1], reply[i + 2].AsInt64() == 1));
        }

        var dead = new List<(string Field, string Value)>();
        foreach (var (reference, entries) in byCalendar)
        {
            if (!StoreKeys.TryParseCalendarRef(reference, out var calendar))
            {
                continue;
            }

            if (pastDaysDead && calendar.Day < Today)
            {
                dead.AddRange(entries.Select(e => (e.Field, e.Value)));
                continue;
            }

            var keys = _keys.For(calendar);
            var args = new RedisArgument[3 + entries.Count];
            args[0] = keys.Feed;
            args[1] = "0";
            args[2] = keys.Reference;
            for (var i = 0; i < entries.Count; i++)
            {
                args[3 + i] = entries[i].Nonce;
            }

            var live = await EvalAsync(StoreScripts.Live, CalendarKeys(keys), args, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < entries.Count; i++)
            {
                // 0: the claim was made and is gone. 2: never made under this nonce; once the lease has
                // passed (by the quota shard's clock, plus the skew allowance) it never can be.
                var answer = live[i].AsInt64();
                if (answer == 0 || (answer == 2 && entries[i].LeasePassed))
                {
                    dead.Add((entries[i].Field, entries[i].Value));
                }
            }
        }

        return dead;
    }

    /// <summary>
    /// Gives back the entries of a claim that definitely did not happen. Best effort: an entry left behind
    /// dies with its lease. A keyed request's entries may be shared with a twin of the same request still
    /// on its way to the calendar, so its lease is first burned there (<paramref name="sharedOn"/>): if a
    /// claim already used it, the entries stay with that claim.
    /// </summary>
    private async ValueTask ReleaseQuotaAsync(QuotaLease lease, CalendarKeySet? sharedOn)
    {
        if (lease.IsEmpty)
        {
            return;
        }

        if (sharedOn is not null)
        {
            try
            {
                var burned = await EvalAsync(StoreScripts.Burn, CalendarKeys(sharedOn), FeedArgs(sharedOn, lease.Nonce, lease.DeadlineMs), CancellationToken.None).ConfigureAwait(false);
                if (burned.AsInt64() == 0)
                {
                    return;
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                Warn($"Could not burn the quota lease of a failed claim ({e.Message}); its entries free themselves when the lease ends.");
                return;
            }
        }

        var args = new RedisArgument[lease.Fields.Length * 2];
        for (var i = 0; i < lease.Fields.Length; i++)
        {
            args[2 * i] = lease.Fields[i];
            args[(2 * i) + 1] = lease.Value;
        }

        try
        {
            await EvalAsync(StoreScripts.QuotaRelease, [lease.Key], args, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Warn($"Could not give back quota entries of a failed claim ({e.Message}); they free themselves when their lease ends.");
        }
    }
}
