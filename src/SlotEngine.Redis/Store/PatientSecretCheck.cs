using SlotEngine.Redis.Client;

namespace SlotEngine.Redis;

/// <summary>
/// The start-up proof that every node of one deployment (one <see cref="RedisSlotEngineOptions.KeyPrefix"/>)
/// hashes national IDs with the same secret. Two nodes with different secrets turn one citizen into two
/// patients, and per-patient quotas silently stop holding; nothing else would notice.
/// </summary>
/// <remarks>
/// <para>The first node stores a keyed fingerprint of its secret (<see cref="PatientKeyHasher.ComputeFingerprint"/>
/// of <see cref="Label"/>, which reveals nothing about the secret) under <see cref="KeyOf"/> if the key is
/// absent, and every node compares the stored fingerprint with its own: a node with another secret refuses to
/// start. The key has no TTL. To rotate the secret on purpose: stop every node, delete the key, start the
/// nodes with the new secret (quota entries made under the old one no longer match anyone, which is the
/// point of rotating).</para>
/// <para>The Redis side is one call (<see cref="Script"/>: GET, and SET when absent, atomically). It runs when the
/// store finishes starting: at connect, or (with <c>abortConnect=false</c>) once Redis arrives; a mismatch found then
/// is logged and the store stays unstarted and unhealthy.</para>
/// </remarks>
internal static class PatientSecretCheck
{
    /// <summary>What the fingerprint is an HMAC of. A new version of the check gets a new label and key.</summary>
    public const string Label = "slotengine-secret-fingerprint-v1";

    /// <summary>Returns the stored fingerprint, storing <c>ARGV[1]</c> first when there is none.</summary>
    public const string Script = """
        local stored = redis.call('GET', KEYS[1])
        if stored then return stored end
        redis.call('SET', KEYS[1], ARGV[1])
        return ARGV[1]
        """;

    private static readonly RedisScript Compiled = new(Script);

    /// <summary>The key the deployment's fingerprint lives under.</summary>
    /// <param name="keyPrefix">The deployment's key prefix.</param>
    /// <returns>The key.</returns>
    public static string KeyOf(string keyPrefix) => keyPrefix + "patient-secret-fingerprint-v1";

    /// <summary>Stores this node's fingerprint if the deployment has none yet, and refuses a different one.</summary>
    /// <exception cref="InvalidOperationException">Another secret is in use under this key prefix.</exception>
    public static async Task RunAsync(StoreConnection redis, string keyPrefix, PatientKeyHasher hasher, CancellationToken cancellationToken)
    {
        var mine = hasher.ComputeFingerprint(Label);
        var key = KeyOf(keyPrefix);
        var stored = (await redis.EvalShaAsync(Compiled, [key], [mine], cancellationToken).ConfigureAwait(false)).AsString();
        Verify(keyPrefix, key, mine, stored);
    }

    /// <summary>Throws when the stored fingerprint is not this node's (the message shows only short fingerprint prefixes).</summary>
    /// <exception cref="InvalidOperationException">The fingerprints differ.</exception>
    public static void Verify(string keyPrefix, string key, string mine, string? stored)
    {
        if (string.Equals(mine, stored, StringComparison.Ordinal))
        {
            return;
        }

        throw new InvalidOperationException(
            $"This node's patient key secret is not the one the other nodes under key prefix '{keyPrefix}' use " +
            $"(fingerprint {Short(mine)}… here, {Short(stored)}… in Redis at '{key}'), so the store refuses to start: " +
            "the same citizen would become two patients and per-patient quotas would not hold. Give every node the same " +
            "SlotEngineOptions.PatientKeyHasher secret (with SlotEngine.Hosting: the configuration value SlotEngine:PatientKeySecret). " +
            "To rotate the secret on purpose, stop every node, delete that key, and start them with the new one.");
    }

    private static string Short(string? fingerprint) => fingerprint is null ? "(none)" : fingerprint[..Math.Min(8, fingerprint.Length)];
}
