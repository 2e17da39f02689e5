using SlotEngine.Redis.Client;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Redis.Tests.Store;

namespace SlotEngine.Redis.Tests.Client;

/// <summary>
/// The bound on a node's scripts in flight (<see cref="ScriptGate"/>, <see cref="RedisSlotEngineOptions.MaxScriptsInFlight"/>):
/// never more places taken than the bound, waiters served in arrival order, every place given back, and a store whose
/// callers queue at the gate still books each seat once.
/// </summary>
public sealed class ScriptGateTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    [Fact]
    public async Task Callers_past_the_bound_wait_in_arrival_order_and_every_place_comes_back()
    {
        var gate = new ScriptGate(2);
        await gate.EnterAsync();
        await gate.EnterAsync();
        Assert.Equal(2, gate.InFlight);

        var order = new List<int>();
        var waiters = new List<Task>();
        for (var i = 0; i < 5; i++)
        {
            var n = i;
            var entered = gate.EnterAsync();
            Assert.False(entered.IsCompleted); // both places taken
            waiters.Add(Continue(entered, () => order.Add(n)));
        }

        Assert.Equal(5, gate.Waits);
        for (var i = 0; i < 5; i++)
        {
            gate.Exit(); // hands the place to the first waiter: the count stays at the bound
            Assert.Equal(2, gate.InFlight);
        }

        await Task.WhenAll(waiters);
        Assert.Equal([0, 1, 2, 3, 4], order);
        gate.Exit();
        gate.Exit();
        Assert.Equal(0, gate.InFlight);

        // The waiters are reused: another round of waits completes as the first did.
        await gate.EnterAsync();
        var again = gate.EnterAsync();
        var late = gate.EnterAsync();
        Assert.False(late.IsCompleted);
        gate.Exit();
        await again;
        gate.Exit();
        await late;
        gate.Exit();
        Assert.Equal(0, gate.InFlight);

        static async Task Continue(ValueTask entered, Action then)
        {
            await entered;
            then();
        }
    }

    [Fact]
    public async Task Many_threads_never_take_more_places_than_the_bound()
    {
        const int Bound = 3;
        var gate = new ScriptGate(Bound);
        var inside = 0;
        var most = 0;
        var tasks = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                await gate.EnterAsync();
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref most, now);
                if ((i & 7) == 0)
                {
                    await Task.Yield(); // hold the place across an await, as a script's round trip does
                }

                Interlocked.Decrement(ref inside);
                gate.Exit();
            }
        })).ToArray();
        await Task.WhenAll(tasks);

        Assert.InRange(most, 1, Bound);
        Assert.Equal(0, gate.InFlight);
        Assert.True(gate.Waits > 0, "16 threads on 3 places: some waited");

        static void InterlockedMax(ref int target, int value)
        {
            var seen = Volatile.Read(ref target);
            while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var was && was != seen)
            {
                seen = was;
            }
        }
    }

    [Fact]
    public async Task A_store_bounded_to_two_scripts_in_flight_books_every_seat_once()
    {
        var calendar = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day);
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o =>
        {
            o.Engine.Quotas = QuotaPolicy.None;
            o.VersionCheckInterval = null;
            o.MaxScriptsInFlight = 2;
        });
        var a = await nodes.AddAsync();
        var b = await nodes.AddAsync();
        Assert.NotNull(a.Connection.Gate);
        await a.PublishAsync(calendar.Provider, calendar.Day, ContractWorld.Standard);

        // 48 claims on 24 seats from two nodes at once: each seat is booked once, whoever waited at the gate.
        var claims = Enumerable.Range(0, 48).Select(i =>
            (i % 2 == 0 ? a : b).ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(i % 24), ContractWorld.Patient(i + 1))).AsTask()).ToArray();
        var results = await Task.WhenAll(claims);

        var won = results.Where(r => r.Succeeded).Select(r => r.Reservation.Slots.First).ToList();
        Assert.Equal(24, won.Count);
        Assert.Equal(24, won.Distinct().Count());
        Assert.True(a.Connection.Gate!.Waits + b.Connection.Gate!.Waits > 0, "48 claims on two places per node: some waited");
        Assert.Equal(0, a.Connection.Gate.InFlight);
        Assert.Equal(0, b.Connection.Gate.InFlight);
    }

    [Fact]
    public async Task A_long_queue_of_callers_that_exit_at_once_does_not_grow_the_stack()
    {
        // Each waiter, once let in, leaves at once (as a call that fails without a connection does): the hand-overs
        // nest on one thread until the gate sends the rest to the pool. 20,000 nested frames would overflow the stack.
        var gate = new ScriptGate(1);
        await gate.EnterAsync();
        var done = 0;
        var waiters = Enumerable.Range(0, 20_000).Select(_ => EnterAndLeave()).ToArray();
        gate.Exit();
        await Task.WhenAll(waiters);
        Assert.Equal(20_000, done);
        Assert.Equal(0, gate.InFlight);

        async Task EnterAndLeave()
        {
            await gate.EnterAsync();
            Interlocked.Increment(ref done);
            gate.Exit();
        }
    }

    [Fact]
    public void The_bound_must_be_positive_or_null()
    {
        var options = new RedisSlotEngineOptions { ConnectionString = "127.0.0.1:1", MaxScriptsInFlight = 0, Engine = new SlotEngineOptions { PatientKeyHasher = StoreNodes.SharedPatientKeys } };
        Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        options.MaxScriptsInFlight = null;
        options.Validate();
        Assert.Null(new RedisSlotEngineOptions().MaxScriptsInFlight); // off by default: a bound costs CPU per booking
    }
}
