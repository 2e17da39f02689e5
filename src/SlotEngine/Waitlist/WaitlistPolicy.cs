namespace SlotEngine;

/// <summary>
/// The waitlist as data: how long an offer is held for the citizen and how many priority groups there are.
/// Immutable. The default, <see cref="None"/>, is off: registering a wish is refused and freeing a slot offers nothing.
/// </summary>
/// <remarks>
/// Wishes wait per scope (<see cref="WaitlistScope"/>) in priority groups: group 0 is served first, then 1, and so on
/// up to <see cref="PriorityGroups"/> − 1 (e.g. MHRS's martyrs' families and veterans in group 0, everyone else in
/// group 1); within a group first come, first served. When a matching slot becomes free the engine holds it for the
/// next wish's patient for <see cref="OfferWindow"/> (a hold, made as any claim with the patient's quotas, cap and bars);
/// the citizen accepts by confirming that reservation. See docs/waitlist.md.
/// </remarks>
public sealed class WaitlistPolicy
{
    /// <summary>No waitlist.</summary>
    public static WaitlistPolicy None { get; } = new();

    private WaitlistPolicy()
    {
    }

    /// <summary>Creates a policy that turns the waitlist on.</summary>
    /// <param name="offerWindow">How long an offer is held for the citizen; more than zero and at most <see cref="SlotEngineOptions.MaxHoldDuration"/> (checked when an offer is made).</param>
    /// <param name="priorityGroups">How many priority groups; from 1 to 16. Group 0 is served first.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public WaitlistPolicy(TimeSpan offerWindow, int priorityGroups = 1)
    {
        if (offerWindow <= TimeSpan.Zero || offerWindow > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(offerWindow), offerWindow, "The offer window must be more than zero and at most one day.");
        }

        if (priorityGroups is < 1 or > MaxPriorityGroups)
        {
            throw new ArgumentOutOfRangeException(nameof(priorityGroups), priorityGroups, $"Priority groups must be from 1 to {MaxPriorityGroups}.");
        }

        OfferWindow = offerWindow;
        PriorityGroups = priorityGroups;
        IsEnabled = true;
    }

    /// <summary>The most priority groups a policy may have.</summary>
    public const int MaxPriorityGroups = 16;

    /// <summary>The common setting: offers held 15 minutes, one priority group.</summary>
    public static WaitlistPolicy FifteenMinutes { get; } = new(TimeSpan.FromMinutes(15));

    /// <summary>How long an offer is held for the citizen (zero when off).</summary>
    public TimeSpan OfferWindow { get; }

    /// <summary>How many priority groups (0 when off); group 0 is served first.</summary>
    public int PriorityGroups { get; }

    /// <summary>Whether the waitlist is on.</summary>
    public bool IsEnabled { get; }

    /// <summary>
    /// How long a finished wish stays readable before it is purged: a cancelled wish from its cancellation, an offered
    /// one from its offer's expiry (by then it was accepted or it lapsed). A wish whose date range has passed is purged
    /// whatever its state. Purges run with <see cref="ISlotEngine.PurgeWishesAsync"/> and, at most once a minute, with
    /// the sweep; a purged wish reads as unknown (null).
    /// </summary>
    /// <value>The default is one day. From zero to 30 days.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public TimeSpan FinishedRetention
    {
        get => _finishedRetention;
        init
        {
            if (value < TimeSpan.Zero || value > TimeSpan.FromDays(30))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The retention of finished wishes must be from zero to 30 days.");
            }

            _finishedRetention = value;
        }
    }

    private readonly TimeSpan _finishedRetention = TimeSpan.FromDays(1);

    /// <summary>
    /// Called on the thread that made an offer, right after it is made, so the host can notify the citizen. It must
    /// return quickly and not throw (an exception is caught and dropped). <see langword="null"/>: nobody is told;
    /// the host reads offers with <see cref="ISlotEngine.GetWishesAsync"/>.
    /// </summary>
    public Action<WaitlistOffer>? OfferMade { get; init; }
}
