using System.Collections.Concurrent;

namespace SlotEngine;

/// <summary>
/// Enforces per-patient, per-day quotas without locks. Each (patient, scope, day) has as many
/// entries as the rule's limit. An entry is 0 (empty), <see cref="Pending"/> (a claim is under way)
/// or names a claim by provider, first slot and token.
/// </summary>
/// <remarks>
/// <para><b>Storage.</b> One <see cref="KeyTable"/> per day and scope, keyed by (patient index,
/// scope id), with the entries as the key's payload: no object per key, a day's tables dropped
/// whole by <see cref="Purge"/>. An entry is a fixed place for the protocol below: a key's place
/// never moves, and one key has one place (see <see cref="KeyTable"/>), so every claimer of one
/// (patient, scope, day) CASes on the same entries.</para>
/// <para><b>Protocol.</b> A claim first takes an entry in every applicable rule by CAS (empty →
/// pending, or a dead claim → pending), then claims its slots, then writes its own reference into
/// the entries (or empties them if the claim failed). An entry is only ever taken by one CAS, so at
/// most limit entries are live or pending at once, and a pending entry counts as used: two threads
/// can never both pass a limit. Entries are not cleared on release or expiry; a later claimer finds
/// them dead by asking the calendar, which reclaims an expired hold on the spot so that death is
/// final.</para>
/// </remarks>
internal sealed partial class QuotaLedger(SlotDirectory directory, int expectedClaimsPerDay = 0)
{
    public const long Pending = -1;

    /// <summary>A day's table per scope starts with at least 2^12 places, then segments four times larger as it fills (growth ×4: a few segments to walk on insert, less memory ahead of need than ×8).</summary>
    public const int MinFirstBits = 12;

    /// <summary>Each segment of a quota table has four times the places of the one before.</summary>
    public const int GrowthBits = 2;
    private readonly ConcurrentDictionary<int, QuotaDay> _days = new();

    /// <summary>
    /// The days' tables by day number modulo <see cref="RecentDays"/>, read before <see cref="_days"/>: a claim finds its
    /// day with one array read and a compare instead of a dictionary lookup. A place holds some day's <see cref="QuotaDay"/>
    /// or null; a claimer that finds another day there (or null) asks <see cref="_days"/> and writes what it found.
    /// </summary>
    /// <remarks>
    /// Why a place may be trusted when its day number matches: a day that has not passed has at most one
    /// <see cref="QuotaDay"/> ever (<see cref="_days"/> only loses days that have passed, <see cref="Purge"/>), so a
    /// matching place holds that one; a place holding a passed day's tables (removed, or made by a late claimer after the
    /// purge) is refused by <see cref="HasPassed"/>, which every claimer asks after <see cref="DayOf"/>, as before.
    /// </remarks>
    private readonly QuotaDay?[] _recent = new QuotaDay?[RecentDays];

    /// <summary>Places of <see cref="_recent"/>: more than the booking horizon's days, so the open days rarely share one.</summary>
    private const int RecentDays = 64;
    private readonly int _firstBits = KeyTable.BitsFor(expectedClaimsPerDay, MinFirstBits, 24);

    /// <summary>The first day (a day number) whose tables <see cref="Purge"/> keeps. Only rises, and rises before any table is dropped.</summary>
    private int _firstKeptDay = int.MinValue;

    public static long EncodeClaim(ProviderId provider, int slot, long token) =>
        ((long)provider.Value << 38) | ((long)slot << 29) | (token & ClaimCell.MaxToken);

    /// <summary>Keys held by the day's tables (all scopes), for tests and memory accounting.</summary>
    public int KeysOn(DateOnly day) => _days.TryGetValue(day.DayNumber, out var quotaDay) ? quotaDay.Count : 0;

    /// <summary>Days with tables.</summary>
    public int Days => _days.Count;

    /// <summary>Takes one entry in each rule's cell, or none (and returns false).</summary>
    /// <param name="policy">The rules.</param>
    /// <param name="patient">The patient's index in the engine's <see cref="PatientDirectory"/>.</param>
    /// <param name="provider">The provider claimed on.</param>
    /// <param name="day">The calendar's day.</param>
    /// <param name="nowTicks">Now (a dead entry is one whose claim is no longer live now).</param>
    /// <param name="tickets">The entries taken, to commit or abort.</param>
    /// <returns>True when every rule had an entry free.</returns>
    public bool TryAcquire(QuotaPolicy policy, uint patient, ProviderEntry provider, DateOnly day, long nowTicks, out QuotaTickets tickets) =>
        TryAcquire(policy, patient, provider.Id, day, nowTicks, out tickets);

