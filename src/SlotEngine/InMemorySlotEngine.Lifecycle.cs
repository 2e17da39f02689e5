namespace SlotEngine;

public sealed partial class InMemorySlotEngine
{
    private readonly CallLedger _calls = new();

    /// <summary>
    /// The claim with its actor's limits: when the request counts against a call's limit, one of the call's
    /// places is taken before the calendar is touched (refused with <see cref="ClaimStatus.CallLimitReached"/>
    /// when none is left) and given back when the claim fails.
    /// </summary>
    private ClaimResult ClaimWithActorLimits(Calendar calendar, in ClaimRequest request, long now)
    {
        if (!_rules.CountsAgainstCall(request))
        {
            return ClaimOnCalendar(calendar, request, now);
        }

        var place = _calls.TryTake(request.CallId!, _rules.MaxClaimsPerCall, now, _rules.CallRetention.Ticks);
        if (place is null)
        {
            return ClaimResult.Failed(ClaimStatus.CallLimitReached);
        }

        var result = ClaimResult.Failed(ClaimStatus.Taken);
        try
        {
            result = ClaimOnCalendar(calendar, request, now);
            return result;
        }
        finally
        {
            if (!result.Succeeded)
            {
                CallLedger.GiveBack(place);
            }
        }
    }
}
