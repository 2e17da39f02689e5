namespace SlotEngine;

/// <summary>What became of a booked appointment (<see cref="ISlotEngine.RecordOutcomeAsync"/>). The numeric values are part of the stored audit format; never renumber.</summary>
public enum AppointmentOutcome
{
    /// <summary>The patient attended.</summary>
    Attended = 1,

    /// <summary>The patient did not attend and did not cancel: bars the patient from the branch (<see cref="BarPolicy"/>).</summary>
    NoShow = 2,

    /// <summary>The patient was examined in the same branch elsewhere before the appointment: bars the patient like a no-show.</summary>
    SeenElsewhere = 3,
}
