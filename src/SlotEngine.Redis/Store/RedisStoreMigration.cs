using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>
/// Brings a store written in an older stored layout (1 or 2) to this build's (<c>3</c>) in place, with its bookings,
/// quota entries, active-appointment entries and bars: what docs/redis.md "Stored layout" describes, as a tool. Run it
/// with every node of the deployment stopped; then start the nodes of this build.
/// </summary>
/// <remarks>
/// <para>What moves (docs/redis.md "Keys"): each patient's day quota hashes <c>{a:&lt;hex&gt;}:q:&lt;yyyymmdd&gt;</c> and bars
/// hash <c>{a:&lt;hex&gt;}:b</c> become fields of the records hash <c>{a:&lt;hex&gt;}</c> (<c>q&lt;day&gt;:&lt;field&gt;</c>, <c>b:&lt;branch&gt;</c>,
/// with <c>qd</c> and <c>x</c>, the key expiring at <c>x</c>); on a layout-1 store also each calendar's <c>:c</c> and <c>:n</c>
/// hashes become fields of its meta. Everything else (calendars' meta and free keys, idempotency records, audit streams,
/// waitlists, the rate and call keys) is already in the new layout and is not touched.</para>
/// <para>How (one run): a script stores a marker in the layout key (<c>migrating-from-&lt;v&gt;-to-3</c>), so every node of a
/// build with the layout guard refuses to start while the migration runs (layout-2 nodes too: the key no longer says 2).
/// Then, on every primary at once (a cluster's every primary; a standalone server's one), three <c>SCAN</c> passes in pages of
/// <c>batchSize</c> keys: the days the store holds quota hashes of; the move, one script per patient and per (layout-1)
/// calendar found in a page, the page's scripts pipelined; and a check that no old key is left. Last, the layout key is set
/// to <c>3</c>.</para>
/// <para>Faults: a patient's keys share its hash tag (one cluster slot, one primary), so one script moves all of them (all
/// its days' quota hashes and its bars, named in the script's keys) as one step; a calendar's likewise. A crash, a lost
/// connection or a cancellation between two scripts leaves every patient and calendar either wholly old or wholly new, and
/// the marker in the layout key; the next run sees the marker, resumes, and moves the rest (a moved patient's script finds
/// nothing to do). Nothing is deleted before it is written: each script writes the new fields and deletes the old keys in
/// the same step.</para>
/// <para>Nodes: Redis cannot say which builds are connected, but every running node of the store listens to its change feed,
/// so a migration refuses to start while the feed has subscribers (<c>PUBSUB NUMSUB &lt;prefix&gt;feed</c> on each primary;
/// <c>PUBSUB SHARDCHANNELS &lt;prefix&gt;{s:*}:feed</c> on a cluster's). A node that has not subscribed yet (still starting) is
/// not seen: stop the nodes first. Builds from before the layout guard (layout 1) do not read the layout key at all.</para>
/// <para>Cost: three full <c>SCAN</c>s of every primary and about one script per patient (an <c>EXISTS</c>-sized look at
/// each day the store holds quota hashes of), so minutes for a nation's store, not hours. Needs Redis 7.0 or later
/// (<c>PEXPIRETIME</c>), as the store does.</para>
/// </remarks>
public static class RedisStoreMigration
{
    /// <summary>The start of the layout key's value while a migration runs (then <c>&lt;from&gt;-to-&lt;to&gt;</c>).</summary>
    internal const string MarkerPrefix = "migrating-from-";

    /// <summary>Quota days named in one patient script (more days: several scripts per patient, each whole).</summary>
    private const int DaysPerScript = 200;

    private static readonly RedisScript Begin = new(StoreMigrationScripts.Begin);
    private static readonly RedisScript Finish = new(StoreMigrationScripts.Finish);
    private static readonly RedisScript Patient = new(StoreMigrationScripts.Patient);
    private static readonly RedisScript Calendar = new(StoreMigrationScripts.Calendar);

