namespace SlotEngine;

/// <summary>A citizen's wish to be offered a slot when one becomes free.</summary>
/// <param name="Scope">Where: a clinic, or a city and branch.</param>
/// <param name="From">The first acceptable day.</param>
/// <param name="To">The last acceptable day (inclusive).</param>
/// <param name="Length">How many consecutive slots the appointment takes.</param>
/// <param name="Patient">For whom.</param>
/// <param name="Group">The priority group (0 is served first); below <see cref="WaitlistPolicy.PriorityGroups"/>.</param>
public readonly record struct WishRequest(WaitlistScope Scope, DateOnly From, DateOnly To, int Length, PatientKey Patient, int Group = 0)
{
    /// <summary>Who registered the wish; the offer is claimed as this actor.</summary>
    public Actor Actor { get; init; }

    /// <summary>Through which channel; the offer is claimed through it.</summary>
    public BookingChannel Channel { get; init; }

    /// <summary>The patient's attributes (bar exemptions) the offer's claim carries.</summary>
    public PatientAttributes PatientAttributes { get; init; }
}
