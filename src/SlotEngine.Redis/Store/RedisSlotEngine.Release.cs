using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>
/// At the rush (issue 12) on Redis: the per-patient admission rate runs as its own small script (<c>admit.lua</c>,
/// under the patient's hash tag <c>{a:&lt;hex&gt;}</c>, one round trip, only when the policy is on); the release schedule
/// and reserved capacity are judged inside the claim script by Redis <c>TIME</c>, against instants and a seat mode
/// computed here from the same policies the in-memory engine applies (arguments 21 to 23 of <c>claim.lua</c>).
/// </summary>
/// <remarks>
/// The admission step is kept separate so that the patient-side admission script (bar, active cap, daily quota; issue
/// 10) can fold <c>rush_admit</c> from lib.lua into its one round trip later: its key shares that script's hash tag.
/// </remarks>
public sealed partial class RedisSlotEngine
{
    /// <summary>Takes one of the patient's attempts (<see cref="SlotEngineOptions.Admission"/>): false when refused.</summary>
    private async ValueTask<bool> AdmitAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        var rate = Options.Admission;
        if (!rate.IsEnabled)
        {
            return true;
        }

        var reply = await EvalAsync(
            StoreScripts.Admit,
            [(RedisKey)(_keys.ActiveKey(request.Patient) + ":r")],
            [rate.IntervalMicroseconds, rate.BurstMicroseconds],
            cancellationToken).ConfigureAwait(false);
        return reply.AsInt64() == 1;
    }

    /// <summary>Arguments 21 to 23 of <c>claim.lua</c>: when the patient's cohort opens the day (ms, 0 for none), the reserved-seat mode and release (ms).</summary>
    private (long OpensMs, long SeatMode, long ReleaseMs) RushClaimArgs(ClaimRequest request, Stores.ReadModelCalendar calendar)
    {
        var options = Options;
        var opens = options.Release.IsEnabled
            ? UnixMs.FromTicks(options.Release.OpensAtUtcTicks(calendar.Day, request.Patient, request.BirthYear, options.TimeZone))
            : 0;
        var reserved = options.Reserved;
        if (!reserved.IsEnabled || !reserved.Touches(request.Slots))
        {
            return (opens, 0, 0);
        }

        var mode = reserved.IsPoolClaim(request) ? -1 : reserved.SeatsKeptFrom(request, calendar.Capacity);
        return (opens, mode, UnixMs.FromTicks(calendar.Layout.DayStartUtcTicks - reserved.ReleaseBefore.Ticks));
    }
}
