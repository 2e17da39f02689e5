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
/// <para><b>Stored form.</b> This 64-bit value is how the code reasons about a cell; a calendar stores it in
/// 6 bytes (see <c>Calendar</c>): a 32-bit <i>state</i> word, the CAS target, and the patient index beside it
/// (16 low bits per cell, the 15 high bits on a page made on first need). The state word is
/// <c>code &lt;&lt; 29 | token</c>: the whole 29-bit token (fencing is compared whole, in the word the CAS
/// compares) and a 3-bit code for kind, head and approval bit (<see cref="StateOf"/>): 0 none, 1 held body,
/// 2 held head, 3 held head awaiting approval, 4 booked body, 5 booked head, 6 booked head with the approval bit
/// (never written), 7 closed. The patient is not in the CAS word: it is written by the claim's owner before
/// the state word that publishes it, and never changes while the claim lives, so a state word with a token
/// (unique per calendar) names exactly one patient (<see cref="FromState"/>).</para>
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

    private const int TokenBits = 29;
    private const uint StateTokenMask = (1U << TokenBits) - 1;
    private const uint CodeClosed = 7;

    /// <summary>The state word of a cell: its code (kind, head, approval bit) and its whole token; the patient is stored apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint StateOf(ulong cell)
    {
        var kind = Kind(cell);
        if (kind == 0)
        {
            return 0;
        }

        if (kind == KindClosed)
        {
            return CodeClosed << TokenBits;
        }

        var code = (uint)((kind - 1) * 3) + 1 + (IsHead(cell) ? 1U + (uint)((cell & ApprovalBit) >> 31) : 0);
        return (code << TokenBits) | (uint)Token(cell);
    }

    /// <summary>Whether a state word is a claim (held or booked), i.e. has a patient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool StateIsClaim(uint state) => state >> TokenBits is > 0 and < CodeClosed;

    /// <summary>The cell a state word and its patient make (the patient is ignored unless the state is a claim).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong FromState(uint state, uint patient)
    {
        var code = state >> TokenBits;
        if (code == 0)
        {
            return None;
        }

        if (code == CodeClosed)
        {
            return Closed;
        }

        var kind = code <= 3 ? KindHeld : KindBooked;
        var rank = code - (kind == KindHeld ? 1U : 4U); // 0 body, 1 head, 2 head with the approval bit
        return (kind << 62) | (rank > 0 ? HeadBit : 0) | (rank == 2 ? ApprovalBit : 0) | ((ulong)(state & StateTokenMask) << 32) | (patient & PatientMask);
    }

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
