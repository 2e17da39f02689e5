using SlotEngine.Redis.Client;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>Starting on Redis (now, or once it arrives), resyncing the read model, and the periodic version check.</summary>
public sealed partial class RedisSlotEngine
{
    /// <summary>Version checks in flight at once (one batch after another).</summary>
    private const int VersionCheckBatch = 1024;

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        _redis.ResyncNeeded += OnResyncNeeded;
        _redis.ConnectionChanged += OnConnectionChanged;
        if (_redis.IsConnected)
        {
            await TryFinishStartAsync(refuseOnRisk: true, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            StoreLog.NotConnectedAtStart(_logger);
        }

        if (_options.SweepInterval is { } interval)
        {
            _sweeper = SweepLoopAsync(interval);
        }

        _versionCheck = VersionCheckLoopAsync();
    }

    /// <summary>
    /// The part of starting that needs Redis: which topology it is, the persistence check, the scripts, the feed
    /// subscription and the replica count. Runs at connect, or (with <c>abortConnect=false</c>) once Redis arrives.
    /// </summary>
    /// <returns>Whether the store is started (false: Redis is still not connected).</returns>
    private async Task<bool> TryFinishStartAsync(bool refuseOnRisk, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _started) != 0)
        {
            return true;
        }

        await _startGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _started) != 0)
            {
                return true;
            }

            if (_redis.DetectCluster() is not { } cluster)
            {
                return false;
            }

            _keys.Cluster = cluster;
            if (_options.PersistenceCheck != PersistenceCheckMode.Off)
            {
                var warnings = await PersistenceCheck.RunAsync(_redis, cancellationToken).ConfigureAwait(false);
                if (warnings.Count > 0 && _options.PersistenceCheck == PersistenceCheckMode.Refuse && refuseOnRisk)
                {
                    throw new InvalidOperationException("Redis could lose calendars, so the store refuses to start (PersistenceCheckMode.Refuse): " + string.Join(" ", warnings));
                }

                foreach (var warning in warnings)
                {
                    StoreLog.PersistenceRisk(_logger, warning);
                    _options.Warning?.Invoke(warning);
                }

                Volatile.Write(ref _persistenceWarnings, warnings);
            }

            // The layout first: it reads the fingerprint key as the mark of an older build's store (StoreLayoutCheck.cs).
            await StoreLayoutCheck.RunAsync(_redis, _options.KeyPrefix, cancellationToken).ConfigureAwait(false);
            await PatientSecretCheck.RunAsync(_redis, _options.KeyPrefix, _options.Engine.PatientKeyHasher!, cancellationToken).ConfigureAwait(false);

            // Load the scripts into every primary's cache up front (EVALSHA would also load them on first use).
            foreach (var script in StoreScripts.All)
            {
                await _redis.ExecuteOnAllPrimariesAsync("SCRIPT", ["LOAD", script.TextUtf8], cancellationToken).ConfigureAwait(false);
            }

            // And the same scripts as one function library, for the calls made with FCALL (FunctionLibrary.cs).
            await _redis.LoadFunctionsEverywhereAsync(StoreScripts.Functions, cancellationToken).ConfigureAwait(false);

            if (!cluster)
            {
                await _redis.SubscribeAsync(_keys.GlobalFeed, sharded: false, OnFeedMessage, cancellationToken).ConfigureAwait(false);
                if (_options.VersionCheckInterval is not null)
                {
                    _ = CheckpointSoonAsync(); // the version check's offset, before anything is loaded (RedisSlotEngine.Checkpoint.cs)
                }
            }

            await CheckReplicasAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _started, 1);
            StoreLog.Ready(_logger, cluster ? "cluster" : "standalone");
            return true;
        }
        finally
        {
            _startGate.Release();
        }
    }

    /// <summary>Logs a replica shortfall per primary when <see cref="RedisSlotEngineOptions.WaitForReplicas"/> asks for more replicas than are connected.</summary>
    private async Task CheckReplicasAsync(CancellationToken cancellationToken)
    {
        if (_options.WaitForReplicas == 0)
        {
            return;
        }

        foreach (var (server, replicas) in await ConnectedReplicasAsync(cancellationToken).ConfigureAwait(false))
        {
            if (replicas < _options.WaitForReplicas)
            {
                StoreLog.ReplicaShortfall(_logger, server, replicas, _options.WaitForReplicas);
            }
        }
    }

    /// <summary>Each primary's connected replicas (<c>ROLE</c>, which needs no admin mode); -1 when it could not be read.</summary>
    private async Task<List<(string Server, int Replicas)>> ConnectedReplicasAsync(CancellationToken cancellationToken)
    {
        var result = new List<(string, int)>();
        foreach (var server in _redis.Primaries())
        {
            var replicas = -1;
            try
            {
                if (await server.RoleAsync().WaitAsync(cancellationToken).ConfigureAwait(false) is Role.Master primary)
                {
                    replicas = primary.Replicas.Count;
                }
            }
            catch (Exception e) when (e is RedisServerException or RedisCommandException)
            {
                // ROLE may be refused by an ACL or a command map: unknown.
            }

            result.Add((StoreConnection.Format(server.EndPoint), replicas));
        }

        return result;
    }

    private void OnResyncNeeded(int? movedSlot)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        if (Volatile.Read(ref _started) == 0)
        {
            _ = StartInBackgroundAsync();
            return;
        }

        var keys = _readModel.Keys();
        if (movedSlot is { } slot)
        {
            // Only the calendars on the slot that moved (a resharding moves many slots, one event each).
            var moved = keys.Where(k => _redis.Multiplexer.HashSlot(_keys.For(k).Meta) == slot).ToList();
            ForgetCheckpoint(slot); // its channel moved too: learn its offset again
            if (moved.Count > 0)
            {
                StoreLog.ReadModelResync(_logger, moved.Count, "hash slot " + slot.ToString(System.Globalization.CultureInfo.InvariantCulture) + " moved");
                foreach (var key in moved)
                {
                    _feed.Force(key);
                }
            }

            return;
        }

        StoreLog.ReadModelResync(_logger, keys.Count, "connection restored");
        ForgetCheckpoint();
        if (_options.VersionCheckInterval is not null)
        {
            _ = CheckpointSoonAsync(); // without a version check, the first checkpoint asked for learns the offset
        }
        _feed.ReloadAll(keys);
    }

    private async Task StartInBackgroundAsync()
    {
        try
        {
            await TryFinishStartAsync(refuseOnRisk: false, _disposal.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            // Retried by the next connection event or version-check tick.
        }
        catch (InvalidOperationException e)
        {
            // Another node's patient key secret: the store stays unstarted (unhealthy) and says why on every try.
            StoreLog.Warning(_logger, e.Message);
        }
    }

    private void OnConnectionChanged(ConnectionFailedEventArgs e, bool restored)
    {
        var server = StoreConnection.Format(e.EndPoint);
        if (restored)
        {
            StoreLog.ConnectionRestored(_logger, server, e.ConnectionType.ToString());
        }
        else
        {
            StoreLog.ConnectionLost(_logger, server, e.ConnectionType.ToString(), e.FailureType.ToString(), e.Exception);
        }
    }

    /// <summary>
    /// The periodic version check: every <see cref="RedisSlotEngineOptions.VersionCheckInterval"/>, each held
    /// calendar's version in Redis is compared with the one loaded, and calendars that are behind (feed messages
    /// lost while a subscription was being renewed) or gone are reloaded. Until the store has finished starting
    /// (Redis not reached yet), it tries that instead, more often.
    /// </summary>
    private async Task VersionCheckLoopAsync()
    {
        var token = _disposal.Token;
        var time = _options.Engine.TimeProvider;
        try
        {
            var last = time.GetTimestamp();
            using var timer = new PeriodicTimer(StartRetry, time);
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                if (Volatile.Read(ref _started) == 0)
                {
                    await StartInBackgroundAsync().ConfigureAwait(false);
                    continue;
                }

                if (_options.VersionCheckInterval is not { } interval || time.GetElapsedTime(last) < interval)
                {
                    continue;
                }

                last = time.GetTimestamp();
                try
                {
                    await RunVersionCheckAsync(token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    // Redis away: the next tick tries again, and the reconnect triggers a resync anyway.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // disposing
        }
    }

    /// <summary>
    /// Compares each held calendar's version in Redis with the loaded one; reloads those that differ. In batches of
    /// <see cref="VersionCheckBatch"/>, one batch after another, so that a node holding millions of calendars neither
    /// floods Redis nor makes claims queue behind millions of checks: on a standalone server one read-only script per
    /// batch, in a cluster pipelined <c>HGET</c>s (a script's keys must share a hash slot).
    /// </summary>
    internal async Task<int> CheckVersionsAsync(CancellationToken cancellationToken)
    {
        var stale = 0;
        var batch = new List<(CalendarKey Key, long Loaded)>(VersionCheckBatch);
        foreach (var key in _readModel.EnumerateKeys())
        {
            batch.Add((key, _feed.LoadedVersion(key)));
            if (batch.Count == VersionCheckBatch)
            {
                stale += await CheckVersionBatchAsync(batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            stale += await CheckVersionBatchAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        if (stale > 0)
        {
            StoreLog.ReadModelStale(_logger, stale);
        }

        return stale;
    }

    private async Task<int> CheckVersionBatchAsync(List<(CalendarKey Key, long Loaded)> batch, CancellationToken cancellationToken)
    {
        var versions = new RedisValue[batch.Count];
        if (_keys.Cluster)
        {
            var reads = new Task<RedisValue>[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                reads[i] = _redis.Main.Database.HashGetAsync(_keys.For(batch[i].Key).Meta, "ver");
            }

            for (var i = 0; i < batch.Count; i++)
            {
                versions[i] = await reads[i].WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            // The script compares and answers only the calendars that differ (usually none): a small reply.
            var keys = new StackExchange.Redis.RedisKey[batch.Count];
            var loaded = new RedisArgument[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                keys[i] = _keys.For(batch[i].Key).Meta;
                loaded[i] = batch[i].Loaded;
                versions[i] = batch[i].Loaded;
            }

            var reply = await EvalAsync(StoreScripts.Versions, keys, loaded, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i + 1 < reply.Count; i += 2)
            {
                var version = reply[i + 1].AsInt64();
                versions[(int)reply[i].AsInt64()] = version == 0 ? RedisValue.Null : version;
            }
        }

        var stale = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var (key, loaded) = batch[i];
            var version = versions[i];
            if (version.IsNull || !version.TryParse(out long current))
            {
                stale++;
                _feed.Force(key);
            }
            else if (current > loaded)
            {
                stale++;
                _feed.Observe(key, current);
            }
            else if (current < loaded && _feed.LoadedVersion(key) == loaded)
            {
                // A lower version than the one loaded: a new generation (published again, rebuilt, a failover that lost writes).
                stale++;
                _feed.Force(key);
            }
        }

        return stale;
    }

    private void Warn(string warning)
    {
        StoreLog.Warning(_logger, warning);
        _options.Warning?.Invoke(warning);
    }
}
