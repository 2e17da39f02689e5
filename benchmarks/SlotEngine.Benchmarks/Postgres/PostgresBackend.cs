using Npgsql;
using NpgsqlTypes;
using SlotEngine.LoadTest.Scenario;

namespace SlotEngine.Benchmarks.Postgres;

/// <summary>
/// What a team would build on PostgreSQL 15 (Npgsql 10): a row per slot, the hold by
/// <c>FOR UPDATE SKIP LOCKED</c>, MHRS quotas (one per clinic per day, two per facility per day)
/// counted under a per-patient-day row lock. A booking is three round trips and two commits:
/// <list type="number">
/// <item>search: one <c>SELECT … WHERE state = 0 ORDER BY day, slot LIMIT 3</c> on a partial index of the free slots (autocommit, read only);</item>
/// <item>hold: one call of the <c>hold</c> function: lock the patient's day row, count the patient's live claims that day by clinic and facility, claim the slot row if nobody holds its lock (<c>SKIP LOCKED</c>) and it is free; commit;</item>
/// <item>confirm: one <c>UPDATE … WHERE token = $t AND state = 1 AND hold_until &gt; now()</c>; commit.</item>
/// </list>
/// Statements are prepared automatically by Npgsql (<c>Max Auto Prepare</c>); one pooled connection per worker.
/// </summary>
internal sealed class PostgresBackend : BookingBackend
{
    private const string Schema = """
        DROP TABLE IF EXISTS slot, patient_day, provider CASCADE;
        DROP SEQUENCE IF EXISTS token_seq;
        DROP FUNCTION IF EXISTS hold;
        DROP FUNCTION IF EXISTS hold_earliest;
        CREATE TABLE provider (id int PRIMARY KEY, clinic int NOT NULL, facility int NOT NULL);
        CREATE TABLE slot (
            provider int NOT NULL, day date NOT NULL, slot smallint NOT NULL,
            city smallint NOT NULL, branch smallint NOT NULL, clinic int NOT NULL, facility int NOT NULL,
            state smallint NOT NULL DEFAULT 0,  -- 0 free, 1 held, 2 booked
            patient bigint, hold_until timestamptz, token bigint,
            PRIMARY KEY (provider, day, slot)) WITH (fillfactor = 70);
        CREATE TABLE patient_day (patient bigint NOT NULL, day date NOT NULL, PRIMARY KEY (patient, day));
        -- No CACHE: a cached range per session would let a later claim get a smaller token than an earlier one.
        CREATE SEQUENCE token_seq;
        CREATE FUNCTION hold(p_patient bigint, p_provider int, p_day date, p_slot smallint, p_ttl interval) RETURNS bigint
        LANGUAGE plpgsql AS $$
        DECLARE
            v_clinic int; v_facility int; n_clinic int; n_facility int; v_token bigint;
        BEGIN
            SELECT clinic, facility INTO v_clinic, v_facility FROM provider WHERE id = p_provider;
            -- The per-patient-day lock: two holds of one patient on one day take turns here, so each
            -- counts the other's claim (read committed: every statement below sees what committed before it).
            INSERT INTO patient_day (patient, day) VALUES (p_patient, p_day) ON CONFLICT DO NOTHING;
            PERFORM 1 FROM patient_day WHERE patient = p_patient AND day = p_day FOR UPDATE;
            SELECT count(*) FILTER (WHERE clinic = v_clinic), count(*) FILTER (WHERE facility = v_facility)
              INTO n_clinic, n_facility
              FROM slot WHERE patient = p_patient AND day = p_day AND (state = 2 OR (state = 1 AND hold_until > now()));
            IF n_clinic >= 1 OR n_facility >= 2 THEN
                RETURN -2;
            END IF;
            UPDATE slot s SET state = 1, patient = p_patient, hold_until = now() + p_ttl, token = nextval('token_seq')
              FROM (SELECT provider, day, slot FROM slot
                     WHERE provider = p_provider AND day = p_day AND slot = p_slot
                       AND (state = 0 OR (state = 1 AND hold_until <= now()))
                     FOR UPDATE SKIP LOCKED) c
             WHERE s.provider = c.provider AND s.day = c.day AND s.slot = c.slot
            RETURNING s.token INTO v_token;
            RETURN coalesce(v_token, -1);
        END $$;
        -- Search and hold at once: the earliest free slot of a city and branch, day by day from p_from,
        -- in a clinic and facility where the patient is under quota that day (under the patient-day
        -- lock), skipping rows another transaction is claiming. One round trip, one commit.
        CREATE FUNCTION hold_earliest(p_patient bigint, p_city smallint, p_branch smallint, p_from date, p_to date, p_ttl interval,
                                      OUT o_provider int, OUT o_day date, OUT o_slot smallint, OUT o_token bigint)
        LANGUAGE plpgsql AS $$
        DECLARE
            d date := p_from;
        BEGIN
            WHILE d <= p_to LOOP
                INSERT INTO patient_day (patient, day) VALUES (p_patient, d) ON CONFLICT DO NOTHING;
                PERFORM 1 FROM patient_day WHERE patient = p_patient AND day = d FOR UPDATE;
                UPDATE slot s SET state = 1, patient = p_patient, hold_until = now() + p_ttl, token = nextval('token_seq')
                  FROM (SELECT f.provider, f.day, f.slot FROM slot f
                         WHERE f.city = p_city AND f.branch = p_branch AND f.day = d AND f.state = 0
                           AND NOT EXISTS (SELECT 1 FROM slot q WHERE q.patient = p_patient AND q.day = d AND q.clinic = f.clinic
                                             AND (q.state = 2 OR (q.state = 1 AND q.hold_until > now())))
                           AND (SELECT count(*) FROM slot q WHERE q.patient = p_patient AND q.day = d AND q.facility = f.facility
                                  AND (q.state = 2 OR (q.state = 1 AND q.hold_until > now()))) < 2
                         ORDER BY f.slot
                         LIMIT 1
                         FOR UPDATE SKIP LOCKED) c
                 WHERE s.provider = c.provider AND s.day = c.day AND s.slot = c.slot
                RETURNING s.provider, s.day, s.slot, s.token INTO o_provider, o_day, o_slot, o_token;
                IF FOUND THEN
                    RETURN;
                END IF;
                d := d + 1;
            END LOOP;
        END $$;
        """;