    /// <inheritdoc cref="TryAcquire(QuotaPolicy, uint, ProviderEntry, DateOnly, long, out QuotaTickets)"/>
    /// <remarks>By id: the scope ids come from the directory's flat array (<see cref="SlotDirectory.ScopeIdsOf"/>), not
    /// through the calendar's provider entry and its clinic entry, so the probes need not wait for those lines.</remarks>
    public bool TryAcquire(QuotaPolicy policy, uint patient, ProviderId provider, DateOnly day, long nowTicks, out QuotaTickets tickets)
    {
        tickets = default;
        var rules = policy.RuleSpan;
        if (rules.Length == 0)
        {
            return true;
        }

        var quotaDay = DayOf(day);
        if (HasPassed(day))
        {
            return false; // nothing taken yet; see HasPassed
        }

        var knownDead = 0L;
        var scopeIds = directory.ScopeIdsOf(provider);
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = rules[i];
            var scopeId = ScopeIdOf(rule.Scope, provider.Value, scopeIds);

            var key = EntryKeyOf(patient, scopeId);
            KeyTable table;
            KeyTable.Place place;
            try
            {
                table = quotaDay.Table(rule.Scope, rule.MaxPerDay, _firstBits);
                table.GetOrAdd(key, out place);
            }
            catch
            {
                // A table that cannot grow (out of memory, or full) must not leave the entries
                // taken so far pending for good: that would use up the patient's quota.
                Abort(ref tickets);
                throw;
            }

            var entry = TryTakeEntry(place, table.PayloadLength, day, nowTicks, ref knownDead);
            if (entry < 0)
            {
                Abort(ref tickets);
                return false;
            }

            tickets.Add(place, entry);
        }