    /// <summary>
    /// Migrates the store under <see cref="RedisSlotEngineOptions.KeyPrefix"/> to this build's stored layout, or resumes a
    /// migration that was interrupted. Run it with every node of the deployment stopped.
    /// </summary>
    /// <param name="options">Where the store is: <see cref="RedisSlotEngineOptions.Multiplexer"/>,
    /// <see cref="RedisSlotEngineOptions.Configuration"/> or <see cref="RedisSlotEngineOptions.ConnectionString"/>, and
    /// <see cref="RedisSlotEngineOptions.KeyPrefix"/>; <see cref="SlotEngineOptions.TimeZone"/> of
    /// <see cref="RedisSlotEngineOptions.Engine"/> dates a day's quota entries whose key had no TTL. Nothing else is read
    /// (no patient key secret is needed).</param>
    /// <param name="progress">Told after each scanned page, one call at a time, on the migration's own flow (not posted
    /// elsewhere as <see cref="Progress{T}"/> would); on a cluster the primaries' pages interleave.</param>
    /// <param name="batchSize">The <c>SCAN</c> page size (<c>COUNT</c>): keys looked at per round trip, and at most as many
    /// scripts pipelined at once. From 1 to 100,000.</param>
    /// <param name="cancellationToken">Stops the migration between pages; the store is left resumable (run again).</param>
    /// <returns>What was done.</returns>
    /// <exception cref="ArgumentException">A setting is invalid (no connection, braces in the key prefix).</exception>
    /// <exception cref="StoreLayoutException">Nothing to migrate: the store is already in this layout, or in a newer one, or
    /// holds an unknown layout value, or is empty (no layout key and no patient secret fingerprint under the prefix).</exception>
    /// <exception cref="InvalidOperationException">Nodes of the store seem to be running (the change feed has subscribers), or
    /// old keys were still found after the move, or the layout key was changed by someone else during the run.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; run again to finish.</exception>
    public static async Task<StoreMigrationResult> MigrateAsync(
        RedisSlotEngineOptions options,
        IProgress<StoreMigrationProgress>? progress = null,
        int batchSize = 1024,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, 100_000);
        if (options.Multiplexer is null && options.ResolveConfiguration() is null)
        {
            throw new ArgumentException("The migration needs RedisSlotEngineOptions.Multiplexer, Configuration or ConnectionString.", nameof(options));
        }

        var prefix = options.KeyPrefix;
        if (prefix is null || prefix.Contains('{', StringComparison.Ordinal) || prefix.Contains('}', StringComparison.Ordinal))
        {
            throw new ArgumentException("RedisSlotEngineOptions.KeyPrefix is required and must not contain '{' or '}'.", nameof(options));
        }

