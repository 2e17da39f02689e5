namespace SlotEngine;

/// <summary>A hospital or health centre, located in one city.</summary>
/// <param name="Value">The facility's id.</param>
[System.Text.Json.Serialization.JsonConverter(typeof(Serialization.FacilityIdJsonConverter))]
public readonly record struct FacilityId(int Value)
{
    /// <inheritdoc />
    public override string ToString() => "facility " + Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
