namespace SlotEngine;

/// <summary>
/// At the rush (issue 12): scheduled, staggered release (<see cref="SlotEngineOptions.Release"/>), reserved capacity
/// (<see cref="SlotEngineOptions.Reserved"/>) and the per-patient admission rate (<see cref="SlotEngineOptions.Admission"/>).
/// Each is off unless its policy is set, and then costs the claim path one branch.
/// </summary>
public sealed partial class InMemorySlotEngine
{
    private ReleasePolicy? _release;
    private ReservedCapacity? _reserved;

    /// <summary>Reads the rush policies once (called by the constructor).</summary>
    private void InitRush(bool forReadModel)
    {
        _release = Options.Release.IsEnabled ? Options.Release : null;
        // A store's read model takes each day's reservation from its stored template only (the store resolves the
        // engine-wide default at publish and stores it with the day), so its own options never add one.
        _reserved = Options.Reserved.IsEnabled && !forReadModel ? Options.Reserved : null;
        _admits = Options.Admission.IsEnabled;
        _admission = _admits ? new AdmissionTable(Options.Admission) : null;
    }

    private bool _admits;

    /// <summary>The admission check (the instants themselves live in the patient directory: <see cref="AdmissionTable"/>).</summary>
    private AdmissionTable? _admission;

    /// <summary>When <paramref name="day"/> opens for a claim like <paramref name="request"/> (its patient's cohort); <see cref="DateTimeOffset.MinValue"/> when days open at once.</summary>
    /// <param name="day">The day.</param>
    /// <param name="request">A claim (its patient and birth year choose the cohort).</param>
    /// <returns>The instant.</returns>
    public DateTimeOffset OpensAt(DateOnly day, in ClaimRequest request) => _release is null
        ? DateTimeOffset.MinValue
        : new DateTimeOffset(_release.OpensAtUtcTicks(day, request.Patient, request.BirthYear, _zone), TimeSpan.Zero);

    /// <summary>The reservation in force on a day: its template's own (<see cref="DayTemplate.Reserved"/>), else the engine-wide one; null for none.</summary>
    private ReservedCapacity? ReservedOf(DayLayout layout) => layout.Template.Reserved is { } own
        ? (own.IsEnabled ? own : null)
        : _reserved;

    /// <summary>The reservation in force on a day while it is not yet released (by <paramref name="now"/>); null otherwise.</summary>
    private ReservedCapacity? UnreleasedReservation(DayLayout layout, long now) =>
        ReservedOf(layout) is { } reserved && now < layout.DayStartUtcTicks - reserved.ReleaseBefore.Ticks ? reserved : null;

    /// <summary>
    /// The admission step: takes one of the patient's attempts (false: <see cref="ClaimStatus.RateLimited"/>). With the
    /// rate on, it looks the patient up (the instant is beside the key) and hands the index on to the claim, so that a
    /// claim still looks its patient up once; null when the rate is off.
    /// </summary>
    private bool Admit(in ClaimRequest request, long now, out uint? patientIndex)
    {
        patientIndex = null;
        if (!_admits)
        {
            return true;
        }

        var index = _patients.IndexOf(request.Patient, out var place);
        System.Diagnostics.Debug.Assert(!place.IsEmpty, "ValidateClaim refuses a claim without a patient");
        patientIndex = index;
        return _admission!.TryAdmit(place, now);
    }

    /// <summary>The release step: NotYetOpen before the patient's cohort opens the day, else Succeeded.</summary>
    private ClaimStatus CheckRelease(Calendar calendar, in ClaimRequest request, long now) =>
        _release is not null && now < _release.OpensAtUtcTicks(calendar.Day, request.Patient, request.BirthYear, _zone)
            ? ClaimStatus.NotYetOpen
            : ClaimStatus.Succeeded;

    /// <summary>The calendar step with reserved capacity: which seats the claim may try (see <see cref="ReservedCapacity"/>).</summary>
    private ClaimStatus ClaimSeats(Calendar calendar, in ClaimRequest request, uint patient, long expiry, long now, out int seat, out long token, bool awaitsApproval = false)
    {
        var status = ClaimSeatsOf(calendar, request, patient, expiry, now, out seat, out token, awaitsApproval);
        if (status == ClaimStatus.Succeeded && expiry != 0)
        {
            ListHolds(calendar); // a claim that expires: its calendar goes on the sweep's list
        }

        return status;
    }

