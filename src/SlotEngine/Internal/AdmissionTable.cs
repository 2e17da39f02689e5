namespace SlotEngine;

/// <summary>
/// The per-patient admission rate (<see cref="AdmissionRate"/>) in memory: one <see cref="long"/> per patient, the
/// GCRA instant in microseconds (0: never seen), kept as the payload of the patient's place in the engine's
/// <see cref="PatientDirectory"/> (one place per patient, never moved, no object per patient). The claim looks its
/// patient up once, and the instant sits beside the key it found: the check costs no probe and no cache line of its
/// own (it had a table of its own, probed by key, before: one more cache miss and CAS on a cold line per claim).
/// A check is a read and one compare-and-swap; no lock.
/// </summary>
/// <remarks>
/// <para><b>Protocol.</b> The instant only moves forward: an admitted attempt replaces the value <c>v</c> it judged
/// by <c>max(v, now) + interval</c>, with a CAS against <c>v</c>; a refused attempt writes nothing.</para>
/// <para><b>Invariant: every admission is judged against the value it replaces.</b> A CAS that fails means another
/// attempt moved the instant since the read; the attempt reads again and is judged again. So the admitted attempts
/// form one sequence in CAS order, each admitted by <see cref="AdmissionRate.TryAdmit"/> applied to its
/// predecessor's result: exactly the sequential GCRA, and never more than it allows (with the clock still, exactly
/// <see cref="AdmissionRate.Attempts"/>). Threads whose clocks read slightly different nows are ordered by their CAS.
/// One patient has one place in the directory (see <see cref="KeyTable"/>), so all of a patient's attempts CAS on the
/// same instant.</para>
/// </remarks>
internal sealed class AdmissionTable(AdmissionRate rate)
{
    /// <summary>Payload longs each directory place needs for the instant.</summary>
    public const int PayloadLength = 1;

    /// <summary>Takes one attempt of the patient's; false when none is left (nothing is written then).</summary>
    /// <param name="place">The patient's place in the directory (from <see cref="PatientDirectory.IndexOf(PatientKey, out KeyTable.Place)"/>).</param>
    /// <param name="nowTicks">Now, UTC ticks.</param>
    public bool TryAdmit(KeyTable.Place place, long nowTicks)
    {
        var now = nowTicks / TimeSpan.TicksPerMicrosecond;
        ref var instant = ref place.Payload(0);
        while (true)
        {
            var current = Volatile.Read(ref instant);
            if (!rate.TryAdmit(current, now, out var next))
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
}
