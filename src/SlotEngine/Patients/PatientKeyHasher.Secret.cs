using System.Security.Cryptography;
using System.Text;

namespace SlotEngine;

/// <summary>The secret's text form (as configuration holds it), its fingerprint, and a redacted text form.</summary>
public sealed partial class PatientKeyHasher
{
    /// <summary>
    /// Creates a hasher from a secret kept as text (a configuration value, a secret store entry): the key
    /// material is the string's UTF-8 bytes, so a value made with <c>openssl rand -base64 32</c> serves as it is.
    /// </summary>
    /// <param name="secret">At least 16 bytes of UTF-8.</param>
    /// <returns>A hasher with that secret.</returns>
    /// <exception cref="ArgumentException">The secret is empty or shorter than 16 bytes (the message never contains it).</exception>
    public static PatientKeyHasher FromSecret(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var bytes = Encoding.UTF8.GetBytes(secret);
        try
        {
            return new PatientKeyHasher(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// A keyed fingerprint of the secret: HMAC-SHA256 of <paramref name="label"/> under the secret, as 64
    /// lowercase hex digits. Two hashers give the same fingerprint for a label exactly when they share the
    /// secret, and the fingerprint reveals nothing that helps to find the secret or to hash an ID. Stores use
    /// it to prove at start-up that every node shares one secret.
    /// </summary>
    /// <param name="label">What the fingerprint is for (a fixed, versioned string such as <c>slotengine-secret-fingerprint-v1</c>).</param>
    /// <returns>The fingerprint.</returns>
    public string ComputeFingerprint(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(label), mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>Says what this is without the secret, so a hasher that reaches a log or an exception gives nothing away.</summary>
    /// <returns><c>PatientKeyHasher { secret redacted }</c>.</returns>
    public override string ToString() => "PatientKeyHasher { secret redacted }";
}
