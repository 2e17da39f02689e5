using System.Numerics;

namespace SlotEngine;

/// <summary>What a snapshot read saw on one seat of one slot (owner as a directory index).</summary>
internal readonly record struct RawSeat(SlotStatus Status, uint Patient, long Token, long HoldExpiryTicks, bool AwaitsApproval = false);

internal sealed partial class Calendar
{
    /// <summary>Reads one seat. An expired hold reads as free; a transition in progress reads as held by nobody.</summary>
    public RawSeat ReadSeat(int seat, int slot, long nowTicks)
    {
        if (IsFreeBit(seat, slot))
        {
            return new RawSeat(SlotStatus.Free, 0, 0, 0);
        }

        var cell = ReadCell(seat, slot);
        switch (ClaimCell.Kind(cell))
        {
            case ClaimCell.KindClosed:
                return new RawSeat(SlotStatus.Closed, 0, 0, 0);
            case ClaimCell.KindBooked:
                return new RawSeat(SlotStatus.Booked, ClaimCell.Patient(cell), ClaimCell.Token(cell), 0);
            case ClaimCell.KindHeld:
                var head = slot;
                var token = ClaimCell.Token(cell);
                while (head > 0 && !ClaimCell.IsHead(ReadCell(seat, head)))
                {
                    head--;
                }

                var headCell = ReadCell(seat, head);
                if (ClaimCell.Token(headCell) != token)
                {
                    return new RawSeat(SlotStatus.Held, ClaimCell.Patient(cell), token, long.MaxValue);
                }

                var expiry = HeadExpiryAt(seat, head, headCell);
                return expiry <= nowTicks
                    ? new RawSeat(SlotStatus.Free, 0, 0, 0)
                    : new RawSeat(SlotStatus.Held, ClaimCell.Patient(cell), token, expiry, ClaimCell.AwaitsApproval(headCell));
            default:
                return new RawSeat(SlotStatus.Held, 0, 0, long.MaxValue);
        }
    }

    /// <summary>Free seats of slots from <paramref name="fromSlot"/> on (popcount over the words).</summary>
    public int CountFree(int fromSlot)
    {
        var count = 0;
        var words = FreeWords;
        var wordsPerSeat = WordsPerSeat;
        for (var seat = 0; seat < Capacity; seat++)
        {
            var baseIndex = seat * wordsPerSeat;
            for (var w = fromSlot >> 6; w < wordsPerSeat; w++)
            {
                var word = Volatile.Read(ref words[baseIndex + w]);
                if (w == fromSlot >> 6)
                {
                    word &= ulong.MaxValue << (fromSlot & 63);
                }

                count += BitOperations.PopCount(word);
            }
        }

        return count;
    }

    /// <summary>
    /// Writes into <paramref name="starts"/> the first slots, in order, from which
    /// <paramref name="length"/> consecutive slots are free on some seat within one session,
    /// starting at or after <paramref name="fromSlot"/>. Returns how many it wrote.
    /// </summary>
    public int FindStarts(int length, int fromSlot, Span<int> starts)
    {
        if (starts.IsEmpty)
        {
            return 0;
        }

        if (Capacity == 1)
        {
            return FindStartsOnSeat(0, length, fromSlot, starts);
        }

        // Several seats: merge each seat's earliest starts, keeping distinct slots in order.
        Span<int> seat = starts.Length <= 64 ? stackalloc int[starts.Length] : new int[starts.Length];
        var found = 0;
        for (var l = 0; l < Capacity; l++)
        {
            var n = FindStartsOnSeat(l, length, fromSlot, seat);
            found = MergeDistinct(starts, found, seat[..n]);
        }

        return found;
    }

    private static int MergeDistinct(Span<int> into, int count, ReadOnlySpan<int> more)
    {
        foreach (var slot in more)
        {
            var at = into[..count].BinarySearch(slot);
            if (at >= 0)
            {
                continue;
            }

            at = ~at;
            if (at >= into.Length)
            {
                continue;
            }

            var last = Math.Min(count, into.Length - 1);
            into[at..last].CopyTo(into[(at + 1)..]);
            into[at] = slot;
            if (count < into.Length)
            {
                count++;
            }
        }

        return count;
    }

    private int FindStartsOnSeat(int seat, int length, int fromSlot, Span<int> starts)
    {
        var found = 0;
        var template = Layout.Template;
        var sessions = template.Sessions.Count;
        for (var session = 0; session < sessions && found < starts.Length; session++)
        {
            var sessionEnd = template.EndSlotOfSession(session);
            var pos = Math.Max(fromSlot, template.FirstSlotOfSession(session));
            while (pos + length <= sessionEnd && found < starts.Length)
            {
                var runStart = NextBit(seat, pos, sessionEnd, wantFree: true);
                if (runStart + length > sessionEnd)
                {
                    break;
                }

                var runEnd = NextBit(seat, runStart, sessionEnd, wantFree: false);
                for (var s = runStart; s + length <= runEnd && found < starts.Length; s++)
                {
                    starts[found++] = s;
                }

                pos = runEnd;
            }
        }

        return found;
    }

    /// <summary>The first slot in [from, limit) whose free bit is (or, with wantFree false, is not) set; limit when none.</summary>
    private int NextBit(int seat, int from, int limit, bool wantFree)
    {
        var words = FreeWords;
        var baseIndex = seat * WordsPerSeat;
        var slot = from;
        while (slot < limit)
        {
            var word = Volatile.Read(ref words[baseIndex + (slot >> 6)]);
            if (!wantFree)
            {
                word = ~word;
            }

            word &= ulong.MaxValue << (slot & 63);
            if (word != 0)
            {
                return Math.Min(limit, (slot & ~63) + BitOperations.TrailingZeroCount(word));
            }

            slot = (slot & ~63) + 64;
        }

        return limit;
    }
}
