using SlotEngine.Redis.Tests.Fixtures;
using Xunit.Abstractions;

namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// The same random sequence of operations (hold, book, confirm, release, patient and administrator
/// cancel, block, reopen, stale tokens, keyed retries) applied to the in-memory engine and to the Redis
/// store, one step at a time: every answer, reservation (token and seat included) and error must be the
/// same, and so must every seat of every calendar at the end. Holds last long enough never to expire
/// during a run, so both engines' clocks agree on everything the sequence asks.
/// </summary>
public sealed class DifferentialTests(StandaloneServerFixture fixture, ITestOutputHelper output) : IClassFixture<StandaloneServerFixture>
{
    private static readonly ProviderId[] Providers = [ContractWorld.Doctor, ContractWorld.SameClinic, ContractWorld.OtherClinic, ContractWorld.ThirdClinic];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Random_operation_sequences_give_the_same_answers_in_memory_and_on_Redis(int seed)
    {
        var options = () => new SlotEngineOptions { TimeZone = ContractWorld.Istanbul, PatientCancelCutoff = TimeSpan.FromDays(seed == 2 ? 400 : 0), PatientKeyHasher = PatientKeyHasher.FromSecret("slotengine-tests-shared-patient-secret") };
        var days = new[] { ContractWorld.Day, ContractWorld.Day.AddDays(1) };
        var (memory, redis) = await EnginesAsync(fixture.Server.Endpoint, options, "d", Providers, days, provider => provider == ContractWorld.ThirdClinic ? ContractWorld.Capacity2 : ContractWorld.Standard);
        await using var redisScope = redis;
        ISlotEngine[] engines = [memory, redis];

        var random = new Random(seed);
        var issued = new List<Reservation>();
        var steps = 0;
        for (var step = 0; step < 300; step++)
        {
            var provider = Providers[random.Next(Providers.Length)];
            var calendar = new CalendarKey(provider, days[random.Next(days.Length)]);
            var slots = provider == ContractWorld.ThirdClinic ? 6 : 48;
            var first = random.Next(slots);
            var length = Math.Min(1 + random.Next(3), slots - first);
            var patient = ContractWorld.Patient(random.Next(8));
            var pick = issued.Count > 0 ? issued[random.Next(issued.Count)] : default;
            var key = random.Next(4) == 0 ? "k" + random.Next(20) : null;
            var op = random.Next(10);
            var actor = random.Next(2) == 0 ? CancelActor.Patient : CancelActor.Administrator;
            var answers = new List<string>();
            foreach (var engine in engines)
            {
                answers.Add(await DescribeAsync(() => op switch
                {
                    0 or 1 => Claim(engine.ClaimAsync(ClaimRequest.Hold(calendar, new SlotRange(first, length), patient, TimeSpan.FromMinutes(20), key))),
                    2 or 3 => Claim(engine.ClaimAsync(ClaimRequest.Book(calendar, new SlotRange(first, length), patient, key))),
                    4 => Claim(pick.IsDefault ? engine.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(first), patient)) : engine.ConfirmAsync(pick)),
                    5 => Claim(pick.IsDefault ? engine.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(first), patient)) : engine.ReleaseAsync(pick)),
                    6 => Claim(pick.IsDefault ? engine.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(first), patient)) : engine.CancelAsync(pick, actor)),
                    7 => Claim(pick.IsDefault ? engine.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(first), patient)) : engine.ConfirmAsync(pick with { Token = pick.Token + 1 })),
                    8 => Block(engine.BlockAsync(calendar, new SlotRange(first, length))),
                    _ => Reopen(engine.ReopenAsync(calendar, new SlotRange(first, length))),
                }, issued, engine == memory));
            }

            Assert.True(answers[0] == answers[1], $"step {step} (op {op}, {calendar}, {first}+{length}, {patient}, key {key}): memory '{answers[0]}' vs redis '{answers[1]}'");
            steps++;
        }

        foreach (var provider in Providers)
        {
            foreach (var day in days)
            {
                var calendar = new CalendarKey(provider, day);
                var expected = await memory.GetCalendarAsync(calendar);
                var actual = await redis.GetCalendarAsync(calendar);
                for (var slot = 0; slot < expected.SlotCount; slot++)
                {
                    for (var seat = 0; seat < expected.Capacity; seat++)
                    {
                        Assert.Equal(expected[slot, seat] with { HoldExpiresAt = null }, actual[slot, seat] with { HoldExpiresAt = null });
                    }
                }
            }
        }

        output.WriteLine($"seed {seed}: {steps} steps, {issued.Count} reservations issued, same answers and same final seats");
    }

    /// <summary>
    /// The two engines of a differential run, each built from its own <paramref name="options"/>() (the Redis store on a fresh
    /// key prefix), with the contract world registered and every provider's <paramref name="days"/> published on both.
    /// </summary>
    internal static async Task<(InMemorySlotEngine Memory, RedisSlotEngine Redis)> EnginesAsync(
        string endpoint, Func<SlotEngineOptions> options, string prefix, ProviderId[] providers, DateOnly[] days, Func<ProviderId, DayTemplate> template)
    {
        var memory = new InMemorySlotEngine(options());
        var redis = await RedisSlotEngine.ConnectAsync(new RedisSlotEngineOptions
        {
            ConnectionString = endpoint,
            Engine = options(),
            KeyPrefix = prefix + Guid.NewGuid().ToString("N")[..10] + ":",
            PersistenceCheck = PersistenceCheckMode.Off,
        });
        try
        {
            foreach (var engine in new ISlotEngine[] { memory, redis })
            {
                ContractWorld.Register(engine.Directory);
                foreach (var provider in providers)
                {
                    foreach (var day in days)
                    {
                        await engine.PublishAsync(provider, day, template(provider));
                    }
                }
            }
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }

        return (memory, redis);
    }

    private static async Task<string> DescribeAsync(Func<Task<(string Text, Reservation? Issued)>> act, List<Reservation> issued, bool record)
    {
        try
        {
            var (text, reservation) = await act();
            if (record && reservation is { } r)
            {
                issued.Add(r);
            }

            return text;
        }
        catch (SlotEngineArgumentException e)
        {
            return "error " + e.Code;
        }
    }

    private static async Task<(string, Reservation?)> Claim(ValueTask<ClaimResult> claim)
    {
        var result = await claim;
        if (!result.Succeeded)
        {
            return (result.Status.ToString(), null);
        }

        var r = result.Reservation;
        return ($"ok {r.Calendar} {r.Slots} seat {r.Seat} token {r.Token} {r.Patient} {(r.IsHold ? "held" : "booked")}", r);
    }

    private static async Task<(string, Reservation?)> Block(ValueTask<BlockResult> block)
    {
        var result = await block;
        return ($"closed {result.ClosedSeats}: " + string.Join(", ", result.Displaced
            .Select(d => $"{d.Reservation.Slots} seat {d.Reservation.Seat} token {d.Reservation.Token} {d.Reservation.Patient} {d.WasBooked}")
            .Order(StringComparer.Ordinal)), null);
    }

    private static async Task<(string, Reservation?)> Reopen(ValueTask<int> reopen) => ("opened " + await reopen, null);
}
