namespace SlotEngine.Tests;

/// <summary>
/// The day slabs' sizes when a layout expects a number of calendars (<see cref="DayLayout.ExpectedCalendars"/>): the slabs
/// of a day that every expected provider publishes hold exactly its calendars, past the expected count they grow as without
/// it, and calendars in fitted slabs keep their own words and ids.
/// </summary>
public sealed class DaySlabFitTests
{
    private static readonly DateOnly Day = new(2026, 3, 3);

    [Theory]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(1_000)]
    [InlineData(4_097)]
    [InlineData(150_000)]
    public void Slabs_of_an_expected_count_hold_exactly_that_many_calendars(int expected)
    {
        var layout = new DayLayout(DayTemplate.Standard, Day, TimeZoneInfo.Utc, 0) { ExpectedCalendars = expected };
        var slabs = TakePlaces(layout, expected);

        Assert.Equal(expected, slabs.Sum(s => s.Places)); // no spare place: the last slab was cut to what was left
        Assert.All(slabs, s => Assert.InRange(s.Places, 1, DaySlab.MaxFittedPlaces));
        Assert.Equal(DaySlab.FirstPlaces, slabs[0].Places);
        for (var i = 1; i < slabs.Count; i++)
        {
            Assert.Equal(slabs[i - 1].PlacesBefore + slabs[i - 1].Places, slabs[i].PlacesBefore);
        }
    }

    [Fact]
    public void Past_the_expected_count_and_without_one_slabs_double_up_to_the_plain_limit()
    {
        var fitted = new DayLayout(DayTemplate.Standard, Day, TimeZoneInfo.Utc, 0) { ExpectedCalendars = 100 };
        var slabs = TakePlaces(fitted, 100 + 20_000);
        var past = slabs.SkipWhile(s => s.PlacesBefore < 100).ToList();
        Assert.NotEmpty(past);
        Assert.All(past, s => Assert.InRange(s.Places, 1, DaySlab.MaxPlaces));
        Assert.Equal(DaySlab.MaxPlaces, past[^1].Places);

        var plain = TakePlaces(new DayLayout(DayTemplate.Standard, Day, TimeZoneInfo.Utc, 0), 20_000);
        Assert.All(plain, s => Assert.InRange(s.Places, 1, DaySlab.MaxPlaces));
        Assert.Equal([16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 4096, 4096, 4096], plain.Select(s => s.Places));
    }

    [Theory]
    [InlineData(37, DaySlab.MaxFittedPlaces)] // 48 slots, one seat: 19 MB slabs
    [InlineData(74, DaySlab.MaxFittedPlaces / 2)] // places twice as wide: half as many, the same bytes
    [InlineData(2_210, DaySlab.MaxPlaces)] // very wide places (288 slots × 10 seats): never fewer than the plain limit
    public void A_fitted_slab_stays_within_its_bytes_whatever_the_width_of_a_place(int stride, int most)
    {
        var layout = new DayLayout(DayTemplate.Standard, Day, TimeZoneInfo.Utc, 0) { ExpectedCalendars = 10_000_000 };
        Assert.Equal(most, layout.NextSlabPlaces(DaySlab.MaxFittedPlaces, 1_000_000, stride));
        Assert.Equal(Math.Min(most, 64), layout.NextSlabPlaces(32, 64, stride)); // doubling below the cap
        Assert.Equal(7, layout.NextSlabPlaces(DaySlab.MaxFittedPlaces, 10_000_000 - 7, stride)); // the last one cut to fit
    }

    [Fact]
    public void Calendars_in_fitted_slabs_keep_their_own_slots_and_ids()
    {
        // 40 providers registered before the day is laid out: slabs of 16 and 24 places, the second cut to fit.
        const int Providers = 40;
        var engine = new InMemorySlotEngine(new SlotEngineOptions { Quotas = QuotaPolicy.None });
        engine.Directory.AddFacility(new FacilityId(1), new CityCode(34));
        engine.Directory.AddClinic(new ClinicId(1), new FacilityId(1), new BranchId(7));
        for (var p = 0; p < Providers; p++)
        {
            engine.Directory.AddProvider(new ProviderId(p), new ClinicId(1));
        }

        var day = engine.Today.AddDays(2);
        for (var p = 0; p < Providers; p++)
        {
            engine.Publish(new ProviderId(p), day, DayTemplate.Standard);
        }

        var calendars = Enumerable.Range(0, Providers).Select(p => engine.Directory.GetProvider(new ProviderId(p)).GetCalendar(day)!).ToList();
        Assert.Equal(Providers, calendars.Select(c => c.Id).Distinct().Count());
        var slab = calendars[^1].Layout.TakeCalendarPlace(out var next);
        Assert.Equal((0, 16 + 24), (next, slab.PlacesBefore)); // slabs of 16 and 24 held the 40: the next place opens a new slab

        // Each provider books its own slot (p mod 48) of the day; every calendar then has exactly that one slot taken.
        for (var p = 0; p < Providers; p++)
        {
            var patient = engine.PatientOf(NationalId.FromFirstNineDigits(100_000_000 + p));
            var claim = engine.TryClaim(ClaimRequest.Book(new CalendarKey(new ProviderId(p), day), SlotRange.Single(p % 48), patient));
            Assert.True(claim.Succeeded, $"provider {p}: {claim.Status}");
        }

        for (var p = 0; p < Providers; p++)
        {
            var snapshot = engine.GetCalendar(new CalendarKey(new ProviderId(p), day));
            Assert.Equal(47, snapshot.FreeSeatCount);
            Assert.Equal(0, snapshot.FreeSeats(p % 48));
        }
    }

    private static List<DaySlab> TakePlaces(DayLayout layout, int count)
    {
        var slabs = new List<DaySlab>();
        for (var i = 0; i < count; i++)
        {
            var slab = layout.TakeCalendarPlace(out var place);
            Assert.True(place >= 0 && place < slab.Places);
            if (slabs.Count == 0 || !ReferenceEquals(slabs[^1], slab))
            {
                Assert.Equal(0, place); // a new slab starts at its first place
                slabs.Add(slab);
            }
        }

        return slabs;
    }
}
