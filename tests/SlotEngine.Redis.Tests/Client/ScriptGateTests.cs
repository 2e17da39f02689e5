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
            // Not on the test's synchronization context: a continuation posted there may run after a later one, and
            // the list would show the order the context ran them in, not the order the gate let them in.
            await entered.ConfigureAwait(false);
            then();
        }
    }

    [Fact]
    public async Task Many_threads_never_take_more_places_than_the_bound()
    {
        const int Bound = 3;
        const int Threads = 16;
        var gate = new ScriptGate(Bound);
        var inside = 0;
        var most = 0;

        // The test holds every place while the threads start, so that each thread's first entry waits whatever the
        // scheduling (on a loaded machine, threads that start one after another need not overlap at all).
        for (var i = 0; i < Bound; i++)
        {
            await gate.EnterAsync();
        }

        var tasks = Enumerable.Range(0, Threads).Select(_ => Task.Run(async () =>
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
        await Eventually.TrueAsync(() => gate.Waits >= Threads, "every thread queued at the full gate");
        Assert.Equal(Bound, gate.InFlight);
        Assert.Equal(0, Volatile.Read(ref inside)); // nobody got in past the bound
        for (var i = 0; i < Bound; i++)
        {
            gate.Exit(); // each hands its place to a waiting thread
        }

        await Task.WhenAll(tasks);

        Assert.InRange(most, 1, Bound);
        Assert.Equal(0, gate.InFlight);
        Assert.True(gate.Waits >= Threads, "16 threads on 3 places held by the test: each waited");

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

        // 48 claims on 24 seats from two nodes at once: each seat is booked once, whoever waited at the gate. The test
        // holds both places of each node's gate while the claims are made, so that they queue there whatever the
        // scheduling (on a loaded machine, claims made one after another need not overlap at all).
        var gateA = a.Connection.Gate!;
        var gateB = b.Connection.Gate!;
        await gateA.EnterAsync();
        await gateA.EnterAsync();
        await gateB.EnterAsync();
        await gateB.EnterAsync();
        var claims = Enumerable.Range(0, 48).Select(i =>
            (i % 2 == 0 ? a : b).ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(i % 24), ContractWorld.Patient(i + 1))).AsTask()).ToArray();
        await Eventually.TrueAsync(() => gateA.Waits >= 24 && gateB.Waits >= 24, "every claim queued at its node's full gate");
        Assert.DoesNotContain(claims, c => c.IsCompleted);
        gateA.Exit();
        gateA.Exit();
        gateB.Exit();
        gateB.Exit();
        var results = await Task.WhenAll(claims);

        var won = results.Where(r => r.Succeeded).Select(r => r.Reservation.Slots.First).ToList();
        Assert.Equal(24, won.Count);
        Assert.Equal(24, won.Distinct().Count());
        Assert.Equal(0, gateA.InFlight);
        Assert.Equal(0, gateB.InFlight);
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
