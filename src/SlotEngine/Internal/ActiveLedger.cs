namespace SlotEngine;

/// <summary>
/// Counts each patient's live future appointments against <see cref="SlotEngineOptions.MaxActiveAppointments"/>,
/// as the quota ledger counts a day's: "limit" entries per patient, kept in the payload of the patient's place in the
/// engine's <see cref="PatientDirectory"/>, beside the key (and the admission instant): the claim has looked its
/// patient up already, so the cap costs no probe and, with the place on one cache line, no line of its own. (The
/// entries had arrays of their own, indexed by the patient's index: one more cold line per claim.) Allocates nothing.
/// </summary>
/// <remarks>
/// <para>An entry is two payload longs: a 64-bit <c>state</c> and the calendar its claim is on, as
/// <c>provider id · 2^32 + day number</c>. The state is the protocol: <c>0</c> free; <see cref="PendingBit"/> set:
/// taken by a claim in flight; <see cref="ClaimBit"/> set: the claim (slot and fencing token) that the calendar word
/// names. Every state but 0 carries a 22-bit version that each take increments. A claim takes an entry by CAS of its
/// state from free, or from a dead claim, to pending (version + 1) before it touches the calendar; it then writes the
/// calendar word and publishes its claim with a release write of the state (so a reader that sees the claim sees its
/// calendar), or writes 0 when the claim failed. Only one CAS from a given state wins, so at most "limit" claims of a
/// patient are live or in flight at once: the cap is never exceeded. A pending entry counts as used (a racing claim
/// may be refused although the first then fails: conservative, as quotas).</para>
/// <para>A reader judging an entry reads the state, then the calendar word, then the state again: when the state is
/// unchanged the calendar word is the one of that claim (between the two reads a take would have changed the version;
/// 2^22 takes of one entry in that moment are needed to fool it). Dead means the day's calendar no longer has that
/// claim (released, expired — reclaimed on the spot by <see cref="Calendar.IsLiveClaim"/>, so a late confirm cannot
/// revive it — displaced, withdrawn: a day published again issues tokens above the old ones) or its day is before
/// today (not a future appointment). "Dead" is final: tokens strictly increase.</para>
/// <para>A committed state may also carry <see cref="BookedBit"/>: the claim was a plain booking (not a hold, not awaiting
/// approval) when the bit was set, and no path has ended it since. A booking ends only by an explicit call, and every
/// such path tells the ledger after it ends the claim in its calendar: a release or cancel, a move, a block or withdraw
/// (<see cref="Forget"/>: the entry is freed, version kept). So an entry with the bit whose day is today or later is live
/// without reading its calendar: a full patient whose entries are all booked is refused from the patient's own line
/// (before, each refusal judged every entry on its calendar: a chain of cache misses per entry). The one window where a
/// path could miss the entry is a claim's commit (the entry is pending while the claim is already in its calendar, so a
/// block's <see cref="Forget"/> finds nothing): a booked commit is therefore published with a full fence and then checks its
/// claim in the calendar again, forgetting it when it is gone (<see cref="CommitBooked"/>; either the block's forget sees
/// the committed entry, or the commit's check sees the block's removal). Setting the bit later, by a confirm or an
/// approval (<see cref="MarkBooked"/>), is a CAS from the exact committed state, so it cannot land on an entry a
/// release freed (the version or the claim differs), and a release after it clears the entry whatever the bit. A stale
/// bit can only refuse a claim (never admit one beyond the cap).</para>
/// <para>A committed state may instead carry <see cref="AwaitingBit"/>: the claim was a booking awaiting approval when the bit
/// was set (a hold expiring at its day's approval deadline, <see cref="BookingRules.ApprovalOf"/>), and no path has ended
/// it since but, perhaps, that deadline. Every such booking of a day shares that day's deadline, and every path that ends
/// one before it (release, cancel, move, block, withdraw) tells the ledger as it does for a booking (<see cref="Forget"/>).
/// So an entry with the bit is live without reading its calendar while its day is today or later and now is before the
/// day's deadline; at or after the deadline it is judged on its calendar (which reclaims a lapsed one on the spot, so a
/// late approval cannot revive it). It is set as <see cref="BookedBit"/> is: at a commit, with the same publish-then-check
/// (<see cref="CommitBooked"/>), or later by a CAS from the exact committed state (<see cref="MarkAwaiting"/>, a confirm
/// that leaves the hold awaiting approval); an approval replaces it by <see cref="BookedBit"/>. Trusting it can only refuse:
/// a booking that ended otherwise than by those paths (none does) would be counted a little longer, never a claim
/// admitted beyond the cap.</para>
/// <para>One patient has one place in the directory (see <see cref="KeyTable"/>), never moved, so every claim of a
/// patient CASes on the same entries.</para>
/// </remarks>
internal sealed partial class ActiveLedger
{
    /// <summary>Payload longs per entry: the state and the calendar word.</summary>
    public const int LongsPerEntry = 2;

