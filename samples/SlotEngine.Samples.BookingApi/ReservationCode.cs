using System.Globalization;

namespace SlotEngine.Samples.BookingApi;

/// <summary>
/// Turns a <see cref="Reservation"/> into an opaque id for the client and back:
/// provider-day-first-length-seat-token-patient-expiry. The patient part is the keyed hash, not the
/// national ID; confirm and cancel check that the caller's national ID hashes to it.
/// </summary>
internal static class ReservationCode
{
    public static string Format(in Reservation r) => string.Join(
        '-',
        r.Calendar.Provider.Value.ToString(CultureInfo.InvariantCulture),
        r.Calendar.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
        r.Slots.First.ToString(CultureInfo.InvariantCulture),
        r.Slots.Length.ToString(CultureInfo.InvariantCulture),
        r.Seat.ToString(CultureInfo.InvariantCulture),
        r.Token.ToString(CultureInfo.InvariantCulture),
        r.Patient.Value.ToString("x16", CultureInfo.InvariantCulture),
        (r.HoldExpiresAt?.UtcTicks ?? 0).ToString(CultureInfo.InvariantCulture));

    public static bool TryParse(string? code, out Reservation reservation)
    {
        reservation = default;
        var parts = code?.Split('-');
        if (parts is not { Length: 8 }
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var provider)
            || !DateOnly.TryParseExact(parts[1], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            || !int.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var seat)
            || !long.TryParse(parts[5], NumberStyles.None, CultureInfo.InvariantCulture, out var token)
            || !ulong.TryParse(parts[6], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var patient)
            || !long.TryParse(parts[7], NumberStyles.None, CultureInfo.InvariantCulture, out var expiryTicks)
            || token == 0
            || expiryTicks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }

        reservation = new Reservation(
            new CalendarKey(new ProviderId(provider), day),
            new SlotRange(first, length),
            seat,
            token,
            new PatientKey(patient),
            expiryTicks == 0 ? null : new DateTimeOffset(expiryTicks, TimeSpan.Zero));
        return true;
    }
}
