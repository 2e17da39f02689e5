namespace SlotEngine;

/// <summary>Settings of the expired-hold sweeper (<see cref="SlotEngineBuilder.AddExpiredHoldSweeper"/>).</summary>
public sealed class ExpiredHoldSweeperOptions
{
    /// <summary>The shortest interval accepted: one second.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    /// <summary>The longest interval accepted: one hour.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromHours(1);

    /// <summary>
    /// How often expired holds are swept.
    /// <value>The default is 30 seconds. Range <see cref="MinInterval"/> to <see cref="MaxInterval"/>.</value>
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);
}
