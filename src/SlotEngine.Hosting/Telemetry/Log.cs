using Microsoft.Extensions.Logging;

namespace SlotEngine.Hosting;

/// <summary>
/// SlotEngine's log lines. They name calendars, slots, tokens and statuses, never a patient: a
/// national ID never reaches the engine, and the patient key (a hash) is left out too.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "ClaimSucceeded", Level = LogLevel.Debug, Message = "{Operation} of {Slots} on {Calendar} succeeded with token {Token}")]
    public static partial void ClaimSucceeded(ILogger logger, string operation, SlotRange slots, CalendarKey calendar, long token);

    [LoggerMessage(EventId = 2, EventName = "ClaimRefused", Level = LogLevel.Debug, Message = "{Operation} of {Slots} on {Calendar} refused: {Status}")]
    public static partial void ClaimRefused(ILogger logger, string operation, SlotRange slots, CalendarKey calendar, ClaimStatus status);

    [LoggerMessage(EventId = 3, EventName = "BadInput", Level = LogLevel.Warning, Message = "{Operation} refused as bad input ({Error}): {Reason}")]
    public static partial void BadInput(ILogger logger, string operation, SlotEngineError error, string reason);

    [LoggerMessage(EventId = 4, EventName = "OperationFailed", Level = LogLevel.Error, Message = "{Operation} failed")]
    public static partial void OperationFailed(ILogger logger, string operation, Exception exception);

    [LoggerMessage(EventId = 5, EventName = "HoldsSwept", Level = LogLevel.Information, Message = "Swept {Count} expired hold(s)")]
    public static partial void HoldsSwept(ILogger logger, int count);

    [LoggerMessage(EventId = 6, EventName = "SweepFailed", Level = LogLevel.Error, Message = "Sweeping expired holds failed; the sweeper tries again in {Interval}")]
    public static partial void SweepFailed(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(EventId = 7, EventName = "DayPublished", Level = LogLevel.Debug, Message = "Published {Calendar}: {Template}")]
    public static partial void DayPublished(ILogger logger, CalendarKey calendar, DayTemplate template);

    [LoggerMessage(EventId = 8, EventName = "ClaimsDisplaced", Level = LogLevel.Information, Message = "{Operation} on {Calendar} closed {ClosedSeats} seat(s) and displaced {Displaced} claim(s)")]
    public static partial void ClaimsDisplaced(ILogger logger, string operation, CalendarKey calendar, int closedSeats, int displaced);

    [LoggerMessage(EventId = 9, EventName = "SweeperStarted", Level = LogLevel.Information, Message = "Expired-hold sweeper started; it sweeps every {Interval}")]
    public static partial void SweeperStarted(ILogger logger, TimeSpan interval);
}
