namespace SlotEngine;

/// <summary>
/// Who is booked: a doctor, a room or a device. A dense non-negative integer inside the engine.
/// </summary>
/// <param name="Value">The dense id, from 0 to <see cref="MaxValue"/>.</param>
[System.Text.Json.Serialization.JsonConverter(typeof(Serialization.ProviderIdJsonConverter))]
public readonly record struct ProviderId(int Value) : IComparable<ProviderId>
{
    /// <summary>The largest provider id the engine accepts (16,777,215).</summary>
    public const int MaxValue = (1 << 24) - 1;

    /// <inheritdoc />
    public int CompareTo(ProviderId other) => Value.CompareTo(other.Value);

    /// <inheritdoc />
    public override string ToString() => "provider " + Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
