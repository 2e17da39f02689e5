using System.Globalization;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace SlotEngine.Tests.Support;

/// <summary>
/// A small directory for tests, on an engine driven by a <see cref="FakeTimeProvider"/> in Europe/Istanbul
/// (UTC+3 all year). Facilities 1 and 2 are in city 34, facility 3 in city 6. Clinic 10 is branch 5
/// at facility 1 (providers 1 and 2), clinic 11 is branch 7 at facility 1 (provider 3), clinic 20 is
/// branch 5 at facility 2 (provider 4), clinic 30 is branch 5 at facility 3 (provider 5).
/// </summary>
internal sealed class TestWorld
{
    /// <summary>Sunday 22 November 2026, 09:00 in Istanbul.</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 22, 9, 0, 0, TimeSpan.FromHours(3));

    public static readonly DateOnly Today = new(2026, 11, 22);

    public static readonly DateOnly Tomorrow = Today.AddDays(1);

    public static readonly TimeSpan Istanbul = TimeSpan.FromHours(3);

    public static readonly ProviderId P1 = new(1);
    public static readonly ProviderId P2 = new(2);
    public static readonly ProviderId P3 = new(3);
    public static readonly ProviderId P4 = new(4);
    public static readonly ProviderId P5 = new(5);
    public static readonly ClinicId C10 = new(10);
    public static readonly ClinicId C11 = new(11);
    public static readonly ClinicId C20 = new(20);
    public static readonly ClinicId C30 = new(30);
    public static readonly CityCode Istanbul34 = new(34);
    public static readonly BranchId Branch5 = new(5);

    /// <summary>One session 07:00–19:00 in 5-minute slots: 144 slots, three 64-bit words per seat.</summary>
    public static readonly DayTemplate Wide = new([new Session(new TimeOnly(7, 0), new TimeOnly(19, 0))], TimeSpan.FromMinutes(5));

    private static readonly byte[] Secret = Encoding.ASCII.GetBytes("slotengine-tests-secret-0123456789");

    public TestWorld(Action<SlotEngineOptions>? configure = null, DateTimeOffset? start = null)
    {
        Time = new FakeTimeProvider(start ?? Start);
        var options = new SlotEngineOptions { TimeProvider = Time, PatientKeyHasher = new PatientKeyHasher(Secret) };
        configure?.Invoke(options);
        Engine = new InMemorySlotEngine(options);
        var directory = Engine.Directory;
        directory.AddFacility(new FacilityId(1), Istanbul34);
        directory.AddFacility(new FacilityId(2), Istanbul34);
        directory.AddFacility(new FacilityId(3), new CityCode(6));
        directory.AddClinic(C10, new FacilityId(1), Branch5);
        directory.AddClinic(C11, new FacilityId(1), new BranchId(7));
        directory.AddClinic(C20, new FacilityId(2), Branch5);
        directory.AddClinic(C30, new FacilityId(3), Branch5);
        directory.AddProvider(P1, C10);
        directory.AddProvider(P2, C10);
        directory.AddProvider(P3, C11);
        directory.AddProvider(P4, C20);
        directory.AddProvider(P5, C30);
    }

    public FakeTimeProvider Time { get; }

    public InMemorySlotEngine Engine { get; }

    /// <summary>A template of the given sessions ("08:00-12:00"), slot minutes and capacity.</summary>
    public static DayTemplate Template(int slotMinutes, int capacity, params string[] sessions) => new(
        sessions.Select(s => new Session(TimeOnly.Parse(s[..5], CultureInfo.InvariantCulture), TimeOnly.Parse(s[6..], CultureInfo.InvariantCulture))),
        TimeSpan.FromMinutes(slotMinutes),
        capacity);

    /// <summary>The n-th test patient (n from 0), a valid national ID hashed by the engine.</summary>
    public PatientKey Patient(int n) => Engine.PatientOf(IdOf(n));

    public static NationalId IdOf(int n) => NationalId.FromFirstNineDigits(100_000_000 + (n * 7_919));

    public CalendarKey Publish(ProviderId provider, DateOnly day, DayTemplate? template = null)
    {
        Engine.Publish(provider, day, template ?? DayTemplate.Standard);
        return new CalendarKey(provider, day);
    }

    public ClaimResult Hold(CalendarKey calendar, int first, int length, int patient, int minutes = 10, string? key = null) =>
        Engine.TryClaim(ClaimRequest.Hold(calendar, new SlotRange(first, length), Patient(patient), TimeSpan.FromMinutes(minutes), key));

    public ClaimResult Book(CalendarKey calendar, int first, int length, int patient, string? key = null) =>
        Engine.TryClaim(ClaimRequest.Book(calendar, new SlotRange(first, length), Patient(patient), key));

    /// <summary>Books and asserts success.</summary>
    public Reservation MustBook(CalendarKey calendar, int first, int length, int patient)
    {
        var result = Book(calendar, first, length, patient);
        Assert.True(result.Succeeded, $"booking {calendar} {first}+{length} for patient {patient}: {result}");
        return result.Reservation;
    }

    /// <summary>Holds and asserts success.</summary>
    public Reservation MustHold(CalendarKey calendar, int first, int length, int patient, int minutes = 10)
    {
        var result = Hold(calendar, first, length, patient, minutes);
        Assert.True(result.Succeeded, $"holding {calendar} {first}+{length} for patient {patient}: {result}");
        return result.Reservation;
    }

    /// <summary>The UTC instant a local time of a day in Istanbul is.</summary>
    public static DateTimeOffset At(DateOnly day, int hour, int minute = 0) =>
        new DateTimeOffset(day.ToDateTime(new TimeOnly(hour, minute)), Istanbul).ToUniversalTime();

    /// <summary>
    /// Fails when any open calendar breaks an invariant (a free bit with a claim cell, a transition
    /// left half done, a claim's cells out of step with its head, a live-hold count or earliest-expiry
    /// bound out of step). Valid only while no operation runs.
    /// </summary>
    public void AssertInvariants() => AssertInvariants(Engine);

    /// <inheritdoc cref="AssertInvariants()"/>
    public static void AssertInvariants(InMemorySlotEngine engine)
    {
        var violation = engine.FindQuiescentViolation();
        Assert.True(violation is null, "invariant broken: " + violation);
    }

    /// <summary>Every observable fact of some calendars (version, each seat) as text, to compare before and after.</summary>
    public string Fingerprint(params CalendarKey[] calendars)
    {
        var text = new StringBuilder();
        foreach (var key in calendars)
        {
            CalendarSnapshot snapshot;
            try
            {
                snapshot = Engine.GetCalendar(key);
            }
            catch (SlotEngineArgumentException e)
            {
                text.Append(key).Append(": ").Append(e.Code).AppendLine();
                continue;
            }

            text.Append(key).Append(" v").Append(snapshot.Version).AppendLine();
            for (var seat = 0; seat < snapshot.Capacity; seat++)
            {
                for (var slot = 0; slot < snapshot.SlotCount; slot++)
                {
                    var view = snapshot[slot, seat];
                    if (view.Status != SlotStatus.Free)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"  {seat}/{slot}: {view}").AppendLine();
                    }
                }
            }
        }

        return text.ToString();
    }
}