        var timeZone = options.Engine?.TimeZone ?? throw new ArgumentException("RedisSlotEngineOptions.Engine.TimeZone is required.", nameof(options));
        var logger = options.LoggerFactory?.CreateLogger("SlotEngine.Redis") ?? (Microsoft.Extensions.Logging.ILogger)NullLogger.Instance;
        var redis = await StoreConnection.ConnectAsync(options.Multiplexer, options.ResolveConfiguration(), 0, logger).WaitAsync(cancellationToken).ConfigureAwait(false);
        await using (redis.ConfigureAwait(false))
        {
            var run = new Run(redis, prefix, timeZone, progress, batchSize);
            return await run.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Escapes Redis glob characters (<c>* ? [ ] \</c>) in a literal part of a <c>MATCH</c> pattern.</summary>
    internal static string GlobEscape(string literal)
    {
        var text = new StringBuilder(literal.Length + 4);
        foreach (var c in literal)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        return text.ToString();
    }

    /// <summary>One run's state: the connection, the counts, the quota days found.</summary>
    private sealed class Run(StoreConnection redis, string prefix, TimeZoneInfo timeZone, IProgress<StoreMigrationProgress>? progress, int batchSize)
    {
        private readonly SortedDictionary<string, long> _days = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();
        private KeyValuePair<string, long>[] _dayList = [];
        private long _scanned;
        private long _patients;
        private long _calendars;
        private StoreMigrationPhase _phase;

        private string LayoutKey => StoreLayoutCheck.KeyOf(prefix);

        public async Task<StoreMigrationResult> ExecuteAsync(CancellationToken cancellationToken)
        {
            if (redis.DetectCluster() is null)
            {
                throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "No Redis server is connected.", null, CommandStatus.Unknown);
            }

            var primaries = redis.Primaries();
            await RefuseRunningNodesAsync(primaries, cancellationToken).ConfigureAwait(false);

            var target = StoreLayoutCheck.Version.ToString(CultureInfo.InvariantCulture);
            var begun = await redis.EvalShaAsync(Begin, [(RedisKey)LayoutKey, (RedisKey)PatientSecretCheck.KeyOf(prefix)], [target, MarkerPrefix], cancellationToken).ConfigureAwait(false);
            var kind = begun[0].AsString();
            var value = begun[1].AsString() ?? "";
            var resumed = kind == "resume";
            int from;
            switch (kind)
            {
                case "from":
                    from = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                    break;
                case "resume":
                    from = ParseMarker(value);
                    break;
                case "empty":
                    throw Refusal(null, $"there is nothing under key prefix '{prefix}': no layout key '{LayoutKey}' and no patient secret fingerprint. Check the key prefix; an empty store needs no migration (the first node to start records layout {target}).");
                default:
                    throw Refusal(value, Refused(value));
            }

            var marker = MarkerPrefix + from.ToString(CultureInfo.InvariantCulture) + "-to-" + target;
            try
            {
                await RefuseRunningNodesAsync(primaries, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException) when (!resumed)
            {
                // A node started between the first look and the marker: give the store back as it was.
                var original = from == 1 ? "" : from.ToString(CultureInfo.InvariantCulture);
                await redis.EvalShaAsync(Finish, [(RedisKey)LayoutKey], [marker, original], CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            // Each pass scans every primary at once (a cluster's primaries work in parallel), and ends on all of them
            // before the next begins: the move needs every day found, the check every patient moved.
            _phase = StoreMigrationPhase.FindingDays;
            await Task.WhenAll(primaries.Select(server => ScanAsync(server, GlobEscape(prefix) + "{a:*}:q:*", FindDays, cancellationToken))).ConfigureAwait(false);
            _dayList = [.. _days];

            _phase = StoreMigrationPhase.Moving;
            await Task.WhenAll(primaries.Select(server => ScanAsync(server, GlobEscape(prefix) + "{[ap]:*", MovePageAsync, cancellationToken))).ConfigureAwait(false);

            _phase = StoreMigrationPhase.Verifying;
            var left = new List<string>();
            await Task.WhenAll(primaries.Select(server => ScanAsync(server, GlobEscape(prefix) + "{[ap]:*", keys => FindOld(keys, left), cancellationToken))).ConfigureAwait(false);

            if (left.Count > 0)
            {
                throw new InvalidOperationException(
                    $"The migration of key prefix '{prefix}' found {left.Count} keys still in the old layout after moving (e.g. '{left[0]}'): " +
                    "something wrote them during the run. Stop every node of the store and run the migration again; the layout version was not changed.");
            }

            var finished = await redis.EvalShaAsync(Finish, [(RedisKey)LayoutKey], [marker, target], cancellationToken).ConfigureAwait(false);
            if (finished.AsInt64() != 1)
            {
                throw new InvalidOperationException($"The layout key '{LayoutKey}' no longer holds '{marker}': another migration or a hand changed it during this run. Look at it and run the migration again.");
            }

            _phase = StoreMigrationPhase.Done;
            var last = Snapshot();
            progress?.Report(last);
            return new StoreMigrationResult(from, StoreLayoutCheck.Version, resumed, primaries.Count, last);
        }

        private StoreMigrationProgress Snapshot() => new(_phase, Interlocked.Read(ref _scanned), Interlocked.Read(ref _patients), Interlocked.Read(ref _calendars));

        private int ParseMarker(string marker)
        {
            // migrating-from-<v>-to-<t>
            var rest = marker[MarkerPrefix.Length..];
            var at = rest.IndexOf("-to-", StringComparison.Ordinal);
            if (at > 0
                && int.TryParse(rest[..at], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                && int.TryParse(rest[(at + 4)..], NumberStyles.None, CultureInfo.InvariantCulture, out var to))
            {
                if (to == StoreLayoutCheck.Version)
                {
                    return from;
                }

                throw Refusal(null, $"a migration to stored layout {to} is under way or was interrupted ('{marker}' at '{LayoutKey}'): run the migration of the build that reads layout {to}.");
            }

            throw Refusal(null, $"the layout key '{LayoutKey}' holds '{marker}', which this build does not understand; look at it by hand.");
        }

        private string Refused(string stored)
        {
            var mine = StoreLayoutCheck.Version.ToString(CultureInfo.InvariantCulture);
            if (stored == mine)
            {
                return $"the store under key prefix '{prefix}' is already in stored layout {mine}: nothing to migrate.";
            }

            return int.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out _)
                ? $"the store under key prefix '{prefix}' is in stored layout {stored}, newer than this build's {mine}: run a build that reads it; this one cannot migrate backwards."
                : $"the layout key '{LayoutKey}' holds '{stored}', which is not a layout version; look at it by hand.";
        }

        private StoreLayoutException Refusal(string? stored, string why) =>
            new("The migration refuses to run: " + why)
            {
                KeyPrefix = prefix,
                StoredVersion = int.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null,
                ExpectedVersion = StoreLayoutCheck.Version,
            };

        /// <summary>Throws when the store's change feed has subscribers on any primary: nodes are running.</summary>
        private async Task RefuseRunningNodesAsync(List<IServer> primaries, CancellationToken cancellationToken)
        {
            var found = new List<string>();
            var feed = prefix + "feed";
            foreach (var server in primaries)
            {
                var numsub = await server.ExecuteAsync("PUBSUB", ["NUMSUB", feed], CommandFlags.DemandMaster).WaitAsync(cancellationToken).ConfigureAwait(false);
                var counts = (RedisResult[])numsub!;
                if (counts.Length >= 2 && (long)counts[1] > 0)
                {
                    found.Add($"{(long)counts[1]} subscriber(s) of '{feed}' on {StoreConnection.Format(server.EndPoint)}");
                }

                if (server.ServerType == ServerType.Cluster)
                {
                    var channels = (RedisResult[])(await server.ExecuteAsync("PUBSUB", ["SHARDCHANNELS", GlobEscape(prefix) + "{s:*}:feed"], CommandFlags.DemandMaster).WaitAsync(cancellationToken).ConfigureAwait(false))!;
                    if (channels.Length > 0)
                    {
                        found.Add($"{channels.Length} shard feed channel(s) with subscribers on {StoreConnection.Format(server.EndPoint)}, e.g. '{(string?)channels[0]}'");
                    }
                }
            }

            if (found.Count > 0)
            {
                throw new InvalidOperationException(
                    $"Nodes of the store under key prefix '{prefix}' seem to be running ({string.Join("; ", found)}): stop every node, then run the migration. " +
                    "Nothing was migrated by this attempt.");
            }
        }

        /// <summary>One <c>SCAN</c> of a primary, page by page, each page handed to <paramref name="page"/>.</summary>
        private async Task ScanAsync(IServer server, string pattern, Func<List<string>, Task> page, CancellationToken cancellationToken)
        {
            RedisValue cursor = "0";
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                var reply = (RedisResult[])(await server.ExecuteAsync("SCAN", [cursor, "MATCH", pattern, "COUNT", batchSize], CommandFlags.DemandMaster).WaitAsync(cancellationToken).ConfigureAwait(false))!;
                cursor = (RedisValue)reply[0];
                var keys = ((RedisResult[])reply[1]!).Select(k => (string)k!).ToList();
                Interlocked.Add(ref _scanned, keys.Count);
                await page(keys).ConfigureAwait(false);
                if (progress is not null)
                {
                    lock (_gate)
                    {
                        // One report at a time, whichever primary's page ended (the counts are the run's).
                        progress.Report(Snapshot());
                    }
                }

            }
            while (cursor != "0");
        }

        private Task ScanAsync(IServer server, string pattern, Action<List<string>> page, CancellationToken cancellationToken) =>
            ScanAsync(server, pattern, keys =>
            {
                page(keys);
                return Task.CompletedTask;
            }, cancellationToken);

        private void FindDays(List<string> keys)
        {
            lock (_gate)
            {
                foreach (var key in keys)
                {
                    if (Parse(key) is { Kind: 'q' } found && !_days.ContainsKey(found.Day))
                    {
                        _days[found.Day] = FallbackExpiry(found.Day);
                    }
                }
            }
        }

        private void FindOld(List<string> keys, List<string> left)
        {
            foreach (var key in keys)
            {
                if (Parse(key) is { Kind: 'q' or 'b' or 'c' or 'n' })
                {
                    lock (_gate)
                    {
                        left.Add(key);
                    }
                }
            }
        }

        /// <summary>One page's scripts, sent together (pipelined on one connection) and awaited together.</summary>
        private async Task MovePageAsync(List<string> keys)
        {
            var patients = new HashSet<string>(StringComparer.Ordinal);
            var calendars = new HashSet<string>(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                switch (Parse(key))
                {
                    case { Kind: 'q' or 'b' or 'h' } patient:
                        patients.Add(patient.Tag);
                        break;
                    case { Kind: 'c' or 'n' } calendar:
                        calendars.Add(calendar.Tag);
                        break;
                }
            }

            // No cancellation inside a page: its scripts are sent together; the page ends whole or with a fault.
            var patientCalls = new List<Task<int>>(patients.Count);
            foreach (var tag in patients)
            {
                patientCalls.Add(MovePatientAsync(tag));
            }

            var calendarCalls = new List<ValueTask<RedisReply>>(calendars.Count);
            foreach (var tag in calendars)
            {
                var head = prefix + "{" + tag + "}";
                calendarCalls.Add(redis.EvalShaAsync(Calendar, [(RedisKey)(head + ":m"), (RedisKey)(head + ":c"), (RedisKey)(head + ":n")], Array.Empty<RedisValue>(), CancellationToken.None));
            }

            foreach (var call in patientCalls)
            {
                if (await call.ConfigureAwait(false) > 0)
                {
                    Interlocked.Increment(ref _patients);
                }
            }

            foreach (var call in calendarCalls)
            {
                if ((await call.ConfigureAwait(false)).AsInt64() > 0)
                {
                    Interlocked.Increment(ref _calendars);
                }
            }
        }

        /// <summary>One patient's script (or, past <see cref="DaysPerScript"/> quota days, one per group of days); the sum of their replies.</summary>
        private async Task<int> MovePatientAsync(string tag)
        {
            var head = prefix + "{" + tag + "}";
            var days = _dayList;
            var total = 0;
            var first = 0;
            do
            {
                var group = days.Skip(first).Take(DaysPerScript).ToList();
                var keys = new RedisKey[2 + group.Count];
                var args = new RedisValue[group.Count];
                keys[0] = head;
                keys[1] = head + ":b";
                for (var i = 0; i < group.Count; i++)
                {
                    keys[i + 2] = head + ":q:" + group[i].Key;
                    args[i] = group[i].Value;
                }

                total += (int)(await redis.EvalShaAsync(Patient, keys, args, CancellationToken.None).ConfigureAwait(false)).AsInt64();
                first += DaysPerScript;
            }
            while (first < days.Length);
            return total;
        }

        /// <summary>A day quota key's expiry when it had none: 2 days after the day at local midnight (as the engine sets it).</summary>
        private long FallbackExpiry(string day)
        {
            var date = DateOnly.ParseExact(day, "yyyyMMdd", CultureInfo.InvariantCulture).AddDays(2);
            var utc = TimeZoneInfo.ConvertTimeToUtc(date.ToDateTime(TimeOnly.MinValue), timeZone);
            return new DateTimeOffset(utc, TimeSpan.Zero).ToUnixTimeMilliseconds();
        }

        /// <summary>
        /// A key's kind under the prefix: 'a' a patient's records, 'q' a day quota hash (with its day), 'b' a bars hash, 'r' a
        /// patient's other key; 'c' / 'n' a calendar's claims / nonces hash, 'p' a calendar's other key; null: not the store's.
        /// </summary>
        private (char Kind, string Tag, string Day)? Parse(string key)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal) || key.Length < prefix.Length + 4 || key[prefix.Length] != '{')
            {
                return null;
            }

            var close = key.IndexOf('}', prefix.Length + 1);
            if (close < 0)
            {
                return null;
            }

            var tag = key[(prefix.Length + 1)..close];
            var rest = key.AsSpan(close + 1);
            if (tag.StartsWith("a:", StringComparison.Ordinal))
            {
                if (rest.IsEmpty)
                {
                    return ('h', tag, "");
                }

                if (rest.SequenceEqual(":b"))
                {
                    return ('b', tag, "");
                }

                if (rest.Length == 11 && rest.StartsWith(":q:") && IsDigits(rest[3..]))
                {
                    return ('q', tag, rest[3..].ToString());
                }

                return ('a', tag, "");
            }

            if (tag.StartsWith("p:", StringComparison.Ordinal))
            {
                if (rest.SequenceEqual(":c"))
                {
                    return ('c', tag, "");
                }

                if (rest.SequenceEqual(":n"))
                {
                    return ('n', tag, "");
                }

                return ('p', tag, "");
            }

            return null;
        }

        private static bool IsDigits(ReadOnlySpan<char> text)
        {
            foreach (var c in text)
            {
                if (c is < '0' or > '9')
                {
                    return false;
                }
            }

            return true;
        }
    }
}
