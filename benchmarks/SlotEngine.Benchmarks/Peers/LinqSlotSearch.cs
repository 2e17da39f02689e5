namespace SlotEngine.Benchmarks.Peers;

/// <summary>A slot as an object, the way a straightforward model (or an ORM) would hold it.</summary>
public sealed class Slot
{
    public required int Clinic { get; init; }

    public required int Provider { get; init; }

    public required DateOnly Day { get; init; }

    public required int Index { get; init; }

    public required DateTimeOffset Start { get; init; }

    public bool IsFree { get; set; }
}

/// <summary>
/// The earliest free slots of a clinic as a team would first write them: LINQ over a list of slot
/// objects — filter, order by start then provider, take N. Same answer as the engine's
/// <c>FindEarliest</c> with one-slot appointments and N starts allowed per calendar.
/// </summary>
public sealed class LinqSlotSearch(IReadOnlyList<Slot> slots)
{
    public List<Slot> Earliest(int clinic, DateOnly from, DateOnly to, DateTimeOffset now, int count) =>
        slots
            .Where(s => s.Clinic == clinic && s.IsFree && s.Day >= from && s.Day <= to && s.Start > now)
            .OrderBy(s => s.Start)
            .ThenBy(s => s.Provider)
            .Take(count)
            .ToList();
}
