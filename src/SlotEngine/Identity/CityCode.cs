namespace SlotEngine;

/// <summary>One of Turkey's 81 provinces, by its licence-plate code (1 to 81).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(Serialization.CityCodeJsonConverter))]
public readonly record struct CityCode
{
    /// <summary>Creates a city code.</summary>
    /// <param name="value">The plate code, 1 to 81.</param>
    /// <exception cref="ArgumentOutOfRangeException">The code is not between 1 and 81.</exception>
    public CityCode(int value)
    {
        if (value < 1 || value > 81)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A city code is a province plate code from 1 to 81.");
        }

        Value = value;
    }

    /// <summary>The plate code, 1 to 81.</summary>
    public int Value { get; }

    /// <inheritdoc />
    public override string ToString() => "city " + Value.ToString("00", System.Globalization.CultureInfo.InvariantCulture);
}
