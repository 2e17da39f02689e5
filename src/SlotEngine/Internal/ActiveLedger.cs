using System.Collections.Concurrent;

namespace SlotEngine;

/// <summary>
/// Counts each patient's live future appointments against <see cref="SlotEngineOptions.MaxActiveAppointments"/>,
/// as the quota ledger counts a day's: one cell per patient with as many entries as the limit.
/// </summary>
/// <remarks>
/// <para>Protocol of an entry (a reference): <see langword="null"/> is free; <see cref="Pending"/> is taken by a
/// claim in flight; an <see cref="ActiveClaim"/> names the claim it stands for. A claim takes an entry by CAS
/// from free, or from a dead claim (its day is before today, or its calendar says the claim is no longer live:
/// released, expired, displaced), to <see cref="Pending"/> before it touches the calendar; then it writes its
/// own claim there on success or frees the entry on failure. Only one CAS from a given value wins, so at most
/// "limit" claims of a patient are live or in flight at once: the cap is never exceeded. A pending entry counts
/// as used, so a racing claim may be refused although the first then fails (conservative, as quotas).</para>
/// <para>"Dead" is final: a released claim never comes back (tokens strictly increase) and an expired hold
/// met by the liveness check is reclaimed there (<see cref="Calendar.IsLiveClaim"/>), so a late confirm cannot
/// revive it behind the cap's back. An appointment of an earlier day no longer counts (it is not in the
/// future), even if it was never released.</para>
/// </remarks>
internal sealed class ActiveLedger(SlotDirectory directory)
{
    /// <summary>The value of an entry taken by a claim in flight.</summary>
    public static readonly ActiveClaim Pending = new(default, default, -1, -1);

    private readonly ConcurrentDictionary<ulong, ActiveClaim?[]> _cells = new();

    /// <summary>Takes one of the patient's entries, or returns -1 when all hold live future claims or claims in flight.</summary>
    public int TryTake(PatientKey patient, int limit, DateOnly today, long nowTicks, out ActiveClaim?[] cell)
    {
        if (!_cells.TryGetValue(patient.Value, out cell!))
        {
            cell = _cells.GetOrAdd(patient.Value, static (_, n) => new ActiveClaim?[n], limit);
        }

        for (var i = 0; i < cell.Length; i++)
        {
            while (true)
            {
                var current = Volatile.Read(ref cell[i]);
                if (ReferenceEquals(current, Pending) || (current is not null && IsLive(current, today, nowTicks)))
                {
                    break;
                }

                // Free or dead → pending: exactly one claimer wins this entry (the CAS fails if anyone changed it).
                if (ReferenceEquals(Interlocked.CompareExchange(ref cell[i], Pending, current), current))
                {
                    return i;
                }
            }
        }

        return -1;
    }

    /// <summary>The claim happened: the entry now names it.</summary>
    public static void Commit(ActiveClaim?[] cell, int entry, ActiveClaim claim) => Volatile.Write(ref cell[entry], claim);

    /// <summary>The claim did not happen: the entry is free again.</summary>
    public static void Abort(ActiveClaim?[] cell, int entry) => Volatile.Write(ref cell[entry], null);

    /// <summary>How many of the patient's entries hold a live future claim (tests, diagnostics).</summary>
    public int LiveCount(PatientKey patient, DateOnly today, long nowTicks)
    {
        if (!_cells.TryGetValue(patient.Value, out var cell))
        {
            return 0;
        }

        var live = 0;
        foreach (var claim in cell)
        {
            if (claim is not null && !ReferenceEquals(claim, Pending) && IsLive(claim, today, nowTicks))
            {
                live++;
            }
        }

        return live;
    }

    private bool IsLive(ActiveClaim claim, DateOnly today, long nowTicks) =>
        claim.Day >= today
        && directory.TryGetProvider(claim.Provider, out var provider)
        && provider.GetCalendar(claim.Day) is { } calendar
        && claim.Slot < calendar.SlotCount
        && calendar.IsLiveClaim(claim.Slot, claim.Token, nowTicks);
}

/// <summary>The claim an active-appointment entry stands for.</summary>
internal sealed record ActiveClaim(ProviderId Provider, DateOnly Day, int Slot, long Token);
