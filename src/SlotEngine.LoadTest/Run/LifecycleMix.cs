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

    /// <summary>MHRS's reported cap on a citizen's active future appointments.</summary>
    public const int MhrsActiveCap = 3;

    /// <summary>Share of web and mobile claims a parent or guardian makes for a child.</summary>
    private const double GuardianShare = 0.12;

    private readonly int _worker;
    private readonly int _maxPerCall;
    private string _callId = string.Empty;
    private int _callsMade;
    private int _callClaimsPlanned;
    private int _callClaimsMade;
    private long _callStartTicks;

    /// <summary>A call ends after this much scenario time (well within <see cref="ActorPolicy.CallRetention"/>, so its count is never forgotten mid-call).</summary>
    private static readonly long CallSpan = TimeSpan.FromMinutes(20).Ticks;

    public LifecycleMix(int worker, int maxPerCall)
    {
        _worker = worker;
        _maxPerCall = maxPerCall;
    }

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

    /// <summary>Calls that made more successful claims than the per-call limit (must stay 0).</summary>
    public long CallLimitBreaches { get; private set; }

    /// <summary>Dresses a claim with an actor and a channel drawn from the mix (and a call id for the call centre).</summary>
    public ClaimRequest Dress(ClaimRequest request, ref FastRandom random, long nowTicks)
    {
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

                return request with { Actor = Actor.CallCentreAgent, Channel = channel, CallId = _callId };
            case BookingChannel.FamilyDoctor:
                return request with { Actor = Actor.FamilyDoctor, Channel = channel };
            case BookingChannel.InPerson:
                return request with { Actor = Actor.Administrator, Channel = channel };
            default:
                return request with { Actor = random.Chance(GuardianShare) ? Actor.Guardian : Actor.Patient, Channel = channel };
        }
    }

    /// <summary>A claim of the mix succeeded.</summary>
    public void Claimed(in ClaimRequest request)
    {
        if (request.CallId is not null && request.CallId == _callId && ++_callClaimsMade > _maxPerCall && _maxPerCall > 0)
        {
            CallLimitBreaches++;
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
