using System.Collections.Concurrent;
using SlotEngine.LoadTest.Scenario;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// One worker's share of the life-after-booking rules: who books through which channel (MHRS-like
/// proportions, see docs/load-generator.md), the call-centre calls and their per-call limit, and what
/// the worker saw (bookings by channel, refusals, and any breach of a rule it can judge by itself).
/// Owned by one worker; merged after the run.
/// </summary>
internal sealed class LifecycleMix
{
    /// <summary>Channel shares of a claim, cumulative: mobile 55 %, web 25 %, call centre 15 %, family doctor 4 %, in person 1 %.</summary>
    private static readonly (double UpTo, BookingChannel Channel)[] Channels =
    [
        (0.55, BookingChannel.Mobile),
        (0.80, BookingChannel.Web),
        (0.95, BookingChannel.CallCentre),
        (0.99, BookingChannel.FamilyDoctor),
        (1.00, BookingChannel.InPerson),
    ];

    /// <summary>Share of confirmed bookings whose outcome the run records at once (the sample; see docs/load-generator.md).</summary>
    public const double OutcomeShare = 0.05;

    /// <summary>Share of the sampled bookings that are missed: MHRS 2023, about 30 % of appointments.</summary>
    public const double NoShowRate = 0.30;

    /// <summary>MHRS's reported cap on a citizen's active future appointments.</summary>
    public const int MhrsActiveCap = 3;

    /// <summary>Share of web and mobile claims a parent or guardian makes for a child.</summary>
    private const double GuardianShare = 0.12;

    private readonly int _worker;
    private readonly int _maxPerCall;
    private readonly long _callRetentionTicks;
    private string _callId = string.Empty;
    private int _callsMade;
    private int _callClaimsPlanned;
    private int _callClaimsMade;
    private long _callStartTicks;
    private long _callFirstClaimedTicks;
    private long _dressedTicks;

    /// <summary>A call ends after this much scenario time (well within <see cref="ActorPolicy.CallRetention"/>, so its count is never forgotten mid-call).</summary>
    private static readonly long CallSpan = TimeSpan.FromMinutes(20).Ticks;

    /// <summary>Creates a worker's mix.</summary>
    /// <param name="worker">The worker's index (names its calls).</param>
    /// <param name="maxPerCall">The engine's per-call limit (<see cref="ActorPolicy.MaxClaimsPerCall"/>; 0 for none).</param>
    /// <param name="callRetention">How long the engine counts a call's claims after its first (<see cref="ActorPolicy.CallRetention"/>).</param>
    public LifecycleMix(int worker, int maxPerCall, TimeSpan callRetention)
    {
        _worker = worker;
        _maxPerCall = maxPerCall;
        _callRetentionTicks = callRetention.Ticks;
    }

    /// <summary>The worker's approvals (<see cref="ApprovalMix"/>).</summary>
    public ApprovalMix Approval { get; } = new();

    /// <summary>Confirmed bookings by <see cref="BookingChannel"/> (index = its value).</summary>
    public long[] BookingsByChannel { get; } = new long[5];

    /// <summary>Bookings made by someone other than the patient.</summary>
    public long OnBehalf { get; private set; }

    /// <summary>Claims refused because their call had used its places.</summary>
    public long RefusedCallLimit { get; private set; }

    /// <summary>Claims refused because the citizen already had <see cref="MhrsActiveCap"/> live future appointments.</summary>
    public long RefusedActiveCap { get; private set; }

    /// <summary>A claim was refused with <see cref="ClaimStatus.ActiveLimitReached"/>: the citizen gives up.</summary>
    public void RefusedByCap() => RefusedActiveCap++;

    /// <summary>Citizens told before their search that they are at the cap (<see cref="InMemorySlotEngine.IsAtActiveCap"/>), who left without searching.</summary>
    public long ToldAtCap { get; private set; }

    /// <summary>The engine said the citizen is at the cap before the search: the citizen leaves without searching.</summary>
    public void TellAtCap() => ToldAtCap++;

    /// <summary>Outcomes recorded (attended and no-shows).</summary>
    public long Outcomes { get; private set; }

    /// <summary>No-shows recorded.</summary>
    public long NoShows { get; private set; }

    /// <summary>No-shows of citizens who are not exempt: each bars its citizen from the branch.</summary>
    public long BarsApplied { get; private set; }

    /// <summary>Claims refused with <see cref="ClaimStatus.Barred"/>.</summary>
    public long RefusedBarred { get; private set; }

    /// <summary>Claims that started after a bar was registered and succeeded before it ended (must stay 0).</summary>
    public long BarBreaches { get; private set; }

