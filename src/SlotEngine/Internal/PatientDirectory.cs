namespace SlotEngine;

/// <summary>
/// Gives each patient key a 32-bit index, so that a claim cell can name its owner in 32 bits. The
/// index is the key's address in a <see cref="KeyTable"/>: the place where the key was inserted,
/// which never moves, so index → key is a read of that place and key → index a probe. Lock-free,
/// and no object per patient: a new patient costs a CAS on a place of a pre-allocated segment (a
/// segment eight times larger is allocated when the windows of the last one fill up).
/// </summary>
/// <remarks>
/// Indexes are not dense (a segment fills to roughly 85 % before keys spill into the next), and
/// stay below 2^31 (a claim cell keeps 31 bits of them): the directory holds a few hundred million patients (segments up to 2^28 places).
/// </remarks>
internal sealed class PatientDirectory
{
    /// <summary>The smallest first segment: 2^16 places (512 KiB); then segments eight times larger, up to 2^28.</summary>
    private const int MinFirstBits = 16;

    /// <summary>The largest first segment, 2^25 places (256 MiB), so that a 2^28-place segment can follow it: a directory sized for 100 M patients still has room to spill into.</summary>
    private const int MaxFirstBits = 25;
    private readonly KeyTable _table;

    /// <summary>Creates a directory with room for <paramref name="expectedPatients"/> in its first segment.</summary>
    /// <param name="expectedPatients">Patients expected (0: the smallest first segment).</param>
    /// <param name="payloadLength">Longs kept beside each patient's key for per-patient state read with the lookup (0 to <see cref="KeyTable.MaxPayloadLength"/>; the admission instant, <see cref="AdmissionTable"/>, and the active cap's entries, <see cref="ActiveLedger"/>).</param>
    public PatientDirectory(int expectedPatients = 0, int payloadLength = 0)
    {
        // Addresses below 2^31: a claim cell keeps the index in 31 bits (its 32nd is the approval bit, see ClaimCell).
        _table = new KeyTable(KeyTable.BitsFor(expectedPatients, MinFirstBits, MaxFirstBits), payloadLength, maxPlaces: int.MaxValue);
    }

    /// <summary>Longs of per-patient state beside each key.</summary>
    public int PayloadLength => _table.PayloadLength;

    /// <summary>Patients known.</summary>
    public int Count => _table.Count;

    /// <summary>Places allocated (8 bytes each, and 8 per payload long).</summary>
    public long Capacity => _table.Capacity;

    /// <summary>The index of the default (absent) patient key: no place holds 0, and <see cref="KeyAt"/> gives the default key back for it.</summary>
    public const uint NoPatient = uint.MaxValue;

    public uint IndexOf(PatientKey patient) => IndexOf(patient, out _);

    /// <summary>The patient's index, added when new, and its place (for the payload; empty for the default key).</summary>
    public uint IndexOf(PatientKey patient, out KeyTable.Place place)
    {
        if (patient.Value == 0)
        {
            place = default;
            return NoPatient;
        }

        // Patients claim more than once: most lookups find the key in the newest segment.
        var index = _table.Find(patient.Value, out place);
        if (index < 0)
        {
            try
            {
                index = _table.GetOrAdd(patient.Value, out place);
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidOperationException($"The patient directory is full ({_table.Count:N0} patients).", e);
            }
        }

        return (uint)index;
    }

    /// <summary>
    /// The patient's index if the directory has one, without adding it (allocates nothing). A patient
    /// without an index owns no claim: every claim cell names its patient by an index given before.
    /// </summary>
    public bool TryFind(PatientKey patient, out uint index) => TryFind(patient, out index, out _);

    /// <summary><see cref="TryFind(PatientKey, out uint)"/>, with the patient's place (for its payload; empty when not found).</summary>
    public bool TryFind(PatientKey patient, out uint index, out KeyTable.Place place)
    {
        place = default;
        var found = patient.Value == 0 ? -1 : _table.Find(patient.Value, out place);
        index = found < 0 ? NoPatient : (uint)found;
        return found >= 0;
    }

    public PatientKey KeyAt(uint index) => new(_table.KeyAt(index));

    /// <summary>The place of an index the directory handed out, for its payload, without a probe (the segment is found by arithmetic, and the line is the one the patient's lookup brought in).</summary>
    /// <param name="index">An index from <see cref="IndexOf(PatientKey, out KeyTable.Place)"/> or <see cref="TryFind(PatientKey, out uint)"/>.</param>
    /// <param name="place">The place.</param>
    /// <returns>False for an index the directory never handed out beyond its segments.</returns>
    public bool PlaceAt(uint index, out KeyTable.Place place) => _table.PlaceAt(index, out place);
}
