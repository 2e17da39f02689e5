namespace SlotEngine.Redis;

/// <summary>Queries: answered from this node's read model, after the reloads already under way (bounded wait).</summary>
public sealed partial class RedisSlotEngine
{
    /// <inheritdoc />
    public async ValueTask<CalendarSnapshot> GetCalendarAsync(CalendarKey calendar, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureLocalAsync(calendar).ConfigureAwait(false);
        await _feed.WhenFreshAsync(calendar, FreshnessBound).ConfigureAwait(false);
        return _replica.GetCalendar(calendar);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<DayFreeCount>> GetFreeCountsAsync(ProviderId provider, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _feed.WhenAllFreshAsync(FreshnessBound).ConfigureAwait(false);
        return _replica.GetFreeCounts(provider, from, to);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<FreeStart>> FindEarliestAsync(EarliestQuery query, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _feed.WhenAllFreshAsync(FreshnessBound).ConfigureAwait(false);
        return _replica.FindEarliest(query);
    }
}
