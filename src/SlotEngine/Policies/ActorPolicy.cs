namespace SlotEngine;

/// <summary>
/// Limits that depend on who acts and how. Immutable. The default, <see cref="None"/>, sets none;
/// <see cref="Mhrs"/> is the call centre's rule: at most 4 appointments per call.
/// </summary>
/// <remarks>
/// A call is named by <see cref="ClaimRequest.CallId"/> (the call centre's own call or session id, unique
/// per call). Every successful claim made with that id counts, whoever it is for, for
/// <see cref="CallRetention"/> after the call's first claim; a claim that fails gives its place back; a
/// retry of an earlier successful claim with the same idempotency key is not counted again. Releasing or
/// cancelling an appointment does not give its place back (the limit is on what a call books). The count
/// holds under concurrency: two claims of one call can never both take its last place.
/// </remarks>
public sealed class ActorPolicy
{
    /// <summary>The largest per-call limit.</summary>
    public const int MaxCallLimit = 64;

    /// <summary>No per-actor limit.</summary>
    public static ActorPolicy None { get; } = new(0, TimeSpan.FromHours(1));

    /// <summary>MHRS: at most 4 claims per call-centre call.</summary>
    public static ActorPolicy Mhrs { get; } = new(4, TimeSpan.FromHours(1));

    /// <summary>Creates a policy.</summary>
    /// <param name="maxClaimsPerCall">How many claims one call may make; 0 for no limit.</param>
    /// <param name="callRetention">How long a call's count is kept after its first claim (longer than any call lasts).</param>
    /// <exception cref="ArgumentOutOfRangeException">The limit is outside 0 to <see cref="MaxCallLimit"/>, or the retention is not more than zero.</exception>
    public ActorPolicy(int maxClaimsPerCall, TimeSpan callRetention)
    {
        if (maxClaimsPerCall < 0 || maxClaimsPerCall > MaxCallLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(maxClaimsPerCall), maxClaimsPerCall, $"The per-call limit must be from 0 to {MaxCallLimit}.");
        }

        if (callRetention <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(callRetention), callRetention, "The call retention must be more than zero.");
        }

        MaxClaimsPerCall = maxClaimsPerCall;
        CallRetention = callRetention;
    }

    /// <summary>How many claims one call (<see cref="ClaimRequest.CallId"/>) may make; 0 when there is no limit.</summary>
    public int MaxClaimsPerCall { get; }

    /// <summary>How long a call's count is kept after its first claim.</summary>
    public TimeSpan CallRetention { get; }
}
