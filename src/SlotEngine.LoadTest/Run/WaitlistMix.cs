using System.Collections.Concurrent;
using System.Diagnostics;
using SlotEngine.LoadTest.Metrics;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// The waitlist in the nationwide run (docs/load-generator.md, "Waitlist"). The country has room for everyone,
/// so scarcity is made where MHRS has it: <see cref="HotShare"/> of citizens want one of a few single-doctor
/// clinics (a sought-after doctor; <see cref="ProvidersPerHotClinic"/>), tomorrow, and nowhere else; they fill
/// those days early. A citizen whose search finds nothing registers a wish (<see cref="RegisterShare"/> of them;
/// <see cref="UrgentShare"/> in priority group 0, the rest in group 1): for that clinic, or for their city and
/// branch. <see cref="HotCancelShare"/> of hot bookings are cancelled soon, which frees slots; the engine offers
/// them and tells <see cref="OnOffer"/>; the workers answer the offers between citizens: <see cref="AcceptShare"/>
/// confirm, the rest let the offer lapse. The run's <see cref="ScenarioSweeper"/> sweeps once a lapsed offer's
/// window has ended, so its seat is offered to the next wish (<see cref="Lapsed"/> counts those re-offers). Shared by
/// every worker; thread-safe.
/// </summary>
internal sealed class WaitlistMix
{
    /// <summary>Share of citizens whose search found nothing who register a wish.</summary>
    public const double RegisterShare = 0.5;

    /// <summary>Share of wishes in priority group 0 (served first).</summary>
    public const double UrgentShare = 0.1;

    /// <summary>Share of offers the citizen confirms; the rest lapse.</summary>
    public const double AcceptShare = 0.7;

    /// <summary>Share of citizens who want one of the hot clinics, tomorrow only.</summary>
    public const double HotShare = 0.05;

    /// <summary>One hot clinic (a single-doctor clinic) per this many providers in the country (150 in the default run's 150,000; 2 with --providers 2000; at least one).</summary>
    public const int ProvidersPerHotClinic = 1_000;

    /// <summary>Share of bookings at a hot clinic (accepted offers included) cancelled soon (<see cref="HotCancelDelay"/>; instead of the run's ordinary cancels, which on Redis fall due only after real minutes): the frees the waitlist offers.</summary>
    public const double HotCancelShare = 0.5;

    /// <summary>
    /// When a hot booking is cancelled: 1 to 5 seconds of real time on Redis (the scenario runs in real time there),
    /// 10 minutes to 2 hours of scenario time in memory (a fraction of a second of the run).
    /// </summary>
    public static long HotCancelDelay(bool realTime, double draw) => realTime
        ? TimeSpan.FromSeconds(1 + (4 * draw)).Ticks
        : TimeSpan.FromMinutes(10 + (110 * draw)).Ticks;

    /// <summary>How long an offer is held in memory (scenario time).</summary>
    public static readonly TimeSpan OfferWindow = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long an offer is held: <see cref="OfferWindow"/> in memory; 10 seconds on Redis, where the scenario runs in
    /// real time (as <see cref="HotCancelDelay"/>), so that a lapsed offer ends, is swept and goes to the next wish within a run.
    /// </summary>
    public static TimeSpan OfferWindowFor(bool realTime) => realTime ? TimeSpan.FromSeconds(10) : OfferWindow;

    private readonly ConcurrentQueue<WaitlistOffer> _pending = new();
    private readonly ConcurrentQueue<(WishTicket Ticket, WishRequest Request, long Registered)> _registered = new();
    private readonly ConcurrentQueue<(WaitlistOffer Offer, long Freed)> _made = new();
    private readonly LatencyHistogram _latency = new();
    private readonly Lock _latencyGate = new();
    private long _accepted;
    private long _lapsed;
    private long _offersMade;
    private int[] _hot = [];
    private HashSet<int> _hotProviders = [];
    private Dictionary<int, BranchId> _hotBranches = [];
    private readonly ConcurrentDictionary<(int Clinic, int Day), EarliestQuery> _hotQueries = new();

