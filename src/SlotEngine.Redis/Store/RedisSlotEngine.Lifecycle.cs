using SlotEngine.Redis.Client;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis;

public sealed partial class RedisSlotEngine
{
    /// <summary>
    /// Takes one place of a call's limit (<see cref="ActorPolicy.MaxClaimsPerCall"/>) in the call's counter
    /// (<c>{k:&lt;call id&gt;}</c>, usually another shard than the calendar), before the claim, as quota entries
    /// are taken: a claim that definitely did not happen gives it back, one whose outcome is unknown keeps it.
    /// So the limit is never exceeded; a lost connection may cost the call a place. One round trip, only for
    /// claims that name a call while the limit is set.
    /// </summary>
    /// <returns>The counter's key, or null when the call has used every place.</returns>
    private async ValueTask<string?> TakeCallPlaceAsync(string callId, CancellationToken cancellationToken)
    {
        var rules = _readModel.Rules;
        var key = _keys.CallKey(callId);
        var reply = await EvalAsync(
            StoreScripts.CallTake,
            [key],
            [rules.MaxClaimsPerCall, (long)Math.Ceiling(rules.CallRetention.TotalMilliseconds)],
            cancellationToken).ConfigureAwait(false);
        return reply.AsInt64() == 1 ? key : null;
    }

    /// <summary>
    /// A claim's lease nonce. A keyed request's nonce is its key's and request's hash: the same request sent twice
    /// (a retry, or several clients at once) shares one set of entries, and the calendar's script lets one of them claim.
    /// </summary>
    private static string NonceOf(ClaimRequest request, string digest) => request.IdempotencyKey is { } idempotencyKey
        ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(idempotencyKey + "\n" + digest)))[..32]
        : Guid.NewGuid().ToString("N");

    /// <summary>
    /// Takes one of the patient's active-appointment entries (<see cref="SlotEngineOptions.MaxActiveAppointments"/>) in
    /// <c>{a:&lt;patient hex&gt;}</c>, with the same script and the same liveness protocol as the daily quota entries
    /// (docs/quotas-distributed.md): the entry names the claim's calendar and nonce, the claim script records the nonce,
    /// and a full cap asks each named calendar whether its claim still lives. An entry of a day before today is dead
    /// (it is no longer a future appointment). <see cref="QuotaLease.None"/> when there is no cap; null when it is full.
    /// </summary>
    private async ValueTask<QuotaLease?> AcquireActiveAsync(ClaimRequest request, ReadModelCalendar calendar, string digest, CancellationToken cancellationToken)
    {
        var limit = _readModel.Rules.MaxActiveAppointments;
        if (limit == 0)
        {
            return QuotaLease.None;
        }

        var key = _keys.ActiveKey(request.Patient);
        var nonce = NonceOf(request, digest);
        var reference = StoreKeys.CalendarRef(request.Calendar);
        // Outlives every entry it can hold: no claim is later than the booking horizon.
        var expireAt = UnixMs.FromTicks(DayLayout.LocalMidnightUtcTicks(Today.AddDays(_readModel.Rules.BookingHorizonDays + 2), Options.TimeZone));
        var args = new List<RedisArgument>
        {
            nonce,
            reference,
            (long)Math.Ceiling(_options.QuotaLease.TotalMilliseconds),
            (long)Math.Ceiling(_options.ClockSkewAllowance.TotalMilliseconds),
            expireAt,
            1,
            "a",
            limit,
        };
        return await TakeEntriesAsync(key, args, nonce, reference, pastDaysDead: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The lease the claim script checks, and the other one: both share one nonce, and the claim must land before
    /// the earlier of their deadlines (a failed keyed claim burns that same deadline, so a twin is refused).
    /// </summary>
    private static (QuotaLease Claim, QuotaLease Other) CombineLeases(QuotaLease quota, QuotaLease active)
    {
        if (active.IsEmpty)
        {
            return (quota, active);
        }

        if (quota.IsEmpty)
        {
            return (active, quota);
        }

        var deadline = Math.Min(quota.DeadlineMs, active.DeadlineMs);
        return (quota with { DeadlineMs = deadline }, active with { DeadlineMs = deadline });
    }

    private async ValueTask GiveCallPlaceBackAsync(string? key)
    {
        if (key is null)
        {
            return;
        }

        try
        {
            await EvalAsync(StoreScripts.CallGive, [key], [], CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Warn($"Could not give back a call's place after a failed claim ({e.Message}); the call has one place less.");
        }
    }
}
