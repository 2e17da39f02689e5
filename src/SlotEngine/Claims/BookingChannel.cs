namespace SlotEngine;

/// <summary>Through which channel a claim or a transition came.</summary>
public enum BookingChannel
{
    /// <summary>The web site (the default).</summary>
    Web = 0,

    /// <summary>The mobile application.</summary>
    Mobile,

    /// <summary>The call centre (MHRS: ALO 182); such claims carry a <see cref="ClaimRequest.CallId"/> when <see cref="ActorPolicy.MaxClaimsPerCall"/> is set.</summary>
    CallCentre,

    /// <summary>A family doctor's system.</summary>
    FamilyDoctor,

    /// <summary>At a desk, in person.</summary>
    InPerson,
}
