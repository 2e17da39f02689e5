namespace SlotEngine;

internal sealed partial class QuotaLedger
{
    /// <summary>
    /// Takes the entries a move needs, counting the moved appointment once. Per rule: when the target is in the same
    /// scope on the same day as the moved claim, the entry that names the moved claim (<paramref name="fromClaim"/>) is
    /// taken from it (claim → pending, by CAS: only one mover wins it) into <paramref name="moved"/>, so no second entry
    /// is needed; otherwise (another scope or day, or no entry names it any more) a fresh entry is taken into
    /// <paramref name="taken"/> as a claim takes one, and the old scope's entry dies with the moved claim's release.
    /// False (nothing held) when a rule has no entry left.
    /// </summary>
    /// <remarks>
    /// Afterwards the caller commits both sets to the new claim (<see cref="Commit"/>), or undoes them: <see cref="Abort"/>
    /// for <paramref name="taken"/>, <see cref="Commit"/> with <paramref name="fromClaim"/> for <paramref name="moved"/>
    /// (the entry names the moved claim again; if that claim died meanwhile, the entry is simply dead). While the entries
    /// are pending, they count as used: the appointment is counted once, by them, though both claims may be live.
    /// </remarks>
    public bool TryAcquireForMove(QuotaPolicy policy, uint patient, ProviderEntry to, DateOnly toDay, ProviderEntry from, DateOnly fromDay, long fromClaim, long nowTicks, out QuotaTickets taken, out QuotaTickets moved)
    {
        taken = default;
        moved = default;
        var rules = policy.RuleSpan;
        if (rules.Length == 0)
        {
            return true;
        }

        var quotaDay = DayOf(toDay);
        if (HasPassed(toDay))
        {
            return false; // nothing taken yet; see HasPassed
        }

        var knownDead = 0L;
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = rules[i];
            var scopeId = ScopeIdOf(rule.Scope, to);
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
                Abort(ref taken);
                Commit(ref moved, fromClaim);
                throw;
            }

            if (toDay == fromDay && scopeId == ScopeIdOf(rule.Scope, from))
            {
                var own = TryTakeEntryOf(place, table.PayloadLength, fromClaim);
                if (own >= 0)
                {
                    moved.Add(place, own);
                    continue;
                }
            }

            var entry = TryTakeEntry(place, table.PayloadLength, toDay, nowTicks, ref knownDead);
            if (entry < 0)
            {
                Abort(ref taken);
                Commit(ref moved, fromClaim);
                return false;
            }

            taken.Add(place, entry);
        }

        return true;
    }

    /// <summary>A patient's key in a scope's table: never 0 (the table's empty mark), as the patient index is below 2^32 − 1.</summary>
    private static ulong EntryKeyOf(uint patient, int scopeId) => (((ulong)patient << 32) | unchecked((uint)scopeId)) + 1;

    /// <summary>A rule's scope id from a provider id and its scope ids (<see cref="SlotDirectory.ScopeIdsOf"/>): the same ids as <see cref="ScopeIdOf(QuotaScope, ProviderEntry)"/>.</summary>
    internal static int ScopeIdOf(QuotaScope scope, int provider, long scopeIds) => scope switch
    {
        QuotaScope.Provider => provider,
        QuotaScope.Clinic => unchecked((int)scopeIds),
        _ => unchecked((int)(scopeIds >> 32)),
    };

    private static int ScopeIdOf(QuotaScope scope, ProviderEntry provider) => scope switch
    {
        QuotaScope.Provider => provider.Id.Value,
        QuotaScope.Clinic => provider.Clinic.Id.Value,
        _ => provider.Clinic.Facility.Value,
    };

    private static int TryTakeEntryOf(KeyTable.Place place, int length, long claim)
    {
        for (var i = 0; i < length; i++)
        {
            // Names the moved claim → pending: one CAS wins (two movers of one appointment, or a claimer that judged it
            // dead, race on the same value); the winner holds the appointment's place in this scope for the move.
            if (Interlocked.CompareExchange(ref place.Payload(i), Pending, claim) == claim)
            {
                return i;
            }
        }

        return -1;
    }
}
