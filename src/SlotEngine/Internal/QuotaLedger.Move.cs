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
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = rules[i];
            var key = EntryKeyOf(patient, rule.Scope, to, out var home);
            var quotaDay = DayOf(toDay);
            KeyTable.Place place;
            try
            {
                quotaDay.Table(policy, rule.Scope, _firstBits).GetOrAdd(key, home, out place);
            }
            catch
            {
                Abort(ref taken);
                Commit(ref moved, fromClaim);
                throw;
            }

            if (toDay == fromDay && ScopeIdOf(rule.Scope, to) == ScopeIdOf(rule.Scope, from))
            {
                var own = TryTakeEntryOf(place, quotaDay.LimitOf(rule.Scope), fromClaim);
                if (own >= 0)
                {
                    moved.Add(place, own);
                    continue;
                }
            }

            var entry = TryTakeEntry(place, quotaDay.LimitOf(rule.Scope), toDay, nowTicks);
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

    /// <summary>
    /// A patient's key in a scope's table, and its home key. Clinic and facility (one table): the patient index (below
    /// 2^31 − 1, see <see cref="PatientDirectory"/>) in bits 33–63, 1 for a clinic in bit 32, the id in bits 0–31, plus
    /// one; the home is the facility key of the provider's facility, so that both keys of a claim share a window.
    /// Provider (a table of its own): the patient index in bits 32–63 and the provider id, plus one; its own home.
    /// Never 0 (the table's empty mark).
    /// </summary>
    private static ulong EntryKeyOf(uint patient, QuotaScope scope, ProviderEntry provider, out ulong home)
    {
        if (scope == QuotaScope.Provider)
        {
            home = (((ulong)patient << 32) | unchecked((uint)provider.Id.Value)) + 1;
            return home;
        }

        home = (((ulong)patient << 33) | unchecked((uint)provider.Clinic.Facility.Value)) + 1;
        return scope == QuotaScope.Clinic
            ? (((ulong)patient << 33) | (1UL << 32) | unchecked((uint)provider.Clinic.Id.Value)) + 1
            : home;
    }

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
