namespace SlotEngine;

/// <summary>
/// Who acted on a claim or a transition: the patient, or someone on the patient's behalf. Recorded with
/// the claim (for disputes and for investigating resellers and bots); per-actor limits are policy
/// (<see cref="ActorPolicy"/>).
/// </summary>
public enum Actor
{
    /// <summary>The patient for themselves (the default).</summary>
    Patient = 0,

    /// <summary>A parent or guardian for a child or a dependant.</summary>
    Guardian,

    /// <summary>A call-centre agent (MHRS: ALO 182) for a caller or the caller's relatives.</summary>
    CallCentreAgent,

    /// <summary>A family doctor, into hospital slots from the doctor's own quota.</summary>
    FamilyDoctor,

    /// <summary>An administrator of the system or of a facility.</summary>
    Administrator,
}
