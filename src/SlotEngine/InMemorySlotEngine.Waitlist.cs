using System.Collections.Concurrent;
using System.Diagnostics;

namespace SlotEngine;

/// <summary>
/// The waitlist in memory (<see cref="WaitlistPolicy"/>): wishes queue per scope, and the thread that frees a slot
/// (release, cancel, sweep, publish, reopen) offers it before it returns.
/// </summary>
/// <remarks>
/// <para>
/// Each scope has one small lock, taken only to register or cancel a wish in that scope and to make offers in it.
/// It is justified where a CAS is not enough: an offer pass walks the queue in (group, arrival) order and, for
/// each wish, claims a slot and then takes the wish out of the queue; the walk must see a queue no other pass
/// is changing, or two passes freeing slots at once would serve a later wish before an earlier one (a FIFO
/// violation). The claim inside the lock is the ordinary lock-free claim (a few hundred nanoseconds), so two
/// offers never take one seat whether or not they share a lock, and nothing on the claim, confirm or query paths
/// takes the lock. Engine-wide, a volatile count of waiting wishes lets every freeing call with no wish anywhere
/// return after one read.
/// </para>
/// <para>
/// Invariants, held whenever a scope's lock is free: every wish in a queue is <see cref="WishState.Waiting"/> and
/// in the queue of its group; <c>Waiting</c> equals the queues' total length; each queue is in arrival order (wish
/// ids increase); a wish leaves its queue exactly once (offered or cancelled). <see cref="AssertScope"/> checks them
/// in Debug builds.
/// </para>
/// </remarks>
public sealed partial class InMemorySlotEngine
{
    private readonly ConcurrentDictionary<WaitlistScope, WaitScope> _waitScopes = new();
    private readonly ConcurrentDictionary<long, Wish> _wishes = new();
    private readonly ConcurrentDictionary<PatientKey, List<Wish>> _wishesByPatient = new();
    private long _lastWishId;
    private int _waitingWishes;

    /// <summary>Registers a wish: it waits in its scope's queue until a matching slot is offered to it.</summary>
    /// <param name="request">The wish.</param>
    /// <returns>Its ticket.</returns>
    /// <exception cref="SlotEngineArgumentException">The waitlist is off, or the wish is malformed (unknown clinic, bad dates, length or group).</exception>
    public WishTicket RegisterWish(in WishRequest request)
    {
        ValidateWish(request);
        var scope = _waitScopes.GetOrAdd(request.Scope, static s => new WaitScope(s));
        Wish wish;
        lock (scope.Gate)
        {
            // The id is drawn under the lock, so a scope's queues stay in id order however registrations interleave.
            wish = new Wish(Interlocked.Increment(ref _lastWishId), request);
            scope.Queues[request.Group].AddLast(wish.Node);
            scope.Waiting++;
            Interlocked.Increment(ref _waitingWishes);
            AssertScope(scope);
        }

        _wishes[wish.Id] = wish;
        var mine = _wishesByPatient.GetOrAdd(request.Patient, static _ => []);
        lock (mine)
        {
            mine.Add(wish);
        }

        // A slot freed between the citizen's search and this call was offered to nobody: offer it now.
        if (FindFreeFor(request) is { } free)
        {
            OfferFreed(free, Options.TimeProvider.GetTimestamp());
        }

        return new WishTicket(request.Scope, wish.Id);
    }

    /// <summary>A calendar of the wish's scope with a free run of its length in its date range (a snapshot hint), or null.</summary>
    internal CalendarKey? FindFreeFor(in WishRequest request)
    {
        var query = request.Scope.Clinic is { } clinic
            ? EarliestQuery.ForClinic(clinic, request.From, request.To, request.Length)
            : EarliestQuery.ForCityBranch(request.Scope.City, request.Scope.Branch, request.From, request.To, request.Length);
        var found = FindEarliest(query);
        return found.Count > 0 ? found[0].Calendar : null;
    }

