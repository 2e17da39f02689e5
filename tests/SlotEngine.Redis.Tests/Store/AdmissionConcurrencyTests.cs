using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Many threads of one patient at once, with the bar and the cap judged by one admission (in the claim script on a
/// standalone server, by <c>admit.lua</c> on the patient's shard in a cluster), over calendars of every shard: the cap
/// is never passed, a barred patient never books, and the refused claims take nothing (after a lift, the barred
/// patient books exactly up to the cap).
/// </summary>
internal static class AdmissionConcurrency
{
    private const int Threads = 24;
    private static readonly ProviderId[] Providers = Enumerable.Range(500, 9).Select(i => new ProviderId(i)).ToArray();

    public static async Task RunAsync(string connectionString)
    {
        await using var nodes = new StoreNodes(connectionString, o =>
        {
            o.Engine.MaxActiveAppointments = 2;
            o.Engine.Bars = BarPolicy.Mhrs;
            o.Engine.Quotas = QuotaPolicy.None;
        });
        var first = await nodes.AddAsync();
        var second = await nodes.AddAsync();
        foreach (var node in nodes.All)
        {
            foreach (var provider in Providers)
            {
                node.Directory.AddProvider(provider, new ClinicId(20)); // branch 1, as the contract's doctor
            }
        }

        var calendars = Providers.Select(p => new CalendarKey(p, ContractWorld.Day)).ToArray();
        foreach (var calendar in calendars)
        {
            await first.PublishAsync(calendar.Provider, calendar.Day, ContractWorld.Standard);
        }

        // The barred patient: a no-show on a booking made by someone on their behalf, recorded before the threads start.
        var barred = ContractWorld.Patient(900);
        var missed = (await first.ClaimAsync(ClaimRequest.Book(calendars[0], SlotRange.Single(40), barred))).Reservation;
        Assert.True((await first.RecordOutcomeAsync(missed, AppointmentOutcome.NoShow)).Succeeded);
        Assert.True((await first.ReleaseAsync(missed)).Succeeded); // the cap counts only what is live

        var capped = ContractWorld.Patient(901);
        var results = await Task.WhenAll(Enumerable.Range(0, 2 * Threads).Select(n => Task.Run(async () =>
        {
            var node = nodes.All[n % 2];
            var patient = n < Threads ? capped : barred;
            var request = ClaimRequest.Book(calendars[n % calendars.Length], SlotRange.Single(n / calendars.Length), patient);
            return (Patient: patient, Result: await node.ClaimAsync(request));
        })));

        var ofCapped = results.Where(r => r.Patient == capped).Select(r => r.Result).ToArray();
        Assert.Equal(2, ofCapped.Count(r => r.Succeeded));
        Assert.All(ofCapped.Where(r => !r.Succeeded), r => Assert.Equal(ClaimStatus.ActiveLimitReached, r.Status));
        Assert.All(results.Where(r => r.Patient == barred), r => Assert.Equal(ClaimStatus.Barred, r.Result.Status));

        // The barred claims took no cap entry: once the bar is lifted the patient books exactly up to the cap.
        Assert.True(await second.LiftBarAsync(barred, new BranchId(1)));
        var after = new List<ClaimStatus>();
        for (var i = 0; i < 3; i++)
        {
            after.Add((await second.ClaimAsync(ClaimRequest.Book(calendars[i + 3], SlotRange.Single(30), barred))).Status);
        }

        Assert.Equal([ClaimStatus.Succeeded, ClaimStatus.Succeeded, ClaimStatus.ActiveLimitReached], after);
    }
}

/// <summary><see cref="AdmissionConcurrency"/> on one standalone server (the admission inside the claim script).</summary>
public sealed class AdmissionConcurrencyTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    [Fact]
    public Task Many_threads_of_one_patient_never_pass_the_cap_nor_book_while_barred_on_a_standalone_server() =>
        AdmissionConcurrency.RunAsync(fixture.Server.Endpoint);
}

/// <summary><see cref="AdmissionConcurrency"/> on the three-primary cluster (the admission on the patient's shard).</summary>
[Collection(ClusterCollection.Name)]
public sealed class AdmissionConcurrencyClusterTests(ClusterFixture fixture)
{
    [Fact]
    public Task Many_threads_of_one_patient_never_pass_the_cap_nor_book_while_barred_across_shards() =>
        AdmissionConcurrency.RunAsync(fixture.Cluster.ConnectionString);
}