    /// <summary>A claim was refused with <see cref="ClaimStatus.Barred"/>: the citizen gives up on the branch.</summary>
    public void RefusedByBar() => RefusedBarred++;

    /// <summary>
    /// A citizen's attributes, fixed by the patient key: about 10 % are 65 or over (TÜİK 2023: 10.2 %), 1 % cancer
    /// patients; both are exempt from bars under <see cref="BarPolicy.Mhrs"/>.
    /// </summary>
    public static PatientAttributes AttributesOf(PatientKey patient) => (patient.Value % 100) switch
    {
        < 10 => PatientAttributes.Over65,
        10 => PatientAttributes.Cancer,
        _ => PatientAttributes.None,
    };

    /// <summary>Whether the sample takes this booking, and then its outcome (a no-show at <see cref="NoShowRate"/>).</summary>
    public static AppointmentOutcome? DrawOutcome(ref FastRandom random) =>
        !random.Chance(OutcomeShare) ? null : random.Chance(NoShowRate) ? AppointmentOutcome.NoShow : AppointmentOutcome.Attended;

    /// <summary>An outcome was recorded; a no-show of a citizen who is not exempt registers the bar the engine set.</summary>
    /// <param name="patient">The citizen.</param>
    /// <param name="branch">The booking's branch.</param>
    /// <param name="outcome">The outcome.</param>
    /// <param name="untilTicks">The bar's end by the scenario clock read before the outcome was recorded (never later than the engine's).</param>
    /// <param name="bars">The shared registry.</param>
    public void OutcomeRecorded(PatientKey patient, BranchId branch, AppointmentOutcome outcome, long untilTicks, BarRegistry bars)
    {
        Outcomes++;
        if (outcome != AppointmentOutcome.NoShow)
        {
            return;
        }

        NoShows++;
        if (AttributesOf(patient) == PatientAttributes.None)
        {
            BarsApplied++;
            bars.Bar(patient, branch, untilTicks);
        }
    }

    /// <summary>
    /// A claim succeeded: a breach when a bar on its branch was registered before the claim started and still runs at
    /// <paramref name="nowTicks"/>, read after the claim returned (so the engine judged it inside the bar).
    /// </summary>
    /// <param name="barUntilTicks">The bar's end, read from the registry before the claim started.</param>
    /// <param name="startTicks">The scenario clock read before the claim started.</param>
    /// <param name="nowTicks">The scenario clock read after the claim returned.</param>
    /// <param name="branch">The claim's branch.</param>
    /// <param name="claimed">What the claim returned.</param>
    public void CheckBar(long barUntilTicks, long startTicks, long nowTicks, BranchId branch, in Reservation claimed)
    {
        if (nowTicks < barUntilTicks)
        {
            BarBreaches++;
            Note($"bar: patient {claimed.Patient.Value} branch {branch.Value} claimed {claimed} while barred until {Time(barUntilTicks)} (claim started {Time(startTicks)}, returned {Time(nowTicks)})");
        }
    }

    /// <summary>How many breaches one worker describes in <see cref="Breaches"/>.</summary>
    public const int MaxBreachesDescribed = 4;

    /// <summary>The first <see cref="MaxBreachesDescribed"/> breaches this worker counted, each described: the rule, the citizen, the calendar, seat and token, and the times it was judged by.</summary>
    public List<string> Breaches { get; } = [];

    /// <summary>
    /// The claims of the call-limit breaches described in <see cref="Breaches"/>, by the description's index there: the check
    /// after the run looks each up in the engine's audit stream and adds the engine's own time for it (the claim record's
    /// <see cref="AuditRecord.At"/>), so that a claim the engine took inside the call's hour (an engine miss) can be told
    /// from one the engine took after the generator stalled (the engine rightly counting the call afresh).
    /// </summary>
    public Dictionary<int, Reservation> CallLimitClaims { get; } = [];

    private void Note(string breach, Reservation? engineClaim = null)
    {
        if (Breaches.Count < MaxBreachesDescribed)
        {
            if (engineClaim is { } claim)
            {
                CallLimitClaims[Breaches.Count] = claim;
            }

            Breaches.Add(breach);
        }
    }

    private static string Time(long ticks) => new DateTimeOffset(ticks, TimeSpan.Zero).ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Calls that made more successful claims than the per-call limit (must stay 0).</summary>
    public long CallLimitBreaches { get; private set; }

