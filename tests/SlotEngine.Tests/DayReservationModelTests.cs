using FsCheck.Xunit;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// A day's own reservation (<see cref="DayTemplate.Reserved"/>) against a model: three days of one provider, one
/// published with its own reservation, one with the engine-wide reservation (or none), one with
/// <see cref="ReservedCapacity.None"/>; random claims with one pool, the other or none, releases, and time moving past
/// the releases. On each day the expected seat is the first free one in the order the day's reservation in force gives.
/// </summary>
public sealed class DayReservationModelTests
{
    private const int Capacity = 3;

    [Property(MaxTest = 150)]
    public bool Each_day_applies_the_reservation_it_was_published_with(byte[] ops, byte seed, bool engineWide)
    {
        var own = new ReservedCapacity("vet", (seed % Capacity) + 1, (seed / Capacity % 3) + 1, TimeSpan.FromHours(24));
        var wide = engineWide ? new ReservedCapacity("fd", ((seed >> 4) % Capacity) + 1, 2, TimeSpan.FromHours(72)) : ReservedCapacity.None;
        var world = new TestWorld(o =>
        {
            o.Reserved = wide;
            o.Quotas = QuotaPolicy.None;
        });
        var engine = world.Engine;
        var template = TestWorld.Template(10, Capacity, "08:00-10:00");
        var day = TestWorld.Today.AddDays(4);
        var calendars = new[]
        {
            world.Publish(TestWorld.P1, day, template.WithReserved(own)),
            world.Publish(TestWorld.P1, day.AddDays(1), template),
            world.Publish(TestWorld.P1, day.AddDays(2), template.WithReserved(ReservedCapacity.None)),
        };
        var inForce = new[] { own, wide, ReservedCapacity.None };
        var owner = new Reservation?[3, 12, Capacity];
        foreach (var op in ops ?? [])
        {
            var d = op % 3;
            var slot = (op >> 2) % 12;
            switch ((op >> 4) % 8)
            {
                case 7:
                    world.Time.Advance(TimeSpan.FromHours(7));
                    continue;
                case 6:
                    for (var s = 0; s < Capacity; s++)
                    {
                        if (owner[d, slot, s] is { } r)
                        {
                            if (!engine.TryRelease(r).Succeeded)
                            {
                                return false;
                            }

                            owner[d, slot, s] = null;
                            break;
                        }
                    }

                    continue;
            }

            var pool = ((op >> 1) % 3) switch { 0 => "fd", 1 => null, _ => "vet" };
            var reserved = inForce[d];
            var releasedAt = new DateTimeOffset(calendars[d].Day.ToDateTime(TimeOnly.MinValue), TestWorld.Istanbul) - reserved.ReleaseBefore;
            var open = !reserved.IsEnabled || world.Time.GetUtcNow() >= releasedAt || slot % reserved.EveryNthSlot != 0;
            IEnumerable<int> order = open ? Enumerable.Range(0, Capacity)
                : pool == reserved.Pool ? Enumerable.Range(0, Capacity).Reverse()
                : Enumerable.Range(0, Capacity - Math.Min(reserved.Seats, Capacity));
            var expected = order.Where(s => owner[d, slot, s] is null).Select(s => (int?)s).FirstOrDefault();
            var result = engine.TryClaim(ClaimRequest.Book(calendars[d], SlotRange.Single(slot), world.Patient(op % 11)) with { Pool = pool });
            if (expected is { } seat)
            {
                if (!result.Succeeded || result.Reservation.Seat != seat)
                {
                    return false;
                }

                owner[d, slot, seat] = result.Reservation;
            }
            else if (result.Status != (order.Any() ? ClaimStatus.Taken : ClaimStatus.ReservedForPool))
            {
                return false;
            }
        }

        return engine.FindQuiescentViolation() is null;
    }
}