    /// <summary>Creates the mix and the engine policy that reports to it.</summary>
    /// <param name="realTime">Whether the scenario runs in real time (Redis): the offer window is then <see cref="OfferWindowFor"/>'s.</param>
    public WaitlistMix(bool realTime = false) => Policy = new WaitlistPolicy(OfferWindowFor(realTime), priorityGroups: 2) { OfferMade = OnOffer };

    /// <summary>The offers citizens let lapse, for the sweeper and the re-offer count.</summary>
    public LapsedOffers Lapsed { get; } = new();

    /// <summary>The engine's waitlist policy (offers reported to <see cref="OnOffer"/>).</summary>
    public WaitlistPolicy Policy { get; }

    /// <summary>Chooses the hot clinics: single-doctor clinics (the lowest ids), the sought-after doctor with 48 seats a day.</summary>
    public void ChooseHot(Scenario.NationalMap map)
    {
        _hot = map.ProviderClinic.GroupBy(c => c).Where(g => g.Count() == 1).OrderBy(g => g.Key).Take(Math.Max(1, map.ProviderCount / ProvidersPerHotClinic)).Select(g => g.Key).ToArray();
        _hotBranches = _hot.ToDictionary(c => c, c => new BranchId(map.ClinicBranch[c]));
        var clinics = _hot.ToHashSet();
        _hotProviders = Enumerable.Range(0, map.ProviderCount).Where(p => clinics.Contains(map.ProviderClinic[p])).ToHashSet();
    }

    /// <summary>The branch a hot search is for (its clinic's): the branch the citizen's bars and outcomes concern.</summary>
    public BranchId BranchOf(EarliestQuery hot) => _hotBranches[hot.Clinic!.Value.Value];

    /// <summary>Whether a calendar is a hot clinic's.</summary>
    public bool IsHot(CalendarKey calendar) => _hotProviders.Contains(calendar.Provider.Value);

    /// <summary>For a hot citizen (<see cref="HotShare"/>, drawn from the worker's stream): a search of one hot clinic for one day; else null.</summary>
    public EarliestQuery? HotQuery(ref Scenario.FastRandom random, DateOnly day, int choices)
    {
        if (_hot.Length == 0 || !random.Chance(HotShare))
        {
            return null;
        }

        // Read without a lock by every worker; a race on a new key may build two queries, but GetOrAdd keeps one and
        // returns it to both, so a clinic's day always searches with the same query.
        var clinic = _hot[random.Next(_hot.Length)];
        return _hotQueries.GetOrAdd(
            (clinic, day.DayNumber),
            static (key, arg) => EarliestQuery.ForClinic(new ClinicId(key.Clinic), arg.Day, arg.Day, length: 1, count: arg.Choices),
            (Day: day, Choices: choices));
    }

    /// <summary>Whether a citizen whose search found nothing registers (drawn from the worker's stream).</summary>
    public static bool Wants(ref Scenario.FastRandom random) => random.NextDouble() < RegisterShare;

    /// <summary>Registers a wish for what the citizen searched: a hot clinic's day, or a city and branch over a date range.</summary>
    public async ValueTask RegisterAsync(ISlotEngine engine, EarliestQuery? hot, CityCode city, BranchId branch, DateOnly from, DateOnly to, PatientKey patient, bool urgent)
    {
        var request = hot is { Clinic: { } clinic }
            ? new WishRequest(WaitlistScope.ForClinic(clinic), hot.From, hot.To, 1, patient, urgent ? 0 : 1)
            : new WishRequest(WaitlistScope.ForCityBranch(city, branch), from, to, 1, patient, urgent ? 0 : 1);
        var ticket = await engine.RegisterWishAsync(request).ConfigureAwait(false);
        _registered.Enqueue((ticket, request, Stopwatch.GetTimestamp()));
    }

