namespace SlotEngine;

/// <summary>
/// A group of providers that citizens search as one: a branch (for example dermatology) at a facility.
/// </summary>
/// <param name="Value">The clinic's id.</param>
[System.Text.Json.Serialization.JsonConverter(typeof(Serialization.ClinicIdJsonConverter))]
public readonly record struct ClinicId(int Value)
{
    /// <inheritdoc />
    public override string ToString() => "clinic " + Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
