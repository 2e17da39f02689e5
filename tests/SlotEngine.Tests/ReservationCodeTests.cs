using System.Buffers.Text;
using System.Text;
using FsCheck.Xunit;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// The signed reservation code: what a booking API hands a client and takes back. It round-trips
/// every reservation, and any change a client can make (a byte, a character, a cut, another
/// secret, another version) is refused with a reason before the engine sees it.
/// </summary>
public class ReservationCodeTests
{
    private static readonly PatientKeyHasher Signer = new(Encoding.ASCII.GetBytes("slotengine-tests-secret-0123456789"));
    private static readonly PatientKeyHasher OtherSigner = new(Encoding.ASCII.GetBytes("another-node-with-another-secret!!"));
    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static readonly Reservation Held = new(
        new CalendarKey(new ProviderId(150_000), new DateOnly(2026, 11, 23)),
        new SlotRange(23, 2),
        1,
        123_456,
        new PatientKey(0x5EED_0000_DEAD_BEEF),
        new DateTimeOffset(2026, 11, 22, 6, 5, 0, TimeSpan.Zero));

    private static readonly Reservation Booked = Held with { HoldExpiresAt = null, Token = 7 };

    public static TheoryData<Reservation> Samples => new() { Held, Booked };

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_code_round_trips_and_is_compact_and_url_safe(Reservation reservation)
    {
        var code = reservation.ToCode(Signer);
        Assert.InRange(code.Length, 40, 70);
        Assert.All(code, c => Assert.Contains(c, Base64UrlAlphabet));
        Assert.True(Reservation.TryParseCode(code, Signer, out var back, out var error), error.ToString());
        Assert.Equal(ReservationCodeError.None, error);
        Assert.Equal(reservation, back);
        Assert.Equal(reservation.HoldExpiresAt?.UtcTicks, back.HoldExpiresAt?.UtcTicks);
        Assert.Equal(reservation, Reservation.ParseCode(code, Signer));
        Assert.Equal(code, back.ToCode(Signer));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_byte_changed_is_refused(Reservation reservation)
    {
        var bytes = Base64Url.DecodeFromChars(reservation.ToCode(Signer));
        for (var i = 0; i < bytes.Length; i++)
        {
            foreach (var flip in new byte[] { 0x01, 0x02, 0x10, 0x80, 0xFF })
            {
                var tampered = (byte[])bytes.Clone();
                tampered[i] ^= flip;
                var refused = Refuse(Base64Url.EncodeToString(tampered));
                Assert.Equal(i == 0 ? ReservationCodeError.UnsupportedVersion : ReservationCodeError.BadSignature, refused);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_character_changed_is_refused(Reservation reservation)
    {
        var code = reservation.ToCode(Signer);
        for (var i = 0; i < code.Length; i++)
        {
            foreach (var c in Base64UrlAlphabet + "=+/. ")
            {
                if (c != code[i])
                {
                    Assert.NotEqual(ReservationCodeError.None, Refuse(code[..i] + c + code[(i + 1)..]));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_truncated_or_extended_code_is_refused(Reservation reservation)
    {
        var code = reservation.ToCode(Signer);
        for (var length = 0; length < code.Length; length++)
        {
            Assert.NotEqual(ReservationCodeError.None, Refuse(code[..length]));
        }

        Assert.NotEqual(ReservationCodeError.None, Refuse(code + "A"));
        Assert.NotEqual(ReservationCodeError.None, Refuse(code + "AA"));
        Assert.NotEqual(ReservationCodeError.None, Refuse(code + "AAAA"));
        Assert.NotEqual(ReservationCodeError.None, Refuse(code + code));
        Assert.Equal(ReservationCodeError.Malformed, Refuse(null));
        Assert.Equal(ReservationCodeError.Malformed, Refuse(""));
    }

    [Fact]
    public void A_code_signed_under_another_secret_is_refused()
    {
        Assert.Equal(ReservationCodeError.BadSignature, Refuse(Held.ToCode(OtherSigner)));
        var error = Assert.Throws<SlotEngineArgumentException>(() => Reservation.ParseCode(Booked.ToCode(OtherSigner), Signer));
        Assert.Equal(SlotEngineError.InvalidReservationCode, error.Code);
        Assert.Contains(nameof(ReservationCodeError.BadSignature), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_version_is_refused_even_when_signed()
    {
        var bytes = Base64Url.DecodeFromChars(Held.ToCode(Signer));
        bytes[0] = 2;
        Assert.Equal(ReservationCodeError.UnsupportedVersion, Refuse(Base64Url.EncodeToString(Resign(bytes[..^16]))));
    }

    [Fact]
    public void A_signed_code_with_bytes_left_over_or_missing_or_unknown_flags_is_malformed()
    {
        var body = Base64Url.DecodeFromChars(Booked.ToCode(Signer))[..^16];
        Assert.Equal(ReservationCodeError.Malformed, Refuse(Base64Url.EncodeToString(Resign([.. body, 0]))));
        Assert.Equal(ReservationCodeError.Malformed, Refuse(Base64Url.EncodeToString(Resign(body[..^1]))));
        var flagged = (byte[])body.Clone();
        flagged[1] = 2;
        Assert.Equal(ReservationCodeError.Malformed, Refuse(Base64Url.EncodeToString(Resign(flagged))));
    }

    [Fact]
    public void The_default_reservation_has_no_code()
    {
        Assert.Equal(SlotEngineError.MissingReservation, Assert.Throws<SlotEngineArgumentException>(() => default(Reservation).ToCode(Signer)).Code);
    }

    [Fact]
    public void The_engine_takes_its_own_codes_and_nodes_sharing_the_secret_read_each_others()
    {
        var world = new TestWorld();
        var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var hold = world.MustHold(key, 5, 1, 0);
        var code = hold.ToCode(world.Engine.PatientKeys);

        var node2 = new TestWorld();
        Assert.True(Reservation.TryParseCode(code, node2.Engine.PatientKeys, out var read, out _));
        Assert.Equal(hold, read);
        Assert.True(world.Engine.TryConfirm(Reservation.ParseCode(code, world.Engine.PatientKeys)).Succeeded);

        var foreign = new InMemorySlotEngine(new SlotEngineOptions());
        Assert.False(Reservation.TryParseCode(code, foreign.PatientKeys, out _, out var error));
        Assert.Equal(ReservationCodeError.BadSignature, error);
    }

    [Property(MaxTest = 300)]
    public bool Any_reservation_round_trips(int provider, int dayNumber, int first, int length, int seat, long token, ulong patient, bool hold, long expiryTicks)
    {
        var reservation = new Reservation(
            new CalendarKey(new ProviderId(provider), DateOnly.FromDayNumber(Math.Abs(dayNumber % DateOnly.MaxValue.DayNumber))),
            new SlotRange(first, length),
            seat,
            token == 0 ? 1 : token,
            new PatientKey(patient),
            hold ? new DateTimeOffset(Math.Abs(expiryTicks % DateTimeOffset.MaxValue.UtcTicks), TimeSpan.Zero) : null);
        return Reservation.TryParseCode(reservation.ToCode(Signer), Signer, out var back, out _) && back == reservation;
    }

    [Property(MaxTest = 300)]
    public bool Any_single_byte_change_is_refused(int provider, long token, ulong patient, bool hold, int position, byte change)
    {
        var reservation = Held with { Calendar = Held.Calendar with { Provider = new ProviderId(provider) }, Token = token == 0 ? 1 : token, Patient = new PatientKey(patient), HoldExpiresAt = hold ? Held.HoldExpiresAt : null };
        var bytes = Base64Url.DecodeFromChars(reservation.ToCode(Signer));
        var at = (int)(unchecked((uint)position) % (uint)bytes.Length);
        bytes[at] ^= change == 0 ? (byte)1 : change;
        return !Reservation.TryParseCode(Base64Url.EncodeToString(bytes), Signer, out var refused, out var error)
            && refused.IsDefault
            && error != ReservationCodeError.None;
    }

    private static ReservationCodeError Refuse(string? code)
    {
        Assert.False(Reservation.TryParseCode(code, Signer, out var reservation, out var error), "accepted: " + code);
        Assert.True(reservation.IsDefault);
        return error;
    }

    private static byte[] Resign(byte[] body)
    {
        var signed = new byte[body.Length + 16];
        body.CopyTo(signed, 0);
        Signer.SignReservationCode(body, signed.AsSpan(body.Length));
        return signed;
    }
}
