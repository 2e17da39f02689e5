namespace SlotEngine;

/// <summary>
/// The per-patient admission rate (<see cref="AdmissionRate"/>) in memory: one <see cref="long"/> per patient, the
/// GCRA instant in microseconds (0: never seen), in a <see cref="KeyTable"/> keyed by the patient key (one place per
/// patient, never moved, no object per patient). A check is a read and one compare-and-swap; no lock.
/// </summary>
/// <remarks>
/// <para><b>Protocol.</b> The instant only moves forward: an admitted attempt replaces the value <c>v</c> it judged
/// by <c>max(v, now) + interval</c>, with a CAS against <c>v</c>; a refused attempt writes nothing.</para>
/// <para><b>Invariant: every admission is judged against the value it replaces.</b> A CAS that fails means another
/// attempt moved the instant since the read; the attempt reads again and is judged again. So the admitted attempts
/// form one sequence in CAS order, each admitted by <see cref="AdmissionRate.TryAdmit"/> applied to its
/// predecessor's result: exactly the sequential GCRA, and never more than it allows (with the clock still, exactly
/// <see cref="AdmissionRate.Attempts"/>). Threads whose clocks read slightly different nows are ordered by their CAS.</para>
/// </remarks>
internal sealed class AdmissionTable
{
    private readonly KeyTable _table;
    private readonly AdmissionRate _rate;

    public AdmissionTable(AdmissionRate rate, int expectedPatients)
    {
        _rate = rate;
        _table = new KeyTable(KeyTable.BitsFor(expectedPatients, 12, 25), payloadLength: 1);
    }

    /// <summary>Takes one attempt of the patient's; false when none is left (nothing is written then).</summary>
    public bool TryAdmit(PatientKey patient, long nowTicks)
    {
        var now = nowTicks / TimeSpan.TicksPerMicrosecond;
        _table.GetOrAdd(patient.Value, out var place);
        ref var instant = ref place.Payload(0);
        while (true)
        {
            var current = Volatile.Read(ref instant);
            if (!_rate.TryAdmit(current, now, out var next))
            {
                return false;
            }

            // The admission CAS: succeeds only if no other attempt moved the instant since it was judged (see remarks).
            if (Interlocked.CompareExchange(ref instant, next, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>The stored instant of a patient, microseconds (0 when never seen); for tests.</summary>
    public long InstantOf(PatientKey patient) =>
        _table.Find(patient.Value, out var place) < 0 ? 0 : Volatile.Read(ref place.Payload(0));
}
