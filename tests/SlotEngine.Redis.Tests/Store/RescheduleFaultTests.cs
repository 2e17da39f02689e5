using System.Globalization;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Reschedule on a three-primary cluster under faults (docs/reschedule.md): the moved claim's calendar, the target's and the
/// patient's keys on three different shards; the caller stopped after each step (a hook that throws, as a kill), a paused
/// caller whose move another node settles, then resumes. After each: one live appointment (the target when the target was
/// claimed and the move completed, the original otherwise), never two, never none; the cap and the daily quotas count
/// exactly the live appointments.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RescheduleFaultTests(ClusterFixture fixture)
{
    private static readonly int[] Patients = Enumerable.Range(500, 200).ToArray();

    [Theory]
    [InlineData(0, false)] // after the intent is written
    [InlineData(1, false)] // after the entries follow the move
    [InlineData(2, true)] // after the target is claimed
    public async Task A_caller_stopped_after_a_step_is_settled_by_another_node(int step, bool completes)
    {
        var stopAfter = (MoveStep)step;
        await using var nodes = Nodes(fixture.Cluster.ConnectionString);
        var caller = await nodes.AddAsync();
        var other = await nodes.AddAsync();
        var (from, to, patient) = await ThreeShardsAsync(caller);
        var booking = await BookAsync(caller, from, patient);

        caller.MoveHook = step => step == stopAfter ? throw new InvalidOperationException("killed") : ValueTask.CompletedTask;
        await Assert.ThrowsAsync<MoveHookException>(async () => await caller.RescheduleAsync(booking, Target(to, patient)));

        // Another node settles it once the intent's deadline has passed (from the stored state alone).
        await Eventually.TrueAsync(async () => await other.ResolveMovesAsync(from) == 1, "the half-done move to be settled");
        await AssertOneLiveAsync(other, patient, from, to, expectOn: completes ? to : from);
    }

    [Fact]
    public async Task A_keyed_retry_after_a_stop_completes_the_move_at_once()
    {
        await using var nodes = Nodes(fixture.Cluster.ConnectionString);
        var caller = await nodes.AddAsync();
        var (from, to, patient) = await ThreeShardsAsync(caller);
        var booking = await BookAsync(caller, from, patient);

        caller.MoveHook = step => step == MoveStep.TargetClaimed ? throw new InvalidOperationException("killed") : ValueTask.CompletedTask;
        await Assert.ThrowsAsync<MoveHookException>(async () => await caller.RescheduleAsync(booking, Target(to, patient, "retry-k")));
        caller.MoveHook = null;

        var retried = await caller.RescheduleAsync(booking, Target(to, patient, "retry-k"));
        Assert.True(retried.Succeeded, retried.ToString());
        Assert.Equal(to, retried.Reservation.Calendar);
        var again = await caller.RescheduleAsync(booking, Target(to, patient, "retry-k"));
        Assert.Equal(retried.Reservation, again.Reservation);
        await AssertOneLiveAsync(caller, patient, from, to, expectOn: to);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public async Task A_paused_caller_whose_move_another_node_settled_resumes_without_harm(int step, bool completes)
    {
        var pauseAfter = (MoveStep)step;
        await using var nodes = Nodes(fixture.Cluster.ConnectionString);
        var caller = await nodes.AddAsync();
        var other = await nodes.AddAsync();
        var (from, to, patient) = await ThreeShardsAsync(caller);
        var booking = await BookAsync(caller, from, patient);

        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        caller.MoveHook = async step =>
        {
            if (step == pauseAfter)
            {
                paused.TrySetResult();
                await resume.Task;
            }
        };
        var move = caller.RescheduleAsync(booking, Target(to, patient)).AsTask();
        await paused.Task;
        await Eventually.TrueAsync(async () => await other.ResolveMovesAsync(from) == 1, "the paused move to be settled by another node");
        resume.SetResult();

        var result = await move;
        Assert.Equal(completes, result.Succeeded);
        if (!completes)
        {
            Assert.Equal(ClaimStatus.MoveInProgress, result.Status);
        }

        await AssertOneLiveAsync(other, patient, from, to, expectOn: completes ? to : from);
    }

    [Fact]
    public async Task A_connection_cut_mid_move_leaves_one_live_appointment_once_settled()
    {
        await using var server = await RedisServer.StartAsync();
        await using var proxy = new TcpFaultProxy(server.Port);
        await using var nodes = Nodes(server.Endpoint);
        var caller = await nodes.AddAsync(o => o.ConnectionString = proxy.Endpoint + ",syncTimeout=2000,connectTimeout=1000");
        var other = await nodes.AddAsync();
        var (from, to, patient, booking) = await PublishedAndBookedAsync(caller, ContractWorld.Patient(77));

        caller.MoveHook = step =>
        {
            if (step == MoveStep.TargetClaimed)
            {
                proxy.CutAll();
            }

            return ValueTask.CompletedTask;
        };
        RescheduleResult? result = null;
        try
        {
            result = await caller.RescheduleAsync(booking, Target(to, patient));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The outcome is unknown to the caller: the stored intent decides it.
        }

        await Eventually.TrueAsync(async () => await other.ResolveMovesAsync(from) >= 0 && await OpenIntentsAsync(other, nodes.Prefix, from) == 0, "no move left open");
        var live = await LiveOnAsync(other, patient, from) + await LiveOnAsync(other, patient, to);
        Assert.Equal(1, live);
        if (result is { Succeeded: true })
        {
            Assert.Equal(1, await LiveOnAsync(other, patient, to));
        }

        await AssertCountsAsync(other, patient, (await LiveOnAsync(other, patient, to)) == 1 ? to : from);
    }

    [Fact]
    public async Task A_primary_killed_between_the_steps_and_restarted_leaves_one_live_appointment_once_settled()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { AppendOnly = true });

        // A lease of 300 ms can pass between the steps on a loaded machine: the move is then refused before the target claim
        // (MoveInProgress) and never reaches the kill this test is about. Long enough for any runner, short enough to settle.
        await using var nodes = Nodes(server.Endpoint, TimeSpan.FromSeconds(3));
        var caller = await nodes.AddAsync(o => o.ConnectionString = server.Endpoint + ",syncTimeout=2000,connectTimeout=1000");
        var (from, to, patient, booking) = await PublishedAndBookedAsync(caller, ContractWorld.Patient(78));

        caller.MoveHook = step =>
        {
            if (step == MoveStep.TargetClaimed)
            {
                server.Kill(); // kill -9 between the target claim and the release of the moved claim
            }

            return ValueTask.CompletedTask;
        };
        await Assert.ThrowsAnyAsync<Exception>(async () => await caller.RescheduleAsync(booking, Target(to, patient)));
        caller.MoveHook = null;
        await server.RestartAsync();

        var other = await nodes.AddAsync();
        await Eventually.TrueAsync(async () => await other.ResolveMovesAsync(from) >= 0 && await OpenIntentsAsync(other, nodes.Prefix, from) == 0, "the move to be settled after the restart");
        await AssertOneLiveAsync(other, patient, from, to, expectOn: to); // the target claim was written (AOF, fsync always) before the kill
    }

    [Fact]
    public async Task Two_nodes_moving_and_cancelling_one_appointment_leave_one_live_claim_or_none_after_a_cancel()
    {
        await using var nodes = Nodes(fixture.Cluster.ConnectionString);
        var a = await nodes.AddAsync();
        var b = await nodes.AddAsync();
        var (from, to, patient) = await ThreeShardsAsync(a);
        var holder = new Holder { Current = await BookAsync(a, from, patient) };
        var cancelled = 0;
        var moves = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var node = t % 2 == 0 ? a : b;
            var random = new Random(t);
            for (var i = 0; i < 25 && Volatile.Read(ref cancelled) == 0; i++)
            {
                Reservation current;
                lock (holder)
                {
                    current = holder.Current;
                }

                if (t == 7 && i == 20)
                {
                    if ((await node.CancelAsync(current, CancelActor.Administrator)).Succeeded)
                    {
                        Interlocked.Exchange(ref cancelled, 1);
                    }

                    continue;
                }

                var result = await node.RescheduleAsync(current, ClaimRequest.Book(random.Next(2) == 0 ? from : to, SlotRange.Single(random.Next(40)), patient));
                if (result.Succeeded)
                {
                    Interlocked.Increment(ref moves);
                    lock (holder)
                    {
                        Assert.Equal(current, holder.Current); // only the move that released `current` succeeds
                        holder.Current = result.Reservation;
                    }
                }
                else
                {
                    // QuotaExceeded: on the cluster a move's target claim is admitted on the patient's shard first, under a
                    // short quota lease; the claim on the calendar's shard refuses it as the quota's when the lease ran out
                    // in between (a loaded machine) or another node's move of the same patient took the entry back
                    // (claim.lua's 'lease'). A refusal like the others; what this test proves is asserted above.
                    Assert.True(result.Status is ClaimStatus.Stale or ClaimStatus.Taken or ClaimStatus.MoveInProgress or ClaimStatus.QuotaExceeded, result.ToString());
                }
            }
        })));

        Assert.True(moves > 0);
        await Eventually.TrueAsync(async () => await OpenIntentsAsync(a, nodes.Prefix, from) + await OpenIntentsAsync(a, nodes.Prefix, to) == 0, "no move left open");
        var live = await LiveOnAsync(a, patient, from) + await LiveOnAsync(a, patient, to);
        if (cancelled == 1)
        {
            Assert.Equal(0, live);
        }
        else
        {
            Assert.Equal(1, live);
            await AssertCountsAsync(a, patient, holder.Current.Calendar);
        }
    }

    private sealed class Holder
    {
        public Reservation Current { get; set; }
    }

    private static StoreNodes Nodes(string connectionString, TimeSpan? lease = null) => new(connectionString, o =>
    {
        o.QuotaLease = lease ?? TimeSpan.FromMilliseconds(300);
        o.ClockSkewAllowance = TimeSpan.Zero;
        o.Engine.MaxActiveAppointments = 2;
    });

    private static ClaimRequest Target(CalendarKey to, PatientKey patient, string? key = null) =>
        ClaimRequest.Book(to, SlotRange.Single(5), patient, key);

    private static async Task<Reservation> BookAsync(RedisSlotEngine node, CalendarKey calendar, PatientKey patient)
    {
        var result = await node.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(2), patient));
        Assert.True(result.Succeeded, result.ToString());
        return result.Reservation;
    }

    /// <summary>Publishes the doctor's and the other clinic's <see cref="ContractWorld.Day"/> and books <paramref name="patient"/> on the doctor's.</summary>
    private static async Task<(CalendarKey From, CalendarKey To, PatientKey Patient, Reservation Booking)> PublishedAndBookedAsync(RedisSlotEngine caller, PatientKey patient)
    {
        var from = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day);
        var to = new CalendarKey(ContractWorld.OtherClinic, ContractWorld.Day);
        await caller.PublishAsync(from.Provider, from.Day, ContractWorld.Standard);
        await caller.PublishAsync(to.Provider, to.Day, ContractWorld.Standard);
        return (from, to, patient, await BookAsync(caller, from, patient));
    }

    /// <summary>Two calendars of clinics 10 and 11 (facility 1) and a patient, on three different shards.</summary>
    private static async Task<(CalendarKey From, CalendarKey To, PatientKey Patient)> ThreeShardsAsync(RedisSlotEngine node)
    {
        string ShardOf(string key) => node.Multiplexer.GetServer((RedisKey)key).EndPoint.ToString()!;
        var days = Enumerable.Range(2, 8).Select(d => ContractWorld.Today.AddDays(d)).ToArray();
        foreach (var day in days)
        {
            var from = new CalendarKey(ContractWorld.Doctor, day);
            var to = new CalendarKey(ContractWorld.OtherClinic, day);
            if (ShardOf(Tag(from)) == ShardOf(Tag(to)))
            {
                continue;
            }

            foreach (var n in Patients)
            {
                var patient = ContractWorld.Patient(n);
                var hex = patient.Value.ToString("x16", CultureInfo.InvariantCulture);
                // The patient's active entries, bars and quota days share one tag, {a:<hex>}.
                var active = ShardOf("{a:" + hex + "}");
                if (active != ShardOf(Tag(from)) && active != ShardOf(Tag(to)))
                {
                    await node.PublishAsync(from.Provider, day, ContractWorld.Standard);
                    await node.PublishAsync(to.Provider, day, ContractWorld.Standard);
                    return (from, to, patient);
                }
            }
        }

        throw new InvalidOperationException("No day and patient spread over three shards.");
    }

    private static async Task<int> LiveOnAsync(ISlotEngine engine, PatientKey patient, CalendarKey calendar)
    {
        var snapshot = await engine.GetCalendarAsync(calendar);
        var tokens = new HashSet<long>();
        for (var slot = 0; slot < snapshot.SlotCount; slot++)
        {
            var view = snapshot[slot];
            if (view.Status is SlotStatus.Held or SlotStatus.Booked && view.Owner == patient)
            {
                tokens.Add(view.Token);
            }
        }

        return tokens.Count;
    }

    private static async Task<long> OpenIntentsAsync(RedisSlotEngine node, string prefix, CalendarKey calendar)
    {
        return await node.Multiplexer.GetDatabase().HashLengthAsync(prefix + Tag(calendar) + ":v");
    }

    /// <summary>The hash tag of <paramref name="calendar"/>'s keys, {p:&lt;provider&gt;:&lt;yyyyMMdd&gt;}.</summary>
    private static string Tag(CalendarKey calendar) =>
        "{p:" + calendar.Provider.Value.ToString(CultureInfo.InvariantCulture) + ":" + calendar.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}";

    private static async Task AssertOneLiveAsync(RedisSlotEngine node, PatientKey patient, CalendarKey from, CalendarKey to, CalendarKey expectOn)
    {
        await Eventually.TrueAsync(
            async () => await LiveOnAsync(node, patient, from) + await LiveOnAsync(node, patient, to) == 1 && await LiveOnAsync(node, patient, expectOn) == 1,
            "exactly one live appointment, on " + expectOn);
        await AssertCountsAsync(node, patient, expectOn);
    }

    /// <summary>
    /// The cap (2) and the daily quotas (one per clinic, two per facility) count exactly the one live appointment on
    /// <paramref name="liveOn"/>: not less (its clinic refuses a second claim that day), not more (a claim in another clinic
    /// fits, then the cap is full; after both are released, its clinic takes a claim again).
    /// </summary>
    private static async Task AssertCountsAsync(RedisSlotEngine node, PatientKey patient, CalendarKey liveOn)
    {
        var sameClinic = liveOn.Provider == ContractWorld.Doctor ? ContractWorld.SameClinic : ContractWorld.OtherClinic;
        var elsewhere = liveOn.Provider == ContractWorld.Doctor ? ContractWorld.ThirdClinic : ContractWorld.Doctor;
        await node.PublishAsync(sameClinic, liveOn.Day, ContractWorld.Standard);
        await node.PublishAsync(elsewhere, liveOn.Day, ContractWorld.Standard);
        var live = (await node.GetCalendarAsync(liveOn)) is var snapshot
            ? Enumerable.Range(0, snapshot.SlotCount).Select(s => snapshot[s]).First(v => v.Owner == patient && v.Status is SlotStatus.Booked or SlotStatus.Held)
            : default;
        var liveSlot = Enumerable.Range(0, snapshot.SlotCount).First(s => snapshot[s].Token == live.Token && snapshot[s].Owner == patient);

        if (sameClinic != liveOn.Provider)
        {
            Assert.Equal(ClaimStatus.QuotaExceeded, (await node.ClaimAsync(ClaimRequest.Book(new CalendarKey(sameClinic, liveOn.Day), SlotRange.Single(30), patient))).Status);
        }

        var second = await node.ClaimAsync(ClaimRequest.Book(new CalendarKey(elsewhere, liveOn.Day), SlotRange.Single(31), patient));
        Assert.True(second.Succeeded, "a second appointment in another clinic: " + second);
        Assert.Equal(ClaimStatus.ActiveLimitReached, (await node.ClaimAsync(ClaimRequest.Book(new CalendarKey(elsewhere, liveOn.Day), SlotRange.Single(32), patient))).Status);

        Assert.True((await node.ReleaseAsync(second.Reservation)).Succeeded);
        var current = new Reservation(liveOn, SlotRange.Single(liveSlot), 0, live.Token, patient, live.HoldExpiresAt);
        Assert.True((await node.ReleaseAsync(current)).Succeeded);
        Assert.True((await node.ClaimAsync(ClaimRequest.Book(liveOn, SlotRange.Single(33), patient))).Succeeded);
    }
}
