namespace SlotEngine;

/// <summary>
/// Bars after missed appointments, as data. Immutable. The default, <see cref="None"/>, bars nobody;
/// <see cref="Mhrs"/> is the MHRS rule: a no-show (or being seen elsewhere in the branch first) bars the patient
/// from claiming that branch for 15 days, patients 65 and over and cancer patients exempt.
/// </summary>
/// <remarks>
/// A bar is set by <see cref="ISlotEngine.RecordOutcomeAsync"/> with <see cref="AppointmentOutcome.NoShow"/> or
/// <see cref="AppointmentOutcome.SeenElsewhere"/>, from then (by the engine's clock; SlotEngine.Redis: Redis
/// <c>TIME</c>) for <see cref="Period"/>, on the appointment's branch (<see cref="BranchId"/>, across every
/// facility). A claim of a barred patient on that branch is refused with <see cref="ClaimStatus.Barred"/>, unless
/// it declares an exempt attribute (<see cref="ClaimRequest.PatientAttributes"/>). An administrator lifts a bar
/// with <see cref="ISlotEngine.LiftBarAsync"/>.
/// </remarks>
public sealed class BarPolicy
{
    /// <summary>No bars.</summary>
    public static BarPolicy None { get; } = new(TimeSpan.Zero, PatientAttributes.None);

    /// <summary>MHRS: 15 days on the branch; 65 and over, and cancer patients, exempt.</summary>
    public static BarPolicy Mhrs { get; } = new(TimeSpan.FromDays(15), PatientAttributes.Over65 | PatientAttributes.Cancer);

    /// <summary>Creates a policy.</summary>
    /// <param name="period">How long a bar lasts; <see cref="TimeSpan.Zero"/> for no bars.</param>
    /// <param name="exempt">The attributes that exempt a claim from bars.</param>
    /// <exception cref="ArgumentOutOfRangeException">The period is negative or longer than 366 days.</exception>
    public BarPolicy(TimeSpan period, PatientAttributes exempt)
    {
        if (period < TimeSpan.Zero || period > TimeSpan.FromDays(366))
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "A bar period must be from zero to 366 days.");
        }

        Period = period;
        Exempt = exempt;
    }

    /// <summary>How long a bar lasts; zero when there are none.</summary>
    public TimeSpan Period { get; }

    /// <summary>The attributes that exempt a claim from bars.</summary>
    public PatientAttributes Exempt { get; }

    /// <summary>Whether bars are on.</summary>
    public bool IsEnabled => Period > TimeSpan.Zero;
}
