using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// The scripts as one Redis function library (FunctionLibrary, FCALL): it loads, every script is a function of it, no
/// per-call memo of lib.lua survives from one call to the next, and a server that loses the library mid-load loses no
/// claim (the call is sent again after loading it).
/// </summary>
public sealed partial class FunctionLibraryTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static readonly ProviderId Provider = ContractWorld.Doctor;

    [Fact]
    public async Task TheLibraryLoadsWithEveryScriptAsAFunction()
    {
        var library = StoreScripts.Functions;
        var loaded = await fixture.Server.CliAsync("FUNCTION", "LOAD", "REPLACE", library.Text);
        Assert.Equal(library.Name, loaded.Trim());

        var list = await fixture.Server.CliAsync("FUNCTION", "LIST", "LIBRARYNAME", library.Name);
        foreach (var script in StoreScripts.All)
        {
            Assert.NotNull(script.FunctionName);
            Assert.Same(library, script.Library);
            Assert.Contains(script.FunctionName, list, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryTopLevelVariableACallChangesIsResetAtTheStartOfACall()
    {
        var lib = StoreScripts.Read("lib");
        var reset = lib[lib.IndexOf("local function reset_call()", StringComparison.Ordinal)..];
        reset = reset[..(reset.IndexOf("\nend", StringComparison.Ordinal) + 4)];

        // Top-level variables (not functions) of lib.lua, by their declaration line.
        var variables = TopLevelVariable().Matches(lib).SelectMany(m => m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Contains("time_ms", variables);
        Assert.Contains("rush_tpl", variables);

        // Any assignment outside a declaration, in lib.lua or in a script's body, must be undone by reset_call.
        var code = string.Join('\n', new[] { lib }.Concat(StoreScripts.All.Select(s => s.Text)));
        var assigned = Assignment().Matches(code)
            .SelectMany(m => m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries))
            .Where(variables.Contains)
            .Distinct()
            .ToList();
        Assert.NotEmpty(assigned);
        foreach (var name in assigned)
        {
            Assert.Matches(new Regex(@"\b" + name + @"\b"), reset);
        }
    }

    [Fact]
    public async Task A_FUNCTION_FLUSH_mid_load_breaks_no_claim_and_the_calls_go_by_FCALL()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var writers = new[] { await nodes.AddAsync(), await nodes.AddAsync() };
        var days = Enumerable.Range(1, 4).Select(d => ContractWorld.Today.AddDays(d)).ToArray();
        foreach (var day in days)
        {
            await writers[0].PublishAsync(Provider, day, ContractWorld.Standard);
        }

        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint + ",allowAdmin=true");
        var server = admin.GetServers()[0];
        var before = await FcallCallsAsync(server);

        var ledger = new ClaimLedger();
        var failures = new ConcurrentQueue<Exception>();
        var load = ledger.StartChurn(writers, workers: 8, rounds: 300, Provider, days, failures);

        var flushes = 0;
        while (!load.All(t => t.IsCompleted) && flushes < 200)
        {
            await server.ExecuteAsync("FUNCTION", "FLUSH");
            flushes++;
            await Task.Delay(2); // spacing between flushes, not a wait for a condition
        }

        await Task.WhenAll(load);
        Assert.Empty(failures);
        Assert.True(flushes > 5, "the library was flushed while the load ran");
        Assert.True(ledger.Acknowledged > 100);
        Assert.True(await FcallCallsAsync(server) - before >= ledger.Acknowledged, "claims and confirms went by FCALL");
        await ledger.VerifyAsync(await nodes.AddAsync(), days.Select(d => new CalendarKey(Provider, d)), k => nodes.All[^1].WatchAsync(k.Provider, k.Day, k.Day));
    }

    [Fact]
    public async Task A_user_not_allowed_FCALL_books_through_EVALSHA()
    {
        // The library loads (FUNCTION is allowed), but every FCALL is refused before it runs: the calls go by EVALSHA.
        await fixture.Server.CliAsync("ACL", "SETUSER", "nofcall", "on", ">nofcall-pass", "~*", "&*", "+@all", "-fcall");
        await using var nodes = new StoreNodes(fixture.Server.Endpoint + ",user=nofcall,password=nofcall-pass", o => o.Engine.Quotas = QuotaPolicy.None);
        var node = await nodes.AddAsync();
        var day = ContractWorld.Today.AddDays(9);
        await node.PublishAsync(Provider, day, ContractWorld.Standard);
        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint + ",allowAdmin=true");
        var server = admin.GetServers()[0];
        var before = await CallsAsync(server, "evalsha");

        var ledger = new ClaimLedger();
        var calendar = new CalendarKey(Provider, day);
        for (var i = 0; i < 5; i++)
        {
            var held = await node.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(i), ContractWorld.Patient(i), TimeSpan.FromMinutes(5)));
            Assert.True(held.Succeeded, held.ToString());
            var confirmed = await node.ConfirmAsync(held.Reservation);
            Assert.True(confirmed.Succeeded, confirmed.ToString());
            ledger.Booked(confirmed.Reservation);
        }

        Assert.True(await CallsAsync(server, "evalsha") - before >= 10, "the claims and confirms went by EVALSHA");
        await ledger.VerifyAsync(await nodes.AddAsync(), [calendar], k => nodes.All[^1].WatchAsync(k.Provider, k.Day, k.Day));
    }

    private static Task<long> FcallCallsAsync(StackExchange.Redis.IServer server) => CallsAsync(server, "fcall");

    private static async Task<long> CallsAsync(StackExchange.Redis.IServer server, string command)
    {
        var stats = (string?)await server.ExecuteAsync("INFO", "commandstats") ?? "";
        var match = Regex.Match(stats, "cmdstat_" + command + @":calls=(\d+)");
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"^local (?!function )([A-Za-z_][\w, ]*?)\s*=", RegexOptions.Multiline)]
    private static partial Regex TopLevelVariable();

    [GeneratedRegex(@"^\s*(?!local\b)([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=[^=]", RegexOptions.Multiline)]
    private static partial Regex Assignment();
}
