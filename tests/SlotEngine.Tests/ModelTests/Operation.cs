using System.Globalization;

namespace SlotEngine.Tests.ModelTests;

/// <summary>One step of a generated scenario. Each has a short ToString so that a shrunk counterexample reads as a script.</summary>
public abstract record Operation
{
    protected static string DayName(int day) => "D" + day.ToString(CultureInfo.InvariantCulture);

    protected static string Slots(int first, int length) => length == 1
        ? FormattableString.Invariant($"slot {first}")
        : FormattableString.Invariant($"slots {first}+{length}");
}

/// <summary>Publishes provider <see cref="Provider"/>'s day (0 = today, outside the window).</summary>
public sealed record PublishOp(int Provider, int Day) : Operation
{
    public override string ToString() => FormattableString.Invariant($"publish P{Provider} {DayName(Day)}");
}

public sealed record WithdrawOp(int Provider, int Day) : Operation
{
    public override string ToString() => FormattableString.Invariant($"withdraw P{Provider} {DayName(Day)}");
}

/// <summary>A hold (HoldMinutes set) or booking (null).</summary>
public sealed record ClaimOp(int Provider, int Day, int First, int Length, int Patient, int? HoldMinutes, string? Key) : Operation
{
    public override string ToString() =>
        FormattableString.Invariant($"{(HoldMinutes is { } m ? $"hold {m}m" : "book")} P{Provider} {DayName(Day)} {Slots(First, Length)} for patient {Patient}") +
        (Key is null ? string.Empty : " key " + Key);
}

/// <summary>Confirms the reservation number <see cref="Ref"/> (modulo how many there are).</summary>
public sealed record ConfirmOp(int Ref) : Operation
{
    public override string ToString() => FormattableString.Invariant($"confirm r{Ref}");
}

public sealed record ReleaseOp(int Ref) : Operation
{
    public override string ToString() => FormattableString.Invariant($"release r{Ref}");
}

public sealed record CancelOp(int Ref, CancelActor Actor) : Operation
{
    public override string ToString() => FormattableString.Invariant($"cancel r{Ref} as {Actor}");
}

public sealed record BlockOp(int Provider, int Day, int First, int Length) : Operation
{
    public override string ToString() => FormattableString.Invariant($"block P{Provider} {DayName(Day)} {Slots(First, Length)}");
}

public sealed record ReopenOp(int Provider, int Day, int First, int Length) : Operation
{
    public override string ToString() => FormattableString.Invariant($"reopen P{Provider} {DayName(Day)} {Slots(First, Length)}");
}

public sealed record SweepOp : Operation
{
    public override string ToString() => "sweep";
}

public sealed record AdvanceOp(int Minutes) : Operation
{
    public override string ToString() => FormattableString.Invariant($"advance {Minutes}m");
}

public sealed record FreeCountsOp(int Provider) : Operation
{
    public override string ToString() => FormattableString.Invariant($"free counts P{Provider}");
}

/// <summary>Earliest query: Scope 0 = clinic 10, 1 = city 34 + branch 5, 2 = providers 2 and 3.</summary>
public sealed record EarliestOp(int Scope, int Length, int Count, int PerCalendar) : Operation
{
    public override string ToString() =>
        FormattableString.Invariant($"earliest {(Scope switch { 0 => "clinic 10", 1 => "city 34 branch 5", _ => "P2+P3" })} length {Length} count {Count} per calendar {PerCalendar}");
}

/// <summary>A generated test case: quotas on or off, and the steps.</summary>
public sealed record Scenario(bool Quotas, IReadOnlyList<Operation> Operations)
{
    public override string ToString() =>
        (Quotas ? "MHRS quotas" : "no quotas") + Environment.NewLine +
        string.Join(Environment.NewLine, Operations.Select((op, i) => FormattableString.Invariant($"  {i + 1,3}. {op}")));
}
