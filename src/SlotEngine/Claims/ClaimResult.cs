namespace SlotEngine;

/// <summary>The result of a hold, book, confirm, release or cancel.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Reservation">The reservation after the operation when it succeeded (a confirmed hold comes back as a booking); otherwise the default value.</param>
public readonly record struct ClaimResult(ClaimStatus Status, Reservation Reservation)
{
    /// <summary>Whether the operation took effect.</summary>
    public bool Succeeded => Status == ClaimStatus.Succeeded;

    /// <summary>A failed result.</summary>
    /// <param name="status">The reason.</param>
    /// <returns>The result.</returns>
    public static ClaimResult Failed(ClaimStatus status) => new(status, default);

    /// <summary>A successful result.</summary>
    /// <param name="reservation">The reservation.</param>
    /// <returns>The result.</returns>
    public static ClaimResult Success(Reservation reservation) => new(ClaimStatus.Succeeded, reservation);

    /// <inheritdoc />
    public override string ToString() => Succeeded ? "Succeeded: " + Reservation : Status.ToString();
}