    private const string Indexes = """
        CREATE INDEX slot_free ON slot (city, branch, day, slot) WHERE state = 0;
        CREATE INDEX slot_patient ON slot (patient, day) WHERE patient IS NOT NULL;
        ANALYZE;
        CHECKPOINT;
        """;

    private readonly PostgresServer _server;
    private readonly NpgsqlDataSource _data;
    private readonly bool _earliest;
    private long _roundTrips;

    private PostgresBackend(PostgresServer server, NpgsqlDataSource data, bool synchronousCommit, bool earliest)
    {
        _server = server;
        _data = data;
        _earliest = earliest;
        Name = (earliest ? "PostgreSQL 15, search and hold in one call" : "PostgreSQL 15, row per slot")
            + (synchronousCommit ? ", durable (synchronous_commit=on, fsync=on)" : ", synchronous_commit=off");
        Notes = earliest
            ? "hold_earliest(): the earliest slot the quotas allow, SKIP LOCKED, under the patient-day lock; 2 round trips, 2 commits per booking (the citizen takes the earliest slot, no choice of three)"
            : "SKIP LOCKED hold, quotas under a patient-day row lock; 3 round trips, 2 commits per booking";
    }

    public override bool SearchesAndHoldsAtOnce => _earliest;

    public override string Name { get; }

    public override string Notes { get; }

