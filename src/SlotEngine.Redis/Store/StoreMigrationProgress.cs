namespace SlotEngine.Redis;

/// <summary>Where a <see cref="RedisStoreMigration"/> run is: reported after each scanned page, and as its result.</summary>
/// <remarks>Counts are of this run only (a resumed run does not count what an interrupted one moved). Immutable.</remarks>
public sealed class StoreMigrationProgress
{
    /// <summary>Creates a report.</summary>
    /// <param name="phase">The pass being run.</param>
    /// <param name="keysScanned">Keys returned by <c>SCAN</c> so far, every pass and primary.</param>
    /// <param name="patientsMoved">Patients whose records changed (old keys moved into the records hash, or <c>x</c> written).</param>
    /// <param name="calendarsMoved">Calendars whose claims and nonce hashes were moved into meta (a layout-1 store's).</param>
    public StoreMigrationProgress(StoreMigrationPhase phase, long keysScanned, long patientsMoved, long calendarsMoved)
    {
        Phase = phase;
        KeysScanned = keysScanned;
        PatientsMoved = patientsMoved;
        CalendarsMoved = calendarsMoved;
    }

    /// <summary>The pass being run.</summary>
    public StoreMigrationPhase Phase { get; }

    /// <summary>Keys returned by <c>SCAN</c> so far, every pass and primary.</summary>
    public long KeysScanned { get; }

    /// <summary>Patients whose records changed: old keys moved into the records hash, or the expiry field <c>x</c> written.</summary>
    public long PatientsMoved { get; }

    /// <summary>Calendars whose claims and nonce hashes were moved into meta (only a layout-1 store has any).</summary>
    public long CalendarsMoved { get; }

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"{Phase}: {KeysScanned:N0} keys scanned, {PatientsMoved:N0} patients and {CalendarsMoved:N0} calendars moved");
}

/// <summary>The passes of a <see cref="RedisStoreMigration"/> run, in order.</summary>
public enum StoreMigrationPhase
{
    /// <summary>Finding the days the store holds patient quota hashes of (a <c>SCAN</c> of every primary).</summary>
    FindingDays = 0,

    /// <summary>Moving each patient's and each calendar's old keys (a <c>SCAN</c> of every primary and one script per patient or calendar).</summary>
    Moving = 1,

    /// <summary>Checking that no old key is left (a <c>SCAN</c> of every primary) before the layout version is stored.</summary>
    Verifying = 2,

    /// <summary>The layout version is stored: the store is in the new layout.</summary>
    Done = 3,
}

/// <summary>What a finished <see cref="RedisStoreMigration"/> run did.</summary>
public sealed class StoreMigrationResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="fromVersion">The layout the store was in when the migration began (1 or 2).</param>
    /// <param name="toVersion">The layout the store is in now.</param>
    /// <param name="resumed">Whether this run continued an interrupted one.</param>
    /// <param name="primaries">How many primaries were scanned.</param>
    /// <param name="progress">The run's counts.</param>
    public StoreMigrationResult(int fromVersion, int toVersion, bool resumed, int primaries, StoreMigrationProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        FromVersion = fromVersion;
        ToVersion = toVersion;
        Resumed = resumed;
        Primaries = primaries;
        KeysScanned = progress.KeysScanned;
        PatientsMoved = progress.PatientsMoved;
        CalendarsMoved = progress.CalendarsMoved;
    }

    /// <summary>The layout the store was in when the migration began: 1 (a build from before the layout guard) or 2.</summary>
    public int FromVersion { get; }

    /// <summary>The layout the store is in now (this build's).</summary>
    public int ToVersion { get; }

    /// <summary>Whether this run continued one that was interrupted (a fault, a cancellation).</summary>
    public bool Resumed { get; }

    /// <summary>How many primaries were scanned (1 on a standalone server).</summary>
    public int Primaries { get; }

    /// <summary>Keys returned by <c>SCAN</c>, every pass and primary.</summary>
    public long KeysScanned { get; }

    /// <summary>Patients whose records this run changed.</summary>
    public long PatientsMoved { get; }

    /// <summary>Calendars whose claims and nonce hashes this run moved into meta.</summary>
    public long CalendarsMoved { get; }

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"layout {FromVersion} -> {ToVersion}{(Resumed ? " (resumed)" : "")} on {Primaries} primaries: {KeysScanned:N0} keys scanned, {PatientsMoved:N0} patients and {CalendarsMoved:N0} calendars moved");
}