    private const long BookedBit = long.MinValue; // bit 63: a plain booking that no path has ended (see remarks)
    private const long ClaimBit = 1L << 62;
    private const long PendingBit = 1L << 61;
    private const long AwaitingBit = 1L << 60; // a booking awaiting approval that no path has ended (see remarks)
    private const int VersionShift = 38; // bits 0-28 token, 29-37 slot, 38-59 version, 60 awaiting, 61 pending, 62 claim, 63 booked; a pending state uses bit 0 alone (TargetBit, ActiveLedger.Quotas.cs)
    private const long VersionMask = (1L << 22) - 1;
    private const int SlotShift = 29;
    private const long TokenMask = (1L << 29) - 1;
    private const long VersionBits = VersionMask << VersionShift;

    private readonly int _limit;
    private readonly int _first;
    private readonly PatientDirectory _patients;
    private readonly SlotDirectory _directory;
    private readonly BookingRules _rules;

    /// <summary>A cap of <paramref name="limit"/> entries, at payload long <paramref name="firstPayload"/> of each place of <paramref name="patients"/>.</summary>
    /// <param name="limit">Entries per patient.</param>
    /// <param name="patients">The directory whose places hold the entries (made with room for them).</param>
    /// <param name="firstPayload">The payload long where the first entry starts.</param>
    /// <param name="directory">Where a claim's calendar is found from its calendar word.</param>
    /// <param name="rules">The engine's rules: a day's approval deadline, for entries of bookings awaiting approval.</param>
    public ActiveLedger(int limit, PatientDirectory patients, int firstPayload, SlotDirectory directory, BookingRules rules)
    {
        if (firstPayload + (limit * LongsPerEntry) > patients.PayloadLength)
        {
            throw new InvalidOperationException("The patient directory has no room for the active cap's entries (a read model's engine does not claim).");
        }

        _limit = limit;
        _first = firstPayload;
        _patients = patients;
        _directory = directory;
        _rules = rules;
    }

    /// <summary>Takes one of the patient's entries, or returns -1 when all hold live future claims or claims in flight.</summary>
    /// <param name="patientIndex">The patient's index in the directory.</param>
    /// <param name="today">Today, local.</param>
    /// <param name="nowTicks">Now.</param>
    /// <param name="place">The patient's place, for <see cref="Commit"/> or <see cref="Abort"/>.</param>
    /// <returns>The entry (its state's payload long in <paramref name="place"/>), or -1.</returns>
    public int TryTake(uint patientIndex, DateOnly today, long nowTicks, out KeyTable.Place place)
    {
        place = PlaceOf(patientIndex);
        var end = _first + (_limit * LongsPerEntry);

        // First pass: a free entry, with no calendar read. Most claims find one (a patient below the cap), so the cap
        // costs one CAS on the line the directory lookup brought in; liveness is judged only when none is free.
        for (var i = _first; i < end; i += LongsPerEntry)
        {
            var state = Volatile.Read(ref place.Payload(i));
            if ((state & (PendingBit | ClaimBit)) == 0 && TryPend(place, i, state))
            {
                return i;
            }
        }

        // Second pass: every entry was used when read; take one whose claim is dead (or that was freed meanwhile). First
        // bring the claims' calendars into the cache together (Warm: a read-only hint, decides nothing), so that judging
        // them one by one below does not meet each claim's chain of cache misses in turn.
        _ = Warm(place, end, today, nowTicks);
        for (var i = _first; i < end; i += LongsPerEntry)
        {
            while (true)
            {
                var state = Volatile.Read(ref place.Payload(i));
                if ((state & PendingBit) != 0 || ((state & ClaimBit) != 0 && IsLive(place, i, state, today, nowTicks)))
                {
                    break;
                }

                if (TryPend(place, i, state))
                {
                    return i;
                }
            }
        }

        return -1;
    }

