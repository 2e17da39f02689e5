using System.Globalization;
using SlotEngine.Redis.Client;

namespace SlotEngine.Redis;

/// <summary>
/// The start-up guard on the stored layout: which keys and fields a calendar, a claim and a bulk-opened day are kept in.
/// A build reads and writes one layout (<see cref="Version"/>); a store written in another is refused, not misread.
/// </summary>
/// <remarks>
/// <para>The store's layout version is one small key per key prefix, <see cref="KeyOf"/>
/// (<c>&lt;prefix&gt;layout{&lt;prefix&gt;patient-secret-fingerprint-v1}</c>): its hash tag is the whole name of the
/// patient secret's fingerprint key (<see cref="PatientSecretCheck.KeyOf"/>, which has no braces), so both are on one
/// cluster slot, one primary, and one script reads both atomically. One slot, not every primary: the key is the
/// store's, not a shard's.</para>
/// <para>The script (<see cref="Script"/>, one round trip at start, nothing on the booking path): the stored version
/// when there is one; else, when the fingerprint key exists, nothing (a store an older build wrote: every build since
/// the secret check stores the fingerprint when it first starts, and none before this guard stored a layout); else it
/// stores this build's version and returns it. Nodes starting at once agree: the script runs as one step, so the first
/// stores the version and the others read it, and a node writes the fingerprint only after its layout check (the
/// check runs first), so a fresh store never looks like an older build's to a node starting beside it.</para>
/// <para>A flushed store (FLUSHALL) is empty again: the next node to start stores the version anew. A store whose
/// fingerprint key was deleted by hand (rotating the secret) while an older build's data stays looks empty to this
/// check: rotate the secret only on a store in this layout, or after migrating (docs/redis.md).</para>
/// </remarks>
internal static class StoreLayoutCheck
{
    /// <summary>
    /// This build's stored layout. 3: a patient's active entries, quota entries of every day and bars are fields of one
    /// hash, <c>{a:&lt;patient hex&gt;}</c> (no <c>:q:&lt;yyyymmdd&gt;</c> or <c>:b</c> keys; lib.lua, admission_check). 2: a
    /// calendar's claims and nonce records are fields of its meta hash and a bulk-opened day's free bitmap is meta's
    /// <c>ini</c> (no <c>:c</c>, <c>:n</c>, <c>:f</c> keys). 1 (never stored): the builds before.
    /// </summary>
    public const int Version = 3;

    /// <summary>Returns the stored version; else nil when the fingerprint key exists (an older build's store); else stores <c>ARGV[1]</c> and returns it.</summary>
    public const string Script = """
        local stored = redis.call('GET', KEYS[1])
        if stored then return stored end
        if redis.call('EXISTS', KEYS[2]) == 1 then return false end
        redis.call('SET', KEYS[1], ARGV[1])
        return ARGV[1]
        """;

    private static readonly RedisScript Compiled = new(Script);

    /// <summary>The key the store's layout version lives under (on the fingerprint key's slot).</summary>
    /// <param name="keyPrefix">The deployment's key prefix (no braces: <see cref="RedisSlotEngineOptions.Validate"/>).</param>
    /// <returns>The key.</returns>
    public static string KeyOf(string keyPrefix) => keyPrefix + "layout{" + PatientSecretCheck.KeyOf(keyPrefix) + "}";

    /// <summary>Stores this build's layout version in an empty store, and refuses a store in another layout.</summary>
    /// <exception cref="StoreLayoutException">The store was written in another layout.</exception>
    public static async Task RunAsync(StoreConnection redis, string keyPrefix, CancellationToken cancellationToken)
    {
        var key = KeyOf(keyPrefix);
        var mine = Version.ToString(CultureInfo.InvariantCulture);
        var stored = (await redis.EvalShaAsync(Compiled, [key, PatientSecretCheck.KeyOf(keyPrefix)], [mine], cancellationToken).ConfigureAwait(false)).AsString();
        Verify(keyPrefix, key, stored);
    }

    /// <summary>Throws when <paramref name="stored"/> (the script's reply) is not this build's version.</summary>
    /// <exception cref="StoreLayoutException">The versions differ, or the store has data and no version, or a migration (<see cref="RedisStoreMigration"/>) holds it.</exception>
    public static void Verify(string keyPrefix, string key, string? stored)
    {
        var mine = Version.ToString(CultureInfo.InvariantCulture);
        if (string.Equals(stored, mine, StringComparison.Ordinal))
        {
            return;
        }

        if (stored is not null && stored.StartsWith(RedisStoreMigration.MarkerPrefix, StringComparison.Ordinal))
        {
            // RedisStoreMigration's mark: a migration runs, or stopped part way (resumable).
            throw new StoreLayoutException(
                $"The Redis store under key prefix '{keyPrefix}' is being migrated between stored layouts ('{stored}' at '{key}'): a migration " +
                "is running or was interrupted, and the store is in neither layout until it ends, so the store refuses to start. Let it finish, " +
                "or run it again to finish it (RedisStoreMigration.MigrateAsync, or 'slotengine-load migrate'; docs/redis.md, \"Stored layout\").")
            {
                KeyPrefix = keyPrefix,
                StoredVersion = null,
                ExpectedVersion = Version,
            };
        }

        int? version = int.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
        var found = stored is null
            ? "data and no layout version (written by a build from before the layout guard, stored layout 1)"
            : $"stored layout version {stored} at '{key}'";
        var remedy = stored is null || (version is { } v && v < Version)
            ? "Migrate the store to this layout (docs/redis.md, \"Stored layout\"), or empty it (a new deployment), or run the build that wrote it."
            : "Run a build that reads that layout (a newer one wrote it), or empty the store if it is disposable (docs/redis.md, \"Stored layout\").";
        throw new StoreLayoutException(
            $"The Redis store under key prefix '{keyPrefix}' has {found}; this build reads and writes stored layout version {mine}, " +
            "so the store refuses to start rather than misread calendars and claims. " + remedy)
        {
            KeyPrefix = keyPrefix,
            StoredVersion = stored is null ? 1 : version,
            ExpectedVersion = Version,
        };
    }
}
