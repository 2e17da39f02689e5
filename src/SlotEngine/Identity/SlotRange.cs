namespace SlotEngine;

/// <summary>
/// <paramref name="Length"/> consecutive slots of a calendar, starting at slot index <paramref name="First"/>.
/// </summary>
/// <param name="First">Index of the first slot (0-based, in the day's template).</param>
/// <param name="Length">Number of consecutive slots; at least 1.</param>
[System.Text.Json.Serialization.JsonConverter(typeof(Serialization.SlotRangeJsonConverter))]
public readonly record struct SlotRange(int First, int Length)
{
    /// <summary>Index one past the last slot.</summary>
    public int End => First + Length;

    /// <summary>Whether <paramref name="slot"/> lies inside this range.</summary>
    /// <param name="slot">A slot index.</param>
    /// <returns><see langword="true"/> when <c>First &lt;= slot &lt; End</c>.</returns>
    public bool Contains(int slot) => slot >= First && slot < End;

    /// <summary>A single slot.</summary>
    /// <param name="slot">The slot index.</param>
    /// <returns>The range of that one slot.</returns>
    public static SlotRange Single(int slot) => new(slot, 1);

    /// <inheritdoc />
    public override string ToString() => Length == 1
        ? "slot " + First.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : "slots " + First.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".." + (End - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
