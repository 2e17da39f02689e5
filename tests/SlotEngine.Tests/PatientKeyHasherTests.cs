using System.Text;

namespace SlotEngine.Tests;

public class PatientKeyHasherTests
{
    private static readonly byte[] SecretA = Encoding.ASCII.GetBytes("secret-A-0123456789abcdef");
    private static readonly byte[] SecretB = Encoding.ASCII.GetBytes("secret-B-0123456789abcdef");

    [Fact]
    public void Same_secret_gives_the_same_key()
    {
        var id = NationalId.FromFirstNineDigits(123_456_789);
        var one = new PatientKeyHasher(SecretA).KeyOf(id);
        var two = new PatientKeyHasher(SecretA).KeyOf(id);
        Assert.Equal(one, two);
        Assert.False(one.IsDefault);
    }

    [Fact]
    public void Different_secrets_give_different_keys()
    {
        var a = new PatientKeyHasher(SecretA);
        var b = new PatientKeyHasher(SecretB);
        for (var n = 0; n < 100; n++)
        {
            var id = NationalId.FromFirstNineDigits(200_000_000 + n);
            Assert.NotEqual(a.KeyOf(id), b.KeyOf(id));
        }
    }

    [Fact]
    public void Different_ids_give_different_keys()
    {
        var hasher = new PatientKeyHasher(SecretA);
        var keys = Enumerable.Range(0, 10_000).Select(n => hasher.KeyOf(NationalId.FromFirstNineDigits(300_000_000 + n))).ToHashSet();
        Assert.Equal(10_000, keys.Count);
    }

    [Fact]
    public void The_key_does_not_carry_the_id()
    {
        var id = NationalId.FromFirstNineDigits(123_456_789);
        var key = new PatientKeyHasher(SecretA).KeyOf(id);
        Assert.NotEqual((ulong)id.Value, key.Value);
        Assert.DoesNotContain(id.Digits, key.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Ephemeral_hashers_differ_from_each_other()
    {
        var id = NationalId.FromFirstNineDigits(123_456_789);
        Assert.NotEqual(PatientKeyHasher.CreateEphemeral().KeyOf(id), PatientKeyHasher.CreateEphemeral().KeyOf(id));
    }

    [Fact]
    public void Rejects_a_short_secret()
    {
        var error = Assert.Throws<ArgumentException>(() => new PatientKeyHasher(new byte[15]));
        Assert.Equal("secret", error.ParamName);
        _ = new PatientKeyHasher(new byte[16]);
    }

    [Fact]
    public void Rejects_the_default_id()
    {
        var error = Assert.Throws<SlotEngineArgumentException>(() => new PatientKeyHasher(SecretA).KeyOf(default));
        Assert.Equal(SlotEngineError.MissingPatient, error.Code);
        Assert.Equal("id", error.ParamName);
    }
}
