using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// The approval flag's formats, round-tripped against a real server (issue 11): the stored claim of a booking awaiting
/// approval ends with <c>|u</c>, its claim delta with <c>,u</c>, and a confirm that leaves a hold awaiting approval
/// publishes <c>~seat,first,token,deadline</c>. Values and deltas of scripts before the flag still parse (not awaiting).
/// </summary>
public sealed class StoreFormatApprovalTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task Stored_claims_and_feed_deltas_carry_the_flag_and_parse_and_format_back()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.Engine.Approval = ApprovalPolicy.Mhrs; });
        var node = await nodes.AddAsync();
        await using var listener = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint);
        var heard = new ConcurrentQueue<string>();
        var queue = await listener.GetSubscriber().SubscribeAsync(StackExchange.Redis.RedisChannel.Literal(nodes.Prefix + "feed"));
        queue.OnMessage(message => heard.Enqueue(Encoding.UTF8.GetString((byte[])message.Message!)));
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);

        var direct = (await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(2), ContractWorld.Patient(1)))).Reservation;
        var held = (await node.ClaimAsync(ClaimRequest.Hold(Calendar, new SlotRange(5, 2), ContractWorld.Patient(2), TimeSpan.FromMinutes(5)))).Reservation;
        var confirmed = (await node.ConfirmAsync(held)).Reservation;
        Assert.True((await node.ApproveAsync(direct)).Succeeded);
        await Eventually.TrueAsync(() => heard.Count >= 5, "the publish and four changes on the feed");

        var deltas = heard.Skip(1).Select(raw => FeedMessage.TryParse(raw, out var m) ? (Raw: raw, m.Delta, Message: m) : throw new FormatException(raw)).ToList();
        var deadlineMs = direct.HoldExpiresAt!.Value.ToUnixTimeMilliseconds();
        Assert.Equal(new FeedDelta(FeedOp.Claim, direct.Seat, 2, 1, direct.Token, ContractWorld.Patient(1), deadlineMs, AwaitsApproval: true), deltas[0].Delta);
        Assert.EndsWith(",u", deltas[0].Raw, StringComparison.Ordinal);
        Assert.False(deltas[1].Delta.AwaitsApproval); // a plain hold
        Assert.Equal(new FeedDelta(FeedOp.AwaitApproval, held.Seat, 5, 0, held.Token, default, confirmed.HoldExpiresAt!.Value.ToUnixTimeMilliseconds(), AwaitsApproval: true), deltas[2].Delta);
        Assert.Equal(FeedOp.Confirm, deltas[3].Delta.Op); // the approval
        Assert.All(deltas, d => Assert.Equal(d.Raw, d.Message.Format()));

        // The stored claims: the confirmed hold awaits approval ('|u'), the approved booking no longer does.
        var claims = (string)new StoreKeys(nodes.Prefix, cluster: false).For(Calendar).Claims!;
        var awaiting = (await fixture.Server.CliAsync("HGET", claims, "0:" + 5.ToString(CultureInfo.InvariantCulture))).TrimEnd('\n');
        var parsed = StoredClaim.Parse(awaiting);
        Assert.Equal(new StoredClaim(held.Token, false, 5, 2, held.Patient, confirmed.HoldExpiresAt!.Value.ToUnixTimeMilliseconds(), AwaitsApproval: true), parsed);
        Assert.Equal(awaiting, parsed.Format());
        var approved = StoredClaim.Parse((await fixture.Server.CliAsync("HGET", claims, "0:2")).TrimEnd('\n'));
        Assert.True(approved.Booked);
        Assert.False(approved.AwaitsApproval);

        // The scripts' parse reads a flagged value and an old one alike.
        var lua = (await fixture.Server.CliAsync(["EVAL", StoreFormatTests.Lib() + "\nlocal c = parse(ARGV[1]) local d = parse(ARGV[2]) return { c.token, c.kind, c.expiry, d.token, d.expiry }", "0", awaiting, (parsed with { AwaitsApproval = false }).Format()]))
            .TrimEnd('\n').Split('\n');
        var fields = new[] { held.Token, parsed.HoldExpiryMs }.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([fields[0], "h", fields[1], fields[0], fields[1]], lua);
    }

    [Fact]
    public void Formats_written_before_the_flag_parse_as_not_awaiting_approval()
    {
        Assert.False(StoredClaim.Parse("12|h|3|1|00000000000000aa|1800000000000").AwaitsApproval);
        Assert.True(StoredClaim.Parse("12|h|3|1|00000000000000aa|1800000000000|u").AwaitsApproval);
        Assert.True(FeedDelta.TryParse("+0,3,1,12,00000000000000aa,1800000000000", out var old));
        Assert.False(old.AwaitsApproval);
        Assert.False(FeedDelta.TryParse("+0,3,1,12,00000000000000aa,1800000000000,x", out _));
        Assert.True(FeedDelta.TryParse("~1,3,12,1800000000000", out var awaiting));
        Assert.Equal(new FeedDelta(FeedOp.AwaitApproval, 1, 3, 0, 12, default, 1_800_000_000_000, AwaitsApproval: true), awaiting);
        Assert.False(FeedDelta.TryParse("~1,3,12", out _));
    }
}
