namespace SlotEngine;

/// <summary>A working session of a day, such as 08:00–12:00, in local time.</summary>
/// <param name="Start">Local start time (inclusive).</param>
/// <param name="End">Local end time (exclusive); after <paramref name="Start"/>.</param>
public readonly record struct Session(TimeOnly Start, TimeOnly End)
{
    /// <inheritdoc />
    public override string ToString() =>
        Start.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture) + "–" + End.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
}
