using System.Collections.Concurrent;
using SlotEngine.Redis.Tests.Contract;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// What the clients of a fault test were told: every acknowledged booking, and every acknowledged
/// release. <see cref="VerifyAsync"/> checks the end state against it with a fresh node reading Redis:
/// no seat with two owners among the acknowledged bookings, and no acknowledged booking lost.
/// </summary>
internal sealed class ClaimLedger
{
    private readonly ConcurrentDictionary<(CalendarKey Calendar, int Seat, int First, long Token), Reservation> _booked = new();
    private readonly ConcurrentDictionary<(CalendarKey Calendar, int Seat, int First, long Token), byte> _released = new();

    public int Acknowledged => _booked.Count;

    public void Booked(Reservation reservation)
    {
        Assert.False(reservation.IsHold);
        _booked.TryAdd((reservation.Calendar, reservation.Seat, reservation.Slots.First, reservation.Token), reservation);
    }

    public void Released(Reservation reservation) =>
        _released.TryAdd((reservation.Calendar, reservation.Seat, reservation.Slots.First, reservation.Token), 0);

    /// <summary>Checks the ledger against <paramref name="reader"/>'s view (a node that loads every calendar from Redis).</summary>
    public async Task VerifyAsync(ISlotEngine reader, IEnumerable<CalendarKey> calendars, Func<CalendarKey, Task>? load = null)
    {
        var owners = new Dictionary<(CalendarKey, int Seat, int Slot), Reservation>();
        foreach (var reservation in _booked.Values)
        {
            for (var slot = reservation.Slots.First; slot < reservation.Slots.End; slot++)
            {
                var seat = (reservation.Calendar, reservation.Seat, slot);
                if (owners.TryGetValue(seat, out var other) && !IsReleased(other) && !IsReleased(reservation))
                {
                    Assert.Fail($"Two acknowledged owners of {reservation.Calendar} seat {reservation.Seat} slot {slot}: {other} and {reservation}.");
                }

                if (!IsReleased(reservation))
                {
                    owners[seat] = reservation;
                }
            }
        }

        foreach (var calendar in calendars)
        {
            if (load is not null)
            {
                await load(calendar);
            }

            var snapshot = await reader.GetCalendarAsync(calendar);
            for (var slot = 0; slot < snapshot.SlotCount; slot++)
            {
                for (var seat = 0; seat < snapshot.Capacity; seat++)
                {
                    if (owners.TryGetValue((calendar, seat, slot), out var booking))
                    {
                        var view = snapshot[slot, seat];
                        Assert.True(
                            view.Status == SlotStatus.Booked && view.Token == booking.Token && view.Owner == booking.Patient,
                            $"Acknowledged booking {booking} is lost: slot {slot} seat {seat} reads {view}.");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="workers"/> workers, each on writer <c>worker % writers.Count</c>, that make up to
    /// <paramref name="rounds"/> bookings (hold, then confirm) across <paramref name="days"/> of <paramref name="provider"/>,
    /// recording each here, and release every third; an exception from a call goes to <paramref name="failures"/> (the
    /// fault under test may refuse a call) and the worker goes on. <paramref name="stop"/> ends them early.
    /// </summary>
    public Task[] StartChurn(IReadOnlyList<ISlotEngine> writers, int workers, int rounds, ProviderId provider, DateOnly[] days, ConcurrentQueue<Exception> failures, CancellationToken stop = default) =>
        Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var writer = writers[worker % writers.Count];
            for (var i = 0; i < rounds && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var calendar = new CalendarKey(provider, days[(worker + i) % days.Length]);
                    var result = await writer.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(i % 48), ContractWorld.Patient(worker), TimeSpan.FromMinutes(5)));
                    if (result.Succeeded)
                    {
                        var confirmed = await writer.ConfirmAsync(result.Reservation);
                        Assert.True(confirmed.Succeeded, confirmed.ToString());
                        Booked(confirmed.Reservation);
                        if (i % 3 == 0)
                        {
                            Assert.True((await writer.ReleaseAsync(confirmed.Reservation)).Succeeded);
                            Released(confirmed.Reservation);
                        }
                    }
                }
                catch (Exception e)
                {
                    failures.Enqueue(e);
                }
            }
        })).ToArray();

    private bool IsReleased(Reservation reservation) =>
        _released.ContainsKey((reservation.Calendar, reservation.Seat, reservation.Slots.First, reservation.Token));
}
