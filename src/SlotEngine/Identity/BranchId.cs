namespace SlotEngine;

/// <summary>A medical branch (speciality) such as cardiology; a clinic is one branch at one facility.</summary>
/// <param name="Value">The branch's id.</param>
[System.Text.Json.Serialization.JsonConverter(typeof(Serialization.BranchIdJsonConverter))]
public readonly record struct BranchId(int Value)
{
    /// <inheritdoc />
    public override string ToString() => "branch " + Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
