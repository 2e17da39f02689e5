namespace SlotEngine.Redis;

/// <summary>
/// Queries: answered from this node's read model, once this node's own changes are in it (bounded wait; the check is
/// one read when none is pending, whatever the number of calendars held). Other nodes' changes are not waited for:
/// they arrive as deltas, and a query is a hint.
/// </summary>
public sealed partial class RedisSlotEngine
{
    /// <inheritdoc />
    public async ValueTask<CalendarSnapshot> GetCalendarAsync(CalendarKey calendar, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureLocalAsync(calendar).ConfigureAwait(false);
        await _feed.WhenOwnFreshAsync(FreshnessBound).ConfigureAwait(false);
        await _feed.WhenFreshAsync(calendar, FreshnessBound).ConfigureAwait(false);
        return _localEngine.GetCalendar(calendar);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<DayFreeCount>> GetFreeCountsAsync(ProviderId provider, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _feed.WhenOwnFreshAsync(FreshnessBound).ConfigureAwait(false);
        return _localEngine.GetFreeCounts(provider, from, to);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<FreeStart>> FindEarliestAsync(EarliestQuery query, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // The commonest search (no own change pending): answered at once, without an async state machine's box.
        var fresh = _feed.WhenOwnFreshAsync(FreshnessBound);
        if (!fresh.IsCompletedSuccessfully)
        {
            return FindEarliestAfterAsync(fresh, query);
        }

        try
        {
            return new ValueTask<IReadOnlyList<FreeStart>>(_localEngine.FindEarliest(query));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<IReadOnlyList<FreeStart>>(e); // as the async method would: in the task, not thrown here
        }
    }

    /// <summary>
    /// The earliest free starts, written into <paramref name="destination"/> (at most <see cref="EarliestQuery.Count"/>
    /// of them), once this node's own changes are in the read model, as <see cref="FindEarliestAsync(EarliestQuery, CancellationToken)"/>
    /// answers; no answer list is made (the caller's buffer is reused from search to search).
    /// </summary>
    /// <param name="query">The query.</param>
    /// <param name="destination">Where the starts go, in order of start, then provider.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many starts were written.</returns>
    /// <exception cref="SlotEngineArgumentException">The query names an unknown clinic or provider.</exception>
    public ValueTask<int> FindEarliestIntoAsync(EarliestQuery query, Memory<FreeStart> destination, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // As the list's overload: no async state machine when nothing of this node's own is pending.
        var fresh = _feed.WhenOwnFreshAsync(FreshnessBound);
        if (!fresh.IsCompletedSuccessfully)
        {
            return FindEarliestAfterAsync(fresh, query, destination);
        }

        try
        {
            return new ValueTask<int>(_localEngine.FindEarliest(query, destination.Span));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<int>(e);
        }
    }

    private async ValueTask<int> FindEarliestAfterAsync(Task fresh, EarliestQuery query, Memory<FreeStart> destination)
    {
        await fresh.ConfigureAwait(false);
        return _localEngine.FindEarliest(query, destination.Span);
    }

    private async ValueTask<IReadOnlyList<FreeStart>> FindEarliestAfterAsync(Task fresh, EarliestQuery query)
    {
        await fresh.ConfigureAwait(false);
        return _localEngine.FindEarliest(query);
    }
}
