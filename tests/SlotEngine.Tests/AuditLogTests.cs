using FsCheck.Xunit;

namespace SlotEngine.Tests;

/// <summary>The in-memory audit stream against a plain list, and under concurrent appends.</summary>
public sealed class AuditLogTests
{
    private static AuditRecord Record(long token) =>
        new(0, AuditAction.Claim, new CalendarKey(new ProviderId(1), new DateOnly(2026, 1, 1)), SlotRange.Single(0), 0, token, new PatientKey(1), true, null, Actor.Patient, BookingChannel.Web, DateTimeOffset.UnixEpoch);

    /// <summary>
    /// Appends and reads from random positions in random chunk sizes (across segment ends), on logs with and without
    /// segments linked up front (fewer or more than the records): what is read is the list's slice.
    /// </summary>
    [Property(MaxTest = 100)]
    public bool Reads_return_the_appended_records_in_order(ushort count, ushort from, byte chunk, ushort expectedRecords)
    {
        var log = new AuditLog(expectedRecords % 12_000);
        var n = count % 10_000;
        for (var i = 0; i < n; i++)
        {
            if (log.Append(Record(i)) != i)
            {
                return false;
            }
        }

        var start = n == 0 ? 0 : from % n;
        var buffer = new AuditRecord[(chunk % 64) + 1];
        var expected = (long)start;
        while (true)
        {
            var read = log.Read(expected, buffer);
            if (read == 0)
            {
                return expected == n;
            }

            for (var i = 0; i < read; i++)
            {
                if (buffer[i].Position != expected || buffer[i].Token != expected)
                {
                    return false;
                }

                expected++;
            }
        }
    }

    [Fact]
    public void Trimmed_segments_are_skipped_and_the_rest_stays()
    {
        var log = new AuditLog();
        for (var i = 0; i < 10_000; i++)
        {
            log.Append(Record(i));
        }

        log.TrimBefore(9_000);
        Assert.Equal(8_704, log.FirstKept); // whole segments of 512 below 9,000
        var buffer = new AuditRecord[1];
        Assert.Equal(1, log.Read(0, buffer));
        Assert.Equal(8_704, buffer[0].Position);
    }

