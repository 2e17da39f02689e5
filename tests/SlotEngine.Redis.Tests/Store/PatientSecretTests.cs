using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Issue 8.2: in Redis mode the patient key secret is mandatory, and nodes prove at start-up (through a keyed
/// fingerprint stored in Redis) that they share it, because two secrets silently turn one citizen into two patients.
/// </summary>
public sealed class PatientSecretTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private const string Secret = "correct-horse-battery-staple-0001";
    private const string OtherSecret = "another-deployment-secret-000002";
    private static readonly NationalId Citizen = NationalId.Parse("10000000146");

    private RedisSlotEngineOptions Options(string prefix, PatientKeyHasher? hasher) => new()
    {
        ConnectionString = fixture.Server.Endpoint,
        KeyPrefix = prefix,
        PersistenceCheck = PersistenceCheckMode.Off,
        Engine = new SlotEngineOptions { TimeZone = ContractWorld.Istanbul, PatientKeyHasher = hasher },
    };

    private static string NewPrefix() => "ps" + Guid.NewGuid().ToString("N")[..10] + ":";

    [Fact]
    public async Task Without_a_secret_the_store_refuses_to_start_and_names_the_option()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => RedisSlotEngine.ConnectAsync(Options(NewPrefix(), hasher: null)));

        Assert.Contains("RedisSlotEngineOptions.Engine.PatientKeyHasher", error.Message, StringComparison.Ordinal);
        Assert.Contains("SlotEngine:PatientKeySecret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_nodes_with_one_secret_start_and_a_citizen_is_one_patient_on_both_so_the_quota_holds()
    {
        var prefix = NewPrefix();
        await using var first = await RedisSlotEngine.ConnectAsync(Options(prefix, PatientKeyHasher.FromSecret(Secret)));
        await using var second = await RedisSlotEngine.ConnectAsync(Options(prefix, PatientKeyHasher.FromSecret(Secret)));
        ContractWorld.Register(first.Directory);
        ContractWorld.Register(second.Directory);
        await first.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        await first.PublishAsync(ContractWorld.SameClinic, ContractWorld.Day, ContractWorld.Standard);

        // The fingerprint the first node stored is the secret's HMAC, not the secret.
        var stored = (await fixture.Server.CliAsync("GET", prefix + "patient-secret-fingerprint-v1")).Trim();
        Assert.Equal(PatientKeyHasher.FromSecret(Secret).ComputeFingerprint("slotengine-secret-fingerprint-v1"), stored);
        Assert.DoesNotContain(Secret, stored, StringComparison.Ordinal);

        Assert.Equal(first.PatientOf(Citizen), second.PatientOf(Citizen));
        var held = await first.ClaimAsync(ClaimRequest.Hold(new CalendarKey(ContractWorld.Doctor, ContractWorld.Day), SlotRange.Single(1), first.PatientOf(Citizen), TimeSpan.FromMinutes(5)));
        var again = await second.ClaimAsync(ClaimRequest.Hold(new CalendarKey(ContractWorld.SameClinic, ContractWorld.Day), SlotRange.Single(1), second.PatientOf(Citizen), TimeSpan.FromMinutes(5)));

        Assert.Equal(ClaimStatus.Succeeded, held.Status);
        Assert.Equal(ClaimStatus.QuotaExceeded, again.Status); // one clinic per day (MHRS), across nodes
    }

    [Fact]
    public async Task A_node_with_another_secret_refuses_to_start_with_a_message_that_does_not_contain_either_secret()
    {
        var prefix = NewPrefix();
        await using var first = await RedisSlotEngine.ConnectAsync(Options(prefix, PatientKeyHasher.FromSecret(Secret)));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RedisSlotEngine.ConnectAsync(Options(prefix, PatientKeyHasher.FromSecret(OtherSecret))));

        Assert.Contains("patient key secret", error.Message, StringComparison.Ordinal);
        Assert.Contains(prefix, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(OtherSecret, error.Message, StringComparison.Ordinal);

        // Another deployment (key prefix) on the same server has a secret of its own.
        await using var elsewhere = await RedisSlotEngine.ConnectAsync(Options(NewPrefix(), PatientKeyHasher.FromSecret(OtherSecret)));
        Assert.NotEqual(first.PatientOf(Citizen), elsewhere.PatientOf(Citizen));
    }

    [Fact]
    public void The_hasher_and_the_options_never_show_the_secret_as_text()
    {
        var hasher = PatientKeyHasher.FromSecret(Secret);

        Assert.DoesNotContain(Secret, hasher.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, Options("x:", hasher).ToString()!, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, Options("x:", hasher).Engine.ToString()!, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PatientKeyHasher.FromSecret("too-short"));
    }
}
