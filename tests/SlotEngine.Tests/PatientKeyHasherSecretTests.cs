using System.Text;

namespace SlotEngine.Tests;

/// <summary>The secret as text (configuration), its keyed fingerprint, and a text form that never shows it.</summary>
public class PatientKeyHasherSecretTests
{
    private const string Secret = "a-secret-from-configuration-0001";

    [Fact]
    public void A_secret_as_text_hashes_as_its_UTF8_bytes_do()
    {
        var id = NationalId.Parse("10000000146");

        Assert.Equal(new PatientKeyHasher(Encoding.UTF8.GetBytes(Secret)).KeyOf(id), PatientKeyHasher.FromSecret(Secret).KeyOf(id));
    }

    [Fact]
    public void The_fingerprint_is_equal_for_one_secret_and_differs_for_another_secret_or_label()
    {
        var one = PatientKeyHasher.FromSecret(Secret).ComputeFingerprint("label-v1");

        Assert.Equal(one, PatientKeyHasher.FromSecret(Secret).ComputeFingerprint("label-v1"));
        Assert.NotEqual(one, PatientKeyHasher.FromSecret(Secret + "x").ComputeFingerprint("label-v1"));
        Assert.NotEqual(one, PatientKeyHasher.FromSecret(Secret).ComputeFingerprint("label-v2"));
        Assert.Matches("^[0-9a-f]{64}$", one);
        Assert.DoesNotContain(Secret, one, StringComparison.Ordinal);
    }

    [Fact]
    public void The_text_form_and_the_errors_never_show_the_secret()
    {
        Assert.DoesNotContain(Secret, PatientKeyHasher.FromSecret(Secret).ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, new SlotEngineOptions { PatientKeyHasher = PatientKeyHasher.FromSecret(Secret) }.ToString(), StringComparison.Ordinal);

        var error = Assert.Throws<ArgumentException>(() => PatientKeyHasher.FromSecret("short-secret"));
        Assert.DoesNotContain("short-secret", error.Message, StringComparison.Ordinal);
    }
}
