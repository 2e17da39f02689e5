using System.Reflection;
using SlotEngine.Redis.Client;

namespace SlotEngine.Redis;

/// <summary>
/// The Lua scripts (embedded resources under <c>Scripts/</c>), each with the definitions of <c>lib.lua</c> it uses
/// prepended (<see cref="ScriptLibrary"/>).
/// Each is also a function of <see cref="Functions"/>, which the raw call (<c>StoreConnection.EvalRawAsync</c>) runs with
/// <c>FCALL</c> where the server has Redis Functions. Otherwise run with <c>EVALSHA</c>; the transport falls back to <c>EVAL</c> on <c>NOSCRIPT</c> (after a
/// <c>SCRIPT FLUSH</c>, a restart or a failover), which is safe because <c>NOSCRIPT</c> means it did not run.
/// </summary>
internal static class StoreScripts
{
    private static readonly string[] Names =
    [
        "publish", "publish_many", "versions", "checkpoint", "load", "claim", "confirm", "release", "block", "reopen", "sweep", "live",
        "admit", "quota_release", "burn", "rebuild", "call_take", "call_give", "outcome", "bar_set", "bar_lift", "wait_register",
        "wait_lease", "wait_settle", "wait_cancel", "wait_view", "wait_enter", "wait_next", "wait_purge", "move_begin", "move_settle",
        "move_target", "move_entries",
    ];

    /// <summary>Every script as a function of one library (<see cref="FunctionLibrary"/>); made before the scripts below.</summary>
    public static readonly FunctionLibrary Functions = FunctionLibrary.Build(Read("lib"), [.. Names.Select(n => new KeyValuePair<string, string>(n, Read(n)))]);

    public static readonly RedisScript Publish = Load("publish");
    public static readonly RedisScript PublishMany = Load("publish_many");
    public static readonly RedisScript Versions = Load("versions");
    public static readonly RedisScript Checkpoint = Load("checkpoint");
    public static readonly RedisScript LoadCalendar = Load("load");
    public static readonly RedisScript Claim = Load("claim");
    public static readonly RedisScript Confirm = Load("confirm");
    public static readonly RedisScript Release = Load("release");
    public static readonly RedisScript Block = Load("block");
    public static readonly RedisScript Reopen = Load("reopen");
    public static readonly RedisScript Sweep = Load("sweep");
    public static readonly RedisScript Live = Load("live");
    public static readonly RedisScript Admit = Load("admit");
    public static readonly RedisScript QuotaRelease = Load("quota_release");
    public static readonly RedisScript Burn = Load("burn");
    public static readonly RedisScript Rebuild = Load("rebuild");
    public static readonly RedisScript CallTake = Load("call_take");
    public static readonly RedisScript CallGive = Load("call_give");
    public static readonly RedisScript Outcome = Load("outcome");
    public static readonly RedisScript BarSet = Load("bar_set");
    public static readonly RedisScript BarLift = Load("bar_lift");
    public static readonly RedisScript WaitRegister = Load("wait_register");
    public static readonly RedisScript WaitLease = Load("wait_lease");
    public static readonly RedisScript WaitSettle = Load("wait_settle");
    public static readonly RedisScript WaitCancel = Load("wait_cancel");
    public static readonly RedisScript WaitView = Load("wait_view");
    public static readonly RedisScript WaitEnter = Load("wait_enter");
    public static readonly RedisScript WaitNext = Load("wait_next");
    public static readonly RedisScript WaitPurge = Load("wait_purge");
    public static readonly RedisScript MoveBegin = Load("move_begin");
    public static readonly RedisScript MoveSettle = Load("move_settle");
    public static readonly RedisScript MoveTarget = Load("move_target");
    public static readonly RedisScript MoveEntries = Load("move_entries");

    public static IEnumerable<RedisScript> All => [Publish, PublishMany, Versions, Checkpoint, LoadCalendar, Claim, Confirm, Release, Block, Reopen, Sweep, Live, Admit, QuotaRelease, Burn, Rebuild, CallTake, CallGive, Outcome, BarSet, BarLift, WaitRegister, WaitLease, WaitSettle, WaitCancel, WaitView, WaitEnter, WaitNext, WaitPurge, MoveBegin, MoveSettle, MoveTarget, MoveEntries];

    private static RedisScript Load(string name) => new(ScriptLibrary.Compose(Read("lib"), Read(name)), Functions.FunctionOf(name), Functions);

    /// <summary>The text of <c>Scripts/<paramref name="name"/>.lua</c> as embedded.</summary>
    internal static string Read(string name)
    {
        var assembly = typeof(StoreScripts).Assembly;
        using var stream = assembly.GetManifestResourceStream("SlotEngine.Redis.Scripts." + name + ".lua")
            ?? throw new InvalidOperationException($"The script '{name}.lua' is not embedded in {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
