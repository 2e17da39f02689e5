using System.Collections.Concurrent;

namespace SlotEngine;

/// <summary>
/// Enforces per-patient, per-day quotas without locks. Each (patient, scope, day) has a
/// <see cref="QuotaCell"/> of as many entries as the limit. An entry is 0 (empty),
/// <see cref="Pending"/> (a claim is under way) or names a claim by provider, first slot and token.
/// </summary>
/// <remarks>
/// A claim first takes an entry in every applicable cell by CAS (empty → pending, or a dead claim
/// → pending), then claims its slots, then writes its own reference into the entries (or empties
/// them if the claim failed). An entry is only ever taken by one CAS, so at most limit entries are
/// live or pending at once, and a pending entry counts as used: two threads can never both pass a
/// limit. Entries are not cleared on release or expiry; a later claimer finds them dead by asking
/// the calendar, which reclaims an expired hold on the spot so that death is final.
/// </remarks>
internal sealed class QuotaLedger(SlotDirectory directory)
{
    public const long Pending = -1;
    private readonly ConcurrentDictionary<QuotaKey, QuotaCell> _cells = new();

    public static long EncodeClaim(ProviderId provider, int slot, long token) =>
        ((long)provider.Value << 38) | ((long)slot << 29) | (token & ClaimCell.MaxToken);

    /// <summary>Takes one entry in each rule's cell, or none (and returns false).</summary>
    public bool TryAcquire(QuotaPolicy policy, PatientKey patient, ProviderEntry provider, DateOnly day, long nowTicks, out QuotaTickets tickets)
    {
        tickets = default;
        var rules = policy.RuleSpan;
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = rules[i];
            var scopeId = rule.Scope switch
            {
                QuotaScope.Provider => provider.Id.Value,
                QuotaScope.Clinic => provider.Clinic.Id.Value,
                _ => provider.Clinic.Facility.Value,
            };
            var key = new QuotaKey(patient.Value, rule.Scope, scopeId, day.DayNumber);
            if (!_cells.TryGetValue(key, out var cell))
            {
                cell = _cells.GetOrAdd(key, static (_, limit) => new QuotaCell(limit), rule.MaxPerDay);
            }

            var entry = TryTakeEntry(cell, day, nowTicks);
            if (entry < 0)
            {
                Abort(ref tickets);
                return false;
            }

            tickets.Add(cell, entry);
        }

        return true;
    }

    public static void Commit(ref QuotaTickets tickets, long claim)
    {
        for (var i = 0; i < tickets.Count; i++)
        {
            var (cell, entry) = tickets.Get(i);
            Volatile.Write(ref cell.Entry(entry), claim);
        }

        tickets = default;
    }

    public static void Abort(ref QuotaTickets tickets)
    {
        for (var i = 0; i < tickets.Count; i++)
        {
            var (cell, entry) = tickets.Get(i);
            Volatile.Write(ref cell.Entry(entry), 0);
        }

        tickets = default;
    }

    /// <summary>Drops the cells of days before <paramref name="firstKeptDay"/>.</summary>
    public int Purge(DateOnly firstKeptDay)
    {
        var removed = 0;
        foreach (var pair in _cells)
        {
            if (pair.Key.DayNumber < firstKeptDay.DayNumber && _cells.TryRemove(pair))
            {
                removed++;
            }
        }

        return removed;
    }

    private int TryTakeEntry(QuotaCell cell, DateOnly day, long nowTicks)
    {
        for (var i = 0; i < cell.Length; i++)
        {
            ref var entry = ref cell.Entry(i);
            while (true)
            {
                var current = Volatile.Read(ref entry);
                if (current == Pending || (current != 0 && IsLive(current, day, nowTicks)))
                {
                    break;
                }

                // Empty or dead → pending: exactly one claimer wins this entry.
                if (Interlocked.CompareExchange(ref entry, Pending, current) == current)
                {
                    return i;
                }
            }
        }

        return -1;
    }

    private bool IsLive(long claim, DateOnly day, long nowTicks)
    {
        var provider = new ProviderId((int)(claim >> 38));
        var slot = (int)((claim >> 29) & 0x1FF);
        var token = claim & ClaimCell.MaxToken;
        return directory.TryGetProvider(provider, out var entry)
            && entry.GetCalendar(day) is { } calendar
            && slot < calendar.SlotCount
            && calendar.IsLiveClaim(slot, token, nowTicks);
    }

    private readonly record struct QuotaKey(ulong Patient, QuotaScope Scope, int ScopeId, int DayNumber);
}

/// <summary>
/// The entries of one (patient, scope, day) quota. Up to <see cref="InlineCapacity"/> entries live
/// inside the cell itself (MHRS's limits are one and two), so a quota key costs the dictionary's
/// node and this one object, not a separate array as well; larger limits use an array. Each entry
/// is a fixed location for the CAS protocol above: the cell never moves an entry or resizes.
/// </summary>
internal sealed class QuotaCell
{
    public const int InlineCapacity = 2;
    private readonly long[]? _overflow;
    private InlineEntries _inline;

    public QuotaCell(int limit)
    {
        Length = limit;
        _overflow = limit > InlineCapacity ? new long[limit] : null;
    }

    /// <summary>Number of entries (the rule's limit).</summary>
    public int Length { get; }

    /// <summary>The entry at <paramref name="index"/> (0 to <see cref="Length"/> − 1), for Volatile and Interlocked access.</summary>
    public ref long Entry(int index)
    {
        if (_overflow is { } overflow)
        {
            return ref overflow[index];
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Length, nameof(index));
        return ref _inline[index];
    }

    [System.Runtime.CompilerServices.InlineArray(InlineCapacity)]
    private struct InlineEntries
    {
        private long _first;
    }
}

/// <summary>The entries one claim has taken, at most one per quota rule (three rules at most).</summary>
internal struct QuotaTickets
{
    private QuotaCell? _cell0;
    private QuotaCell? _cell1;
    private QuotaCell? _cell2;
    private int _entry0;
    private int _entry1;
    private int _entry2;

    public int Count { get; private set; }

    public void Add(QuotaCell cell, int entry)
    {
        switch (Count)
        {
            case 0: _cell0 = cell; _entry0 = entry; break;
            case 1: _cell1 = cell; _entry1 = entry; break;
            default: _cell2 = cell; _entry2 = entry; break;
        }

        Count++;
    }

    public readonly (QuotaCell Cell, int Entry) Get(int i) => i switch
    {
        0 => (_cell0!, _entry0),
        1 => (_cell1!, _entry1),
        _ => (_cell2!, _entry2),
    };
}