    /// <summary>The engine's callback: records the offer's latency and leaves it for a worker to answer.</summary>
    private void OnOffer(WaitlistOffer offer)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _offersMade);
        Lapsed.Offered(offer.Reservation);
        _made.Enqueue((offer, now - (long)(offer.Delay.TotalSeconds * Stopwatch.Frequency)));
        lock (_latencyGate)
        {
            _latency.Record((long)(offer.Delay.TotalMilliseconds * 1e6));
        }

        _pending.Enqueue(offer);
    }

    /// <summary>Offers the engine has made so far (read by the timeline sampler, from any thread).</summary>
    public long OffersMade => Interlocked.Read(ref _offersMade);

    /// <summary>Takes a pending offer for a worker to answer.</summary>
    public bool TryTake(out WaitlistOffer offer) => _pending.TryDequeue(out offer);

    /// <summary>Whether the citizen confirms an offer (<see cref="AcceptShare"/>, by the wish's id, so runs with one seed agree).</summary>
    public static bool Accepts(in WaitlistOffer offer) => (ulong)(offer.Wish.Id * 2654435761L) % 1000 < AcceptShare * 1000;

    /// <summary>Counts an answered offer; a lapsed one goes in the worker's ledger as a walk-away hold (an accepted one is there as a booking).</summary>
    public void Answered(in WaitlistOffer offer, bool accepted, BookingLedger ledger)
    {
        if (accepted)
        {
            Interlocked.Increment(ref _accepted);
            return;
        }

        ledger.AddWalkAway(offer.Reservation);
        Lapsed.Add(offer.Reservation);
        Interlocked.Increment(ref _lapsed);
    }

    /// <summary>After the load: offers nobody answered lapse (into <paramref name="ledger"/>, as walk-aways).</summary>
    public void Finish(BookingLedger ledger)
    {
        while (_pending.TryDequeue(out var offer))
        {
            ledger.AddWalkAway(offer.Reservation);
            Interlocked.Increment(ref _lapsed);
        }
    }

    /// <summary>
    /// The totals, with the FIFO check: an offer is a violation when an earlier wish of the same scope and group
    /// that matched the offered day was registered before the slot was freed, was never offered, and was never
    /// refused for its patient (quota, cap, bar): it was waiting and could have taken the slot.
    /// </summary>
    public async Task<WaitlistTotals> TotalsAsync(ISlotEngine engine)
    {
        var registered = _registered.ToArray();
        var made = _made.ToArray();
        var offered = made.Select(m => m.Offer.Wish).ToHashSet();
        var waiting = registered.Where(r => !offered.Contains(r.Ticket)).ToArray();
        var refused = new HashSet<WishTicket>();
        foreach (var wish in waiting)
        {
            if ((await engine.GetWishAsync(wish.Ticket).ConfigureAwait(false))?.LastRefusal is not null)
            {
                refused.Add(wish.Ticket);
            }
        }

        var byScopeGroup = waiting.Where(w => !refused.Contains(w.Ticket)).ToLookup(w => (w.Request.Scope, w.Request.Group));
        long violations = 0;
        foreach (var (offer, freed) in made)
        {
            var day = offer.Reservation.Calendar.Day;
            if (byScopeGroup[(offer.Wish.Scope, offer.Group)].Any(w => w.Ticket.Id < offer.Wish.Id && w.Registered < freed && w.Request.From <= day && day <= w.Request.To))
            {
                violations++;
            }
        }

        return new WaitlistTotals(true, registered.Length, made.Length, Interlocked.Read(ref _accepted), _lapsed, violations, _latency)
        {
            LapsedSwept = Lapsed.LapsedSwept,
            Reoffered = Lapsed.Reoffered,
        };
    }
}

/// <summary>What the waitlist did in a run.</summary>
internal sealed record WaitlistTotals(bool Enabled, long Registered, long OffersMade, long OffersAccepted, long OffersLapsed, long FifoViolations, LatencyHistogram? OfferLatency)
{
    /// <summary>Lapsed offers whose seat the run's sweeper reclaimed.</summary>
    public long LapsedSwept { get; init; }

    /// <summary>Offers made of a seat that had been a lapsed offer (the sweeper's re-offers, mostly).</summary>
    public long Reoffered { get; init; }

    /// <summary>What the run's sweeper did (null: no sweeper ran).</summary>
    public SweeperTotals? Sweeper { get; init; }

    /// <summary>The waitlist was off.</summary>
    public static WaitlistTotals Off { get; } = new(false, 0, 0, 0, 0, 0, null);
}
