namespace SlotEngine;

/// <summary>
/// A patient as the engine knows them: a 64-bit keyed hash of their national ID, made by
/// <see cref="PatientKeyHasher"/>. The ID itself is never stored.
/// </summary>
/// <param name="Value">The keyed hash. Zero is reserved for "no patient".</param>
[System.Text.Json.Serialization.JsonConverter(typeof(Serialization.PatientKeyJsonConverter))]
public readonly record struct PatientKey(ulong Value)
{
    /// <summary>Whether this is the default value (no patient).</summary>
    public bool IsDefault => Value == 0;

    /// <inheritdoc />
    public override string ToString() => "patient #" + Value.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
