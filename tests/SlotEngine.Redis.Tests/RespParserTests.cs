using System.Buffers;
using System.Text;
using SlotEngine.Redis.Transport;

namespace SlotEngine.Redis.Tests;

public sealed partial class RespParserTests
{
    private static (bool Complete, RedisReply Reply, long Consumed) Parse(ReadOnlySequence<byte> buffer)
    {
        var complete = RespParser.TryRead(buffer, out var reply, out var consumed);
        return (complete, reply, buffer.Slice(0, consumed).Length);
    }

    private static (bool Complete, RedisReply Reply, long Consumed) Parse(string text) =>
        Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)));

    [Theory]
    [InlineData("+OK\r\n", "OK")]
    [InlineData("-ERR bad\r\n", "-ERR bad")]
    [InlineData(":-42\r\n", "-42")]
    [InlineData(":9223372036854775807\r\n", "9223372036854775807")]
    [InlineData(":-9223372036854775808\r\n", "-9223372036854775808")]
    [InlineData("$5\r\nhe\r\no\r\n", "he\r\no")]
    [InlineData("$0\r\n\r\n", "")]
    [InlineData("$-1\r\n", "(nil)")]
    [InlineData("*-1\r\n", "(nil)")]
    [InlineData("*0\r\n", "[]")]
    [InlineData("*3\r\n:1\r\n*1\r\n$1\r\nx\r\n$-1\r\n", "[1, [x], (nil)]")]
    public void Valid_frames_parse(string frame, string expected)
    {
        var (complete, reply, consumed) = Parse(frame + "+next\r\n");
        Assert.True(complete);
        Assert.Equal(expected, reply.ToString());
        Assert.Equal(Encoding.UTF8.GetByteCount(frame), consumed);
    }

    [Theory]
    [InlineData("?\r\n")]
    [InlineData(":12a\r\n")]
    [InlineData(":\r\n")]
    [InlineData(":-\r\n")]
    [InlineData(":99999999999999999999\r\n")]
    [InlineData(":9223372036854775808\r\n")]
    [InlineData("$-2\r\n")]
    [InlineData("$3\r\nabcd\r\n")]
    [InlineData("*-5\r\n")]
    [InlineData("+OK\rX")]
    [InlineData("+O\nK\r\n")]
    [InlineData(":123456789012345678901234567890")]
    public void Malformed_frames_throw_protocol_exception(string frame) =>
        Assert.Throws<RedisProtocolException>(() => Parse(frame));

    [Fact]
    public void Deep_nesting_is_refused_without_overflowing_the_stack()
    {
        var deep = string.Concat(Enumerable.Repeat("*1\r\n", 100_000)) + ":1\r\n";
        Assert.Throws<RedisProtocolException>(() => Parse(deep));
    }

    [Fact]
    public void Huge_declared_lengths_are_incomplete_not_allocated()
    {
        Assert.False(Parse("*2147483647\r\n:1\r\n").Complete);
        Assert.False(Parse("$536870912\r\nabc").Complete);
        Assert.Throws<RedisProtocolException>(() => Parse("$536870913\r\n"));
    }

    [Fact]
    public void Commands_are_encoded_as_arrays_of_bulk_strings()
    {
        using var command = RedisCommand.Create("SET", "k€y", 12L, new byte[] { 0, 13, 10 });
        Assert.Equal("*4\r\n$3\r\nSET\r\n$5\r\nk€y\r\n$2\r\n12\r\n$3\r\n\0\r\n\r\n", Encoding.UTF8.GetString(command.Bytes));

        using var evalSha = RedisCommand.Create("EVALSHA", ["abc", 1], ["key"], ["arg"], leadingArguments: 1);
        using var eval = evalSha.WithNewHead("EVAL", ["return 1"], tailCount: 3);
        Assert.Equal("*5\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n1\r\n$3\r\nkey\r\n$3\r\narg\r\n", Encoding.UTF8.GetString(eval.Bytes));
    }
}
