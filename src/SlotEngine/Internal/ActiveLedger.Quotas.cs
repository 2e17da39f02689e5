namespace SlotEngine;

/// <summary>
/// The daily quotas judged from the cap's entries (<see cref="SlotEngineOptions.Quotas"/> under
/// <see cref="SlotEngineOptions.MaxActiveAppointments"/>): with the cap on, every live claim of a patient (a hold or a
/// booking on a day not past) is named by one of the patient's entries, on the line the claim has already brought in, so
/// a quota of <c>n</c> per scope and day is a count of those entries, and the quota ledger's tables (two more cache lines
/// a claim) are not needed.
/// </summary>
/// <remarks>
/// <para><b>Protocol.</b> A claim that has taken its entry (pending) names the calendar it is about to claim on
/// (<see cref="Target"/>: the calendar word, then <see cref="TargetBit"/> on the pending state with a full fence), and
/// only then counts the patient's other entries (<see cref="WithinQuotas"/>). An entry counts against a rule when its
/// claim is on the rule's scope and the same day and is live, or is a claim in flight there (pending with its target
/// named), or is a claim in flight whose target is not named yet (counted against every rule: conservative, as the quota
/// ledger counts a pending entry as used). Two claims of one patient racing for one scope and day each publish their
/// target with a full fence before they read the other's entry, so the later of the two publishes sees the earlier one's
/// entry taken: at least one of them counts the other, and a limit can never be passed by both (both may be refused).
/// A claim whose count passes refuses before it touches the calendar, and its entry is freed as any failed claim's.</para>
/// <para>Why no claim is missed: every claim path of an engine with the cap takes an entry before the calendar (a claim,
/// <see cref="TryTake"/>; a move, the moved claim's entry or a fresh one) and names its claim in it until the claim ends
/// (ends that are not told, a hold's lapse or a day's passing, are judged on the calendar or by the day, as the cap's own
/// liveness is). So the entries are a superset of the patient's live claims, exactly as the quota tables were.</para>
/// </remarks>
internal sealed partial class ActiveLedger
{
    /// <summary>Only with <see cref="PendingBit"/> (whose slot and token bits are otherwise 0): the calendar word names the calendar of the claim in flight.</summary>
    private const long TargetBit = 1L;

    /// <summary>
    /// Names the calendar a pending entry's claim is about to claim on, for the quota count of the patient's other claims:
    /// the calendar word, then the target bit on the state, published with a full fence (Interlocked) so that the count
    /// that follows reads the other entries after this one is visible. Only the claim that took the entry writes a
    /// pending entry (takes, marks and forgets all CAS from a committed or free state), so the exchange replaces nothing
    /// but this claim's own pending state.
    /// </summary>
    public static void Target(KeyTable.Place place, int entry, Calendar calendar)
    {
        var state = Volatile.Read(ref place.Payload(entry));
        System.Diagnostics.Debug.Assert((state & PendingBit) != 0, "a claim names the target of the entry it has taken");
        Volatile.Write(ref place.Payload(entry + 1), CalendarWordOf(calendar));
        Interlocked.Exchange(ref place.Payload(entry), state | TargetBit);
    }

    /// <summary>
    /// Whether a claim on <paramref name="provider"/> and <paramref name="day"/>, whose own entry is <paramref name="own"/>
    /// (a claim's targeted, see <see cref="Target"/>; a move's left pending without a target), stays within every rule of <paramref name="policy"/> with the patient's other
    /// claims, live or in flight. A move passes its own entry, the one that named the moved claim (or, when none did, a fresh
    /// one), so the moved claim is not counted against the move's target.
    /// </summary>
    /// <param name="place">The patient's place.</param>
    /// <param name="own">The claim's own entry.</param>
    /// <param name="policy">The quotas.</param>
    /// <param name="provider">The provider claimed on.</param>
    /// <param name="day">The calendar's day.</param>
    /// <param name="today">Today, local.</param>
    /// <param name="nowTicks">Now.</param>
    /// <returns>False when some rule's count of other claims has reached its limit.</returns>
    public bool WithinQuotas(KeyTable.Place place, int own, QuotaPolicy policy, ProviderId provider, DateOnly day, DateOnly today, long nowTicks)
    {
        var rules = policy.RuleSpan;
        if (rules.Length == 0)
        {
            return true;
        }

        var scopeIds = _directory.ScopeIdsOf(provider);
        Span<int> counts = stackalloc int[rules.Length];
        var end = _first + (_limit * LongsPerEntry);
        for (var i = _first; i < end; i += LongsPerEntry)
        {
            if (i != own)
            {
                CountEntry(place, i, rules, provider, scopeIds, day, today, nowTicks, counts);
            }
        }

        for (var r = 0; r < rules.Length; r++)
        {
            if (counts[r] >= rules[r].MaxPerDay)
            {
                return false;
            }
        }

        return true;
    }

    private void CountEntry(KeyTable.Place place, int entry, ReadOnlySpan<QuotaRule> rules, ProviderId provider, long scopeIds, DateOnly day, DateOnly today, long nowTicks, Span<int> counts)
    {
        while (true)
        {
            var state = Volatile.Read(ref place.Payload(entry));
            if ((state & (PendingBit | ClaimBit)) == 0)
            {
                return; // free
            }

            if ((state & PendingBit) != 0 && (state & TargetBit) == 0)
            {
                // A claim in flight that has not named its calendar yet (or a move's take): it may be on this scope and day.
                for (var r = 0; r < counts.Length; r++)
                {
                    counts[r]++;
                }

                return;
            }

            // The word belongs to this state when the state reads the same after it (a take changes the version first).
            var word = Volatile.Read(ref place.Payload(entry + 1));
            if (Volatile.Read(ref place.Payload(entry)) != state)
            {
                continue;
            }

            if (unchecked((int)(uint)word) != day.DayNumber)
            {
                return; // another day
            }

            var other = new ProviderId((int)(word >> 32));
            var otherScopeIds = _directory.ScopeIdsOf(other);
            var matches = 0;
            for (var r = 0; r < rules.Length; r++)
            {
                var scope = rules[r].Scope;
                if (QuotaLedger.ScopeIdOf(scope, provider.Value, scopeIds) == QuotaLedger.ScopeIdOf(scope, other.Value, otherScopeIds))
                {
                    matches |= 1 << r;
                }
            }

            if (matches == 0)
            {
                return;
            }

            if ((state & ClaimBit) != 0 && !IsLiveClaim(state, word, today, nowTicks))
            {
                return; // ended: counts no more (a later take finds it dead too)
            }

            for (var r = 0; r < rules.Length; r++)
            {
                if ((matches & (1 << r)) != 0)
                {
                    counts[r]++;
                }
            }

            return;
        }
    }
}
