using System.Diagnostics;

namespace SlotEngine.Hosting;

/// <summary>Publishing, blocking and sweeping: rare, so traced and logged; displaced claims and swept holds are counted.</summary>
public sealed partial class InstrumentedSlotEngine
{
    /// <inheritdoc />
    public async ValueTask PublishAsync(ProviderId provider, DateOnly day, DayTemplate template, CancellationToken cancellationToken = default)
    {
        var calendar = new CalendarKey(provider, day);
        using var activity = StartActivity(ActivityNames.Publish, calendar);
        try
        {
            await _inner.PublishAsync(provider, day, template, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Fail(activity, "publish", ex);
            throw;
        }

        Log.DayPublished(_logger, calendar, template);
    }

    /// <inheritdoc />
    public async ValueTask<BlockResult> WithdrawAsync(CalendarKey calendar, CancellationToken cancellationToken = default)
    {
        using var activity = StartActivity(ActivityNames.Withdraw, calendar);
        BlockResult result;
        try
        {
            result = await _inner.WithdrawAsync(calendar, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Fail(activity, "withdraw", ex);
            throw;
        }

        Displaced("withdraw", calendar, result);
        return result;
    }

    /// <inheritdoc />
    public async ValueTask<BlockResult> BlockAsync(CalendarKey calendar, SlotRange slots, CancellationToken cancellationToken = default)
    {
        using var activity = StartActivity(ActivityNames.Block, calendar);
        SetSlots(activity, slots);
        BlockResult result;
        try
        {
            result = await _inner.BlockAsync(calendar, slots, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Fail(activity, "block", ex);
            throw;
        }

        Displaced("block", calendar, result);
        return result;
    }

    /// <inheritdoc />
    public async ValueTask<int> ReopenAsync(CalendarKey calendar, SlotRange slots, CancellationToken cancellationToken = default)
    {
        using var activity = StartActivity(ActivityNames.Reopen, calendar);
        SetSlots(activity, slots);
        try
        {
            return await _inner.ReopenAsync(calendar, slots, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Fail(activity, "reopen", ex);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<Reservation>> SweepExpiredHoldsAsync(CancellationToken cancellationToken = default)
    {
        using var activity = SlotEngineInstruments.ActivitySource.StartActivity(ActivityNames.Sweep);
        IReadOnlyList<Reservation> swept;
        try
        {
            swept = await _inner.SweepExpiredHoldsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Fail(activity, "sweep", ex);
            throw;
        }

        activity?.SetTag("slotengine.holds.expired", swept.Count);
        if (swept.Count > 0)
        {
            _instruments.HoldsExpired.Add(swept.Count);
            Log.HoldsSwept(_logger, swept.Count);
        }

        return swept;
    }

    /// <inheritdoc />
    public async ValueTask<SweepResult> SweepAsync(CancellationToken cancellationToken = default)
    {
        using var activity = SlotEngineInstruments.ActivitySource.StartActivity(ActivityNames.Sweep);
        SweepResult swept;
        try
        {
            swept = await _inner.SweepAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Fail(activity, "sweep", ex);
            throw;
        }

        activity?.SetTag("slotengine.holds.expired", swept.ExpiredHolds.Count);
        activity?.SetTag("slotengine.approvals.lapsed", swept.UnapprovedReleased.Count);
        if (swept.ExpiredHolds.Count > 0)
        {
            _instruments.HoldsExpired.Add(swept.ExpiredHolds.Count);
        }

        // slotengine.approvals.lapsed is observed from the engine's own count, which includes these (not added here twice).
        if (swept.ExpiredHolds.Count + swept.UnapprovedReleased.Count > 0)
        {
            Log.HoldsSwept(_logger, swept.ExpiredHolds.Count + swept.UnapprovedReleased.Count);
        }

        return swept;
    }

    private void Displaced(string operation, CalendarKey calendar, BlockResult result)
    {
        if (result.Displaced.Count > 0)
        {
            _instruments.ClaimsDisplaced.Add(result.Displaced.Count, new KeyValuePair<string, object?>(SlotEngineTelemetry.OperationTag, operation));
        }

        Log.ClaimsDisplaced(_logger, operation, calendar, result.ClosedSeats, result.Displaced.Count);
    }

    private void Fail(Activity? activity, string operation, Exception ex)
    {
        if (ex is SlotEngineArgumentException bad)
        {
            SetError(activity, TagValues.Of(bad.Code), bad.Message);
            Log.BadInput(_logger, operation, bad.Code, bad.Message);
        }
        else
        {
            SetError(activity, ex.GetType().FullName ?? ex.GetType().Name, ex.Message);
            Log.OperationFailed(_logger, operation, ex);
        }
    }
}
