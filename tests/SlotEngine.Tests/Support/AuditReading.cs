namespace SlotEngine.Tests.Support;

/// <summary>Reads an engine's whole audit stream from its start into a <see cref="AuditReplay"/>, as a host that follows every calendar would.</summary>
internal static class AuditReading
{
    public static AuditReplay ReplayAll(InMemorySlotEngine engine)
    {
        var replay = new AuditReplay();
        var buffer = new AuditRecord[256];
        long from = 0;
        int read;
        while ((read = engine.ReadAudit(from, buffer)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                replay.Apply(buffer[i]);
            }

            from = buffer[read - 1].Position + 1;
        }

        return replay;
    }
}
