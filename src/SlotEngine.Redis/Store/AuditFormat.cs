using System.Buffers;
using System.Globalization;
using MessagePack;

namespace SlotEngine.Redis;

/// <summary>
/// The one parse/format pair of an audit stream entry. The scripts write the payload (<c>audit_append</c> in
/// <c>Scripts/lib.lua</c>, with Redis's built-in cmsgpack); <see cref="Parse"/> reads it; <see cref="Format"/>
/// writes the same bytes from C# (tests hold the two to each other and to what a real server writes).
/// </summary>
/// <remarks>
/// Version 1 is a MessagePack array of 12: <c>[1, action, seat, first, length, token, patient (16 hex digits),
/// booked (0/1), hold expiry (Unix ms, 0 for none), actor, channel, time (Unix ms, Redis TIME)]</c>; an
/// <see cref="AuditAction.Outcome"/> record appends a 13th field, the <see cref="AppointmentOutcome"/>. A reader
/// refuses versions it does not know (a newer writer must bump it); fields may only be appended within a version.
/// The position of an entry is its stream id <c>ms-seq</c> as <c>ms × 2^20 + seq</c>.
/// </remarks>
internal static class AuditFormat
{
    public const int Version = 1;
    public const string Field = "d";
    private const int SequenceBits = 20;

    public static AuditRecord Parse(ReadOnlyMemory<byte> payload, CalendarKey calendar, long position)
    {
        var reader = new MessagePackReader(payload);
        var count = reader.ReadArrayHeader();
        var version = reader.ReadInt32();
        if (version != Version || count < 12)
        {
            throw new FormatException($"An audit record of {calendar} has version {version} with {count} fields; this reader knows version {Version} with 12.");
        }

        var action = (AuditAction)reader.ReadInt32();
        var seat = reader.ReadInt32();
        var first = reader.ReadInt32();
        var length = reader.ReadInt32();
        var token = reader.ReadInt64();
        var patient = new PatientKey(ulong.Parse(reader.ReadString()!, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
        var booked = reader.ReadInt32() == 1;
        var expiry = reader.ReadInt64();
        var actor = (Actor)reader.ReadInt32();
        var channel = (BookingChannel)reader.ReadInt32();
        var at = reader.ReadInt64();
        // Fields appended within version 1: [12] the outcome of an Outcome record.
        var outcome = count > 12 ? (AppointmentOutcome)reader.ReadInt32() : 0;
        return new AuditRecord(
            position,
            action,
            calendar,
            new SlotRange(first, length),
            seat,
            token,
            patient,
            booked,
            (action is AuditAction.Claim or AuditAction.Confirm or AuditAction.ApprovalLapsed) && !booked && expiry > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(expiry) : null,
            actor,
            channel,
            DateTimeOffset.FromUnixTimeMilliseconds(at))
        {
            Outcome = outcome,
        };
    }

    public static byte[] Format(in AuditRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(record.Action == AuditAction.Outcome ? 13 : 12);
        writer.Write(Version);
        writer.Write((int)record.Action);
        writer.Write(record.Seat);
        writer.Write(record.Slots.First);
        writer.Write(record.Slots.Length);
        writer.Write(record.Token);
        writer.Write(record.Patient.Value.ToString("x16", CultureInfo.InvariantCulture));
        writer.Write(record.Booked ? 1 : 0);
        writer.Write(record.HoldExpiresAt?.ToUnixTimeMilliseconds() ?? 0);
        writer.Write((int)record.Actor);
        writer.Write((int)record.Channel);
        writer.Write(record.At.ToUnixTimeMilliseconds());
        if (record.Action == AuditAction.Outcome)
        {
            writer.Write((int)record.Outcome);
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static long PositionOf(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        var ms = long.Parse(id.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture);
        var seq = long.Parse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture);
        if (seq >= 1L << SequenceBits)
        {
            throw new FormatException($"The audit entry id {id} has a sequence beyond {(1L << SequenceBits) - 1}.");
        }

        return (ms << SequenceBits) | seq;
    }

    public static string IdOf(long position) =>
        (position >> SequenceBits).ToString(CultureInfo.InvariantCulture) + "-" + (position & ((1L << SequenceBits) - 1)).ToString(CultureInfo.InvariantCulture);
}
