namespace SlotEngine.Tests.ModelTests;

/// <summary>
/// The fixed world the model runs in, described plainly so that the reference model computes slot
/// times itself rather than asking the engine's template: four providers, days 0 (today, outside
/// the booking window), 1 and 2, Europe/Istanbul (UTC+3 all year).
/// </summary>
internal static class ModelWorld
{
    public static readonly ProviderSpec[] Providers =
    [
        // P1: the standard MHRS day, 48 slots in two sessions, one seat.
        new(1, Clinic: 10, Facility: 1, [(8 * 60, 12 * 60), (13 * 60, 17 * 60)], 10, 1),

        // P2: 144 five-minute slots in one session: three 64-bit words.
        new(2, Clinic: 10, Facility: 1, [(7 * 60, 19 * 60)], 5, 1),

        // P3: 24 slots of 20 minutes, three seats each.
        new(3, Clinic: 11, Facility: 1, [(8 * 60, 12 * 60), (13 * 60, 17 * 60)], 20, 3),

        // P4: 72 five-minute slots (two words), two seats each, another facility.
        new(4, Clinic: 20, Facility: 2, [(7 * 60, 13 * 60)], 5, 2),
    ];

    public static readonly DateOnly Today = Support.TestWorld.Today;

    public static ProviderSpec Provider(int id) => Providers[id - 1];

    public static DateOnly Day(int day) => Today.AddDays(day);
}

/// <summary>A provider as the model sees it: clinic, facility, sessions in local minutes, slot length, seats.</summary>
internal sealed record ProviderSpec(int Id, int Clinic, int Facility, (int Start, int End)[] Sessions, int SlotMinutes, int Capacity)
{
    public int SlotCount => Sessions.Sum(s => (s.End - s.Start) / SlotMinutes);

    public DayTemplate ToTemplate() => new(
        Sessions.Select(s => new Session(new TimeOnly(s.Start / 60, s.Start % 60), new TimeOnly(s.End / 60, s.End % 60))),
        TimeSpan.FromMinutes(SlotMinutes),
        Capacity);

    /// <summary>The session index and local minute of the day at which a slot starts.</summary>
    public (int Session, int Minute) Locate(int slot)
    {
        for (var i = 0; i < Sessions.Length; i++)
        {
            var count = (Sessions[i].End - Sessions[i].Start) / SlotMinutes;
            if (slot < count)
            {
                return (i, Sessions[i].Start + (slot * SlotMinutes));
            }

            slot -= count;
        }

        throw new ArgumentOutOfRangeException(nameof(slot));
    }

    /// <summary>UTC ticks of a slot's start on a day (Istanbul is UTC+3).</summary>
    public long StartTicks(DateOnly day, int slot) =>
        day.ToDateTime(TimeOnly.MinValue).AddMinutes(Locate(slot).Minute).AddHours(-3).Ticks;
}
