using System.Globalization;
using SlotEngine.Redis.Client;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis;

public sealed partial class RedisSlotEngine
{
    /// <summary>
    /// Replaces a day in Redis with exactly the given bookings, from the caller's system of record: for
    /// after a failover that lost acknowledged writes (replication is asynchronous), or a restart without
    /// persistence. Every other hold, booking and block of the day is dropped; the bookings keep their
    /// seats and tokens (so the patients' reservations still confirm and cancel), and new tokens continue
    /// above every token that may have been issued (the old last token, <paramref name="tokenFloor"/>, the
    /// bookings'), plus a margin of 2^20, so that no reservation lost in the failover can match a new claim.
    /// Each booking takes its quota entries again (when a rule is already full, a warning is reported).
    /// </summary>
    /// <param name="calendar">The day.</param>
    /// <param name="template">Its template.</param>
    /// <param name="bookings">The bookings to restore (each as its reservation; holds are restored as bookings).</param>
    /// <param name="tokenFloor">The highest fencing token the caller knows was issued on the day (0 if unknown).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The day's new last token: claims from now on get higher ones.</returns>
    /// <exception cref="SlotEngineArgumentException">Unknown provider; a booking of another calendar, out of range, on a seat the template lacks, or overlapping another.</exception>
    public async Task<long> RebuildCalendarAsync(CalendarKey calendar, DayTemplate template, IEnumerable<Reservation> bookings, long tokenFloor = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(bookings);
        _readModel.ValidateProvider(calendar.Provider);
        var (text, stored) = StoredTemplateOf(calendar.Day, template);
        var layout = _readModel.LayoutOf(stored, calendar.Day);
        var list = bookings.ToList();
        var taken = new HashSet<(int Seat, int Slot)>();
        foreach (var booking in list)
        {
            ValidateRebuilt(calendar, template, layout, booking, taken);
        }

        var keys = _keys.For(calendar);
        var args = new List<RedisArgument>(FeedArgs(
            keys,
            text,
            layout.SlotCount,
            template.Capacity,
            BitmapLayout.WordsPerSeat(layout.SlotCount),
            BitmapLayout.Initial(layout),
            Math.Max(0, tokenFloor)));
        foreach (var booking in list)
        {
            args.AddRange([booking.Seat, booking.Slots.First, booking.Slots.Length, booking.Token, Hex(booking.Patient)]);
        }

        await EnsureSubscribedAsync(calendar, cancellationToken).ConfigureAwait(false);
        var reply = await EvalAsync(StoreScripts.Rebuild, CalendarKeys(keys), [.. args], cancellationToken).ConfigureAwait(false);
        await BoundedLoadAsync(_feed.RefreshAsync(calendar), calendar.ToString()).ConfigureAwait(false);
        var local = _readModel.Find(calendar) ?? throw new SlotEngineRedisException($"{calendar} did not load after its rebuild.");
        foreach (var booking in list)
        {
            var request = ClaimRequest.Book(calendar, booking.Slots, booking.Patient);
            var nonce = "r" + booking.Token.ToString(CultureInfo.InvariantCulture);
            if (AdmissionOf(request, local, nonce, withCall: false, nonce, quotasOnly: true) is { } admission
                && (await AdmitAsync(admission, cancellationToken).ConfigureAwait(false)).Lease is null)
            {
                _options.Warning?.Invoke($"Rebuilt booking {booking} exceeds its patient's quota (the other claims survived the failover); it is kept.");
            }
        }

        return reply[1].AsInt64();
    }

    private static void ValidateRebuilt(CalendarKey calendar, DayTemplate template, DayLayout layout, Reservation booking, HashSet<(int Seat, int Slot)> taken)
    {
        if (booking.IsDefault || booking.Patient.IsDefault)
        {
            throw new SlotEngineArgumentException(SlotEngineError.MissingReservation, "A booking to rebuild is the default value or has no patient.", nameof(booking));
        }

        if (booking.Calendar != calendar)
        {
            throw new SlotEngineArgumentException(SlotEngineError.DayNotPublished, $"{booking} belongs to another calendar than {calendar}.", nameof(booking));
        }

        if (booking.Slots.First < 0 || booking.Slots.First >= layout.SlotCount || booking.Slots.Length < 1 || booking.Slots.End > layout.SlotCount)
        {
            throw new SlotEngineArgumentException(SlotEngineError.SlotOutOfRange, $"{booking} lies outside {calendar}, which has {layout.SlotCount} slots.", nameof(booking));
        }

        if (booking.Seat < 0 || booking.Seat >= template.Capacity)
        {
            throw new SlotEngineArgumentException(SlotEngineError.SeatOutOfRange, $"{booking} names seat {booking.Seat}; the template has {template.Capacity}.", nameof(booking));
        }

        if (booking.Token < 1 || booking.Token > Stores.ReadModel.MaxToken)
        {
            throw new SlotEngineArgumentException(SlotEngineError.TokensExhausted, $"{booking} has a token outside 1..{Stores.ReadModel.MaxToken}.", nameof(booking));
        }

        for (var slot = booking.Slots.First; slot < booking.Slots.End; slot++)
        {
            if (!taken.Add((booking.Seat, slot)))
            {
                throw new SlotEngineArgumentException(SlotEngineError.RegistrationConflict, $"{booking} overlaps another booking to rebuild on seat {booking.Seat}, slot {slot}.", nameof(booking));
            }
        }
    }
}
