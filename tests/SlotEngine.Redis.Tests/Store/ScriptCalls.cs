using System.Globalization;
using SlotEngine.Redis.Client;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// What the tests that run the store's scripts directly on a real server share: an instant far ahead, a patient's key
/// as the scripts receive it, and a call of a calendar script with the arguments every one of them starts with.
/// </summary>
internal static class ScriptCalls
{
    /// <summary>2100-01-01 in Unix ms: a lease, window close or slot start far ahead.</summary>
    public const long Far = 4_102_444_800_000;

    /// <summary>The contract world's patient <paramref name="n"/> as the scripts receive it (16 hex digits).</summary>
    public static string PatientHex(int n) => ContractWorld.Patient(n).Value.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Runs a calendar script with the calendar's script keys and its first arguments (feed, "0", reference), then <paramref name="rest"/>.</summary>
    public static async Task<RedisReply> RunAsync(IDatabase db, RedisScript script, CalendarKeySet keys, params RedisValue[] rest)
    {
        RedisValue[] args = [keys.Feed, "0", keys.Reference, .. rest];
        return new RedisReply(await db.ScriptEvaluateAsync(script.Text, keys.ScriptKeys, args));
    }
}