    /// <summary>Cancels a wish. A waiting wish leaves its queue; an offered one has its hold released (and offered to the next wish).</summary>
    /// <param name="ticket">The wish.</param>
    /// <returns>Whether the wish was waiting or offered (false: unknown, already over, or cancelled).</returns>
    public bool CancelWish(WishTicket ticket)
    {
        if (!_wishes.TryGetValue(ticket.Id, out var wish) || wish.Request.Scope != ticket.Scope)
        {
            return false;
        }

        Reservation offer;
        var scope = _waitScopes[ticket.Scope];
        lock (scope.Gate)
        {
            if (wish.Purged)
            {
                return false;
            }

            switch (wish.State)
            {
                case WishState.Waiting:
                    scope.Queues[wish.Request.Group].Remove(wish.Node);
                    scope.Waiting--;
                    Interlocked.Decrement(ref _waitingWishes);
                    wish.State = WishState.Cancelled;
                    wish.FinishedTicks = NowTicks();
                    AssertScope(scope);
                    return true;
                case WishState.Offered:
                    offer = wish.Offer!.Value;
                    break;
                default:
                    return false;
            }
        }

        // Outside the lock (the release offers the slot to the next wish, which takes the lock again). Only a hold is
        // released: a cutoff in the past refuses a booking, so an offer confirmed meanwhile (accepted) stays booked.
        var released = OfferFreed(Audited(AuditAction.Release, Actor.Patient, Remove(offer, bookedCutoffTicks: 0)));
        if (!released.Succeeded)
        {
            return false;
        }

        lock (scope.Gate)
        {
            wish.State = WishState.Cancelled;
            wish.FinishedTicks = NowTicks();
        }

        return true;
    }

    /// <summary>Purges wishes that can no longer be served or are finished (see <see cref="ISlotEngine.PurgeWishesAsync"/>).</summary>
    /// <returns>How many were purged.</returns>
    public int PurgeWishes()
    {
        if (_wishes.IsEmpty)
        {
            return 0;
        }

        var now = NowTicks();
        var today = TodayAt(now);
        var retention = Options.Waitlist.FinishedRetention.Ticks;
        var purged = 0;
        foreach (var (id, wish) in _wishes)
        {
            var scope = _waitScopes[wish.Request.Scope];
            lock (scope.Gate)
            {
                var over = wish.Request.To < today;
                var finished = wish.State switch
                {
                    WishState.Cancelled => now - wish.FinishedTicks >= retention,
                    WishState.Offered => wish.Offer!.Value.HoldExpiresAt is { } expiry && now - expiry.UtcTicks >= retention,
                    _ => false,
                };
                if (!over && !finished)
                {
                    continue;
                }

                if (wish.State == WishState.Waiting)
                {
                    scope.Queues[wish.Request.Group].Remove(wish.Node);
                    scope.Waiting--;
                    Interlocked.Decrement(ref _waitingWishes);
                }

                // Purged: no state a view could show. Removed from the index under the scope's lock, so a cancel or an
                // offer pass that found it earlier sees it purged (not Waiting) and leaves it alone.
                wish.Purged = true;
                _wishes.TryRemove(id, out _);
                AssertScope(scope);
            }

            if (_wishesByPatient.TryGetValue(wish.Request.Patient, out var mine))
            {
                lock (mine)
                {
                    mine.Remove(wish);
                }
            }

            purged++;
        }

        return purged;
    }

