using SlotEngine.Stores;

namespace SlotEngine.Redis;

/// <summary>
/// At the rush (issue 12) on Redis: the release schedule and reserved capacity are stored with each day when it is
/// published (in its template text: the publishing node's <see cref="SlotEngineOptions.Release"/> as the day's opening
/// instants, and the template's own <see cref="DayTemplate.Reserved"/> or else the node's
/// <see cref="SlotEngineOptions.Reserved"/>), and judged inside the claim script by Redis <c>TIME</c> against that
/// stored copy: a node whose options differ can neither open a day early nor take a seat the day reserves. The per-patient admission rate is part of the patient-side admission
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

    /// <summary>
    /// Arguments 21 and 22 of <c>claim.lua</c> (sent only when one of its rare arguments is not its default): the claim's
    /// own facts that the day's stored release schedule and reservation are judged by (its birth year, '' for none; its
    /// pool, '' for none). The policies themselves are not sent: they were stored with the day when it was published
    /// (<see cref="RushStamp"/>).
    /// </summary>
    private static (RedisArgument BirthYear, RedisArgument Pool) RushClaimArgs(ClaimRequest request) =>
        (request.BirthYear is { } year ? year : RedisArgument.EmptyString, request.Pool ?? string.Empty);

    /// <summary>
    /// How a day is stored when this node opens it: the template with its reservation in force (its own, else this
    /// node's engine-wide one; null when none), and its stored text: the template's fields, then the day's rush stamp
    /// (<see cref="RushStamp"/>). Two nodes publishing one day with different policies store different texts, so the
    /// second is refused with <see cref="SlotEngineError.TemplateConflict"/>: the first publish's policies stand.
    /// </summary>
    private (string Text, DayTemplate Template) StoredTemplateOf(DateOnly day, DayTemplate template)
    {
        var reserved = template.Reserved ?? Options.Reserved;
        var resolved = template.WithReserved(reserved.IsEnabled ? reserved : null);
        var text = TemplateTextOf(resolved);
        var stamp = RushStamp(day, resolved.Reserved);
        return (stamp.Length == 0 ? text : text + stamp, resolved);
    }

    /// <summary>
    /// The day's release schedule and reservation as stored after its template's fields (read by <c>rush_not_open</c>
    /// and <c>rush_seats</c> in lib.lua, which read the numbers by position: the widths are fixed): <c>|o:&lt;basis&gt;:&lt;first
    /// opening ms&gt;:&lt;last opening ms&gt;:&lt;each cohort's opening ms&gt;</c> (13 digits each) when this node's
    /// <see cref="SlotEngineOptions.Release"/> is on, and <c>|r:&lt;released at ms, 13 digits&gt;:&lt;seats, 2&gt;:&lt;every
    /// nth, 4&gt;:&lt;release-before ticks&gt;:&lt;pool&gt;</c> for a reservation; empty for neither.
    /// The instants are this day's, computed here in the engine's zone, so Lua needs no calendar arithmetic.
    /// </summary>
    private string RushStamp(DateOnly day, ReservedCapacity? reserved)
    {
        var release = Options.Release;
        if (!release.IsEnabled && reserved is null)
        {
            return string.Empty;
        }

        var text = new System.Text.StringBuilder();
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        if (release.IsEnabled)
        {
            // Each cohort's instant in 13 digits (Unix ms until the year 2286), so Lua finds cohort c's by position.
            var offsets = release.CohortOffsets;
            var instants = new long[offsets.Count];
            for (var c = 0; c < instants.Length; c++)
            {
                instants[c] = UnixMs.FromTicks(release.OpensAt(day, c, Options.TimeZone).UtcTicks);
            }

            text.Append("|o:").Append(((int)release.CohortBy).ToString(culture)).Append(':')
                .Append(instants.Min().ToString("D13", culture)).Append(':').Append(instants.Max().ToString("D13", culture)).Append(':');
            for (var c = 0; c < instants.Length; c++)
            {
                text.Append(c == 0 ? string.Empty : ",").Append(instants[c].ToString("D13", culture));
            }
        }

        if (reserved is not null)
        {
            // Fixed widths (13, 2 and 4 digits: seats ≤ 64, every nth ≤ 1000), read by position in Lua.
            text.Append("|r:").Append(UnixMs.FromTicks(reserved.ReleaseUtcTicks(day, Options.TimeZone)).ToString("D13", culture)).Append(':')
                .Append(reserved.Seats.ToString("D2", culture)).Append(':').Append(reserved.EveryNthSlot.ToString("D4", culture)).Append(':')
                .Append(reserved.ReleaseBefore.Ticks.ToString(culture)).Append(':').Append(reserved.Pool);
        }

        return text.ToString();
    }
}