    // The take CAS. Free or dead → pending, version + 1: exactly one claimer wins this entry (the CAS fails if anyone
    // took, committed or freed it since `state` was read), so at most `limit` claims are live or in flight.
    private static bool TryPend(KeyTable.Place place, int entry, long state)
    {
        var pending = PendingBit | ((((state >> VersionShift) + 1) & VersionMask) << VersionShift);
        return Interlocked.CompareExchange(ref place.Payload(entry), pending, state) == state;
    }

    /// <summary>The claim happened: the entry now names it (calendar word first, then the state, published).</summary>
    public static void Commit(KeyTable.Place place, int entry, Calendar calendar, int slot, long token)
    {
        var version = Volatile.Read(ref place.Payload(entry)) & VersionBits;
        Volatile.Write(ref place.Payload(entry + 1), CalendarWordOf(calendar));
        Volatile.Write(ref place.Payload(entry), ClaimBit | version | ((long)slot << SlotShift) | (token & TokenMask));
    }

    /// <summary>
    /// The claim happened and is a plain booking: the entry names it with <see cref="BookedBit"/>, so a full patient's check
    /// trusts it without its calendar. The state is published with a full fence (Interlocked), then the claim is read again
    /// in its calendar (whose lines the claim has just written): when a block or withdraw removed it while the entry was
    /// pending, that path's <see cref="Forget"/> found nothing to free, and this check sees the removal and frees the entry
    /// itself. (Block: remove in the calendar, then forget; here: publish, then check. Whichever runs second sees the
    /// other's write.)
    /// </summary>
    public static void CommitBooked(KeyTable.Place place, int entry, Calendar calendar, int slot, long token, long nowTicks) =>
        CommitTrusted(place, entry, calendar, slot, token, nowTicks, BookedBit);

    /// <summary>
    /// The claim happened and is a booking awaiting approval: the entry names it with <see cref="AwaitingBit"/>, so a full
    /// patient's check trusts it without its calendar until its day's approval deadline. Published and checked again as
    /// <see cref="CommitBooked"/> is.
    /// </summary>
    public static void CommitAwaiting(KeyTable.Place place, int entry, Calendar calendar, int slot, long token, long nowTicks) =>
        CommitTrusted(place, entry, calendar, slot, token, nowTicks, AwaitingBit);

    private static void CommitTrusted(KeyTable.Place place, int entry, Calendar calendar, int slot, long token, long nowTicks, long trustBit)
    {
        var version = Volatile.Read(ref place.Payload(entry)) & VersionBits;
        var word = CalendarWordOf(calendar);
        Volatile.Write(ref place.Payload(entry + 1), word);
        var state = trustBit | ClaimBit | version | ((long)slot << SlotShift) | (token & TokenMask);
        Interlocked.Exchange(ref place.Payload(entry), state);
        if (!calendar.IsLiveClaim(slot, token, nowTicks))
        {
            // Gone already: free the entry unless something else changed it (a CAS from exactly this state).
            Interlocked.CompareExchange(ref place.Payload(entry), version, state);
        }
    }

    /// <summary>
    /// A confirm or an approval made the claim a plain booking: sets <see cref="BookedBit"/> on the entry naming it (and
    /// clears <see cref="AwaitingBit"/>). A CAS from the committed state read (so not on an entry freed or taken again
    /// since); nothing when no entry names the claim (the claim was moved or ended, or the engine had no cap when it was
    /// made).
    /// </summary>
    public void MarkBooked(uint patientIndex, Calendar calendar, int slot, long token) => Mark(patientIndex, calendar, slot, token, BookedBit);

    /// <summary>
    /// A confirm left the claim a booking awaiting approval: sets <see cref="AwaitingBit"/> on the entry naming it, by a CAS
    /// from the committed state read, as <see cref="MarkBooked"/> does (a release that ended the claim meanwhile changed
    /// the state, or finds the bit set and frees the entry whatever it is).
    /// </summary>
    public void MarkAwaiting(uint patientIndex, Calendar calendar, int slot, long token) => Mark(patientIndex, calendar, slot, token, AwaitingBit);