    private ClaimStatus ClaimSeatsOf(Calendar calendar, in ClaimRequest request, uint patient, long expiry, long now, out int seat, out long token, bool awaitsApproval)
    {
        var reserved = UnreleasedReservation(calendar.Layout, now);
        var first = request.Slots.First;
        var length = request.Slots.Length;
        if (reserved is null || !reserved.Touches(request.Slots))
        {
            return calendar.TryClaim(first, length, patient, expiry, now, out seat, out token, awaitsApproval);
        }

        if (reserved.IsPoolClaim(request))
        {
            return calendar.TryClaimSeats(first, length, patient, expiry, now, calendar.Capacity, topDown: true, out seat, out token, awaitsApproval);
        }

        var open = calendar.Capacity - Math.Min(reserved.Seats, calendar.Capacity);
        if (open == 0)
        {
            seat = -1;
            token = 0;
            return ClaimStatus.ReservedForPool;
        }

        return calendar.TryClaimSeats(first, length, patient, expiry, now, open, topDown: false, out seat, out token, awaitsApproval);
    }

    /// <summary>Whether a search must leave out reserved seats on a day: a reservation not yet released, and a searcher without its pool.</summary>
    private bool HidesReserved(EarliestQuery query, DayLayout layout, long now) =>
        UnreleasedReservation(layout, now) is { } reserved
        && !string.Equals(query.Pool, reserved.Pool, StringComparison.Ordinal);

    /// <summary>
    /// A city + branch search for single slots on a day whose reservation is not released, for a searcher without the
    /// pool, through the day index: the index's earliest start per calendar is kept when an unreserved seat can take it,
    /// or replaced by that calendar's next start such a seat can take; the starts are then sorted. They are exact up to
    /// the index's last candidate (every calendar the index did not return starts no earlier); false, with nothing
    /// written, when they do not fill the places up to it (the caller scans the calendars instead).
    /// </summary>
    private bool TrySinglesOutsidePool(BranchDayIndex index, DateOnly day, long now, Span<FreeStart> places, ref int found)
    {
        var reserved = ReservedOf(index.Layout)!;
        if (index.Layout.Template.Capacity <= reserved.Seats)
        {
            // Every seat of a reserved slot is the pool's: the index passes those slots over, exactly.
            found = index.FindEarliestSingles(index.Layout.FirstSlotAfter(now), now, index.IdsAscending, places, found, reserved.EveryNthSlot);
            return true;
        }

        var wanted = places.Length - found;
        Span<FreeStart> candidates = stackalloc FreeStart[Math.Min(256, wanted * 4)];
        var fromSlot = index.Layout.FirstSlotAfter(now);
        var count = index.FindEarliestSingles(fromSlot, now, index.IdsAscending, candidates, 0);
        var full = count == candidates.Length;
        var bound = count == 0 ? default : candidates[count - 1];
        Span<int> next = stackalloc int[1];
        var kept = 0;
        for (var i = 0; i < count; i++)
        {
            var start = candidates[i];
            if (!reserved.Touches(start.Slots))
            {
                candidates[kept++] = start;
                continue;
            }

            var calendar = Directory.GetProvider(start.Calendar.Provider).GetCalendar(day);
            if (calendar is null)
            {
                continue;
            }

            var n = calendar.FindStartsOutsidePool(1, start.Slots.First, next, reserved.Seats, reserved);
            if (n == 1)
            {
                candidates[kept++] = new FreeStart(start.Calendar, new SlotRange(next[0], 1), calendar.Layout.StartOf(next[0]));
            }
        }

        candidates = candidates[..kept];
        candidates.Sort(static (a, b) =>
        {
            var byStart = a.Start.UtcTicks.CompareTo(b.Start.UtcTicks);
            return byStart != 0 ? byStart : a.Calendar.Provider.Value.CompareTo(b.Calendar.Provider.Value);
        });

        var taken = 0;
        while (taken < candidates.Length && taken < wanted
            && (!full || candidates[taken].Start.UtcTicks < bound.Start.UtcTicks
                || (candidates[taken].Start.UtcTicks == bound.Start.UtcTicks && candidates[taken].Calendar.Provider.Value <= bound.Calendar.Provider.Value)))
        {
            taken++;
        }

        if (full && taken < wanted)
        {
            return false;
        }

        candidates[..taken].CopyTo(places[found..]);
        found += taken;
        return true;
    }
}
