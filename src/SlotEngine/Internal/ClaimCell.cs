using System.Runtime.CompilerServices;

namespace SlotEngine;

/// <summary>
/// Packs and unpacks a calendar's per-seat claim cell, one <see cref="ulong"/>:
/// <code>
///  63..62  kind   0 = none, 1 = held, 2 = booked, 3 = closed
///  61      head   1 on the first slot of a claim (where confirm, release and reclaim CAS)
///  60..32  token  the claim's fencing token, low 29 bits (tokens are at most 2^29 − 1 per calendar)
///  31      awaits approval: set only on the head cell of a held claim that is an unapproved booking
///          (<see cref="SlotEngineOptions.Approval"/>; its hold expiry is its approval deadline)
///  30..0   patient index in the engine's <see cref="PatientDirectory"/> (below 2^31: the directory's addresses stay there)
/// </code>
/// A cell of 0 is "no claim". A closed cell is exactly <see cref="Closed"/>. The approval bit is never on a body
/// cell: a hold becomes unapproved by one CAS of its head (see <c>Calendar.Confirm</c>), and body cells compare
/// with the head cell without it (<see cref="BodyOf"/>).
/// </summary>
internal static class ClaimCell
{
    public const ulong None = 0;
    public const ulong KindHeld = 1;
    public const ulong KindBooked = 2;
    public const ulong KindClosed = 3;
    public const ulong Closed = KindClosed << 62;
    public const long MaxToken = (1L << 29) - 1;
    private const ulong HeadBit = 1UL << 61;
    private const ulong TokenMask = (ulong)MaxToken;
    public const ulong ApprovalBit = 1UL << 31;
    private const ulong PatientMask = ApprovalBit - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Pack(ulong kind, bool head, long token, uint patient) =>
        (kind << 62) | (head ? HeadBit : 0) | (((ulong)token & TokenMask) << 32) | patient;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Kind(ulong cell) => cell >> 62;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsHead(ulong cell) => (cell & HeadBit) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Token(ulong cell) => (long)((cell >> 32) & TokenMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Patient(ulong cell) => unchecked((uint)(cell & PatientMask));

    /// <summary>Whether this head cell is an unapproved booking (a hold whose expiry is its approval deadline).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AwaitsApproval(ulong cell) => (cell & ApprovalBit) != 0;

    /// <summary>What the body cells of the claim headed by <paramref name="head"/> hold: the head without its head and approval bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong BodyOf(ulong head) => head & ~(HeadBit | ApprovalBit);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsClaim(ulong cell) => Kind(cell) is KindHeld or KindBooked;

    /// <summary>The same claim, with kind changed (head flag, token and patient kept).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong WithKind(ulong cell, ulong kind) => (cell & ~(3UL << 62)) | (kind << 62);

    /// <summary>The same cell without the approval bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Approved(ulong cell) => cell & ~ApprovalBit;
}
