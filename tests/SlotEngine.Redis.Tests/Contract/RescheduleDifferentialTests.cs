using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// Random claims, moves (holds and bookings, within a clinic and across clinics and days), releases and stale moves applied to
/// the in-memory engine (checked against a model by RescheduleTests) and to the Redis store, one step at a time, under MHRS
/// quotas and a cap of live appointments: every status, seat and token must be the same, and so must every seat of every
/// calendar at the end. Holds last long enough never to expire during a run.
/// </summary>
public sealed class RescheduleDifferentialTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static readonly ProviderId[] Providers = [ContractWorld.Doctor, ContractWorld.SameClinic, ContractWorld.OtherClinic, ContractWorld.OtherFacility];

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public async Task Random_moves_give_the_same_answers_in_memory_and_on_Redis(int seed)
    {
        SlotEngineOptions Options() => new()
        {
            TimeZone = ContractWorld.Istanbul,
            MaxActiveAppointments = 2,
            PatientKeyHasher = PatientKeyHasher.FromSecret("slotengine-tests-shared-patient-secret"),
        };
        var days = new[] { ContractWorld.Day, ContractWorld.Day.AddDays(1) };
        var (memory, redis) = await DifferentialTests.EnginesAsync(fixture.Server.Endpoint, Options, "rd", Providers, days, _ => ContractWorld.Standard);
        await using var redisScope = redis;

        var random = new Random(seed);
        var issued = new List<Reservation>();
        var moved = 0;
        for (var step = 0; step < 250; step++)
        {
            var calendar = new CalendarKey(Providers[random.Next(Providers.Length)], days[random.Next(days.Length)]);
            var slot = random.Next(8);
            var patient = ContractWorld.Patient(random.Next(4));
            var op = random.Next(10);
            if (op < 4 || issued.Count == 0)
            {
                var request = random.Next(2) == 0
                    ? ClaimRequest.Hold(calendar, SlotRange.Single(slot), patient, TimeSpan.FromMinutes(30))
                    : ClaimRequest.Book(calendar, SlotRange.Single(slot), patient);
                var a = await memory.ClaimAsync(request);
                var b = await redis.ClaimAsync(request);
                Assert.Equal((a.Status, a.Reservation.Seat, a.Reservation.Token, a.Reservation.IsHold), (b.Status, b.Reservation.Seat, b.Reservation.Token, b.Reservation.IsHold));
                if (a.Succeeded)
                {
                    issued.Add(a.Reservation);
                }
            }
            else if (op < 8)
            {
                var current = issued[random.Next(issued.Count)];
                var target = ClaimRequest.Book(calendar, SlotRange.Single(slot), current.Patient);
                var a = await memory.RescheduleAsync(current, target);
                var b = await redis.RescheduleAsync(current, target);
                Assert.True(
                    (a.Status, a.Reservation.Seat, a.Reservation.Token, a.Reservation.IsHold) == (b.Status, b.Reservation.Seat, b.Reservation.Token, b.Reservation.IsHold),
                    $"step {step}: move {current} -> {calendar} {slot}: memory {a}, redis {b}");
                if (a.Succeeded)
                {
                    moved++;
                    issued.Remove(current);
                    issued.Add(a.Reservation);
                }
            }
            else
            {
                var current = issued[random.Next(issued.Count)];
                var a = await memory.ReleaseAsync(current);
                var b = await redis.ReleaseAsync(current);
                Assert.Equal(a.Status, b.Status);
                issued.Remove(current);
            }
        }

        Assert.True(moved > 0);
        foreach (var provider in Providers)
        {
            foreach (var day in days)
            {
                var key = new CalendarKey(provider, day);
                var a = await memory.GetCalendarAsync(key);
                var b = await redis.GetCalendarAsync(key);
                for (var s = 0; s < a.SlotCount; s++)
                {
                    Assert.Equal((a[s].Status, a[s].Owner, a[s].Token), (b[s].Status, b[s].Owner, b[s].Token));
                }
            }
        }
    }
}
