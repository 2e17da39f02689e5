using System.Globalization;
using System.Text;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>The quota scopes' cached bytes: the UTF-8 of the text the entries name them by, for every kind and the ids' edges.</summary>
public sealed class ScopeBytesTests
{
    [Theory]
    [InlineData('p', 0)]
    [InlineData('p', 7)]
    [InlineData('c', 123_456)]
    [InlineData('f', int.MaxValue)]
    [InlineData('f', -1)]
    [InlineData('c', int.MinValue)]
    public void A_scopes_bytes_are_its_text_and_the_same_array_on_a_second_read(char kind, int id)
    {
        var first = RedisSlotEngine.ScopeBytes((kind, id));
        var second = RedisSlotEngine.ScopeBytes((kind, id));

        Assert.Equal(kind + ":" + id.ToString(CultureInfo.InvariantCulture), Encoding.UTF8.GetString(first));
        Assert.Same(first, second);
    }

    [Fact]
    public void The_same_id_under_another_kind_is_another_scope()
    {
        Assert.Equal("p:42", Encoding.UTF8.GetString(RedisSlotEngine.ScopeBytes(('p', 42))));
        Assert.Equal("c:42", Encoding.UTF8.GetString(RedisSlotEngine.ScopeBytes(('c', 42))));
        Assert.Equal("f:42", Encoding.UTF8.GetString(RedisSlotEngine.ScopeBytes(('f', 42))));
    }
}
