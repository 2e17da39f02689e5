namespace SlotEngine;

/// <summary>Who cancels a booking.</summary>
public enum CancelActor
{
    /// <summary>The patient: the cancel cutoff applies.</summary>
    Patient = 0,

    /// <summary>An administrator: the cutoff is overridden.</summary>
    Administrator = 1,
}