    /// <summary>Dresses a claim with an actor and a channel drawn from the mix (and a call id for the call centre).</summary>
    public ClaimRequest Dress(ClaimRequest request, ref FastRandom random, long nowTicks)
    {
        request = request with { PatientAttributes = AttributesOf(request.Patient) };
        var draw = random.NextDouble();
        var channel = BookingChannel.InPerson;
        foreach (var (upTo, c) in Channels)
        {
            if (draw < upTo)
            {
                channel = c;
                break;
            }
        }

        switch (channel)
        {
            case BookingChannel.CallCentre:
                if (_callClaimsMade >= _callClaimsPlanned || nowTicks - _callStartTicks > CallSpan)
                {
                    NextCall(ref random, nowTicks);
                }

                _dressedTicks = nowTicks;

                return request with { Actor = Actor.CallCentreAgent, Channel = channel, CallId = _callId };
            case BookingChannel.FamilyDoctor:
                return request with { Actor = Actor.FamilyDoctor, Channel = channel };
            case BookingChannel.InPerson:
                return request with { Actor = Actor.Administrator, Channel = channel };
            default:
                return request with { Actor = random.Chance(GuardianShare) ? Actor.Guardian : Actor.Patient, Channel = channel };
        }
    }

    /// <summary>
    /// A claim of the mix succeeded: a breach when it is beyond the call's limit and returned within the engine's
    /// <see cref="ActorPolicy.CallRetention"/> of the call's start. The start is read before the call's first claim and
    /// <paramref name="nowTicks"/> after this one returned, so both engine reads lie between them: within the retention
    /// the engine still counted the call's claims and had to refuse. A call whose claims spread wider (a worker stalled
    /// between dressing a claim and making it while the other moved the scenario clock on; seen once in about 1,000 runs
    /// under CPU contention: the fifth claim of a call started at 11:48 returned at 14:02) may be counted afresh by the
    /// engine, as <see cref="ActorPolicy"/> documents: no breach.
    /// </summary>
    /// <param name="request">The claim.</param>
    /// <param name="claimed">What it returned.</param>
    /// <param name="nowTicks">The scenario clock read after it returned.</param>
    public void Claimed(in ClaimRequest request, in Reservation claimed, long nowTicks)
    {
        if (request.CallId is null || request.CallId != _callId)
        {
            return;
        }

        if (++_callClaimsMade == 1)
        {
            _callFirstClaimedTicks = nowTicks;
        }

        if (_callClaimsMade > _maxPerCall && _maxPerCall > 0 && nowTicks - _callStartTicks < _callRetentionTicks)
        {
            CallLimitBreaches++;
            Note($"call limit: call {_callId} (started {Time(_callStartTicks)}, first claim returned {Time(_callFirstClaimedTicks)}) made its claim {_callClaimsMade} of at most {_maxPerCall}: patient {claimed.Patient.Value} claimed {claimed}, dressed {Time(_dressedTicks)}, returned {Time(nowTicks)}", claimed);
        }
    }

    /// <summary>A claim was refused with <see cref="ClaimStatus.CallLimitReached"/>: the agent ends the call.</summary>
    public void Refused()
    {
        RefusedCallLimit++;
        _callClaimsPlanned = 0;
        _callClaimsMade = 0;
    }

    /// <summary>A booking was confirmed.</summary>
    public void Booked(in ClaimRequest request)
    {
        BookingsByChannel[(int)request.Channel]++;
        if (request.Actor != Actor.Patient)
        {
            OnBehalf++;
        }
    }

    private void NextCall(ref FastRandom random, long nowTicks)
    {
        // A caller asks for 1 to 6 appointments (for themselves and relatives); the limit cuts the longer calls.
        _callId = "w" + _worker + "-c" + ++_callsMade;
        _callClaimsPlanned = 1 + random.Next(6);
        _callClaimsMade = 0;
        _callStartTicks = nowTicks;
    }
}

/// <summary>
/// The bars the run's no-shows set, by citizen and branch: the end of each by the scenario clock. Shared by the
/// workers; written by a no-show, read before each claim of a citizen who is not exempt.
/// </summary>
internal sealed class BarRegistry
{
    private readonly ConcurrentDictionary<(ulong Patient, int Branch), long> _bars = new();

    /// <summary>Registers a bar, keeping the later end.</summary>
    public void Bar(PatientKey patient, BranchId branch, long untilTicks) =>
        _bars.AddOrUpdate((patient.Value, branch.Value), static (_, until) => until, static (_, current, until) => Math.Max(current, until), untilTicks); // no closure per bar

    /// <summary>The end of the citizen's bar on the branch, or 0.</summary>
    public long Until(PatientKey patient, BranchId branch) =>
        _bars.TryGetValue((patient.Value, branch.Value), out var until) ? until : 0;
}
