using Microsoft.Extensions.Time.Testing;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>Issue 8.4: "in the past" is Redis's judgement (its TIME), not the node's clock.</summary>
public sealed class ClockTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    [Fact]
    public async Task A_node_whose_clock_runs_ten_minutes_ahead_books_a_slot_that_starts_in_under_ten_minutes()
    {
        // A 5-minute slot that starts between now and ten minutes from now (by the real clock, which Redis shares here).
        var now = DateTimeOffset.UtcNow;
        var local = TimeZoneInfo.ConvertTime(now.AddMinutes(10), ContractWorld.Istanbul);
        var start = local.AddMinutes(-(local.Minute % 5)).AddSeconds(-local.Second).AddMilliseconds(-local.Millisecond);
        if (start.TimeOfDay >= new TimeSpan(23, 55, 0))
        {
            start = start.AddMinutes(-5); // the all-day template ends at 23:55
        }

        var day = DateOnly.FromDateTime(start.DateTime);
        var slot = (int)(start.TimeOfDay.TotalMinutes / 5);
        Assert.True(start > now, "the slot starts in the future");
        Assert.True(start <= now.AddMinutes(10), "and within the skew, so the skewed clock thinks it started");

        var ahead = new FakeTimeProvider(now.AddMinutes(10));
        await using var nodes = new StoreNodes(fixture.Server.Endpoint);
        var skewed = await nodes.AddAsync(o => o.Engine = new SlotEngineOptions { TimeZone = ContractWorld.Istanbul, TimeProvider = ahead, EarliestBookableDayOffset = 0, PatientKeyHasher = StoreNodes.SharedPatientKeys });
        await skewed.PublishAsync(ContractWorld.Doctor, day, ContractWorld.AllDay);

        var booked = await skewed.ClaimAsync(ClaimRequest.Book(new CalendarKey(ContractWorld.Doctor, day), SlotRange.Single(slot), ContractWorld.Patient(1)));
        Assert.True(booked.Succeeded, booked.ToString());

        // What has started by Redis's clock is still refused as in the past (slot 0 of today, unless it is the first minutes of the day).
        var past = await skewed.ClaimAsync(ClaimRequest.Book(new CalendarKey(ContractWorld.Doctor, day), SlotRange.Single(0), ContractWorld.Patient(2)));
        if (start.TimeOfDay > TimeSpan.FromMinutes(10))
        {
            Assert.Equal(ClaimStatus.InPast, past.Status);
        }
    }
}
