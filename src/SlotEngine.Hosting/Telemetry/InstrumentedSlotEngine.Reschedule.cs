namespace SlotEngine.Hosting;

public sealed partial class InstrumentedSlotEngine
{
    /// <inheritdoc />
    public ValueTask<RescheduleResult> RescheduleAsync(Reservation current, ClaimRequest target, CancellationToken cancellationToken = default) =>
        _inner.RescheduleAsync(current, target, cancellationToken);
}
