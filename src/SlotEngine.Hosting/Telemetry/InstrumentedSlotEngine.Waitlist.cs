namespace SlotEngine.Hosting;

/// <summary>The waitlist: passed through (offers are claims, counted by the engine's audit stream).</summary>
public sealed partial class InstrumentedSlotEngine
{
    /// <inheritdoc />
    public ValueTask<WishTicket> RegisterWishAsync(WishRequest request, CancellationToken cancellationToken = default) =>
        _inner.RegisterWishAsync(request, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> CancelWishAsync(WishTicket ticket, CancellationToken cancellationToken = default) =>
        _inner.CancelWishAsync(ticket, cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> PurgeWishesAsync(CancellationToken cancellationToken = default) =>
        _inner.PurgeWishesAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask<WishView?> GetWishAsync(WishTicket ticket, CancellationToken cancellationToken = default) =>
        _inner.GetWishAsync(ticket, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WishView>> GetWishesAsync(PatientKey patient, CancellationToken cancellationToken = default) =>
        _inner.GetWishesAsync(patient, cancellationToken);
}
