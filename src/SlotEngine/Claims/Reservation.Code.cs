using System.Buffers.Binary;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;

namespace SlotEngine;

/// <summary>The signed reservation code.</summary>
/// <remarks>
/// <para>A booking API gives its client a reservation as one opaque, URL-safe string and takes it back
/// for confirm and cancel. The code carries every field of the reservation and a signature under the
/// engine's secret, so a client cannot change the token, seat, slots, calendar, patient or expiry:
/// whatever it changes, the code is refused before the engine sees it. Nodes that share the secret
/// (the <see cref="PatientKeyHasher"/> every node sharing calendars must use anyway) read each
/// other's codes; a code from an engine with another secret is refused.</para>
/// <para><b>Layout, version 1</b> (then base64url without padding, RFC 4648 §5):
/// <code>
///  byte     version              1
///  byte     flags                bit 0: a hold (an expiry follows); other bits 0
///  varint   provider id          unsigned LEB128 of the 32-bit value
///  varint   day                  DateOnly.DayNumber
///  varint   first slot, length, seat
///  varint   token                unsigned LEB128 of the 64-bit value
///  8 bytes  patient key          little-endian
///  varint   hold expiry          UTC ticks, only for a hold
///  16 bytes signature            HMAC-SHA256 of everything before it, truncated to 128 bits,
///                                under a key derived from the patient key secret for this use only
/// </code>
/// A code is about 45 to 70 characters (a booking is shorter than a hold, which carries its expiry). A reader refuses a code that is not canonical base64url, has
/// another version byte, a wrong signature (checked in constant time, before any field is read), or
/// bytes left over or missing. A new layout gets a new version byte; a reader that does not know it
/// says <see cref="ReservationCodeError.UnsupportedVersion"/>.</para>
/// </remarks>
public readonly partial record struct Reservation
{
    /// <summary>The version byte of the layout this release writes.</summary>
    public const byte CodeVersion = 1;

    private const int SignatureLength = 16;

    // version + flags + 4 int varints of at most 5 bytes + a long varint of at most 10 + patient 8 + expiry 10 + signature.
    private const int MaxCodeBytes = 2 + (4 * 5) + 10 + 8 + 10 + SignatureLength;

    /// <summary>
    /// This reservation as a signed code for a client: compact, URL-safe, and refused if changed.
    /// </summary>
    /// <param name="signer">The engine's patient key hasher (<c>engine.PatientKeys</c>): its secret signs the code.</param>
    /// <returns>The code.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="signer"/> is null.</exception>
    /// <exception cref="SlotEngineArgumentException">This is the default value (<see cref="SlotEngineError.MissingReservation"/>).</exception>
    public string ToCode(PatientKeyHasher signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (IsDefault)
        {
            throw new SlotEngineArgumentException(SlotEngineError.MissingReservation, "The reservation is the default value; there is nothing to encode.", "reservation");
        }

        Span<byte> buffer = stackalloc byte[MaxCodeBytes];
        var at = 0;
        buffer[at++] = CodeVersion;
        buffer[at++] = HoldExpiresAt.HasValue ? (byte)1 : (byte)0;
        at += WriteVarint(buffer[at..], unchecked((uint)Calendar.Provider.Value));
        at += WriteVarint(buffer[at..], unchecked((uint)Calendar.Day.DayNumber));
        at += WriteVarint(buffer[at..], unchecked((uint)Slots.First));
        at += WriteVarint(buffer[at..], unchecked((uint)Slots.Length));
        at += WriteVarint(buffer[at..], unchecked((uint)Seat));
        at += WriteVarint(buffer[at..], unchecked((ulong)Token));
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[at..], Patient.Value);
        at += 8;
        if (HoldExpiresAt is { } expiry)
        {
            at += WriteVarint(buffer[at..], unchecked((ulong)expiry.UtcTicks));
        }

        signer.SignReservationCode(buffer[..at], buffer.Slice(at, SignatureLength));
        at += SignatureLength;
        return Base64Url.EncodeToString(buffer[..at]);
    }

    /// <summary>Reads a code made by <see cref="ToCode(PatientKeyHasher)"/> under the same secret.</summary>
    /// <param name="code">The code a client sent back.</param>
    /// <param name="signer">The engine's patient key hasher (<c>engine.PatientKeys</c>).</param>
    /// <param name="reservation">The reservation, when the code is accepted; otherwise the default value.</param>
    /// <param name="error">Why the code was refused, or <see cref="ReservationCodeError.None"/>.</param>
    /// <returns>Whether the code is accepted. Allocates nothing.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="signer"/> is null.</exception>
    public static bool TryParseCode([NotNullWhen(true)] string? code, PatientKeyHasher signer, out Reservation reservation, out ReservationCodeError error)
    {
        ArgumentNullException.ThrowIfNull(signer);
        reservation = default;
        if (string.IsNullOrEmpty(code) || code.Length > Base64Url.GetEncodedLength(MaxCodeBytes))
        {
            error = ReservationCodeError.Malformed;
            return false;
        }

        Span<byte> bytes = stackalloc byte[MaxCodeBytes];
        if (Base64Url.DecodeFromChars(code, bytes, out var consumed, out var length) != System.Buffers.OperationStatus.Done
            || consumed != code.Length
            || !IsCanonical(code, bytes[..length]))
        {
            error = ReservationCodeError.Malformed;
            return false;
        }

        bytes = bytes[..length];
        if (length < 2 + 6 + 8 + SignatureLength)
        {
            error = length > 0 && bytes[0] != CodeVersion ? ReservationCodeError.UnsupportedVersion : ReservationCodeError.Malformed;
            return false;
        }

        if (bytes[0] != CodeVersion)
        {
            error = ReservationCodeError.UnsupportedVersion;
            return false;
        }

        var body = bytes[..^SignatureLength];
        if (!signer.VerifyReservationCode(body, bytes[^SignatureLength..]))
        {
            error = ReservationCodeError.BadSignature;
            return false;
        }

        // Signed by a holder of the secret, so the fields are ours; they are still read strictly.
        var at = 2;
        var flags = body[1];
        if ((flags & ~1) != 0
            || !TryReadVarint(body, ref at, out uint provider)
            || !TryReadVarint(body, ref at, out uint day)
            || !TryReadVarint(body, ref at, out uint first)
            || !TryReadVarint(body, ref at, out uint slots)
            || !TryReadVarint(body, ref at, out uint seat)
            || !TryReadVarint(body, ref at, out ulong token)
            || body.Length - at < 8
            || day > (uint)DateOnly.MaxValue.DayNumber)
        {
            error = ReservationCodeError.Malformed;
            return false;
        }

        var patient = BinaryPrimitives.ReadUInt64LittleEndian(body[at..]);
        at += 8;
        DateTimeOffset? expiry = null;
        if ((flags & 1) != 0)
        {
            if (!TryReadVarint(body, ref at, out ulong ticks) || ticks > (ulong)DateTimeOffset.MaxValue.UtcTicks)
            {
                error = ReservationCodeError.Malformed;
                return false;
            }

            expiry = new DateTimeOffset((long)ticks, TimeSpan.Zero);
        }

        if (at != body.Length || token == 0)
        {
            error = ReservationCodeError.Malformed;
            return false;
        }

        reservation = new Reservation(
            new CalendarKey(new ProviderId(unchecked((int)provider)), DateOnly.FromDayNumber((int)day)),
            new SlotRange(unchecked((int)first), unchecked((int)slots)),
            unchecked((int)seat),
            unchecked((long)token),
            new PatientKey(patient),
            expiry);
        error = ReservationCodeError.None;
        return true;
    }

    /// <summary>Reads a code made by <see cref="ToCode(PatientKeyHasher)"/>, or throws.</summary>
    /// <param name="code">The code a client sent back.</param>
    /// <param name="signer">The engine's patient key hasher (<c>engine.PatientKeys</c>).</param>
    /// <returns>The reservation.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="signer"/> is null.</exception>
    /// <exception cref="SlotEngineArgumentException">The code is refused: <see cref="SlotEngineError.InvalidReservationCode"/>, the message says why (<see cref="ReservationCodeError"/>).</exception>
    public static Reservation ParseCode(string? code, PatientKeyHasher signer)
    {
        if (!TryParseCode(code, signer, out var reservation, out var error))
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidReservationCode, $"Not a reservation code of this engine ({error}).", nameof(code));
        }

        return reservation;
    }

    private static bool IsCanonical(string code, ReadOnlySpan<byte> bytes)
    {
        // Base64url may leave unused low bits in the last character; a decoder that ignores them would
        // let two strings name one code. Only the string this engine would write is accepted.
        if (code.Length != Base64Url.GetEncodedLength(bytes.Length))
        {
            return false;
        }

        Span<char> again = stackalloc char[Base64Url.GetEncodedLength(MaxCodeBytes)];
        return Base64Url.TryEncodeToChars(bytes, again, out var written) && again[..written].SequenceEqual(code);
    }

    private static int WriteVarint(Span<byte> into, ulong value)
    {
        var at = 0;
        while (value >= 0x80)
        {
            into[at++] = unchecked((byte)(value | 0x80));
            value >>= 7;
        }

        into[at++] = (byte)value;
        return at;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> from, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= from.Length)
            {
                return false;
            }

            var b = from[at++];
            if (shift == 63 && b > 1)
            {
                return false;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                // Canonical only: no trailing zero group (one value, one encoding).
                return b != 0 || shift == 0;
            }
        }

        return false;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> from, ref int at, out uint value)
    {
        if (TryReadVarint(from, ref at, out ulong wide) && wide <= uint.MaxValue)
        {
            value = (uint)wide;
            return true;
        }

        value = 0;
        return false;
    }
}
