namespace SlotEngine;

/// <summary>The <see cref="ISlotEngine"/> twins: in memory they complete synchronously.</summary>
public sealed partial class InMemorySlotEngine
{
    /// <inheritdoc />
    public ValueTask PublishAsync(ProviderId provider, DateOnly day, DayTemplate template, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Publish(provider, day, template);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<BlockResult> WithdrawAsync(CalendarKey calendar, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(Withdraw(calendar));
    }

    /// <inheritdoc />
    public ValueTask<ClaimResult> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(TryClaim(request));
    }

    /// <inheritdoc />
    public ValueTask<ClaimResult> ConfirmAsync(Reservation reservation, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(TryConfirm(reservation));
    }

    /// <inheritdoc />
    public ValueTask<ClaimResult> ReleaseAsync(Reservation reservation, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(TryRelease(reservation));
    }

    /// <inheritdoc />
    public ValueTask<ClaimResult> CancelAsync(Reservation reservation, CancelActor actor, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(TryCancel(reservation, actor));
    }

    /// <inheritdoc />
    public ValueTask<BlockResult> BlockAsync(CalendarKey calendar, SlotRange slots, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(Block(calendar, slots));
    }

    /// <inheritdoc />
    public ValueTask<int> ReopenAsync(CalendarKey calendar, SlotRange slots, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(Reopen(calendar, slots));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Reservation>> SweepExpiredHoldsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(SweepExpiredHolds());
    }

    /// <inheritdoc />
    public ValueTask<CalendarSnapshot> GetCalendarAsync(CalendarKey calendar, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(GetCalendar(calendar));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DayFreeCount>> GetFreeCountsAsync(ProviderId provider, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(GetFreeCounts(provider, from, to));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<FreeStart>> FindEarliestAsync(EarliestQuery query, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(FindEarliest(query));
    }
}
