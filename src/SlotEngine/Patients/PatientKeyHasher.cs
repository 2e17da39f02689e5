using System.Buffers.Binary;
using System.Security.Cryptography;

namespace SlotEngine;

/// <summary>
/// Turns a validated <see cref="NationalId"/> into a <see cref="PatientKey"/> with HMAC-SHA256 under
/// a secret key, truncated to 64 bits. Without the secret, a key cannot be traced back to an ID by
/// trying all 11-digit numbers. Thread-safe; allocates nothing per call.
/// </summary>
/// <remarks>
/// <para>Every node that shares calendars (for example through Redis) must use the same secret, or the
/// same citizen becomes different patients on different nodes and quotas no longer hold.</para>
/// <para>The same secret signs reservation codes (<see cref="Reservation.ToCode(PatientKeyHasher)"/>),
/// under a key derived from it for that use only, so a code one node issued is read by every node
/// sharing the secret and by no other.</para>
/// </remarks>
public sealed partial class PatientKeyHasher
{
    private static readonly byte[] ReservationCodeLabel = "SlotEngine reservation code signing key, version 1"u8.ToArray();
    private readonly byte[] _secret;
    private readonly byte[] _reservationCodeKey;

    /// <summary>Creates a hasher with the given secret.</summary>
    /// <param name="secret">At least 16 bytes of secret key material.</param>
    /// <exception cref="ArgumentException">The secret is shorter than 16 bytes.</exception>
    public PatientKeyHasher(ReadOnlySpan<byte> secret)
    {
        if (secret.Length < 16)
        {
            throw new ArgumentException("The patient key secret must be at least 16 bytes long.", nameof(secret));
        }

        _secret = secret.ToArray();
        _reservationCodeKey = HMACSHA256.HashData(_secret, ReservationCodeLabel);
    }

    /// <summary>A hasher with a fresh random secret: keys are stable only within this process.</summary>
    /// <returns>A new hasher.</returns>
    public static PatientKeyHasher CreateEphemeral() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>The keyed hash of a national ID.</summary>
    /// <param name="id">A validated ID.</param>
    /// <returns>The patient's key; never the default value.</returns>
    /// <exception cref="SlotEngineArgumentException"><paramref name="id"/> is the default value (<see cref="SlotEngineError.MissingPatient"/>).</exception>
    public PatientKey KeyOf(NationalId id)
    {
        if (id.IsDefault)
        {
            throw new SlotEngineArgumentException(SlotEngineError.MissingPatient, "The national ID is the default value; parse or validate one first.", nameof(id));
        }

        Span<byte> message = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(message, id.Value);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_secret, message, mac);
        var value = BinaryPrimitives.ReadUInt64LittleEndian(mac);
        return new PatientKey(value == 0 ? 1 : value);
    }

    /// <summary>Writes the signature of a reservation code's bytes (HMAC-SHA256 under the derived key, truncated to <paramref name="signature"/>'s length).</summary>
    internal void SignReservationCode(ReadOnlySpan<byte> body, Span<byte> signature)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_reservationCodeKey, body, mac);
        mac[..signature.Length].CopyTo(signature);
    }

    /// <summary>Whether <paramref name="signature"/> is the signature of <paramref name="body"/>, compared in constant time.</summary>
    internal bool VerifyReservationCode(ReadOnlySpan<byte> body, ReadOnlySpan<byte> signature)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_reservationCodeKey, body, mac);
        return CryptographicOperations.FixedTimeEquals(mac[..signature.Length], signature);
    }
}
