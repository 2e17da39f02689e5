using System.Diagnostics.Metrics;

namespace SlotEngine.Hosting;

/// <summary>Hold, book, confirm, release and cancel: counted, timed and traced.</summary>
public sealed partial class InstrumentedSlotEngine
{
    /// <inheritdoc />
    public ValueTask<ClaimResult> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default) =>
        TrackClaim(
            request.IsHold ? TagValues.Hold : TagValues.Book,
            _instruments.ClaimDuration,
            request.Calendar,
            request.Slots,
            request,
            static (engine, state, ct) => engine.ClaimAsync(state, ct),
            cancellationToken);

    /// <inheritdoc />
    public ValueTask<ClaimResult> ConfirmAsync(Reservation reservation, CancellationToken cancellationToken = default) =>
        TrackClaim(
            TagValues.Confirm,
            _instruments.ConfirmDuration,
            reservation.Calendar,
            reservation.Slots,
            reservation,
            static (engine, state, ct) => engine.ConfirmAsync(state, ct),
            cancellationToken);

    /// <inheritdoc />
    public ValueTask<ClaimResult> ApproveAsync(Reservation reservation, CancellationToken cancellationToken = default) =>
        TrackClaim(
            TagValues.Approve,
            _instruments.ConfirmDuration,
            reservation.Calendar,
            reservation.Slots,
            reservation,
            static (engine, state, ct) => engine.ApproveAsync(state, ct),
            cancellationToken);

    /// <inheritdoc />
    public ValueTask<ClaimResult> ReleaseAsync(Reservation reservation, CancellationToken cancellationToken = default) =>
        TrackClaim(
            TagValues.Release,
            _instruments.ReleaseDuration,
            reservation.Calendar,
            reservation.Slots,
            reservation,
            static (engine, state, ct) => engine.ReleaseAsync(state, ct),
            cancellationToken);

    /// <inheritdoc />
    public ValueTask<ClaimResult> CancelAsync(Reservation reservation, CancelActor actor, CancellationToken cancellationToken = default) =>
        TrackClaim(
            TagValues.Cancel,
            _instruments.ReleaseDuration,
            reservation.Calendar,
            reservation.Slots,
            (reservation, actor),
            static (engine, state, ct) => engine.CancelAsync(state.reservation, state.actor, ct),
            cancellationToken);

    /// <summary>
    /// Runs one claim-like call: starts its activity, times it, counts its status and logs it. The
    /// delegate is static and its state a struct, so nothing is captured.
    /// </summary>
    private async ValueTask<ClaimResult> TrackClaim<TState>(
        string operation,
        Histogram<double> duration,
        CalendarKey calendar,
        SlotRange slots,
        TState state,
        Func<ISlotEngine, TState, CancellationToken, ValueTask<ClaimResult>> call,
        CancellationToken cancellationToken)
    {
        using var activity = StartActivity(ActivityNames.Of(operation), calendar);
        SetSlots(activity, slots);
        var started = _time.GetTimestamp();
        ClaimResult result;
        try
        {
            result = await call(_inner, state, cancellationToken).ConfigureAwait(false);
        }
        catch (SlotEngineArgumentException ex)
        {
            var error = TagValues.Of(ex.Code);
            RecordClaim(duration, operation, TagValues.Invalid, error, started);
            SetError(activity, error, ex.Message);
            Log.BadInput(_logger, operation, ex.Code, ex.Message);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var error = ex.GetType().FullName ?? ex.GetType().Name;
            RecordClaim(duration, operation, "error", error, started);
            SetError(activity, error, ex.Message);
            Log.OperationFailed(_logger, operation, ex);
            throw;
        }

        var status = TagValues.Of(result.Status);
        RecordClaim(duration, operation, status, null, started);
        activity?.SetTag(SlotEngineTelemetry.ClaimStatusTag, status);
        if (result.Succeeded)
        {
            Log.ClaimSucceeded(_logger, operation, slots, calendar, result.Reservation.Token);
        }
        else
        {
            Log.ClaimRefused(_logger, operation, slots, calendar, result.Status);
        }

        return result;
    }
}
