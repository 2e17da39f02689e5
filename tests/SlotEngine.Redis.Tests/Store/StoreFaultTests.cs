using StackExchange.Redis;
using System.Collections.Concurrent;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Faults against real redis-server processes. Each test ends with the ledger check: no seat with two
/// acknowledged owners, no acknowledged booking lost (read back by a fresh node).
/// </summary>
public sealed class StoreFaultTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task The_same_request_from_several_nodes_at_once_has_exactly_one_effect()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint);
        var writers = new List<RedisSlotEngine>();
        for (var i = 0; i < 6; i++)
        {
            writers.Add(await nodes.AddAsync());
        }

        await writers[0].PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var ledger = new ClaimLedger();
        for (var round = 0; round < 20; round++)
        {
            var request = ClaimRequest.Book(Calendar, SlotRange.Single(round), ContractWorld.Patient(round), "same-" + round);
            var results = await Task.WhenAll(writers.Select(w => w.ClaimAsync(request).AsTask()));
            Assert.All(results, r => Assert.True(r.Succeeded, r.ToString()));
            Assert.Single(results.Select(r => r.Reservation).Distinct());
            ledger.Booked(results[0].Reservation);
        }

        // And without a key, many patients racing for one slot: exactly one wins.
        var race = await Task.WhenAll(writers.Select((w, i) => w.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(30), ContractWorld.Patient(100 + i))).AsTask()));
        ledger.Booked(Assert.Single(race, r => r.Succeeded).Reservation);
        Assert.All(race.Where(r => !r.Succeeded), r => Assert.Equal(ClaimStatus.Taken, r.Status));

        var reader = await nodes.AddAsync();
        Assert.Equal(48 - 21, (await reader.GetCalendarAsync(Calendar)).FreeSeatCount);
        await ledger.VerifyAsync(reader, [Calendar]);
    }

    [Fact]
    public async Task Quotas_hold_when_one_patient_claims_on_many_calendars_from_many_nodes_at_once()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint);
        var writers = new List<RedisSlotEngine>();
        for (var i = 0; i < 4; i++)
        {
            writers.Add(await nodes.AddAsync());
        }

        ProviderId[] providers = [ContractWorld.Doctor, ContractWorld.SameClinic, ContractWorld.OtherClinic, ContractWorld.ThirdClinic];
        foreach (var provider in providers)
        {
            await writers[0].PublishAsync(provider, ContractWorld.Day, ContractWorld.Standard);
        }

        var ledger = new ClaimLedger();
        for (var patient = 0; patient < 12; patient++)
        {
            // Each node claims for the same patient at a different provider (two in clinic 10, all four in facility 1).
            var results = await Task.WhenAll(providers.Select((provider, i) => writers[i].ClaimAsync(
                ClaimRequest.Book(new CalendarKey(provider, ContractWorld.Day), SlotRange.Single(patient), ContractWorld.Patient(patient))).AsTask()));
            var won = results.Where(r => r.Succeeded).Select(r => r.Reservation).ToList();
            Assert.True(won.Count(r => r.Calendar.Provider == ContractWorld.Doctor || r.Calendar.Provider == ContractWorld.SameClinic) <= 1, "one per clinic per day");
            Assert.True(won.Count <= 2, "two per facility per day");
            Assert.True(won.Count >= 1, "the quota never refuses every claim of a patient who has none");
            Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(ClaimStatus.QuotaExceeded, r.Status));
            won.ForEach(ledger.Booked);
        }

        var reader = await nodes.AddAsync();
        await ledger.VerifyAsync(reader, providers.Select(p => new CalendarKey(p, ContractWorld.Day)), k => reader.WatchAsync(k.Provider, k.Day, k.Day));
    }

    [Fact]
    public async Task SCRIPT_FLUSH_mid_load_breaks_no_claim()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var writers = new[] { await nodes.AddAsync(), await nodes.AddAsync() };
        var days = Enumerable.Range(1, 6).Select(d => ContractWorld.Today.AddDays(d)).ToArray();
        foreach (var day in days)
        {
            await writers[0].PublishAsync(ContractWorld.Doctor, day, ContractWorld.Standard);
        }

        var ledger = new ClaimLedger();
        var failures = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        var load = ledger.StartChurn(writers, workers: 12, rounds: 400, ContractWorld.Doctor, days, failures, stop.Token);

        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.Server.Endpoint + ",allowAdmin=true");
        var flushes = 0;
        while (!load.All(t => t.IsCompleted) && flushes < 200)
        {
            await admin.GetServers()[0].ScriptFlushAsync();
            flushes++;
            await Task.Delay(2); // spacing between flushes, not a wait for a condition
        }

        await Task.WhenAll(load);
        Assert.Empty(failures);
        Assert.True(flushes > 5, "the scripts were flushed while the load ran");
        Assert.True(ledger.Acknowledged > 100);
        await ledger.VerifyAsync(await nodes.AddAsync(), days.Select(d => new CalendarKey(ContractWorld.Doctor, d)), k => nodes.All[^1].WatchAsync(k.Provider, k.Day, k.Day));
    }

    [Fact]
    public async Task A_holder_paused_past_expiry_whose_slot_was_retaken_is_refused_by_fencing()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var paused = await nodes.AddAsync();
        var other = await nodes.AddAsync();
        await paused.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var stale = (await paused.ClaimAsync(ClaimRequest.Hold(Calendar, new SlotRange(8, 2), ContractWorld.Patient(1), TimeSpan.FromMilliseconds(150)))).Reservation;
        Assert.True(stale.IsHold);

        // The holder "pauses"; Redis's clock expires the hold and another patient takes the slot.
        Reservation retaken = default;
        await Eventually.TrueAsync(
            async () =>
            {
                var result = await other.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(9), ContractWorld.Patient(2)));
                retaken = result.Reservation;
                return result.Succeeded;
            },
            "the expired hold to be retaken");
        Assert.True(retaken.Token > stale.Token);

        Assert.Equal(ClaimStatus.HoldExpired, (await paused.ConfirmAsync(stale)).Status);
        Assert.Equal(ClaimStatus.Stale, (await paused.ReleaseAsync(stale)).Status);
        Assert.Equal(ClaimStatus.Stale, (await paused.CancelAsync(stale with { HoldExpiresAt = null }, CancelActor.Administrator)).Status);
        var snapshot = await paused.GetCalendarAsync(Calendar);
        Assert.Equal(new SeatView(SlotStatus.Booked, ContractWorld.Patient(2), retaken.Token, null), snapshot[9]);
        Assert.Equal(SlotStatus.Free, snapshot[8].Status);

        var ledger = new ClaimLedger();
        ledger.Booked(retaken);
        await ledger.VerifyAsync(await nodes.AddAsync(), [Calendar]);
    }

    [Fact]
    public async Task Expired_holds_are_swept_by_Redis_time()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var hold = (await node.ClaimAsync(ClaimRequest.Hold(Calendar, new SlotRange(2, 3), ContractWorld.Patient(1), TimeSpan.FromMilliseconds(100)))).Reservation;
        var booking = (await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(6), ContractWorld.Patient(2)))).Reservation;
        var swept = new List<Reservation>();
        await Eventually.TrueAsync(async () => { swept.AddRange(await node.SweepExpiredHoldsAsync()); return swept.Count > 0; }, "the hold to be swept");
        Assert.Equal(hold with { HoldExpiresAt = swept[0].HoldExpiresAt }, Assert.Single(swept));
        var snapshot = await node.GetCalendarAsync(Calendar);
        Assert.Equal(48 - 1, snapshot.FreeSeatCount);
        Assert.Equal(booking.Token, snapshot[6].Token);
    }

    [Fact]
    public async Task The_optional_sweeper_frees_expired_holds_in_Redis_without_any_claim()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.Engine.Quotas = QuotaPolicy.None; o.SweepInterval = TimeSpan.FromMilliseconds(50); });
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        Assert.True((await node.ClaimAsync(ClaimRequest.Hold(Calendar, new SlotRange(2, 2), ContractWorld.Patient(1), TimeSpan.FromMilliseconds(100)))).Succeeded);
        Assert.True((await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(6), ContractWorld.Patient(2)))).Succeeded);

        // The hold may already be swept by the time anything can look (100 ms of real time, a sweep every
        // 50 ms), so the booking, which never expires, is what shows that this is the right hash and field form.
        var claims = nodes.Prefix + "{p:100:" + ContractWorld.Day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "}:m"; // the claims are fields of meta
        Assert.Equal("1", (await fixture.Server.CliAsync("HEXISTS", claims, "0:6")).Trim());
        await Eventually.TrueAsync(async () => (await fixture.Server.CliAsync("HEXISTS", claims, "0:2")).Trim() == "0", "the sweeper to free the expired hold in Redis");
        Assert.Equal("0", (await fixture.Server.CliAsync("HEXISTS", claims, "0:3")).Trim());
        Assert.Equal("1", (await fixture.Server.CliAsync("HEXISTS", claims, "0:6")).Trim()); // bookings are never swept
    }

    [Fact]
    public async Task Killed_with_minus_9_and_restarted_with_AOF_no_acknowledged_booking_is_lost()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { AppendOnly = true });
        await using var nodes = new StoreNodes(server.Endpoint);
        var writer = await nodes.AddAsync(o => o.ConnectionString = server.Endpoint + ",syncTimeout=2000,connectTimeout=1000");
        var days = Enumerable.Range(1, 4).Select(d => ContractWorld.Today.AddDays(d)).ToArray();
        var providers = new[] { ContractWorld.Doctor, ContractWorld.OtherFacility };
        foreach (var provider in providers)
        {
            foreach (var day in days)
            {
                await writer.PublishAsync(provider, day, ContractWorld.Standard);
            }
        }

        var calendars = providers.SelectMany(p => days.Select(d => new CalendarKey(p, d))).ToArray();
        var (ledger, unknown, load) = StartKeyedLoad(writer, calendars, workers: 8, perWorker: 40);
        await Eventually.TrueAsync(() => ledger.Acknowledged > 40, "some bookings before the kill");
        server.Kill();
        await Task.Delay(100); // the outage's length, not a wait for a condition
        await server.RestartAsync();
        await load;
        Assert.True(ledger.Acknowledged > 40);

        var reader = await nodes.AddAsync(o => o.ConnectionString = server.Endpoint);
        await ledger.VerifyAsync(reader, calendars, k => reader.WatchAsync(k.Provider, k.Day, k.Day));
        Assert.True(unknown.Count >= 0); // outcomes unknown at the kill were retried with their keys until known
    }

    [Fact]
    public async Task Connections_cut_mid_command_lose_nothing_and_keyed_retries_book_once()
    {
        await using var proxy = new TcpFaultProxy(fixture.Server.Port);
        await using var nodes = new StoreNodes(fixture.Server.Endpoint);
        var writer = await nodes.AddAsync(o => o.ConnectionString = proxy.Endpoint + ",syncTimeout=2000,connectTimeout=1000");
        var days = Enumerable.Range(1, 4).Select(d => ContractWorld.Today.AddDays(d)).ToArray();
        var calendars = days.Select(d => new CalendarKey(ContractWorld.Doctor, d)).Concat(days.Select(d => new CalendarKey(ContractWorld.OtherFacility, d))).ToArray();
        foreach (var calendar in calendars)
        {
            await writer.PublishAsync(calendar.Provider, calendar.Day, ContractWorld.Standard);
        }

        var (ledger, unknown, load) = StartKeyedLoad(writer, calendars, workers: 8, perWorker: 40);
        await CutThriceUnderLoadAsync(proxy, ledger, load, progress: 10);
        await load;
        Assert.True(proxy.Cuts > 0);
        var reader = await nodes.AddAsync();
        await ledger.VerifyAsync(reader, calendars, k => reader.WatchAsync(k.Provider, k.Day, k.Day));

        // Exactly once: every patient of the load asked for one booking, so has at most one (quota: one per clinic per day).
        var perPatient = new Dictionary<PatientKey, int>();
        foreach (var calendar in calendars)
        {
            var snapshot = await reader.GetCalendarAsync(calendar);
            for (var slot = 0; slot < 48; slot++)
            {
                if (snapshot[slot].Status == SlotStatus.Booked)
                {
                    perPatient[snapshot[slot].Owner] = perPatient.GetValueOrDefault(snapshot[slot].Owner) + 1;
                }
            }
        }

        Assert.All(perPatient.Values, count => Assert.Equal(1, count));
    }

    /// <summary>
    /// Workers book, each request with its own patient and idempotency key; an exception (connection lost,
    /// timeout: outcome unknown) is retried with the same key until a definite answer.
    /// </summary>
    /// <summary>Cuts every connection through <paramref name="proxy"/> three times, each after the load acknowledged <paramref name="progress"/> more claims (or ended).</summary>
    internal static async Task CutThriceUnderLoadAsync(TcpFaultProxy proxy, ClaimLedger ledger, Task load, int progress)
    {
        for (var cut = 0; cut < 3; cut++)
        {
            var before = ledger.Acknowledged;
            await Eventually.TrueAsync(() => ledger.Acknowledged > before + progress || load.IsCompleted, "progress before the next cut");
            proxy.CutAll();
        }
    }

    internal static (ClaimLedger Ledger, ConcurrentQueue<string> Unknown, Task Load) StartKeyedLoad(RedisSlotEngine writer, CalendarKey[] calendars, int workers, int perWorker)
    {
        var ledger = new ClaimLedger();
        var unknown = new ConcurrentQueue<string>();
        var prefix = Guid.NewGuid().ToString("N")[..6];
        var load = Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < perWorker; i++)
            {
                var n = (worker * perWorker) + i;
                var calendar = calendars[n % calendars.Length];
                var request = ClaimRequest.Book(calendar, SlotRange.Single((n / calendars.Length) % 48), ContractWorld.Patient(10_000 + n), $"{prefix}-{n}");
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        var result = await writer.ClaimAsync(request);
                        if (result.Succeeded)
                        {
                            ledger.Booked(result.Reservation);
                        }

                        break;
                    }
                    catch (Exception e) when (attempt < 200 && e is RedisException or TimeoutException)
                    {
                        unknown.Enqueue(e.GetType().Name);
                        await Task.Delay(20); // retry pacing while Redis is away, not a wait for a condition
                    }
                }
            }
        })));
        return (ledger, unknown, load);
    }
}