    /// <inheritdoc />
    public ValueTask<int> PurgeWishesAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(PurgeWishes());
    }

    private long _lastPurgeTicks = long.MinValue;

    /// <summary>The sweep's purge: at most once a minute (by the engine's clock), since it walks every wish.</summary>
    private int PurgeWishesIfDue()
    {
        var now = NowTicks();
        var last = Volatile.Read(ref _lastPurgeTicks);

        // The purge CAS, from the instant judged a minute old to now: of the sweeps that judged it so, one wins and
        // purges; the others find the instant moved and skip, so one purge runs per minute however many sweeps race.
        if (_wishes.IsEmpty || (last != long.MinValue && now - last < TimeSpan.TicksPerMinute) || Interlocked.CompareExchange(ref _lastPurgeTicks, now, last) != last)
        {
            return 0;
        }

        return PurgeWishes();
    }

    /// <summary>One wish as its citizen sees it, or null for an unknown ticket.</summary>
    /// <param name="ticket">The wish.</param>
    /// <returns>The view.</returns>
    public WishView? GetWish(WishTicket ticket) =>
        _wishes.TryGetValue(ticket.Id, out var wish) && wish.Request.Scope == ticket.Scope ? View(wish) : null;

    /// <summary>A patient's wishes, oldest first, with the offers made to them.</summary>
    /// <param name="patient">The patient.</param>
    /// <returns>The views.</returns>
    public IReadOnlyList<WishView> GetWishes(PatientKey patient)
    {
        if (!_wishesByPatient.TryGetValue(patient, out var mine))
        {
            return [];
        }

        Wish[] copy;
        lock (mine)
        {
            copy = [.. mine];
        }

        return Array.ConvertAll(copy, View);
    }

    /// <inheritdoc />
    public ValueTask<WishTicket> RegisterWishAsync(WishRequest request, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(RegisterWish(request));
    }

    /// <inheritdoc />
    public ValueTask<bool> CancelWishAsync(WishTicket ticket, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(CancelWish(ticket));
    }

    /// <inheritdoc />
    public ValueTask<WishView?> GetWishAsync(WishTicket ticket, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(GetWish(ticket));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WishView>> GetWishesAsync(PatientKey patient, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(GetWishes(patient));
    }

    internal void ValidateWish(in WishRequest request)
    {
        var policy = Options.Waitlist;
        if (!policy.IsEnabled)
        {
            throw new SlotEngineArgumentException(SlotEngineError.WaitlistOff, "The waitlist is off (SlotEngineOptions.Waitlist is WaitlistPolicy.None).", nameof(request));
        }

        if (policy.OfferWindow > _rules.MaxHoldDuration)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidWish, $"The offer window ({policy.OfferWindow}) is longer than the longest hold ({_rules.MaxHoldDuration}).", nameof(request));
        }

        ValidateWishShape(request, policy, Directory);
    }

    /// <summary>The checks of a wish both engines make (a store calls them through <see cref="Stores.ReadModel.ValidateWish"/>).</summary>
    internal static void ValidateWishShape(in WishRequest request, WaitlistPolicy policy, SlotDirectory directory)
    {
        if (request.To < request.From)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidDateRange, $"The wish's date range ends ({request.To:yyyy-MM-dd}) before it starts ({request.From:yyyy-MM-dd}).", nameof(request));
        }

        if (request.Length < 1 || request.Length > DayTemplate.MaxSlots)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidLength, $"The appointment length must be from 1 to {DayTemplate.MaxSlots} slots; it was {request.Length}.", nameof(request));
        }

        if (request.Group < 0 || request.Group >= policy.PriorityGroups)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidWish, $"The priority group must be from 0 to {policy.PriorityGroups - 1}; it was {request.Group}.", nameof(request));
        }

        if (request.Patient == default)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidWish, "The wish has no patient.", nameof(request));
        }

        if (request.Scope.Clinic is { } clinic)
        {
            _ = directory.FacilityOf(clinic);
        }
        else if (request.Scope.City == default)
        {
            // Branch 0 is a branch like any other (as in searches by city and branch); the city is what a default scope lacks.
            throw new SlotEngineArgumentException(SlotEngineError.InvalidWish, "A wish's scope names a clinic, or a city and a branch.", nameof(request));
        }
    }

    private WishView View(Wish wish)
    {
        var scope = _waitScopes[wish.Request.Scope];
        WishState state;
        var position = 0;
        Reservation? offer;
        ClaimStatus? refusal;
        lock (scope.Gate)
        {
            state = wish.State;
            offer = wish.Offer;
            refusal = wish.LastRefusal;
            if (state == WishState.Waiting)
            {
                position = scope.PositionOf(wish);
            }
        }

        if (state == WishState.Offered)
        {
            state = OfferState(offer!.Value);
        }

        return new WishView(new WishTicket(wish.Request.Scope, wish.Id), wish.Request, state, position, offer, refusal);
    }

    /// <summary>An offer's state read from its calendar: booked with its token is accepted, held unexpired is still offered, else it lapsed.</summary>
    private WishState OfferState(in Reservation offer)
    {
        var calendar = FindCalendar(offer.Calendar);
        if (calendar is null)
        {
            return WishState.Lapsed;
        }

        var seat = GetCalendar(offer.Calendar)[offer.Slots.First, offer.Seat];
        if (seat.Token != offer.Token)
        {
            return WishState.Lapsed;
        }

        return seat.Status switch
        {
            SlotStatus.Booked => WishState.Accepted,
            SlotStatus.Held when seat.HoldExpiresAt > new DateTimeOffset(NowTicks(), TimeSpan.Zero) => WishState.Offered,
            _ => WishState.Lapsed,
        };
    }

    // Why the "anything waiting?" reads (Volatile.Read of _waitingWishes and WaitScope.Waiting) cannot miss a wish
    // registered while a slot is freed: the free is an Interlocked CAS on the calendar word (a full fence), so the read
    // after it is not moved before it; a registration increments the count (Interlocked, full fence) before it looks
    // for free slots itself (FindFreeFor). Either the freeing thread sees the wish, or the registering thread sees the
    // free slot; both may, and the scope's lock then makes one of them the offer.

    /// <summary>Passes a successful release or cancel on, after offering the freed slot (the release is audited first).</summary>
    private ClaimResult OfferFreed(in ClaimResult result)
    {
        if (result.Succeeded && Volatile.Read(ref _waitingWishes) > 0)
        {
            OfferFreed(result.Reservation.Calendar, Options.TimeProvider.GetTimestamp());
        }

        return result;
    }

    private void OfferPublished(bool created, CalendarKey key)
    {
        if (created && Volatile.Read(ref _waitingWishes) > 0)
        {
            OfferFreed(key, Options.TimeProvider.GetTimestamp());
        }
    }

    private int OfferReopened(CalendarKey key, int opened)
    {
        if (opened > 0 && Volatile.Read(ref _waitingWishes) > 0)
        {
            OfferFreed(key, Options.TimeProvider.GetTimestamp());
        }

        return opened;
    }

    /// <summary>Offers the slots a sweep reclaimed (expired holds, lapsed offers, unapproved bookings past their deadline).</summary>
    private void OfferFreed(IReadOnlyList<Reservation> reclaimed)
    {
        if (reclaimed.Count == 0 || Volatile.Read(ref _waitingWishes) == 0)
        {
            return;
        }

        var freedAt = Options.TimeProvider.GetTimestamp();
        CalendarKey last = default;
        foreach (var r in reclaimed)
        {
            if (r.Calendar != last)
            {
                OfferFreed(r.Calendar, freedAt);
                last = r.Calendar;
            }
        }
    }

    /// <summary>Offers a calendar's free slots to the waiting wishes of its clinic, then of its city and branch.</summary>
    /// <param name="key">The calendar where seats became free.</param>
    /// <param name="freedAt">When (a <see cref="TimeProvider.GetTimestamp"/> value).</param>
    internal void OfferFreed(CalendarKey key, long freedAt)
    {
        if (Volatile.Read(ref _waitingWishes) == 0 || FindCalendar(key) is not { } calendar)
        {
            return;
        }

        var clinic = calendar.Provider.Clinic;
        if (_waitScopes.TryGetValue(WaitlistScope.ForClinic(clinic.Id), out var byClinic))
        {
            OfferIn(byClinic, calendar, freedAt);
        }

        if (_waitScopes.TryGetValue(WaitlistScope.ForCityBranch(clinic.City, clinic.Branch), out var byBranch))
        {
            OfferIn(byBranch, calendar, freedAt);
        }
    }

    private void OfferIn(WaitScope scope, Calendar calendar, long freedAt)
    {
        if (Volatile.Read(ref scope.Waiting) == 0)
        {
            return;
        }

        List<WaitlistOffer>? made = null;
        var day = calendar.Day;
        var starts = new FreeStart[4];
        var providers = new[] { calendar.Provider.Id };
        lock (scope.Gate)
        {
            // The calendar's free starts of one length, searched once and again only after an offer took one or for
            // another length: a wish refused for its patient (quota, cap, bar, rate) leaves the calendar as it was, and
            // such wishes stay queued, so a pass that searched again for each of them paid a search (and a query
            // object) per refused wish on every freed slot of the scope. The starts are a hint as before: the offer's
            // claim judges.
            EarliestQuery? query = null;
            var found = -1;

            // No free start of this length (or longer) is left on the calendar: wishes that need it are not tried.
            var noRoomFrom = int.MaxValue;
            for (var group = 0; group < scope.Queues.Length && noRoomFrom > 1; group++)
            {
                var node = scope.Queues[group].First;
                while (node is not null && noRoomFrom > 1)
                {
                    var next = node.Next;
                    var wish = node.Value;
                    var request = wish.Request;
                    if (day >= request.From && day <= request.To && request.Length < noRoomFrom)
                    {
                        if (found < 0 || query!.Length != request.Length)
                        {
                            query = EarliestQuery.ForProviders(providers, day, day, request.Length, starts.Length);
                            found = FindEarliest(query, starts);
                        }

                        Reservation offer = default;
                        var outcome = found == 0 ? ClaimStatus.Taken : TryOffer(wish, starts.AsSpan(0, found), out offer);
                        if (outcome == ClaimStatus.Succeeded)
                        {
                            found = -1; // the offer took a start: search again for the next wish

                            // The wish leaves the queue once, under the lock, after its claim succeeded.
                            scope.Queues[group].Remove(node);
                            scope.Waiting--;
                            Interlocked.Decrement(ref _waitingWishes);
                            wish.Offer = offer;
                            wish.State = WishState.Offered;
                            (made ??= []).Add(new WaitlistOffer(new WishTicket(request.Scope, wish.Id), request.Patient, request.Group, offer, Options.TimeProvider.GetElapsedTime(freedAt)));
                        }
                        else if (outcome is ClaimStatus.Taken or ClaimStatus.Closed or ClaimStatus.InPast)
                        {
                            noRoomFrom = request.Length;
                        }
                        else if (outcome == ClaimStatus.OutsideBookingWindow)
                        {
                            noRoomFrom = 0;
                        }
                        else
                        {
                            // Refused for this patient (quota, cap, bar, …): the wish keeps its place and says why.
                            wish.LastRefusal = outcome;
                        }
                    }

                    node = next;
                }
            }

            AssertScope(scope);
        }

        if (made is not null && Options.Waitlist.OfferMade is { } notify)
        {
            foreach (var offer in made)
            {
                try
                {
                    notify(offer);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The host's callback must not undo or block the offer; its failure is its own.
                }
            }
        }
    }

    /// <summary>Claims the first start that works as a hold for the wish's patient; the last failure when none does.</summary>
    private ClaimStatus TryOffer(Wish wish, ReadOnlySpan<FreeStart> starts, out Reservation offer)
    {
        offer = default;
        var status = ClaimStatus.Taken;
        var request = wish.Request;
        foreach (var start in starts)
        {
            var claim = ClaimRequest.Hold(start.Calendar, start.Slots, request.Patient, Options.Waitlist.OfferWindow) with
            {
                Actor = request.Actor,
                Channel = request.Channel,
                PatientAttributes = request.PatientAttributes,
            };
            var result = TryClaim(claim);
            if (result.Succeeded)
            {
                offer = result.Reservation;
                return ClaimStatus.Succeeded;
            }

            status = result.Status;
            if (status is not (ClaimStatus.Taken or ClaimStatus.Closed or ClaimStatus.InPast))
            {
                return status;
            }
        }

        return status;
    }

    [Conditional("DEBUG")]
    private void AssertScope(WaitScope scope)
    {
        Debug.Assert(Monitor.IsEntered(scope.Gate), "the scope's lock is held");
        var total = 0;
        for (var group = 0; group < scope.Queues.Length; group++)
        {
            var lastId = 0L;
            foreach (var wish in scope.Queues[group])
            {
                Debug.Assert(wish.State == WishState.Waiting && wish.Request.Group == group, "a queued wish waits in its group");
                Debug.Assert(wish.Id > lastId, "a queue is in arrival order");
                lastId = wish.Id;
                total++;
            }
        }

        Debug.Assert(total == scope.Waiting, "Waiting counts the queued wishes");
        Debug.Assert(Volatile.Read(ref _waitingWishes) >= 0, "the engine-wide count is never negative");
    }

    /// <summary>The waiting wishes of one scope: a FIFO queue per priority group, under one lock.</summary>
    private sealed class WaitScope
    {
        public WaitScope(WaitlistScope scope)
        {
            Scope = scope;
            Queues = new LinkedList<Wish>[WaitlistPolicy.MaxPriorityGroups];
            for (var i = 0; i < Queues.Length; i++)
            {
                Queues[i] = new LinkedList<Wish>();
            }
        }

        public WaitlistScope Scope { get; }

        public object Gate { get; } = new();

        public LinkedList<Wish>[] Queues { get; }

        // Written under Gate; read without it (Volatile) only as the "anything waiting?" hint.
        public int Waiting;

        public int PositionOf(Wish wish)
        {
            var ahead = 0;
            for (var group = 0; group < wish.Request.Group; group++)
            {
                ahead += Queues[group].Count;
            }

            for (var node = Queues[wish.Request.Group].First; node is not null && node.Value != wish; node = node.Next)
            {
                ahead++;
            }

            return ahead;
        }
    }

    /// <summary>A registered wish. State, offer and refusal change only under its scope's lock.</summary>
    private sealed class Wish
    {
        public Wish(long id, WishRequest request)
        {
            Id = id;
            Request = request;
            Node = new LinkedListNode<Wish>(this);
        }

        public long Id { get; }

        public WishRequest Request { get; }

        public LinkedListNode<Wish> Node { get; }

        public WishState State { get; set; }

        public Reservation? Offer { get; set; }

        public ClaimStatus? LastRefusal { get; set; }

        // When it was cancelled (engine ticks), for the purge's retention.
        public long FinishedTicks { get; set; }

        // Purged (PurgeWishes): out of every index and queue; a cancel that found it before is refused.
        public bool Purged { get; set; }
    }
}