    /// <summary>Creates the schema on <paramref name="server"/> and loads every slot of the open days (COPY), then indexes.</summary>
    public static async Task<PostgresBackend> CreateAsync(PostgresServer server, bool synchronousCommit, int poolSize, NationalMap map, DateOnly[] days, int slotsPerDay, bool earliest = false)
    {
        var data = NpgsqlDataSource.Create(server.ConnectionString(poolSize, synchronousCommit));
        await using (var connection = await data.OpenConnectionAsync().ConfigureAwait(false))
        {
            await using (var schema = new NpgsqlCommand(Schema, connection))
            {
                await schema.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await using (var providers = await connection.BeginBinaryImportAsync("COPY provider (id, clinic, facility) FROM STDIN (FORMAT BINARY)").ConfigureAwait(false))
            {
                for (var p = 0; p < map.ProviderCount; p++)
                {
                    var clinic = map.ProviderClinic[p];
                    await providers.WriteRowAsync(default, p, clinic, map.ClinicFacility[clinic]).ConfigureAwait(false);
                }

                await providers.CompleteAsync().ConfigureAwait(false);
            }

            await using (var slots = await connection.BeginBinaryImportAsync("COPY slot (provider, day, slot, city, branch, clinic, facility) FROM STDIN (FORMAT BINARY)").ConfigureAwait(false))
            {
                for (var p = 0; p < map.ProviderCount; p++)
                {
                    var clinic = map.ProviderClinic[p];
                    var facility = map.ClinicFacility[clinic];
                    var city = (short)map.FacilityCity[facility];
                    var branch = (short)map.ClinicBranch[clinic];
                    foreach (var day in days)
                    {
                        for (short s = 0; s < slotsPerDay; s++)
                        {
                            await slots.StartRowAsync().ConfigureAwait(false);
                            await slots.WriteAsync(p, NpgsqlDbType.Integer).ConfigureAwait(false);
                            await slots.WriteAsync(day, NpgsqlDbType.Date).ConfigureAwait(false);
                            await slots.WriteAsync(s, NpgsqlDbType.Smallint).ConfigureAwait(false);
                            await slots.WriteAsync(city, NpgsqlDbType.Smallint).ConfigureAwait(false);
                            await slots.WriteAsync(branch, NpgsqlDbType.Smallint).ConfigureAwait(false);
                            await slots.WriteAsync(clinic, NpgsqlDbType.Integer).ConfigureAwait(false);
                            await slots.WriteAsync(facility, NpgsqlDbType.Integer).ConfigureAwait(false);
                        }
                    }
                }

                await slots.CompleteAsync().ConfigureAwait(false);
            }

            await using var indexes = new NpgsqlCommand(Indexes, connection) { CommandTimeout = 600 };
            await indexes.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        // Open the whole pool now, so the run does not pay for connecting.
        var warm = new List<NpgsqlConnection>();
        for (var i = 0; i < poolSize; i++)
        {
            warm.Add(await data.OpenConnectionAsync().ConfigureAwait(false));
        }

        foreach (var connection in warm)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        return new PostgresBackend(server, data, synchronousCommit, earliest);
    }

    public override async ValueTask<int> SearchAsync(int city, int branch, DateOnly from, DateOnly to, Candidate[] into)
    {
        Interlocked.Increment(ref _roundTrips);
        await using var command = _data.CreateCommand("SELECT provider, day, slot FROM slot WHERE city = $1 AND branch = $2 AND day BETWEEN $3 AND $4 AND state = 0 ORDER BY day, slot LIMIT $5");
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)city });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)branch });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = from });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = to });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = into.Length });
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var count = 0;
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            into[count++] = new Candidate(reader.GetInt32(0), reader.GetFieldValue<DateOnly>(1), reader.GetInt16(2));
        }

        return count;
    }

    public override async ValueTask<(HoldResult Hold, Candidate Slot)> SearchAndHoldAsync(int city, int branch, DateOnly from, DateOnly to, PatientKey patient, TimeSpan ttl)
    {
        Interlocked.Increment(ref _roundTrips);
        await using var command = _data.CreateCommand("SELECT o_provider, o_day, o_slot, o_token FROM hold_earliest($1, $2, $3, $4, $5, $6)");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = unchecked((long)patient.Value) });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)city });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)branch });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = from });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = to });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = ttl });
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        if (!await reader.ReadAsync().ConfigureAwait(false) || reader.IsDBNull(3))
        {
            return (new HoldResult(HoldStatus.Taken, 0, default), default);
        }

        var slot = new Candidate(reader.GetInt32(0), reader.GetFieldValue<DateOnly>(1), reader.GetInt16(2));
        return (new HoldResult(HoldStatus.Held, reader.GetInt64(3), default), slot);
    }

    public override async ValueTask<HoldResult> HoldAsync(Candidate candidate, PatientKey patient, TimeSpan ttl)
    {
        Interlocked.Increment(ref _roundTrips);
        await using var command = _data.CreateCommand("SELECT hold($1, $2, $3, $4, $5)");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = unchecked((long)patient.Value) });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = candidate.Provider });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = candidate.Day });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)candidate.Slot });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = ttl });
        var token = (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
        return token switch
        {
            > 0 => new HoldResult(HoldStatus.Held, token, default),
            -2 => new HoldResult(HoldStatus.Quota, 0, default),
            _ => new HoldResult(HoldStatus.Taken, 0, default),
        };
    }

    public override async ValueTask<(bool Booked, long Token, Reservation Booking)> ConfirmAsync(Candidate candidate, HoldResult hold)
    {
        Interlocked.Increment(ref _roundTrips);
        await using var command = _data.CreateCommand("UPDATE slot SET state = 2, hold_until = NULL WHERE provider = $1 AND day = $2 AND slot = $3 AND token = $4 AND state = 1 AND hold_until > now()");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = candidate.Provider });
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = candidate.Day });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)candidate.Slot });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = hold.Token });
        var rows = await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        return (rows == 1, hold.Token, default);
    }

    public override ValueTask<ServerSample> SampleAsync() => ValueTask.FromResult(new ServerSample(_server.CpuSeconds(), Volatile.Read(ref _roundTrips), Volatile.Read(ref _roundTrips), 0, _server.Counters()));

    /// <summary>
    /// The same checks as the load generator's recount: no seat booked twice in the client's records;
    /// every booked row has exactly the client's booking (patient and token) and every client booking
    /// is a booked row; every held row is a hold the client walked away from; and, from the table,
    /// no patient over a quota on a day (live claims per clinic ≤ 1, per facility ≤ 2).
    /// </summary>
    public override async Task<Recount> RecountAsync(IReadOnlyList<ClaimRecord> bookings, IReadOnlyList<ClaimRecord> walkAways)
    {
        var problems = new SortedDictionary<string, long>(StringComparer.Ordinal);
        void Problem(string kind) => problems[kind] = problems.GetValueOrDefault(kind) + 1;
        long doubles = 0;
        var live = new Dictionary<Candidate, ClaimRecord>();
        foreach (var booking in bookings)
        {
            if (!live.TryAdd(booking.Candidate, booking))
            {
                doubles++;
            }
        }

        var held = walkAways.ToDictionary(w => w.Candidate, w => w.Token);
        long storeBookings = 0;
        var seen = new HashSet<Candidate>();
        await using (var command = _data.CreateCommand("SELECT provider, day, slot, state, patient, token FROM slot WHERE state <> 0"))
        await using (var reader = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                var key = new Candidate(reader.GetInt32(0), reader.GetFieldValue<DateOnly>(1), reader.GetInt16(2));
                var state = reader.GetInt16(3);
                var patient = unchecked((ulong)reader.GetInt64(4));
                var token = reader.GetInt64(5);
                if (state == 2)
                {
                    storeBookings++;
                    if (!live.TryGetValue(key, out var booking))
                    {
                        Problem("store_booked_seat_without_ledger_booking");
                    }
                    else if (booking.Token != token || booking.Patient.Value != patient)
                    {
                        Problem("store_booked_seat_owned_by_another_claim");
                    }
                    else
                    {
                        seen.Add(key);
                    }
                }
                else if (held.GetValueOrDefault(key) != token)
                {
                    Problem("store_held_seat_without_ledger_hold");
                }
            }
        }

        foreach (var key in live.Keys)
        {
            if (!seen.Contains(key))
            {
                Problem("ledger_booking_missing_in_store");
            }
        }

        const string QuotaSql = """
            SELECT (SELECT count(*) FROM (SELECT 1 FROM slot WHERE state = 2 GROUP BY patient, day, clinic HAVING count(*) > 1) c),
                   (SELECT count(*) FROM (SELECT 1 FROM slot WHERE state = 2 GROUP BY patient, day, facility HAVING count(*) > 2) f)
            """;
        long quota;
        await using (var command = _data.CreateCommand(QuotaSql))
        await using (var reader = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            await reader.ReadAsync().ConfigureAwait(false);
            var clinic = reader.GetInt64(0);
            var facility = reader.GetInt64(1);
            if (clinic > 0)
            {
                problems["quota_exceeded_clinic"] = clinic;
            }

            if (facility > 0)
            {
                problems["quota_exceeded_facility"] = facility;
            }

            quota = clinic + facility;
        }

        var other = problems.Where(p => !p.Key.StartsWith("quota_exceeded", StringComparison.Ordinal)).Sum(p => p.Value);
        return new Recount(live.Count, storeBookings, doubles, quota, other, string.Join(", ", problems.Select(p => $"{p.Key} {p.Value}")));
    }

    public override async ValueTask DisposeAsync() => await _data.DisposeAsync().ConfigureAwait(false);
}
