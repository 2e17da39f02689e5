using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SlotEngine.Redis.Transport;

namespace SlotEngine.Redis.Tests;

/// <summary>Property tests of the parser: random and truncated input, valid frames split anywhere.</summary>
public sealed partial class RespParserTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(500);

    /// <summary>A reply tree as a test model: its RESP encoding and its expected ToString.</summary>
    private sealed record Frame(string Encoded, string Expected);

    private static Gen<Frame> FrameGen(int depth)
    {
        var text = Gen.Elements("", "OK", "a b", "é", "x\u0001y", "MOVED 1 h:1");
        var simple = text.Select(t => new Frame($"+{t}\r\n", t));
        var error = text.Select(t => new Frame($"-E{t}\r\n", "-E" + t));
        var integer = Gen.Choose(int.MinValue, int.MaxValue).Select(n => new Frame($":{n}\r\n", n.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var bulk = Gen.Elements("", "v", "line\r\nbreak", "日本", new string('z', 300))
            .Select(t => new Frame($"${Encoding.UTF8.GetByteCount(t)}\r\n{t}\r\n", t));
        var nil = Gen.Elements(new Frame("$-1\r\n", "(nil)"), new Frame("*-1\r\n", "(nil)"));
        if (depth <= 0)
        {
            return Gen.OneOf(simple, error, integer, bulk, nil);
        }

        var array = Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(FrameGen(depth - 1), n))
            .Select(items => new Frame($"*{items.Length}\r\n" + string.Concat(items.Select(i => i.Encoded)), $"[{string.Join(", ", items.Select(i => i.Expected))}]"));
        return Gen.Frequency((3, Gen.OneOf(simple, error, integer, bulk, nil)), (1, array));
    }

    /// <summary>Splits bytes into a multi-segment sequence at the given cut points.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes, IEnumerable<int> cuts)
    {
        var points = cuts.Select(c => Math.Abs(c % (bytes.Length + 1))).Append(0).Append(bytes.Length).Distinct().Order().ToArray();
        Segment? first = null;
        Segment? last = null;
        for (var i = 0; i + 1 < points.Length; i++)
        {
            var piece = bytes.AsMemory(points[i], points[i + 1] - points[i]);
            last = last is null ? first = new Segment(piece, 0) : last.Append(piece);
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    [Fact]
    public void Whole_valid_frames_round_trip_and_every_truncation_is_incomplete()
    {
        var gen = FrameGen(3).SelectMany(frame => Gen.ArrayOf(Gen.Choose(0, 10_000), 3).Select(cuts => (frame, cuts)));
        Prop.ForAll(Arb.From(gen), input =>
        {
            var bytes = Encoding.UTF8.GetBytes(input.frame.Encoded);
            var whole = Parse(Segmented(bytes, input.cuts));
            if (!whole.Complete || whole.Consumed != bytes.Length || whole.Reply.ToString() != input.frame.Expected)
            {
                return false;
            }

            for (var length = 0; length < bytes.Length; length++)
            {
                if (Parse(Segmented(bytes[..length], input.cuts)).Complete)
                {
                    return false;
                }
            }

            return true;
        }).Check(Quick);
    }

    [Fact]
    public void Random_bytes_never_throw_a_foreign_exception_and_never_loop()
    {
        var alphabet = Gen.Elements("+-:$*0123456789\r\n-ax".Select(c => (byte)c).Concat(new byte[] { 0, 255 }).ToArray());
        var gen = Gen.Sized(size => Gen.ArrayOf(alphabet, Math.Min(size * 4, 400)))
            .SelectMany(bytes => Gen.ArrayOf(Gen.Choose(0, 1000), 2).Select(cuts => (bytes, cuts)));
        Prop.ForAll(Arb.From(gen), input =>
        {
            var buffer = Segmented(input.bytes, input.cuts);
            var frames = 0;
            try
            {
                // Read frame after frame, as a connection would: each success must consume bytes.
                while (RespParser.TryRead(buffer, out _, out var consumed))
                {
                    var rest = buffer.Slice(consumed);
                    if (rest.Length >= buffer.Length || ++frames > input.bytes.Length)
                    {
                        return false;
                    }

                    buffer = rest;
                }
            }
            catch (RedisProtocolException)
            {
                // the only exception allowed
            }

            return true;
        }).Check(Quick);
    }

    [Fact]
    public void Mutated_valid_frames_are_parsed_or_rejected_cleanly()
    {
        var gen = FrameGen(2).SelectMany(frame => Gen.Choose(0, 1000).SelectMany(at => Gen.Choose(0, 255).Select(value => (frame, at, value))));
        Prop.ForAll(Arb.From(gen), input =>
        {
            var bytes = Encoding.UTF8.GetBytes(input.frame.Encoded);
            bytes[input.at % bytes.Length] = (byte)input.value;
            try
            {
                Parse(new ReadOnlySequence<byte>(bytes));
            }
            catch (RedisProtocolException)
            {
            }

            return true;
        }).Check(Quick);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
