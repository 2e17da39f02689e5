namespace SlotEngine;

/// <summary>A place where an appointment of the asked length can start: a hint from a query.</summary>
/// <param name="Calendar">The calendar.</param>
/// <param name="Slots">The consecutive slots that were free.</param>
/// <param name="Start">When the first slot starts.</param>
public readonly record struct FreeStart(CalendarKey Calendar, SlotRange Slots, DateTimeOffset Start);