    // The mark CAS: from the exact committed state read (so never onto an entry freed or taken again since: its version or
    // claim differs) to that state with AwaitingBit cleared, then `trustBit` set. Skipped when the entry already carries the
    // bit or the booked bit (a booking is never marked back to awaiting).
    private void Mark(uint patientIndex, Calendar calendar, int slot, long token, long trustBit)
    {
        var place = PlaceOf(patientIndex);
        var entry = Find(place, CalendarWordOf(calendar), slot, token, out var state);
        if (entry >= 0 && (state & (BookedBit | trustBit)) == 0)
        {
            Interlocked.CompareExchange(ref place.Payload(entry), (state & ~AwaitingBit) | trustBit, state);
        }
    }

    /// <summary>
    /// The claim has ended in its calendar (released, cancelled, moved away, displaced by a block or withdraw): frees the
    /// entry naming it, keeping its version, so the patient's next claim finds the entry free and a full patient's check
    /// never trusts a booking that is gone. Call it after the calendar's change. A CAS from the state read: the calendar
    /// word read between belongs to that state (a take changes the version first).
    /// </summary>
    public void Forget(uint patientIndex, Calendar calendar, int slot, long token)
    {
        if (!_patients.PlaceAt(patientIndex, out var place))
        {
            return;
        }

        // The forget CAS, from the state read, retried when it fails: a confirm's or an approval's mark (MarkBooked,
        // MarkAwaiting) may set the booked or awaiting bit on this same claim between the read and the CAS, and a forget
        // that gave up then left a trusted entry for a claim that is gone (counted live until its day passed). The claim
        // is found again and freed. Anything else that changes the entry (a take, another claim's commit) changes what
        // Find matches (version, claim, calendar), so the loop ends; each mark happens once per claim, so it ends soon.
        var word = CalendarWordOf(calendar);
        while (true)
        {
            var entry = Find(place, word, slot, token, out var state);
            if (entry < 0 || Interlocked.CompareExchange(ref place.Payload(entry), state & VersionBits, state) == state)
            {
                return;
            }
        }
    }

    // The committed entry naming (calendar word, slot, token), whatever its version and its booked or awaiting bit, with
    // the state read before its calendar word; -1 when none.
    private int Find(KeyTable.Place place, long word, int slot, long token, out long state)
    {
        var want = ClaimBit | ((long)slot << SlotShift) | (token & TokenMask);
        for (var i = _first; i < _first + (_limit * LongsPerEntry); i += LongsPerEntry)
        {
            state = Volatile.Read(ref place.Payload(i));
            if ((state & ~(VersionBits | BookedBit | AwaitingBit)) == want && Volatile.Read(ref place.Payload(i + 1)) == word)
            {
                return i;
            }
        }

        state = 0;
        return -1;
    }

    /// <summary>The claim did not happen: the entry is free again.</summary>
    public static void Abort(KeyTable.Place place, int entry) => Volatile.Write(ref place.Payload(entry), 0);