        return true;
    }

    public static void Commit(ref QuotaTickets tickets, long claim)
    {
        for (var i = 0; i < tickets.Count; i++)
        {
            var (place, entry) = tickets.Get(i);
            Volatile.Write(ref place.Payload(entry), claim);
        }

        tickets = default;
    }

    public static void Abort(ref QuotaTickets tickets)
    {
        for (var i = 0; i < tickets.Count; i++)
        {
            var (place, entry) = tickets.Get(i);
            Volatile.Write(ref place.Payload(entry), 0);
        }

        tickets = default;
    }

    /// <summary>Makes a day's tables for the policy's rules now (when the day is published, or prepared), so its claims allocate nothing; a day that has tables keeps them.</summary>
    /// <param name="policy">The rules.</param>
    /// <param name="day">The day.</param>
    /// <param name="expectedClaims">Claims the day is expected to receive; null for the engine's <see cref="SlotEngineOptions.ExpectedClaimsPerDay"/>.</param>
    public void Prepare(QuotaPolicy policy, DateOnly day, int? expectedClaims = null)
    {
        var rules = policy.RuleSpan;
        if (rules.Length == 0 || _days.ContainsKey(day.DayNumber))
        {
            return;
        }

        var bits = expectedClaims is { } claims ? KeyTable.BitsFor(claims, MinFirstBits, 24) : _firstBits;
        var quotaDay = DayOf(day);
        foreach (var rule in rules)
        {
            quotaDay.Table(rule.Scope, rule.MaxPerDay, bits);
        }
    }

    private QuotaDay DayOf(DateOnly day)
    {
        ref var recent = ref _recent[day.DayNumber & (RecentDays - 1)];
        var quotaDay = Volatile.Read(ref recent);
        if (quotaDay is not null && quotaDay.DayNumber == day.DayNumber)
        {
            return quotaDay;
        }

        if (!_days.TryGetValue(day.DayNumber, out quotaDay))
        {
            quotaDay = _days.GetOrAdd(day.DayNumber, static number => new QuotaDay(number));
        }

        // A plain replace: racing writers of one place each write a day's one QuotaDay (see _recent).
        Volatile.Write(ref recent, quotaDay);
        return quotaDay;
    }

    /// <summary>
    /// Whether <paramref name="day"/>'s tables were dropped (or are being dropped) by <see cref="Purge"/>: the day has passed,
    /// and a claim on it that read the clock before the purge must be refused (<see cref="ClaimStatus.InPast"/>).
    /// </summary>
    /// <remarks>
    /// Why a claimer asks this after it found its day's tables (<see cref="DayOf"/>) and before it takes an entry: a claim that
    /// read the clock just before midnight can reach the ledger after the sweep dropped its day. Without this check it would
    /// make fresh, empty tables for the day and pass a limit that other claims of the same patient and day already used in the
    /// dropped ones. <see cref="Purge"/> raises <see cref="_firstKeptDay"/> (a full fence) before it removes a table, and a
    /// claimer that found tables made after that removal found them after the raise, so it reads the raised mark and refuses.
    /// A claimer that found the old tables shares their entries with every other claimer that did: the limit holds.
    /// </remarks>
    public bool HasPassed(DateOnly day) => day.DayNumber < Volatile.Read(ref _firstKeptDay);

    /// <summary>Drops the tables of days before <paramref name="firstKeptDay"/>, whole; returns how many keys they held.</summary>
    public int Purge(DateOnly firstKeptDay)
    {
        // The mark first (see HasPassed), and only ever up: a clock stepping back does not reopen a dropped day.
        int kept;
        while ((kept = Volatile.Read(ref _firstKeptDay)) < firstKeptDay.DayNumber
            && Interlocked.CompareExchange(ref _firstKeptDay, firstKeptDay.DayNumber, kept) != kept)
        {
        }

        var removed = 0;
        foreach (var pair in _days)
        {
            if (pair.Key < firstKeptDay.DayNumber && _days.TryRemove(pair))
            {
                removed += pair.Value.Count;
            }
        }

        // Lets the dropped tables go. A claimer that read a passed day's tables before the purge may write them back
        // after this loop (HasPassed refuses it all the same); the next purge clears that place.
        for (var i = 0; i < _recent.Length; i++)
        {
            if (Volatile.Read(ref _recent[i]) is { } cached && cached.DayNumber < firstKeptDay.DayNumber)
            {
                Interlocked.CompareExchange(ref _recent[i], null, cached);
            }
        }

        return removed;
    }

    /// <param name="place">The key's place.</param>
    /// <param name="length">Its entries.</param>
    /// <param name="day">The day.</param>
    /// <param name="nowTicks">Now.</param>
    /// <param name="knownDead">A claim this acquire already found dead (0: none); set to the one found dead here. A patient's
    /// claim is named by the entries of every scope it counts in, so the next rule meets it again: death is final (see the
    /// class remarks), so it is not asked again. Only a dead answer is kept; a live one is asked each time.</param>
    private int TryTakeEntry(KeyTable.Place place, int length, DateOnly day, long nowTicks, ref long knownDead)
    {
        for (var i = 0; i < length; i++)
        {
            ref var entry = ref place.Payload(i);
            while (true)
            {
                var current = Volatile.Read(ref entry);
                if (current == Pending)
                {
                    break;
                }

                if (current != 0 && current != knownDead)
                {
                    if (IsLive(current, day, nowTicks))
                    {
                        break;
                    }

                    knownDead = current;
                }

                // Empty or dead (asked just now, or earlier in this acquire: a dead claim never lives again) → pending:
                // exactly one claimer wins this entry (the CAS fails if anyone took,
                // committed or freed it since `current` was read). A concurrent reader sees Pending as taken
                // until Commit writes the claim or Abort writes 0.
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

}

/// <summary>One day's quota tables, one per scope, each made on first use (a losing racer's table is dropped).</summary>
internal sealed class QuotaDay(int dayNumber)
{
    private readonly KeyTable?[] _byScope = new KeyTable?[3];

    /// <summary>The day (<see cref="DateOnly.DayNumber"/>) whose tables these are.</summary>
    public int DayNumber { get; } = dayNumber;

    /// <summary>Keys in all scopes.</summary>
    public int Count
    {
        get
        {
            var count = 0;
            for (var i = 0; i < _byScope.Length; i++)
            {
                count += Volatile.Read(ref _byScope[i])?.Count ?? 0;
            }

            return count;
        }
    }

    /// <summary>The scope's table; made with <paramref name="limit"/> entries per key on first use (a later policy with another limit keeps the table's).</summary>
    public KeyTable Table(QuotaScope scope, int limit, int firstBits)
    {
        ref var table = ref _byScope[(int)scope];
        var current = Volatile.Read(ref table);
        if (current is null)
        {
            // Made once per scope: the CAS from null succeeds for one caller; a loser's table is dropped and all use the winner's.
            Interlocked.CompareExchange(ref table, new KeyTable(firstBits, limit, QuotaLedger.GrowthBits), null);
            current = Volatile.Read(ref table)!;
        }

        return current;
    }
}

/// <summary>The entries one claim has taken, at most one per quota rule (three rules at most).</summary>
internal struct QuotaTickets
{
    private KeyTable.Place _cell0;
    private KeyTable.Place _cell1;
    private KeyTable.Place _cell2;
    private int _entry0;
    private int _entry1;
    private int _entry2;

    public int Count { get; private set; }

    public void Add(KeyTable.Place cell, int entry)
    {
        switch (Count)
        {
            case 0: _cell0 = cell; _entry0 = entry; break;
            case 1: _cell1 = cell; _entry1 = entry; break;
            default: _cell2 = cell; _entry2 = entry; break;
        }

        Count++;
    }

    public readonly (KeyTable.Place Place, int Entry) Get(int i) => i switch
    {
        0 => (_cell0, _entry0),
        1 => (_cell1, _entry1),
        _ => (_cell2, _entry2),
    };
}
