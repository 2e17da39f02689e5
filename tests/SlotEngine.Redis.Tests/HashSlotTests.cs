using System.Text;
using SlotEngine.Redis.Transport.Cluster;

namespace SlotEngine.Redis.Tests;

public sealed class HashSlotTests
{
    [Theory]
    [InlineData("123456789", 0x31C3)] // the CRC16/XMODEM check value
    [InlineData("", 0)]
    public void Crc16_matches_the_xmodem_check_value(string text, int crc) =>
        Assert.Equal(crc, HashSlot.Crc16(Encoding.ASCII.GetBytes(text)));

    [Theory]
    [InlineData("foo", 12182)] // values from the Redis cluster spec / CLUSTER KEYSLOT
    [InlineData("bar", 5061)]
    [InlineData("{user1000}.following", 3443)]
    [InlineData("{user1000}.followers", 3443)]
    [InlineData("foo{}{bar}", 8363)] // empty first tag: the whole key is hashed
    [InlineData("foo{{bar}}zap", 4015)] // tag is "{bar"
    [InlineData("foo{bar}{zap}", 5061)] // first tag only: "bar"
    public void Slots_follow_the_hash_tag_rules(string key, int slot) => Assert.Equal(slot, HashSlot.Of(key));
}
