using Microsoft.Extensions.Time.Testing;
using System.Buffers.Binary;
using SlotEngine.Stores;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// The public seam for store authors (<see cref="ReadModel"/>), through its public API only: a calendar loads from a
/// bitmap and claims, deltas apply only at the version they were made from, and queries answer through the engine.
/// </summary>
public class ReadModelTests
{
    private static readonly CalendarKey Key = new(TestWorld.P1, TestWorld.Tomorrow);

    private static (ReadModel Model, FakeTimeProvider Time) NewModel()
    {
        var time = new FakeTimeProvider(TestWorld.Start);
        var model = new ReadModel(new SlotEngineOptions { TimeProvider = time, PatientKeyHasher = PatientKeyHasher.FromSecret("read-model-tests-secret-0001") });
        model.Engine.Directory.AddFacility(new FacilityId(1), TestWorld.Istanbul34);
        model.Engine.Directory.AddClinic(TestWorld.C10, new FacilityId(1), TestWorld.Branch5);
        model.Engine.Directory.AddProvider(TestWorld.P1, TestWorld.C10);
        return (model, time);
    }

    /// <summary>The store's bitmap of a day: every offered slot free on every seat, minus the claimed ones.</summary>
    private static byte[] Bitmap(DayLayout layout, params (int Seat, int Slot)[] claimed)
    {
        var wordsPerSeat = (layout.SlotCount + 63) / 64;
        var words = new ulong[wordsPerSeat * layout.Template.Capacity];
        for (var seat = 0; seat < layout.Template.Capacity; seat++)
        {
            for (var slot = 0; slot < layout.SlotCount; slot++)
            {
                if (layout.IsOffered(slot) && !claimed.Contains((seat, slot)))
                {
                    words[(seat * wordsPerSeat) + (slot / 64)] |= 1UL << (slot % 64);
                }
            }
        }

        var bytes = new byte[words.Length * 8];
        for (var i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), words[i]);
        }

        return bytes;
    }

    [Fact]
    public void A_day_the_store_just_opened_loads_from_its_template_as_an_empty_bitmap_would()
    {
        var (model, _) = NewModel();
        var other = new CalendarKey(TestWorld.P1, TestWorld.Tomorrow.AddDays(1));
        var layout = model.LayoutOf(DayTemplate.Standard, other.Day);
        model.Load(other, DayTemplate.Standard, version: 1, lastToken: 0, Bitmap(layout), []);

        var calendar = model.LoadPublished(Key, DayTemplate.Standard, version: 1);

        Assert.Equal(1, calendar.Version);
        Assert.Equal(model.Engine.GetCalendar(other).FreeSeatCount, model.Engine.GetCalendar(Key).FreeSeatCount);
        Assert.Equal(Enumerable.Range(0, layout.SlotCount).Select(s => model.Engine.GetCalendar(other)[s].Status), Enumerable.Range(0, layout.SlotCount).Select(s => model.Engine.GetCalendar(Key)[s].Status));
        Assert.True(model.ApplyClaim(Key, 1, 2, new ReadModelClaim(0, 0, 1, 1, new PatientKey(7), Booked: true, HoldExpiryTicks: 0)));
        Assert.Equal([Key, other], model.EnumerateKeys().OrderBy(k => k.Day));
        Assert.Equal(model.Keys().OrderBy(k => k.Day), model.EnumerateKeys().OrderBy(k => k.Day));
    }

    [Fact]
    public void A_day_laid_in_again_is_never_missing_for_a_concurrent_reader()
    {
        // A reset heard for a day the read model holds replaces its calendar. A claim or query racing it must find the old
        // calendar or the new one: with a removal before the new publish, a reader could find the day not published.
        var (model, _) = NewModel();
        model.LoadPublished(Key, DayTemplate.Standard, version: 1);
        var done = 0;
        var missing = 0;
        var reads = 0;
        var reader = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0 || reads < 1_000)
            {
                try
                {
                    _ = model.Engine.GetCalendar(Key);
                }
                catch (SlotEngineArgumentException e) when (e.Code == SlotEngineError.DayNotPublished)
                {
                    Interlocked.Increment(ref missing);
                }

                reads++;
            }
        });
        reader.Start();
        for (var version = 2; version < 2_000; version++)
        {
            var calendar = model.LoadPublished(Key, DayTemplate.Standard, version);
            Assert.Equal(version, calendar.Version);
        }

        Volatile.Write(ref done, 1);
        reader.Join();
        Assert.Equal(0, missing);
        Assert.Equal(1_999, model.Engine.GetCalendar(Key).Version);
    }

    [Fact]
    public void A_calendar_loads_from_a_bitmap_and_claims_and_answers_queries_through_the_engine()
    {
        var (model, _) = NewModel();
        var layout = model.LayoutOf(DayTemplate.Standard, Key.Day);
        var patient = new PatientKey(0xABCDEF);
        var holdExpiry = TestWorld.Start.AddMinutes(5).UtcTicks;

        var calendar = model.Load(Key, DayTemplate.Standard, version: 7, lastToken: 12, Bitmap(layout, (0, 3), (0, 4), (0, 10)), [
            new ReadModelClaim(0, 3, 2, 11, patient, Booked: true, HoldExpiryTicks: 0),
            new ReadModelClaim(0, 10, 1, 12, patient, Booked: false, holdExpiry),
        ]);

        Assert.Same(calendar, model.Find(Key));
        Assert.Equal(7, calendar.Version);
        Assert.Equal(12, calendar.LastToken);
        Assert.Equal(layout.SlotCount, calendar.SlotCount);
        Assert.Equal(TestWorld.C10, calendar.Clinic);
        Assert.Equal(new FacilityId(1), calendar.Facility);
        var snapshot = model.Engine.GetCalendar(Key);
        Assert.Equal(new SeatView(SlotStatus.Booked, patient, 11, null), snapshot[3]);
        Assert.Equal(SlotStatus.Booked, snapshot[4].Status);
        Assert.Equal(new SeatView(SlotStatus.Held, patient, 12, new DateTimeOffset(holdExpiry, TimeSpan.Zero)), snapshot[10]);
        Assert.Equal(SlotStatus.Free, snapshot[5].Status);
        Assert.Equal([Key], model.Keys());
    }

    [Fact]
    public void Deltas_apply_only_at_the_version_they_were_made_from_and_a_refused_one_changes_nothing()
    {
        var (model, _) = NewModel();
        var layout = model.LayoutOf(DayTemplate.Standard, Key.Day);
        model.Load(Key, DayTemplate.Standard, 1, 0, Bitmap(layout), []);
        var patient = new PatientKey(42);
        var hold = new ReadModelClaim(0, 6, 2, 1, patient, Booked: false, TestWorld.Start.AddMinutes(5).UtcTicks);

        Assert.False(model.ApplyClaim(Key, fromVersion: 2, toVersion: 3, hold)); // the read model is at 1: reload instead
        Assert.Equal(SlotStatus.Free, model.Engine.GetCalendar(Key)[6].Status);
        Assert.True(model.ApplyClaim(Key, 1, 2, hold));
        Assert.False(model.ApplyClaim(Key, 2, 3, hold with { Token = 2 })); // the slots are taken here
        Assert.Equal(2, model.Find(Key)!.Version);

        Assert.False(model.ApplyConfirm(Key, 2, 3, 0, 6, token: 99)); // not this hold's token
        Assert.True(model.ApplyConfirm(Key, 2, 3, 0, 6, token: 1));
        Assert.Equal(SlotStatus.Booked, model.Engine.GetCalendar(Key)[7].Status);

        Assert.False(model.ApplyRelease(Key, 2, 4, 0, 6, 1)); // stale version
        Assert.True(model.ApplyRelease(Key, 3, 4, 0, 6, 1));
        Assert.Equal(SlotStatus.Free, model.Engine.GetCalendar(Key)[6].Status);
        Assert.Equal(4, model.Find(Key)!.Version);
    }

    [Fact]
    public void Remove_and_reset_drop_calendars_and_deltas_to_them_are_refused()
    {
        var (model, _) = NewModel();
        var layout = model.LayoutOf(DayTemplate.Standard, Key.Day);
        model.Load(Key, DayTemplate.Standard, 1, 0, Bitmap(layout), []);
        var other = Key with { Day = Key.Day.AddDays(1) };
        model.Load(other, DayTemplate.Standard, 1, 0, Bitmap(model.LayoutOf(DayTemplate.Standard, other.Day)), []);

        Assert.True(model.Remove(Key));
        Assert.False(model.Remove(Key));
        Assert.Null(model.Find(Key));
        Assert.False(model.ApplyClaim(Key, 1, 2, new ReadModelClaim(0, 0, 1, 1, new PatientKey(1), true, 0)));
        Assert.Equal(1, model.Reset());
        Assert.Empty(model.Keys());
        Assert.Equal(SlotEngineError.DayNotPublished, Assert.Throws<SlotEngineArgumentException>(() => model.Require(other)).Code);
    }

    [Fact]
    public void Requests_are_validated_as_the_engine_validates_them()
    {
        var (model, _) = NewModel();
        model.Load(Key, DayTemplate.Standard, 1, 0, Bitmap(model.LayoutOf(DayTemplate.Standard, Key.Day)), []);
        var memory = new TestWorld();
        memory.Publish(TestWorld.P1, TestWorld.Tomorrow);
        ClaimRequest[] bad =
        [
            ClaimRequest.Book(Key, SlotRange.Single(0), default),
            ClaimRequest.Hold(Key, SlotRange.Single(0), new PatientKey(1), TimeSpan.FromHours(2)),
            ClaimRequest.Book(Key, new SlotRange(500, 1), new PatientKey(1)),
            ClaimRequest.Book(Key, new SlotRange(0, 0), new PatientKey(1)),
            ClaimRequest.Book(Key with { Provider = new ProviderId(999) }, SlotRange.Single(0), new PatientKey(1)),
            ClaimRequest.Book(Key with { Day = Key.Day.AddDays(3) }, SlotRange.Single(0), new PatientKey(1)),
        ];

        foreach (var request in bad)
        {
            var expected = Assert.Throws<SlotEngineArgumentException>(() => memory.Engine.TryClaim(request));
            var actual = Assert.Throws<SlotEngineArgumentException>(() => model.ValidateClaim(request));
            Assert.Equal(expected.Code, actual.Code);
            Assert.Equal(expected.Message, actual.Message);
        }

        Assert.Equal(SlotEngineError.UnknownProvider, Assert.Throws<SlotEngineArgumentException>(() => model.ValidateProvider(new ProviderId(999))).Code);
        Assert.Same(model.Find(Key), model.ValidateClaim(ClaimRequest.Book(Key, SlotRange.Single(0), new PatientKey(1))));
    }

    [Fact]
    public void The_token_limit_is_29_bits()
    {
        Assert.Equal((1L << 29) - 1, ReadModel.MaxToken);
    }
}