    [Fact]
    public async Task Concurrent_appends_each_get_one_position_and_readers_never_see_a_gap()
    {
        var log = new AuditLog();
        const int threads = 8;
        const int each = 20_000;
        var readerSawGap = false;
        using var done = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            var buffer = new AuditRecord[512];
            long next = 0;
            while (!done.IsCancellationRequested || next < threads * each)
            {
                var read = log.Read(next, buffer);
                for (var i = 0; i < read; i++)
                {
                    readerSawGap |= buffer[i].Position != next + i;
                }

                next += read;
                if (read == 0 && done.IsCancellationRequested && next >= log.Count)
                {
                    break;
                }
            }
        });
        Parallel.For(0, threads, t =>
        {
            for (var i = 0; i < each; i++)
            {
                log.Append(Record((t * (long)each) + i));
            }
        });
        done.Cancel();
        await reader;

        Assert.False(readerSawGap);
        var all = new AuditRecord[threads * each];
        Assert.Equal(all.Length, log.Read(0, all));
        Assert.Equal(Enumerable.Range(0, all.Length).Select(i => (long)i), all.Select(r => r.Position));
        Assert.Equal(Enumerable.Range(0, all.Length).Select(i => (long)i), all.Select(r => r.Token).Order());
    }

    /// <summary>
    /// Appenders stream their cells past the caches (non-temporal stores, weakly ordered) and then set the cell's ready flag:
    /// a reader racing them must never see a record before all of it is visible. Each record's fields are derived from one
    /// number, so a cell read half-written (a field still 0 or another record's) shows; run with streaming stores and with
    /// ordinary writes.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Readers_racing_appenders_see_whole_records(bool streams)
    {
        var log = new AuditLog(streams: streams);
        const int threads = 4;
        const int each = 30_000;
        var torn = 0L;
        long readAll = 0;
        using var done = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var buffer = new AuditRecord[64];
            long next = 0;
            while (next < threads * each)
            {
                var read = log.Read(next, buffer);
                for (var i = 0; i < read; i++)
                {
                    var r = buffer[i];
                    var n = r.Token;
                    if (r.Position != next + i || r.Patient.Value != (ulong)n + 1 || r.Seat != (int)(n % 7) || r.Slots != new SlotRange((int)(n % 100), 1 + (int)(n % 3))
                        || r.Calendar.Provider.Value != (int)(n % 1000) + 1 || r.At.UtcTicks != n + 10 || r.HoldExpiresAt?.UtcTicks != n + 20 || r.Channel != (BookingChannel)(n % 5))
                    {
                        Interlocked.Increment(ref torn);
                    }
                }

                next += read;
            }

            Interlocked.Add(ref readAll, next);
        })).ToArray();
        Parallel.For(0, threads, t =>
        {
            for (var i = 0; i < each; i++)
            {
                var n = (t * (long)each) + i;
                log.Append(AuditAction.Claim, new CalendarKey(new ProviderId((int)(n % 1000) + 1), new DateOnly(2026, 1, 1)), new SlotRange((int)(n % 100), 1 + (int)(n % 3)), (int)(n % 7), n, new PatientKey((ulong)n + 1), false, n + 20, Actor.Patient, (BookingChannel)(n % 5), n + 10);
            }
        });
        await Task.WhenAll(readers);

        Assert.Equal(0, torn);
        Assert.Equal(2L * threads * each, readAll);
    }

    /// <summary>Every field of a record comes back as appended, through both forms of Append (the record, and its fields).</summary>
    [Property(MaxTest = 100)]
    public bool Every_field_round_trips(int provider, ushort day, byte first, byte length, byte seat, long token, ulong patient, bool booked, uint expiry, byte action, byte actor, byte channel, byte outcome, uint at)
    {
        var record = new AuditRecord(
            0,
            (AuditAction)(action % 9),
            new CalendarKey(new ProviderId(provider & int.MaxValue), DateOnly.FromDayNumber(700_000 + day)),
            new SlotRange(first, (length % 16) + 1),
            seat,
            token,
            new PatientKey(patient),
            booked,
            expiry == 0 ? null : new DateTimeOffset(expiry * TimeSpan.TicksPerSecond, TimeSpan.Zero),
            (Actor)(actor % 5),
            (BookingChannel)(channel % 5),
            new DateTimeOffset(at * TimeSpan.TicksPerSecond, TimeSpan.Zero))
        {
            Outcome = (AppointmentOutcome)(outcome % 4),
        };
        var log = new AuditLog();
        var p0 = log.Append(record);
        var p1 = log.Append(record.Action, record.Calendar, record.Slots, record.Seat, record.Token, record.Patient, record.Booked, record.HoldExpiresAt?.UtcTicks ?? 0, record.Actor, record.Channel, record.At.UtcTicks, record.Outcome);
        var read = new AuditRecord[2];
        return log.Read(0, read) == 2 && read[0] == record with { Position = p0 } && read[1] == record with { Position = p1 };
    }

    /// <summary>
    /// A large log (segments cut from 64 MiB arenas on 2 MiB pages): records across the end of the first arena, across the
    /// end of the segments linked up front, and after a trim into the second arena read back in order; every cell of
    /// every pre-linked segment starts on a 64-byte boundary.
    /// </summary>
    [Fact]
    public void A_large_log_cut_from_arenas_keeps_every_record()
    {
        const int FirstArena = 2048 * 512;
        var log = new AuditLog(FirstArena + 1_000);
        Assert.True(log.CellsAligned(2048 + 2));
        var n = FirstArena + 3_000; // past the 2,050 segments linked up front: the last ones grow as before
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(i, log.Append(Record(i)));
        }

        var buffer = new AuditRecord[700];
        var expected = (long)FirstArena - 5_000;
        while (true)
        {
            var read = log.Read(expected, buffer);
            if (read == 0)
            {
                break;
            }

            for (var i = 0; i < read; i++)
            {
                Assert.Equal(expected, buffer[i].Position);
                Assert.Equal(expected, buffer[i].Token);
                expected++;
            }
        }

        Assert.Equal(n, expected);
        log.TrimBefore(FirstArena + 600);
        Assert.Equal(FirstArena + 512, log.FirstKept);
        Assert.Equal(1, log.Read(0, buffer.AsSpan(0, 1)));
        Assert.Equal(FirstArena + 512, buffer[0].Token);
    }

    /// <summary>A cell is one cache line: 64 bytes, each starting on a 64-byte boundary of its pinned segment.</summary>
    [Fact]
    public void Cells_fill_whole_cache_lines()
    {
        Assert.Equal(64, System.Runtime.CompilerServices.Unsafe.SizeOf<AuditLog.Cell>());
        for (var i = 0; i < 8; i++)
        {
            Assert.True(new AuditLog().CellsAligned());
        }
    }
}
