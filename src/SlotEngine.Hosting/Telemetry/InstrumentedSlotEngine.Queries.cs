using System.Diagnostics;

namespace SlotEngine.Hosting;

/// <summary>Queries: timed and traced; a query changes nothing, so it is not counted as a claim.</summary>
public sealed partial class InstrumentedSlotEngine
{
    private const string CalendarQuery = "calendar";
    private const string FreeCountsQuery = "free_counts";
    private const string EarliestQuery = "earliest";

    /// <inheritdoc />
    public ValueTask<CalendarSnapshot> GetCalendarAsync(CalendarKey calendar, CancellationToken cancellationToken = default) =>
        TrackQuery(
            CalendarQuery,
            StartActivity(ActivityNames.QueryCalendar, calendar),
            calendar,
            static (engine, state, ct) => engine.GetCalendarAsync(state, ct),
            cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DayFreeCount>> GetFreeCountsAsync(ProviderId provider, DateOnly from, DateOnly to, CancellationToken cancellationToken = default) =>
        TrackQuery(
            FreeCountsQuery,
            StartActivity(ActivityNames.QueryFreeCounts, new CalendarKey(provider, from)),
            (provider, from, to),
            static (engine, state, ct) => engine.GetFreeCountsAsync(state.provider, state.from, state.to, ct),
            cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<FreeStart>> FindEarliestAsync(EarliestQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var activity = SlotEngineInstruments.ActivitySource.StartActivity(ActivityNames.QueryEarliest);
        if (activity is { IsAllDataRequested: true })
        {
            if (query.Clinic is { } clinic)
            {
                activity.SetTag("slotengine.clinic.id", clinic.Value);
            }

            if (query.City is { } city)
            {
                activity.SetTag("slotengine.city", city.Value);
            }

            if (query.Branch is { } branch)
            {
                activity.SetTag("slotengine.branch.id", branch.Value);
            }

            activity.SetTag("slotengine.slot.count", query.Length);
        }

        return TrackQuery(EarliestQuery, activity, query, static (engine, state, ct) => engine.FindEarliestAsync(state, ct), cancellationToken);
    }

    private async ValueTask<TResult> TrackQuery<TState, TResult>(
        string query,
        Activity? activity,
        TState state,
        Func<ISlotEngine, TState, CancellationToken, ValueTask<TResult>> call,
        CancellationToken cancellationToken)
    {
        using var owned = activity;
        var started = _time.GetTimestamp();
        string? error = null;
        try
        {
            return await call(_inner, state, cancellationToken).ConfigureAwait(false);
        }
        catch (SlotEngineArgumentException ex)
        {
            error = TagValues.Of(ex.Code);
            SetError(activity, error, ex.Message);
            Log.BadInput(_logger, "query " + query, ex.Code, ex.Message);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            error = ex.GetType().FullName ?? ex.GetType().Name;
            SetError(activity, error, ex.Message);
            Log.OperationFailed(_logger, "query " + query, ex);
            throw;
        }
        finally
        {
            if (_instruments.QueryDuration.Enabled)
            {
                var tags = new TagList { { SlotEngineTelemetry.QueryTag, query } };
                if (error is not null)
                {
                    tags.Add(SlotEngineTelemetry.ErrorTypeTag, error);
                }

                _instruments.QueryDuration.Record(_time.GetElapsedTime(started).TotalSeconds, tags);
            }
        }
    }
}
