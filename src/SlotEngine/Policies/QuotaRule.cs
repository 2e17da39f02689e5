namespace SlotEngine;

/// <summary>At most <paramref name="MaxPerDay"/> live claims (holds and bookings) per patient per <paramref name="Scope"/> per day.</summary>
/// <param name="Scope">What the rule counts over.</param>
/// <param name="MaxPerDay">The limit, 1 to 8.</param>
public readonly record struct QuotaRule(QuotaScope Scope, int MaxPerDay);
