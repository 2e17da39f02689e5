namespace SlotEngine.Tests;

public class NationalIdTests
{
    // 10000000146 is the well-known valid test number: odd sum 2, 2*7 - 0 = 14 → 4; digit sum 6 → 6.
    private const string Valid = "10000000146";

    [Fact]
    public void Parses_a_valid_id()
    {
        var id = NationalId.Parse(Valid);
        Assert.Equal(10000000146L, id.Value);
        Assert.Equal(Valid, id.Digits);
        Assert.False(id.IsDefault);
    }

    [Theory]
    [InlineData("1000000014", "11 digits")]
    [InlineData("100000001466", "11 digits")]
    [InlineData("", "11 digits")]
    [InlineData("1000000014a", "digits only")]
    [InlineData("1000 000146", "digits only")]
    [InlineData("-1000000146", "digits only")]
    [InlineData("01234567890", "first digit")]
    [InlineData("10000000156", "10th digit")]
    [InlineData("10000000147", "11th digit")]
    public void Rejects_each_rule_with_its_reason(string text, string reasonPart)
    {
        Assert.False(NationalId.TryParse(text, out var id, out var reason));
        Assert.True(id.IsDefault);
        Assert.Contains(reasonPart, reason, StringComparison.Ordinal);
        var error = Assert.Throws<SlotEngineArgumentException>(() => NationalId.Parse(text));
        Assert.Equal(SlotEngineError.MalformedNationalId, error.Code);
        Assert.Contains(reasonPart, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_null()
    {
        Assert.False(NationalId.TryParse(null, out _));
        Assert.Throws<ArgumentNullException>(() => NationalId.Parse(null!));
    }

    [Fact]
    public void Every_single_digit_change_of_a_valid_id_is_caught_by_a_check_digit()
    {
        for (var position = 0; position < 11; position++)
        {
            for (var digit = '0'; digit <= '9'; digit++)
            {
                var chars = Valid.ToCharArray();
                if (chars[position] == digit)
                {
                    continue;
                }

                chars[position] = digit;
                Assert.False(NationalId.TryParse(new string(chars), out _), new string(chars));
            }
        }
    }

    [Fact]
    public void ToString_masks_all_but_the_last_two_digits()
    {
        var id = NationalId.Parse(Valid);
        Assert.Equal("*********46", id.ToString());
        Assert.DoesNotContain("1000000", id.ToString(), StringComparison.Ordinal);
        Assert.Equal("(none)", default(NationalId).ToString());
    }

    [Fact]
    public void FromFirstNineDigits_round_trips_through_Parse()
    {
        var random = new Random(42);
        for (var i = 0; i < 2_000; i++)
        {
            var nine = random.Next(100_000_000, 1_000_000_000);
            var id = NationalId.FromFirstNineDigits(nine);
            Assert.StartsWith(nine.ToString(System.Globalization.CultureInfo.InvariantCulture), id.Digits, StringComparison.Ordinal);
            var parsed = NationalId.Parse(id.Digits);
            Assert.Equal(id, parsed);
            Assert.True(id == parsed);
            Assert.Equal(id.GetHashCode(), parsed.GetHashCode());
        }

        Assert.Equal(NationalId.Parse(Valid), NationalId.FromFirstNineDigits(100_000_001));
    }

    [Theory]
    [InlineData(99_999_999)]
    [InlineData(1_000_000_000)]
    [InlineData(0)]
    [InlineData(-5)]
    public void FromFirstNineDigits_needs_nine_digits(int value)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NationalId.FromFirstNineDigits(value));
    }

    [Fact]
    public void Equality_is_by_number()
    {
        var a = NationalId.FromFirstNineDigits(123_456_789);
        var b = NationalId.FromFirstNineDigits(123_456_788);
        Assert.NotEqual(a, b);
        Assert.True(a != b);
        Assert.False(a.Equals((object)b));
        Assert.True(a.Equals((object)NationalId.Parse(a.Digits)));
    }
}
