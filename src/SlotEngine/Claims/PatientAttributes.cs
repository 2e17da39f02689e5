namespace SlotEngine;

/// <summary>
/// Facts about the patient the caller supplies with a claim (<see cref="ClaimRequest.PatientAttributes"/>), for
/// exemptions: the engine keeps no record of them. <see cref="BarPolicy.Exempt"/> names the ones that are never barred.
/// </summary>
[Flags]
public enum PatientAttributes
{
    /// <summary>Nothing to declare.</summary>
    None = 0,

    /// <summary>The patient is 65 or over.</summary>
    Over65 = 1,

    /// <summary>The patient is a cancer patient.</summary>
    Cancer = 2,
}
