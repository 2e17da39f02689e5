using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>
/// Attendance outcomes and bars (<see cref="BarPolicy"/>). A patient's bars are a hash
/// <c>{a:&lt;patient hex&gt;}:b</c> of branch to bar end (unix ms), on the patient's own hash tag (the shard of the
/// active-appointment entries), judged by that shard's <c>TIME</c> in the claim's admission step (<c>admission_check</c>
/// in <c>lib.lua</c>: with the cap and quota entries in one script, in the claim script itself on a standalone server).
/// </summary>
public sealed partial class RedisSlotEngine
{
    /// <inheritdoc />
    /// <remarks>
    /// Two steps: <c>outcome.lua</c> on the calendar's shard checks that the reservation is a live booking of its
    /// patient and appends the outcome to the calendar's audit stream in the same script; then, for a no-show or a
    /// visit elsewhere while bars are on, <c>bar_set.lua</c> on the patient's shard sets the bar. A failure between the
    /// two leaves the outcome recorded without its bar: recording it again sets the bar (the end moves to the later).
    /// </remarks>
    public async ValueTask<ClaimResult> RecordOutcomeAsync(Reservation reservation, AppointmentOutcome outcome, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        BookingRules.ValidateOutcome(outcome);
        var calendar = await ResolveAsync(reservation).ConfigureAwait(false);
        if (calendar is null)
        {
            return ClaimResult.Failed(ClaimStatus.Stale);
        }

        var keys = _keys.For(reservation.Calendar);

        // Read in place, its arguments and the patient's hex given back once it completed (no string, no reply tree).
        var args = FeedArgs(keys, reservation.Seat, reservation.Slots.First, reservation.Token, ArgumentBytes.Shared.RentHex(reservation.Patient.Value, out var hex), (int)outcome, (int)Actor.Administrator);
        var raw = await _redis.EvalRawAsync(_redis.Main, StoreScripts.Outcome, AuditedKeys(keys), args, giveBackKeys: false, cancellationToken, hex).ConfigureAwait(false);
        if (!OutcomeScriptReply.ParseAndDispose(raw))
        {
            return ClaimResult.Failed(ClaimStatus.Stale);
        }

        var period = _readModel.Rules.BarPeriod;
        if (outcome != AppointmentOutcome.Attended && period > TimeSpan.Zero)
        {
            await EvalAsync(
                StoreScripts.BarSet,
                [_keys.ActiveKey(reservation.Patient)], // the bars are fields of the patient's records (stored layout 3)
                [calendar.Branch.Value, (long)Math.Ceiling(period.TotalMilliseconds)],
                cancellationToken).ConfigureAwait(false);
        }

        return ClaimResult.Success(reservation with { HoldExpiresAt = null });
    }

    /// <inheritdoc />
    public async ValueTask<bool> LiftBarAsync(PatientKey patient, BranchId branch, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var reply = await EvalAsync(StoreScripts.BarLift, [_keys.ActiveKey(patient)], [branch.Value], cancellationToken).ConfigureAwait(false);
        return reply.AsInt64() == 1;
    }
}