    /// <summary>
    /// Whether every one of the patient's entries holds a claim the ledger trusts as live from its own words, with no
    /// calendar read: a plain booking on a day not past, or a booking awaiting approval before its day's deadline (see the
    /// remarks). Then a claim now is refused (<see cref="TryTake"/> finds no free or dead entry) unless one of those
    /// bookings ends first. Reads the patient's line only; changes nothing. False when any entry is free, in flight, a
    /// hold, past, or awaiting approval after its deadline: those the claim judges (on their calendars), so false does not
    /// promise that a claim is admitted.
    /// </summary>
    /// <param name="place">The patient's place in the directory (its lookup's).</param>
    /// <param name="today">Today, local.</param>
    /// <param name="nowTicks">Now.</param>
    /// <returns>True when the patient is at the cap by trusted bookings alone.</returns>
    public bool IsFullOfTrustedBookings(KeyTable.Place place, DateOnly today, long nowTicks)
    {
        for (var i = _first; i < _first + (_limit * LongsPerEntry); i += LongsPerEntry)
        {
            // The word belongs to the state when the state reads the same after it (a take changes the version first).
            var state = Volatile.Read(ref place.Payload(i));
            var word = Volatile.Read(ref place.Payload(i + 1));
            if ((state & ClaimBit) == 0 || Volatile.Read(ref place.Payload(i)) != state || !IsTrustedLive(state, DayOf(word), today, nowTicks))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>How many of the patient's entries hold a live future claim (tests, diagnostics).</summary>
    public int LiveCount(uint patientIndex, DateOnly today, long nowTicks)
    {
        var place = PlaceOf(patientIndex);
        var live = 0;
        for (var i = _first; i < _first + (_limit * LongsPerEntry); i += LongsPerEntry)
        {
            var state = Volatile.Read(ref place.Payload(i));
            if ((state & ClaimBit) != 0 && IsLive(place, i, state, today, nowTicks))
            {
                live++;
            }
        }

        return live;
    }

    private static long CalendarWordOf(Calendar calendar) => ((long)calendar.Provider.Id.Value << 32) | (uint)calendar.Day.DayNumber;

    private KeyTable.Place PlaceOf(uint patientIndex)
    {
        var found = _patients.PlaceAt(patientIndex, out var place);
        System.Diagnostics.Debug.Assert(found, "a patient index is an address the directory handed out");
        return place;
    }

    /// <summary>
    /// Touches each used entry's claim on its calendar (provider, its day ring, the calendar, the claim's cell) and changes
    /// nothing. A full patient's claims are on calendars far apart in memory, and judging one (<see cref="IsLive"/>) is a
    /// chain of about five dependent cache misses; the chains of different entries do not depend on one another, so in
    /// this loop the processor runs them side by side, and the judging that follows finds the lines in the cache. A refused
    /// claim judges every entry, so it costs about one chain instead of <c>limit</c> chains. Whatever this reads may be
    /// stale by the time the entries are judged: nothing here is relied on (the judging re-reads under its protocol).
    /// </summary>
    /// <returns>A value with no meaning (it keeps the reads from being dropped).</returns>
    private uint Warm(KeyTable.Place place, int end, DateOnly today, long nowTicks)
    {
        var touched = 0u;
        for (var i = _first; i < end; i += LongsPerEntry)
        {
            var state = Volatile.Read(ref place.Payload(i));
            var word = Volatile.Read(ref place.Payload(i + 1));
            if ((state & ClaimBit) == 0 || (state & BookedBit) != 0 || word == 0)
            {
                continue; // a booked entry is judged from its own words (IsLive), with no calendar read
            }

            var day = DayOf(word);
            if ((state & AwaitingBit) != 0 && IsBeforeApprovalDeadline(day, nowTicks))
            {
                continue; // so is an entry awaiting approval before its day's deadline
            }

            if (day >= today
                && _directory.TryGetProvider(new ProviderId((int)(word >> 32)), out var provider)
                && provider.GetCalendar(day) is { } calendar)
            {
                touched ^= calendar.TouchClaim((int)((state >> SlotShift) & 0x1FF));
            }
        }

        return touched;
    }

    // Every booking of `day` awaiting approval expires at the day's deadline (BookingRules.ApprovalOf); 0: approval is off.
    private bool IsBeforeApprovalDeadline(DateOnly day, long nowTicks) => nowTicks < _rules.ApprovalOf(day).DeadlineUtcTicks;

    private bool IsLive(KeyTable.Place place, int entry, long state, DateOnly today, long nowTicks)
    {
        var word = Volatile.Read(ref place.Payload(entry + 1));
        if (Volatile.Read(ref place.Payload(entry)) != state || word == 0)
        {
            return true; // changed under us: not judged dead; the caller reads the entry again
        }

        return IsLiveClaim(state, word, today, nowTicks);
    }

    // Live from the entry's own words, with no calendar read (see remarks): a booking no path has ended, while its day has
    // not passed; or a booking awaiting approval no path has ended, before its day's deadline.
    private bool IsTrustedLive(long state, DateOnly day, DateOnly today, long nowTicks) =>
        day >= today && ((state & BookedBit) != 0 || ((state & AwaitingBit) != 0 && IsBeforeApprovalDeadline(day, nowTicks)));

    private static DateOnly DayOf(long word) => DateOnly.FromDayNumber(unchecked((int)(uint)word));

    // Whether the committed claim of `state`, on the calendar of `word` (read between two equal reads of the state), is live.
    private bool IsLiveClaim(long state, long word, DateOnly today, long nowTicks)
    {
        var day = DayOf(word);
        if (IsTrustedLive(state, day, today, nowTicks))
        {
            return true;
        }

        if ((state & BookedBit) != 0)
        {
            return false; // a booking no path has ended, of a day that has passed
        }

        return day >= today
            && _directory.TryGetProvider(new ProviderId((int)(word >> 32)), out var provider)
            && provider.GetCalendar(day) is { } calendar
            && calendar.IsLiveClaim((int)((state >> SlotShift) & 0x1FF), state & TokenMask, nowTicks);
    }
}
