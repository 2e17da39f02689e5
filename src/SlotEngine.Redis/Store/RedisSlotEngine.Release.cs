using SlotEngine.Stores;

namespace SlotEngine.Redis;

/// <summary>
/// At the rush (issue 12) on Redis: the release schedule and reserved capacity are judged inside the claim script by
/// Redis <c>TIME</c>, against instants and a seat mode computed here from the same policies the in-memory engine applies
/// (arguments 21 to 23 of <c>claim.lua</c>). The per-patient admission rate is part of the patient-side admission
/// (<c>admission_rate</c> in lib.lua, its key <c>{a:&lt;hex&gt;}:r</c> on the patient's hash tag): judged in the claim
/// script on a standalone server and in <c>admit.lua</c> in a cluster, so it costs no round trip of its own.
/// </summary>
/// <remarks>
/// Every claim call that passes validation is one attempt, as in memory, whatever its outcome and however many rounds
/// the admission takes (<see cref="Admission.RateCounted"/>). A keyed retry answered from its earlier result without
/// the claim script (or refused as a reused key) takes its attempt with <see cref="TakeAttemptAsync"/>: one round trip
/// more, only for such a retry and only when the rate is on. One ordering differs from memory: in a cluster a call's
/// limit is judged (on its own shard) before the rate, so a claim refused by the call's limit takes no attempt.
/// </remarks>
public sealed partial class RedisSlotEngine
{
    /// <summary>
    /// Takes one of the patient's attempts (<see cref="SlotEngineOptions.Admission"/>) outside the claim script: for a
    /// keyed retry that does not reach it. False when refused (nothing written then).
    /// </summary>
    private async ValueTask<bool> TakeAttemptAsync(ClaimRequest request, ReadModelCalendar calendar, string digest, CancellationToken cancellationToken)
    {
        if (!Options.Admission.IsEnabled
            || AdmissionOf(request, calendar, digest, withCall: false, rateOnly: true) is not { } admission)
        {
            return true;
        }

        var (lease, _) = await AdmitAsync(admission, cancellationToken).ConfigureAwait(false);
        return lease is not null;
    }

    /// <summary>Arguments 21 to 23 of <c>claim.lua</c>: when the patient's cohort opens the day (ms, 0 for none), the reserved-seat mode and release (ms).</summary>
    private (long OpensMs, long SeatMode, long ReleaseMs) RushClaimArgs(ClaimRequest request, ReadModelCalendar calendar)
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
