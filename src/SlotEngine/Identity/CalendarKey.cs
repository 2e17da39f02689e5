namespace SlotEngine;

/// <summary>
/// Names one calendar: one provider's one local day. The unit of atomicity and of distribution.
/// </summary>
/// <param name="Provider">The provider.</param>
/// <param name="Day">The local date, in the engine's time zone.</param>
[System.Text.Json.Serialization.JsonConverter(typeof(Serialization.CalendarKeyJsonConverter))]
public readonly record struct CalendarKey(ProviderId Provider, DateOnly Day)
{
    /// <inheritdoc />
    public override string ToString() =>
        Provider.ToString() + " on " + Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
