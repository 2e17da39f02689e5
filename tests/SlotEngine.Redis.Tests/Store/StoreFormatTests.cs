using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Stores;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Every text format the scripts and the store exchange, round-tripped against a real server: what the scripts wrote
/// parses in C# and formats back to the same text, and what C# formats parses in the scripts' own Lua (lib.lua run
/// through EVAL) to the same fields. The token limit reaches the claim script as an argument.
/// </summary>
public sealed class StoreFormatTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    /// <summary>The scripts' shared lib.lua, as embedded in the store's assembly.</summary>
    internal static string Lib()
    {
        using var stream = typeof(RedisSlotEngine).Assembly.GetManifestResourceStream("SlotEngine.Redis.Scripts.lib.lua")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Runs lib.lua followed by <paramref name="body"/> with no keys; returns the reply's lines (redis-cli prints one element per line).</summary>
    private async Task<string[]> LuaAsync(string body, params string[] args)
    {
        var output = await fixture.Server.CliAsync(["EVAL", Lib() + "\n" + body, "0", .. args]);
        return output.TrimEnd('\n').Split('\n');
    }

    [Fact]
    public async Task A_stored_claim_written_by_the_scripts_parses_and_formats_back_and_one_formatted_in_CSharp_parses_in_Lua()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var hold = (await node.ClaimAsync(ClaimRequest.Hold(Calendar, new SlotRange(9, 2), ContractWorld.Patient(7), TimeSpan.FromMinutes(5)))).Reservation;
        var claims = (string)new StoreKeys(nodes.Prefix, cluster: false).For(Calendar).Claims!;

        foreach (var slot in new[] { 9, 10 })
        {
            var raw = (await fixture.Server.CliAsync("HGET", claims, "0:" + slot.ToString(CultureInfo.InvariantCulture))).TrimEnd('\n');
            var parsed = StoredClaim.Parse(raw);
            Assert.Equal(new StoredClaim(hold.Token, false, 9, 2, hold.Patient, hold.HoldExpiresAt!.Value.ToUnixTimeMilliseconds()), parsed);
            Assert.Equal(raw, parsed.Format());
        }

        var wide = new StoredClaim(ReadModel.MaxToken, Booked: false, First: 287, Length: 1, new PatientKey(ulong.MaxValue), HoldExpiryMs: 4_102_444_800_000);
        Assert.Equal(["536870911", "h", "287", "1", "ffffffffffffffff", "4102444800000"], await LuaAsync("local c = parse(ARGV[1]) return { c.token, c.kind, c.first, c.len, c.patient, c.expiry }", wide.Format()));
        var booked = wide with { Booked = true, HoldExpiryMs = 0, Patient = new PatientKey(0x0A) };
        Assert.Equal([booked.Format()], await LuaAsync("return parse(ARGV[1]).raw", booked.Format()));
    }

    [Fact]
    public async Task A_removed_claim_described_by_the_scripts_matches_the_CSharp_format_and_parses_back()
    {
        var claim = new StoredClaim(1234, Booked: false, First: 40, Length: 3, new PatientKey(0x5EED_0001), HoldExpiryMs: 1_800_000_000_123);

        var described = (await LuaAsync("return describe(tonumber(ARGV[2]), parse(ARGV[1]))", claim.Format(), "1")).Single();

        Assert.Equal(claim.FormatRemoved(seat: 1), described);
        var removed = StoredClaim.ParseRemoved(Calendar, described, out var wasBooked);
        Assert.False(wasBooked);
        Assert.Equal(new Reservation(Calendar, new SlotRange(40, 3), 1, 1234, claim.Patient, DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_123)), removed);
    }

    [Fact]
    public async Task An_idempotency_record_written_by_the_claim_script_parses_and_formats_back()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var booked = (await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(4), ContractWorld.Patient(3), idempotencyKey: "k|with|bars"))).Reservation;
        var keys = new StoreKeys(nodes.Prefix, cluster: false).For(Calendar);

        var raw = (await fixture.Server.CliAsync("GET", keys.IdempotencyPrefix + "k|with|bars")).TrimEnd('\n');
        var record = IdempotencyRecord.Parse(raw);

        Assert.Equal(booked.Seat, record.Seat);
        Assert.Equal(booked.Token, record.Token);
        Assert.Equal(0, record.HoldExpiryMs);
        Assert.StartsWith(keys.Reference + ":4:1:", record.Digest, StringComparison.Ordinal);
        Assert.Equal(raw, record.Format());
        Assert.Equal(new IdempotencyRecord("a|b", 2, 3, 4), IdempotencyRecord.Parse(new IdempotencyRecord("a|b", 2, 3, 4).Format()));
        Assert.Throws<FormatException>(() => IdempotencyRecord.Parse("no-bars"));
    }

    [Fact]
    public async Task Feed_messages_published_by_the_scripts_parse_and_format_back()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var node = await nodes.AddAsync();
        await using var listener = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var heard = new ConcurrentQueue<string>();
        // A queue keeps the order Redis sent the messages in (the callback overload may run handlers concurrently).
        var queue = await listener.GetSubscriber().SubscribeAsync(StackExchange.Redis.RedisChannel.Literal(nodes.Prefix + "feed"));
        queue.OnMessage(message => heard.Enqueue(Encoding.UTF8.GetString((byte[])message.Message!)));

        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var booked = (await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(2), ContractWorld.Patient(1)))).Reservation;
        var held = (await node.ClaimAsync(ClaimRequest.Hold(Calendar, new SlotRange(5, 2), ContractWorld.Patient(2), TimeSpan.FromMinutes(5)))).Reservation;
        await node.ConfirmAsync(held);
        await node.ReleaseAsync(booked);
        await node.WithdrawAsync(Calendar);
        await Eventually.TrueAsync(() => heard.Count >= 6, "the publish, four changes and the withdrawal on the feed");

        var messages = heard.Select(raw => (Raw: raw, Parsed: FeedMessage.TryParse(raw, out var m) ? m : throw new FormatException(raw))).ToList();
        Assert.Equal([FeedChange.Reset, FeedChange.Change, FeedChange.Change, FeedChange.Change, FeedChange.Change, FeedChange.Gone], messages.Select(m => m.Parsed.Change));
        Assert.All(messages, m => Assert.Equal(Calendar, m.Parsed.Calendar));
        Assert.All(messages, m => Assert.True(m.Parsed.ChangedAtMs > 0, m.Raw));
        Assert.Equal(messages[0].Parsed.Version + 1, messages[1].Parsed.Version);
        // A publish's reset also carries the template (FeedPublished), which FeedMessage leaves to its reader.
        Assert.All(messages, m => Assert.Equal(m.Raw, m.Parsed.Format() + (m.Parsed.Change == FeedChange.Reset ? FeedPublished.Field(TemplateText.Format(ContractWorld.Standard)) : "")));

        // The deltas the scripts publish: claim (booking, then hold), confirm, release; none on publish or withdraw.
        Assert.Equal([FeedOp.None, FeedOp.Claim, FeedOp.Claim, FeedOp.Confirm, FeedOp.Release, FeedOp.None], messages.Select(m => m.Parsed.Delta.Op));
        Assert.Equal(new FeedDelta(FeedOp.Claim, booked.Seat, 2, 1, booked.Token, ContractWorld.Patient(1), 0), messages[1].Parsed.Delta);
        Assert.Equal(new FeedDelta(FeedOp.Claim, held.Seat, 5, 2, held.Token, ContractWorld.Patient(2), held.HoldExpiresAt!.Value.ToUnixTimeMilliseconds()), messages[2].Parsed.Delta);
        Assert.Equal(new FeedDelta(FeedOp.Confirm, held.Seat, 5, 0, held.Token, default, 0), messages[3].Parsed.Delta);
        Assert.Equal(new FeedDelta(FeedOp.Release, booked.Seat, 2, 0, booked.Token, default, 0), messages[4].Parsed.Delta);
        Assert.False(FeedMessage.TryParse("100:20301231|5|t9|+0,1", out var cut) && cut.Delta.Op != FeedOp.None);

        // Older scripts wrote no t field; a word of a newer version reads as a new generation.
        Assert.True(FeedMessage.TryParse("100:20301231|5", out var old));
        Assert.Equal(new FeedMessage(new CalendarKey(new ProviderId(100), new DateOnly(2030, 12, 31)), 5, FeedChange.Change, 0), old);
        Assert.True(FeedMessage.TryParse("100:20301231|5|moved|t9", out var newer));
        Assert.True(newer.NewGeneration);
        Assert.False(FeedMessage.TryParse("100:20301231|x", out _));
        Assert.False(FeedMessage.TryParse("not a message", out _));
    }

    [Fact]
    public async Task The_claim_script_issues_tokens_up_to_the_cores_limit_which_it_receives_as_an_argument()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var meta = (string)new StoreKeys(nodes.Prefix, cluster: false).For(Calendar).Meta!;
        await fixture.Server.CliAsync("HSET", meta, "tok", (ReadModel.MaxToken - 1).ToString(CultureInfo.InvariantCulture));

        var last = await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(0), ContractWorld.Patient(1)));
        var error = await Assert.ThrowsAsync<SlotEngineArgumentException>(async () => await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(1), ContractWorld.Patient(2))));

        Assert.Equal(ReadModel.MaxToken, last.Reservation.Token);
        Assert.Equal(SlotEngineError.TokensExhausted, error.Code);
        Assert.Equal(ReadModel.MaxToken.ToString(CultureInfo.InvariantCulture), (await fixture.Server.CliAsync("HGET", meta, "tok")).TrimEnd('\n'));
    }
}
